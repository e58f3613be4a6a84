package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Objects are rendered Kubernetes objects in the order the tool emitted them.
type Objects []*unstructured.Unstructured

// RenderKustomize builds the kustomization in dir, like `kustomize build dir` (and `kubectl
// kustomize`, which embeds the same kustomize/api version).
func RenderKustomize(dir string) (Objects, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	y, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return DecodeManifests(y)
}

// HelmOptions are the inputs of `helm template`.
type HelmOptions struct {
	// ReleaseName is the release's name (default "azlb-cloud-controller").
	ReleaseName string
	// Namespace is the release namespace (default "kube-system").
	Namespace string
	// Values are the user-supplied values (--values / --set).
	Values map[string]any
	// KubeVersion is the Kubernetes version the chart is rendered for (default v1.37.2).
	KubeVersion string
}

// RenderHelm renders the chart in chartDir like `helm template` (client only, values checked
// against the chart's values.schema.json).
func RenderHelm(chartDir string, opts HelmOptions) (Objects, error) {
	if opts.ReleaseName == "" {
		opts.ReleaseName = "azlb-cloud-controller"
	}
	if opts.Namespace == "" {
		opts.Namespace = "kube-system"
	}
	if opts.KubeVersion == "" {
		opts.KubeVersion = "v1.37.2"
	}
	kubeVersion, err := chartutil.ParseKubeVersion(opts.KubeVersion)
	if err != nil {
		return nil, fmt.Errorf("kube version %q: %w", opts.KubeVersion, err)
	}
	chrt, err := loader.Load(chartDir)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", chartDir, err)
	}
	cfg := &action.Configuration{Log: func(string, ...any) {}}
	install := action.NewInstall(cfg)
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = opts.ReleaseName
	install.Namespace = opts.Namespace
	install.KubeVersion = kubeVersion
	values := opts.Values
	if values == nil {
		values = map[string]any{}
	}
	rel, err := install.Run(chrt, values)
	if err != nil {
		return nil, fmt.Errorf("helm template %s: %w", chartDir, err)
	}
	return DecodeManifests([]byte(rel.Manifest))
}

// DecodeManifests splits a multi-document YAML (or JSON) stream into objects, skipping empty
// documents.
func DecodeManifests(data []byte) (Objects, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs Objects
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("decoding manifest %d: %w", len(objs)+1, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "" || u.GetAPIVersion() == "" {
			return nil, fmt.Errorf("manifest %d has no kind or apiVersion", len(objs)+1)
		}
		objs = append(objs, u)
	}
}

// Find returns the object of kind and name (any namespace), or nil.
func (o Objects) Find(kind, name string) *unstructured.Unstructured {
	for _, u := range o {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	return nil
}

// OfKind returns the objects of kind.
func (o Objects) OfKind(kind string) Objects {
	var out Objects
	for _, u := range o {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

// One returns the only object of kind, or an error naming how many there are.
func (o Objects) One(kind string) (*unstructured.Unstructured, error) {
	all := o.OfKind(kind)
	if len(all) != 1 {
		return nil, fmt.Errorf("want exactly one %s, rendered %d", kind, len(all))
	}
	return all[0], nil
}

// DeepCopy copies every object.
func (o Objects) DeepCopy() Objects {
	out := make(Objects, len(o))
	for i, u := range o {
		out[i] = u.DeepCopy()
	}
	return out
}
