package deploy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestDecodeManifests(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		kinds   []string
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"separators and comments only", "---\n# nothing\n---\n", nil, ""},
		{"two documents", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n",
			[]string{"ServiceAccount", "Secret"}, ""},
		{"JSON", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}`, []string{"ConfigMap"}, ""},
		{"no kind", "apiVersion: v1\nmetadata: {name: a}\n", nil, "no kind or apiVersion"},
		{"not YAML", "kind: [\n", nil, "decoding manifest 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := DecodeManifests([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetKind())
			}
			if !reflect.DeepEqual(kinds, tc.kinds) {
				t.Errorf("kinds %v, want %v", kinds, tc.kinds)
			}
		})
	}
}

// FuzzDecodeManifests: decoding never panics, every decoded object has a kind and an apiVersion,
// and what decodes survives a round trip through YAML unchanged.
func FuzzDecodeManifests(f *testing.F) {
	for _, dir := range []string{baseDir, wiOverlayDir} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("---\napiVersion: v1\nkind: List\n---\n"))
	f.Add([]byte(`{"apiVersion":"v1","kind":"Secret","data":{"a":"YQ=="}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := DecodeManifests(data)
		if err != nil {
			return
		}
		var docs []string
		for _, o := range objs {
			if o.GetKind() == "" || o.GetAPIVersion() == "" {
				t.Fatalf("decoded an object without kind or apiVersion: %v", o.Object)
			}
			y, err := yaml.Marshal(o.Object)
			if err != nil {
				t.Fatalf("re-encoding %v: %v", o.Object, err)
			}
			docs = append(docs, string(y))
		}
		again, err := DecodeManifests([]byte(strings.Join(docs, "---\n")))
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if len(again) != len(objs) {
			t.Fatalf("round trip: %d objects, then %d", len(objs), len(again))
		}
		for i := range objs {
			if !reflect.DeepEqual(objs[i].Object, again[i].Object) {
				t.Fatalf("round trip changed object %d:\n%v\n%v", i, objs[i].Object, again[i].Object)
			}
		}
	})
}
