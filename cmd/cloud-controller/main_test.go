package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azlb/azlb/pkg/azureprovider"
)

func TestNewCloudStartupErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	unreadable := write("unreadable.json", "{}")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, provider, file string
		want                 []string
	}{
		{"no config", "azure", "", []string{"--cloud-config"}},
		{"missing file", "azure", filepath.Join(dir, "absent.json"), []string{"reading --cloud-config", "absent.json"}},
		{"bad JSON", "azure", write("bad.json", `{"subscriptionId": `), []string{"not valid JSON or YAML"}},
		{"missing subscription", "azure", write("nosub.json", `{"resourceGroup":"rg","location":"l","vnetName":"v","useManagedIdentityExtension":true}`),
			[]string{`missing required field(s) "subscriptionId"`}},
		{"other provider", "gce", write("ok.json", "{}"), []string{`unknown --cloud-provider "gce"`}},
	}
	if os.Geteuid() != 0 { // root reads any file
		tests = append(tests, struct {
			name, provider, file string
			want                 []string
		}{"unreadable", "azure", unreadable, []string{"permission denied"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newCloud(tt.provider, tt.file, "kubernetes")
			if err == nil {
				t.Fatal("started with a broken config")
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error is not one line: %q", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	cloud, err := newCloud("azure", write("fake.json", `{"cloud":"InMemoryFake","resourceGroup":"rg","location":"eastus","vnetName":"v","subnetName":"s"}`), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if got := cloud.(*azureprovider.Cloud).LoadBalancerProvider().Settings().ClusterName; got != "prod" {
		t.Errorf("cluster name %q, want the --cluster-name", got)
	}
}

func TestHelpShowsTheStandardFlags(t *testing.T) {
	cmd, err := newCommand()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--kubeconfig", "--cloud-config", "--cloud-provider", "--cluster-name", "--leader-elect",
		"--concurrent-service-syncs", "--secure-port", "--controllers", "--bind-address"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("--help does not list %s", flag)
		}
	}
}
