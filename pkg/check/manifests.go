package check

import (
	"encoding/json"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim/scenario"
)

// WriteManifests writes the objects of the set as multi-document YAML: Services, Deployments,
// DaemonSets, PodDisruptionBudgets, Nodes, then the Scenario document (objects lbctl does not read are
// not in the set, so not written). Empty status and creationTimestamp fields are left out.
func WriteManifests(w io.Writer, set *manifest.Set) error {
	type typed struct {
		obj runtime.Object
		gvk schema.GroupVersionKind
	}
	var objs []typed
	core := schema.GroupVersion{Version: "v1"}
	apps := schema.GroupVersion{Group: "apps", Version: "v1"}
	policy := schema.GroupVersion{Group: "policy", Version: "v1"}
	for _, o := range set.Services {
		objs = append(objs, typed{o, core.WithKind("Service")})
	}
	for _, o := range set.Deployments {
		objs = append(objs, typed{o, apps.WithKind("Deployment")})
	}
	for _, o := range set.DaemonSets {
		objs = append(objs, typed{o, apps.WithKind("DaemonSet")})
	}
	for _, o := range set.PDBs {
		objs = append(objs, typed{o, policy.WithKind("PodDisruptionBudget")})
	}
	for _, o := range set.Nodes {
		objs = append(objs, typed{o, core.WithKind("Node")})
	}
	var docs [][]byte
	for _, t := range objs {
		c := t.obj.DeepCopyObject()
		c.GetObjectKind().SetGroupVersionKind(t.gvk)
		data, err := json.Marshal(c)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		prune(m)
		docs = append(docs, mustJSON(m))
	}
	docs = append(docs, set.Other[scenario.Kind]...)
	for i, d := range docs {
		y, err := yaml.JSONToYAML(d)
		if err != nil {
			return fmt.Errorf("writing YAML: %w", err)
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(y); err != nil {
			return err
		}
	}
	return nil
}

// prune removes what serialising a typed object adds: null creationTimestamps, empty status, empty
// maps (resources: {}), recursively.
func prune(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil || prune(e) {
				delete(x, k)
			}
		}
		return len(x) == 0
	case []any:
		for _, e := range x {
			prune(e)
		}
	}
	return false
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // decoded from JSON just before
	}
	return data
}
