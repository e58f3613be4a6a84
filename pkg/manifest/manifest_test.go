package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	set, err := Read(strings.NewReader(`
# a comment-only document
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "apps"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}}}}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Node, metadata: {name: n1}}
- {apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: pdb}, spec: {maxUnavailable: 1}}
- {apiVersion: apps/v1, kind: DaemonSet, metadata: {name: ds}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
---
apiVersion: lbctl.azlb.io/v1alpha1
kind: Scenario
spec: {duration: 10s}
`))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case len(set.Services) != 1 || set.Services[0].Namespace != "default":
		t.Errorf("services %+v", set.Services)
	case len(set.Deployments) != 1 || set.Deployments[0].Namespace != "apps":
		t.Errorf("deployments %+v", set.Deployments)
	case len(set.Nodes) != 1 || len(set.PDBs) != 1 || len(set.DaemonSets) != 1:
		t.Errorf("list items: %d nodes, %d PDBs, %d DaemonSets", len(set.Nodes), len(set.PDBs), len(set.DaemonSets))
	case len(set.Ignored) != 1 || set.Ignored[0] != "ConfigMap default/cm" && set.Ignored[0] != "ConfigMap cm":
		t.Errorf("ignored %v", set.Ignored)
	case len(set.Other["Scenario"]) != 1:
		t.Errorf("other %v", set.Other)
	}
}

func TestReadErrors(t *testing.T) {
	for input, want := range map[string]string{
		"metadata: {name: x}\n":                         "no kind",
		"apiVersion: v1\nkind: Service\nspec: [1, 2]\n": "document 1",
		"kind: Service\napiVersion: a/b/c\n":            "apiVersion",
		"---\n: : :\n":                                  "document",
	} {
		if _, err := Read(strings.NewReader(input)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one mentioning %q", input, err, want)
		}
	}
	if _, err := ReadFiles(nil, nil); err == nil || !strings.Contains(err.Error(), "-f") {
		t.Errorf("no files: %v", err)
	}
	if _, err := ReadFiles([]string{filepath.Join(t.TempDir(), "absent.yaml")}, nil); err == nil {
		t.Error("a missing file was accepted")
	}
	path := filepath.Join(t.TempDir(), "svc.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := ReadFiles([]string{path, "-"}, strings.NewReader("apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\n"))
	if err != nil || len(set.Services) != 1 || len(set.Nodes) != 1 {
		t.Errorf("files and stdin: %v %+v", err, set)
	}
}

func FuzzRead(f *testing.F) {
	f.Add("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n")
	f.Add("kind: List\napiVersion: v1\nitems: [{kind: Node, apiVersion: v1}]\n")
	f.Add("---\n---\n# only\n")
	f.Fuzz(func(t *testing.T, input string) {
		set, err := Read(strings.NewReader(input))
		if err == nil && set == nil {
			t.Fatal("no set and no error")
		}
	})
}
