package harness

import (
	"flag"
	"io"
	"os"

	"k8s.io/klog/v2"
)

// QuietLogs keeps the in-process components' klog output (API server, controllers, fake Azure) out
// of test output unless HARNESS_LOG=1; then klog -v=HARNESS_V (default 2) goes to stderr. Test
// packages call it from TestMain.
func QuietLogs() {
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
