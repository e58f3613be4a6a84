package sim

import (
	"fmt"
	"testing"
	"time"
)

// benchScenario is a speed scenario: nodes nodes, 3 pods per node, rps requests per second, a rolling
// update and a drain, for 10 minutes of virtual time. The speed target is 50 nodes at 500 requests/s.
func benchScenario(nodes, rps int) []string {
	return []string{
		service("Local"),
		deployment(3*nodes, podOpts{preStop: 7, spread: true, readiness: readinessEverySecond}),
		scenarioDoc("bench", fmt.Sprintf(`  duration: 600s
  nodes:
    count: %d
  clients:
    requestsPerSecond: %d
    count: 200
  app:
    startupTime: 2s
  events:
    - at: 30s
      rollout: {}
    - at: 300s
      drainNode: {node: node-1}
`, nodes, rps)),
	}
}

// BenchmarkSimulation reports how much faster than real time the scenarios run (virtual seconds per
// wall-clock second) as they grow in nodes and load; nodes=50/rps=500 is the speed target.
func BenchmarkSimulation(b *testing.B) {
	for _, size := range []struct{ nodes, rps int }{{10, 100}, {50, 500}, {100, 1000}, {200, 2000}} {
		b.Run(fmt.Sprintf("nodes=%d/pods=%d/rps=%d", size.nodes, 3*size.nodes, size.rps), func(b *testing.B) {
			docs := benchScenario(size.nodes, size.rps)
			var virtual time.Duration
			requests := 0
			start := time.Now()
			for b.Loop() {
				res := simulate(b, docs...)
				virtual += time.Duration(float64(res.Duration) * float64(time.Second))
				requests += int(res.Requests)
			}
			b.ReportMetric(virtual.Seconds()/time.Since(start).Seconds(), "x-realtime")
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
		})
	}
}

// TestSpeed asserts the speed target loosely: at least 1,000 times faster than real time (100 under
// the race detector, which slows everything about tenfold).
func TestSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("speed test")
	}
	start := time.Now()
	res := simulate(t, benchScenario(50, 500)...)
	wall := time.Since(start)
	ratio := float64(res.Duration) / wall.Seconds()
	want := 1000.0
	if raceEnabled {
		want = 100
	}
	t.Logf("%.0f virtual seconds in %v: %.0fx real time (%d requests)", float64(res.Duration), wall, ratio, res.Requests)
	if ratio < want {
		t.Errorf("simulation ran %.0fx faster than real time, want at least %.0fx", ratio, want)
	}
}
