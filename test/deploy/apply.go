package deploy

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	restclient "k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Creator creates rendered objects through the API server, with strict server-side field
// validation: an unknown or duplicate field is an error, not a warning.
type Creator struct {
	client dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// NewCreator builds a Creator for the API server of cfg.
func NewCreator(cfg *restclient.Config) (*Creator, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	return &Creator{client: client, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// Create creates every object in order. With dryRun the API server runs admission and validation
// and persists nothing (dryRun=All).
func (c *Creator) Create(ctx context.Context, objs Objects, dryRun bool) error {
	for _, u := range objs {
		if err := c.create(ctx, u, dryRun); err != nil {
			return err
		}
	}
	return nil
}

func (c *Creator) create(ctx context.Context, u *unstructured.Unstructured, dryRun bool) error {
	gvk := u.GroupVersionKind()
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s %s: no API for it: %w", gvk, u.GetName(), err)
	}
	opts := metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var ri dynamic.ResourceInterface = c.client.Resource(mapping.Resource)
	if mapping.Scope.Name() == "namespace" {
		ri = c.client.Resource(mapping.Resource).Namespace(u.GetNamespace())
	}
	if _, err := ri.Create(ctx, u, opts); err != nil {
		return fmt.Errorf("creating %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return nil
}
