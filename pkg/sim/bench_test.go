package sim

import (
	"testing"
	"time"
)

// benchScenario is the speed target: 50 nodes, 150 pods, 500 requests per second, a rolling update
// and a drain, for 10 minutes of virtual time.
func benchScenario() []string {
	return []string{
		service("Local"),
		deployment(150, podOpts{preStop: 7, spread: true, readiness: readinessEverySecond}),
		scenarioDoc("bench", `  duration: 600s
  nodes:
    count: 50
  clients:
    requestsPerSecond: 500
    count: 200
  app:
    startupTime: 2s
  events:
    - at: 30s
      rollout: {}
    - at: 300s
      drainNode: {node: node-7}
`),
	}
}

// BenchmarkSimulation reports how much faster than real time the benchmark scenario runs
// (virtual-seconds/s).
func BenchmarkSimulation(b *testing.B) {
	docs := benchScenario()
	var virtual time.Duration
	start := time.Now()
	for b.Loop() {
		res := simulate(b, docs...)
		virtual += time.Duration(float64(res.Duration) * float64(time.Second))
	}
	b.ReportMetric(virtual.Seconds()/time.Since(start).Seconds(), "x-realtime")
}

// TestSpeed asserts the speed target loosely: at least 1,000 times faster than real time (100 under
// the race detector, which slows everything about tenfold).
func TestSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("speed test")
	}
	start := time.Now()
	res := simulate(t, benchScenario()...)
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
