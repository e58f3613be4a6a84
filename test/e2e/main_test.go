package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azlb/azlb/test/harness"
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
	harness.QuietLogs()
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
	// A race in the process fails its test (see startController).
	bin, err := harness.BuildCloudController(context.Background(), filepath.Join(dir, "cloud-controller"), raceEnabled)
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
