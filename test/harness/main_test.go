package harness

import (
	"os"
	"testing"
)

// TestMain keeps the components' logs out of the test output unless HARNESS_LOG=1 (QuietLogs).
func TestMain(m *testing.M) {
	QuietLogs()
	os.Exit(m.Run())
}
