package harness

import (
	"flag"
	"io"
	"os"
	"testing"

	"k8s.io/klog/v2"
)

// TestMain keeps the components' logs out of the test output unless
// HARNESS_LOG=1 (then klog -v=HARNESS_V, default 2, goes to stderr).
func TestMain(m *testing.M) {
	fs := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(fs)
	if os.Getenv("HARNESS_LOG") == "1" {
		v := os.Getenv("HARNESS_V")
		if v == "" {
			v = "2"
		}
		_ = fs.Set("v", v)
	} else {
		_ = fs.Set("logtostderr", "false")
		_ = fs.Set("alsologtostderr", "false")
		_ = fs.Set("stderrthreshold", "FATAL")
		klog.SetOutput(io.Discard)
	}
	os.Exit(m.Run())
}
