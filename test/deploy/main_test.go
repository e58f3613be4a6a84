package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/azlb/azlb/test/harness"
)

// Paths of the manifests, relative to this package's directory (where go test runs).
const (
	repoRoot     = "../.."
	baseDir      = repoRoot + "/deploy/kustomize/base"
	wiOverlayDir = repoRoot + "/deploy/kustomize/overlays/workload-identity"
	chartDir     = repoRoot + "/deploy/helm/azlb-cloud-controller"
)

// TestMain keeps the harness's component logs out of the test output unless HARNESS_LOG=1 (then
// klog -v=HARNESS_V, default 2, goes to stderr), as the harness's own tests do.
func TestMain(m *testing.M) {
	harness.QuietLogs()
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// controllerBinary returns the cloud-controller binary: $AZLB_CLOUD_CONTROLLER when set (for
// example bin/cloud-controller from `make build`), else one built from this checkout once per run.
func controllerBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AZLB_CLOUD_CONTROLLER"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "azlb-deploy-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "cloud-controller")
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		_, buildErr = harness.BuildCloudController(ctx, binPath, false)
	})
	if buildErr != nil {
		t.Fatalf("building cloud-controller: %v", buildErr)
	}
	return binPath
}

// fakeCloudConfig is an azure.json for the in-memory fake Azure: no Azure account needed.
func fakeCloudConfig() map[string]any {
	return map[string]any{
		"cloud":         "InMemoryFake",
		"resourceGroup": "rg-azlb",
		"location":      "westeurope",
		"vnetName":      "vnet-azlb",
		"subnetName":    "subnet-azlb",
	}
}

// fakeOverlay writes a kustomize overlay of the base that replaces azure.json with
// fakeCloudConfig, the way a user's overlay replaces it with theirs, and returns its directory.
func fakeOverlay(t *testing.T) string {
	t.Helper()
	base, err := filepath.Abs(baseDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// kustomize accepts only relative paths to bases.
	rel, err := filepath.Rel(dir, base)
	if err != nil {
		t.Fatal(err)
	}
	kustomization := fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - %s
secretGenerator:
  - name: azlb-cloud-config
    namespace: kube-system
    behavior: replace
    files:
      - azure.json
`, rel)
	cfg := `{"cloud": "InMemoryFake", "resourceGroup": "rg-azlb", "location": "westeurope", "vnetName": "vnet-azlb", "subnetName": "subnet-azlb"}`
	for name, content := range map[string]string{"kustomization.yaml": kustomization, "azure.json": cfg} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rendering is one way a user renders the manifests.
type rendering struct {
	name   string
	render func(t *testing.T) Objects
}

func kustomizeRendering(name string, dir func(t *testing.T) string) rendering {
	return rendering{name: name, render: func(t *testing.T) Objects {
		t.Helper()
		objs, err := RenderKustomize(dir(t))
		if err != nil {
			t.Fatal(err)
		}
		return objs
	}}
}

func helmRendering(name string, opts HelmOptions) rendering {
	return rendering{name: name, render: func(t *testing.T) Objects {
		t.Helper()
		objs, err := RenderHelm(chartDir, opts)
		if err != nil {
			t.Fatal(err)
		}
		return objs
	}}
}

func fixed(dir string) func(*testing.T) string { return func(*testing.T) string { return dir } }

// allRenderings are the renderings every structural test checks.
func allRenderings() []rendering {
	return []rendering{
		kustomizeRendering("kustomize base", fixed(baseDir)),
		kustomizeRendering("kustomize workload-identity overlay", fixed(wiOverlayDir)),
		kustomizeRendering("kustomize fake-cloud overlay", fakeOverlay),
		helmRendering("helm kube-system", HelmOptions{Values: map[string]any{"cloudConfig": fakeCloudConfig()}}),
		helmRendering("helm own namespace", HelmOptions{ReleaseName: "ccm", Namespace: "azlb-system",
			Values: map[string]any{"cloudConfig": fakeCloudConfig()}}),
		helmRendering("helm workload identity", HelmOptions{Values: map[string]any{
			"cloudConfig": map[string]any{"subscriptionId": "00000000-0000-0000-0000-00000000000a",
				"resourceGroup": "rg", "location": "westeurope", "vnetName": "vnet"},
			"workloadIdentity": map[string]any{"enabled": true, "clientId": "00000000-0000-0000-0000-00000000000c",
				"tenantId": "00000000-0000-0000-0000-00000000000d"},
		}}),
	}
}
