// Package manifest reads Kubernetes manifests (multi-document YAML or JSON, List objects included) into
// typed objects for lbctl: Services, Nodes, Deployments, DaemonSets, PodDisruptionBudgets, and documents of the project's own
// kinds, which are returned raw for their packages to decode.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	sigsyaml "sigs.k8s.io/yaml"
)

// Set is everything read from the manifests, in input order.
type Set struct {
	Services    []*v1.Service
	Nodes       []*v1.Node
	Deployments []*appsv1.Deployment
	DaemonSets  []*appsv1.DaemonSet
	PDBs        []*policyv1.PodDisruptionBudget
	// Other holds documents of kinds the Kubernetes scheme does not know (such as the project's
	// Scenario), as JSON, keyed by kind.
	Other map[string][][]byte
	// Ignored names the known objects lbctl does not use ("ConfigMap default/x").
	Ignored []string
}

// ReadFiles reads every file ("-" is standard input).
func ReadFiles(paths []string, stdin io.Reader) (*Set, error) {
	if len(paths) == 0 {
		return nil, errors.New("no manifests: pass -f FILE (or -f - for standard input)")
	}
	set := &Set{Other: map[string][][]byte{}}
	for _, path := range paths {
		var r io.Reader
		if path == "-" {
			r = stdin
		} else {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("reading manifests: %w", err)
			}
			defer f.Close()
			r = f
		}
		if err := set.read(r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return set, nil
}

// Read reads manifests from r.
func Read(r io.Reader) (*Set, error) {
	set := &Set{Other: map[string][][]byte{}}
	if err := set.read(r); err != nil {
		return nil, err
	}
	return set, nil
}

func (s *Set) read(r io.Reader) error {
	reader := yaml.NewYAMLReader(bufio.NewReader(r))
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %d: %w", doc, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 || isComments(raw) {
			continue
		}
		data, err := sigsyaml.YAMLToJSON(raw)
		if err != nil {
			return fmt.Errorf("document %d: not valid YAML or JSON: %w", doc, err)
		}
		if err := s.add(data); err != nil {
			return fmt.Errorf("document %d: %w", doc, err)
		}
	}
}

func isComments(raw []byte) bool {
	for _, line := range strings.Split(string(raw), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") && l != "---" {
			return false
		}
	}
	return true
}

func (s *Set) add(data []byte) error {
	var meta struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := sigsyaml.Unmarshal(data, &meta); err != nil {
		return fmt.Errorf("cannot read apiVersion and kind: %w", err)
	}
	if meta.Kind == "" {
		return errors.New("no kind")
	}
	if meta.Kind == "List" || strings.HasSuffix(meta.Kind, "List") && meta.Items != nil {
		for i, item := range meta.Items {
			if err := s.add(item); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		return nil
	}
	gv, err := schema.ParseGroupVersion(meta.APIVersion)
	if err != nil {
		return fmt.Errorf("apiVersion %q: %w", meta.APIVersion, err)
	}
	gvk := gv.WithKind(meta.Kind)
	if !scheme.Scheme.Recognizes(gvk) {
		s.Other[meta.Kind] = append(s.Other[meta.Kind], data)
		return nil
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, &gvk, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", meta.Kind, err)
	}
	switch o := obj.(type) {
	case *v1.Service:
		s.Services = append(s.Services, defaultNamespace(o))
	case *v1.Node:
		s.Nodes = append(s.Nodes, o)
	case *appsv1.Deployment:
		s.Deployments = append(s.Deployments, defaultNamespace(o))
	case *appsv1.DaemonSet:
		s.DaemonSets = append(s.DaemonSets, defaultNamespace(o))
	case *policyv1.PodDisruptionBudget:
		s.PDBs = append(s.PDBs, defaultNamespace(o))
	default:
		s.Ignored = append(s.Ignored, describe(obj))
	}
	return nil
}

type namespaced interface {
	GetNamespace() string
	SetNamespace(string)
}

func defaultNamespace[T namespaced](o T) T {
	if o.GetNamespace() == "" {
		o.SetNamespace("default")
	}
	return o
}

func describe(obj runtime.Object) string {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if m, ok := obj.(interface {
		GetNamespace() string
		GetName() string
	}); ok {
		if m.GetNamespace() != "" {
			return fmt.Sprintf("%s %s/%s", kind, m.GetNamespace(), m.GetName())
		}
		return fmt.Sprintf("%s %s", kind, m.GetName())
	}
	return kind
}
