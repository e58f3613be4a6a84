package sandbox

import (
	"context"
	"fmt"
	"os"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/test/harness"
)

// applyManifests creates the Services, Deployments, DaemonSets and PodDisruptionBudgets of the
// files in the cluster (their namespaces first), as `kubectl create -f` would. It returns what it
// created ("Service default/web", ...) and what it left out, and the namespace/name of the first
// Service of type LoadBalancer ("" when none).
func applyManifests(ctx context.Context, c *harness.Cluster, paths []string) (created, skipped []string, firstLB string, err error) {
	if len(paths) == 0 {
		return nil, nil, "", nil
	}
	set, err := manifest.ReadFiles(paths, os.Stdin)
	if err != nil {
		return nil, nil, "", err
	}
	namespaces := map[string]bool{}
	ns := func(m *metav1.ObjectMeta) string {
		if m.Namespace == "" {
			m.Namespace = metav1.NamespaceDefault
		}
		namespaces[m.Namespace] = true
		return m.Namespace
	}
	for _, o := range set.Services {
		ns(&o.ObjectMeta)
	}
	for _, o := range set.Deployments {
		ns(&o.ObjectMeta)
	}
	for _, o := range set.DaemonSets {
		ns(&o.ObjectMeta)
	}
	for _, o := range set.PDBs {
		ns(&o.ObjectMeta)
	}
	names := make([]string, 0, len(namespaces))
	for n := range namespaces {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := c.CreateNamespace(ctx, n); err != nil {
			return created, skipped, firstLB, err
		}
	}
	opts := metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}
	for _, o := range set.PDBs {
		if _, err := c.Client.PolicyV1().PodDisruptionBudgets(o.Namespace).Create(ctx, o, opts); err != nil {
			return created, skipped, firstLB, fmt.Errorf("creating PodDisruptionBudget %s/%s: %w", o.Namespace, o.Name, err)
		}
		created = append(created, "PodDisruptionBudget "+o.Namespace+"/"+o.Name)
	}
	for _, o := range set.Deployments {
		if _, err := c.Client.AppsV1().Deployments(o.Namespace).Create(ctx, o, opts); err != nil {
			return created, skipped, firstLB, fmt.Errorf("creating Deployment %s/%s: %w", o.Namespace, o.Name, err)
		}
		created = append(created, "Deployment "+o.Namespace+"/"+o.Name)
	}
	for _, o := range set.DaemonSets {
		if _, err := c.Client.AppsV1().DaemonSets(o.Namespace).Create(ctx, o, opts); err != nil {
			return created, skipped, firstLB, fmt.Errorf("creating DaemonSet %s/%s: %w", o.Namespace, o.Name, err)
		}
		created = append(created, "DaemonSet "+o.Namespace+"/"+o.Name)
	}
	for _, o := range set.Services {
		if _, err := c.Client.CoreV1().Services(o.Namespace).Create(ctx, o, opts); err != nil {
			return created, skipped, firstLB, fmt.Errorf("creating Service %s/%s: %w", o.Namespace, o.Name, err)
		}
		created = append(created, "Service "+o.Namespace+"/"+o.Name)
		if firstLB == "" && o.Spec.Type == "LoadBalancer" {
			firstLB = o.Namespace + "/" + o.Name
		}
	}
	for _, n := range set.Nodes {
		skipped = append(skipped, "Node "+n.Name+" (the sandbox makes its own nodes)")
	}
	for kind, docs := range set.Other {
		skipped = append(skipped, fmt.Sprintf("%d %s document(s)", len(docs), kind))
	}
	skipped = append(skipped, set.Ignored...)
	sort.Strings(skipped)
	return created, skipped, firstLB, nil
}
