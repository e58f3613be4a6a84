package e2e

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/klog/v2"
)

// Environment variables of the suite.
const (
	// envBinary names a cloud-controller binary to use instead of building one.
	envBinary = "E2E_CLOUD_CONTROLLER"
	// envLogDir keeps the cloud-controller logs in this directory (default: the test's temporary
	// directory, removed after the test; the tail is printed when a test fails).
	envLogDir = "E2E_LOG_DIR"
	// envVerbosity is the cloud-controller's -v (default 2).
	envVerbosity = "E2E_V"
)

// cloudControllerBinary is the cloud-controller the tests run, built once by TestMain.
var cloudControllerBinary string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	quietKlog()
	if bin := os.Getenv(envBinary); bin != "" {
		cloudControllerBinary = bin
		return runTests(m)
	}
	dir, err := os.MkdirTemp("", "azlb-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	start := time.Now()
	bin, err := buildCloudController(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	fmt.Printf("e2e: built cloud-controller in %s\n", time.Since(start).Round(time.Millisecond))
	cloudControllerBinary = bin
	return runTests(m)
}

// runTests runs the tests and prints how long each environment lived.
func runTests(m *testing.M) int {
	code := m.Run()
	reports.mu.Lock()
	if len(reports.lines) > 0 {
		fmt.Printf("e2e: reports:\n  %s\n", strings.Join(reports.lines, "\n  "))
	}
	reports.mu.Unlock()
	timings.mu.Lock()
	defer timings.mu.Unlock()
	if len(timings.lines) > 0 {
		fmt.Printf("e2e: wall time per test (cluster start to cleanup):\n  %s\n", strings.Join(timings.lines, "\n  "))
	}
	return code
}

// quietKlog keeps the in-process components' logs (harness, fake Azure) out of the test output
// unless HARNESS_LOG=1, as the harness's own tests do.
func quietKlog() {
	fs := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(fs)
	if os.Getenv("HARNESS_LOG") == "1" {
		v := os.Getenv("HARNESS_V")
		if v == "" {
			v = "2"
		}
		_ = fs.Set("v", v)
		return
	}
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
}

// buildCloudController builds cmd/cloud-controller of the main module (two levels up from this
// package) with the main module's own dependencies, into dir.
func buildCloudController(dir string) (string, error) {
	root, err := mainModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "cloud-controller")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race") // a race in the process fails its test (see startController)
	}
	cmd := exec.Command("go", append(args, "./cmd/cloud-controller")...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building cmd/cloud-controller in %s: %w\n%s", root, err, out)
	}
	return bin, nil
}

// mainModuleRoot is the directory of github.com/azlb/azlb's go.mod.
func mainModuleRoot() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("finding the main module (run the tests from test/e2e): %w", err)
	}
	defer func() { _ = f.Close() }()
	line, _ := bufio.NewReader(f).ReadString('\n')
	if strings.TrimSpace(line) != "module github.com/azlb/azlb" {
		return "", fmt.Errorf("%s/go.mod is %q, not module github.com/azlb/azlb", root, strings.TrimSpace(line))
	}
	return root, nil
}
