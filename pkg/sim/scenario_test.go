package sim

import (
	"bytes"
	"fmt"
	"sort"
	"testing"
)

// podShares returns the pods' traffic shares, sorted.
func podShares(r *Result) []float64 {
	var out []float64
	for _, p := range r.Pods {
		out = append(out, p.Share)
	}
	sort.Float64s(out)
	return out
}

func near(got, want, tol float64) bool { return got >= want-tol && got <= want+tol }

// TestDefaultProbeDetectionWindow: with the default 5 s x 2 Http probe on the health check node port,
// a node whose health check turns 503 is marked down within 5 s under Azure's semantics, and between
// 5 and 10 s when every result counts (the seed article's "up to 10 sec"); the longer window drops
// more requests.
func TestDefaultProbeDetectionWindow(t *testing.T) {
	t.Parallel()
	run := func(sem string) *Result {
		return simulate(t, service("Local"), daemonSet("1", podOpts{readiness: readinessEverySecond}), scenarioDoc("detect-"+sem, `  duration: 900s
  seed: 3
  nodes:
    count: 20
  clients:
    requestsPerSecond: 200
    count: 50
  app:
    startupTime: 20s
  loadBalancer:
    probeSemantics: `+sem+`
  events:
    - at: 5s
      rollout: {}
`))
	}
	for _, tc := range []struct {
		sem    string
		lo, hi float64
	}{{"azure", 0, 5}, {"threshold", 5, 10}} {
		r := run(tc.sem)
		d := r.Detection
		if d.Down.Count < 15 || d.Up.Count < 15 {
			t.Fatalf("%s: %d down and %d up detections, want one per node (20)", tc.sem, d.Down.Count, d.Up.Count)
		}
		for _, e := range d.Events {
			if float64(e.Delay) <= tc.lo || float64(e.Delay) > tc.hi {
				t.Errorf("%s: node %s marked %s %.3fs after its health check changed, want within (%g, %g]", tc.sem, e.Node, e.Direction, float64(e.Delay), tc.lo, tc.hi)
			}
		}
		if max := float64(*d.Down.Max); max < tc.hi-1 {
			t.Errorf("%s: worst mark-down %.3fs, want close to %gs", tc.sem, max, tc.hi)
		}
		t.Logf("%s: down %d min %.3f mean %.3f max %.3f; %d failed", tc.sem, d.Down.Count, float64(*d.Down.Min), float64(*d.Down.Mean), float64(*d.Down.Max), r.Failed)
	}
	azure, threshold := run("azure"), run("threshold")
	if azure.Failures.Timeout == 0 || threshold.Failures.Timeout < azure.Failures.Timeout*3/2 {
		t.Errorf("dropped requests: azure %d, threshold %d; want the 5 s longer window to drop clearly more", azure.Failures.Timeout, threshold.Failures.Timeout)
	}
}

// rollingUpdate is the seed 001 rolling update: 3 replicas spread over 4 nodes, 100 requests/s from 20
// clients, a rollout at 10 s.
type rollingUpdate struct {
	preStop   int
	semantics string
	keepAlive bool
	serveFor  string // "" exits at SIGTERM
	graceful  bool
}

func (ru rollingUpdate) run(t *testing.T) *Result {
	t.Helper()
	sigterm := "      exitImmediately: true\n"
	if ru.serveFor != "" {
		sigterm = fmt.Sprintf("      serveFor: %s\n      gracefulClose: %v\n", ru.serveFor, ru.graceful)
	}
	return simulate(t, service("Local"), deployment(3, podOpts{preStop: ru.preStop, spread: true, readiness: readinessEverySecond}),
		scenarioDoc(fmt.Sprintf("rollout-prestop-%d-%s", ru.preStop, ru.semantics), fmt.Sprintf(`  duration: 90s
  nodes:
    count: 4
  clients:
    requestsPerSecond: 100
    count: 20
    keepAlive: %v
  app:
    startupTime: 2s
    onSigterm:
%s  loadBalancer:
    probeSemantics: %s
  events:
    - at: 10s
      rollout: {}
`, ru.keepAlive, sigterm, ru.semantics)))
}

// TestRollingUpdatePreStop: without a preStop a Local rolling update drops requests; a preStop longer
// than kube-proxy's sync plus the probe's worst mark-down (1 + 5 s under Azure's semantics, 1 + 10 s
// when every result counts) drops none.
func TestRollingUpdatePreStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		preStop  int
		sem      string
		required float64
		drops    bool
	}{
		{0, "azure", 6, true},
		{7, "azure", 6, false},
		{7, "threshold", 11, true},
		{12, "threshold", 11, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("preStop %ds %s", tc.preStop, tc.sem), func(t *testing.T) {
			r := rollingUpdate{preStop: tc.preStop, semantics: tc.sem}.run(t)
			if float64(r.Setup.RequiredPreStop) != tc.required {
				t.Errorf("required preStop %vs, want %vs", r.Setup.RequiredPreStop, tc.required)
			}
			if len(r.Rollouts) != 1 || r.Rollouts[0].End == nil {
				t.Fatalf("rollouts %+v, want one that completes", r.Rollouts)
			}
			if tc.drops && (r.Failed == 0 || r.Failures.Timeout == 0) {
				t.Errorf("%d failed (%+v), want dropped requests (timeouts) while the load balancer still sends to emptied nodes", r.Failed, r.Failures)
			}
			if !tc.drops && r.Failed != 0 {
				t.Errorf("%d failed (%+v) in windows %+v, want none", r.Failed, r.Failures, r.FailureWindows)
			}
		})
	}
}

// TestKeepAliveGracefulClose: kept-alive connections stay on their pod after the load balancer marks
// the node down, so an app that exits without closing them makes the next request on each fail with
// a reset; with Connection: close after SIGTERM (and idle connections closed) nothing fails.
func TestKeepAliveGracefulClose(t *testing.T) {
	t.Parallel()
	cut := rollingUpdate{preStop: 7, semantics: "azure", keepAlive: true, serveFor: "5s"}.run(t)
	if cut.Failures.Reset == 0 || cut.Failed != cut.Failures.Reset {
		t.Errorf("without graceful close: failures %+v, want resets only", cut.Failures)
	}
	graceful := rollingUpdate{preStop: 7, semantics: "azure", keepAlive: true, serveFor: "5s", graceful: true}.run(t)
	if graceful.Failed != 0 {
		t.Errorf("with graceful close: failures %+v, want none", graceful.Failures)
	}
	// Kept-alive clients reach the new pods once they reconnect.
	for _, p := range graceful.Pods {
		if p.Revision == 2 && p.Requests == 0 {
			t.Errorf("new pod %s got no request", p.Name)
		}
	}
}

// twoNodesThreePods is 3 replicas on 2 nodes: the default scheduler puts 2 on one node.
func twoNodesThreePods(t *testing.T, policy string) *Result {
	return simulate(t, service(policy), deployment(3, podOpts{}), scenarioDoc("two-nodes-"+policy, `  duration: 60s
  nodes:
    count: 2
  clients:
    requestsPerSecond: 400
    count: 50
`))
}

// TestTwoPlusOnePodsSplit is seed 001's pod distribution example: with Local, the load balancer splits
// evenly between the nodes and each node between its own pods: 25/25/50.
func TestTwoPlusOnePodsSplit(t *testing.T) {
	t.Parallel()
	r := twoNodesThreePods(t, "Local")
	got := podShares(r)
	want := []float64{0.25, 0.25, 0.5}
	for i := range want {
		if len(got) != 3 || !near(got[i], want[i], 0.02) {
			t.Fatalf("pod shares %v, want about %v", got, want)
		}
	}
	for _, n := range r.Nodes {
		if !near(n.Share, 0.5, 0.02) {
			t.Errorf("node %s share %v, want about 0.5", n.Name, n.Share)
		}
	}
	if r.Failed != 0 {
		t.Errorf("%d failed", r.Failed)
	}
}

// TestClusterVersusLocalSourceIP: Cluster spreads evenly over the pods but the pods see node addresses
// (SNAT); Local keeps every client address.
func TestClusterVersusLocalSourceIP(t *testing.T) {
	t.Parallel()
	cluster := twoNodesThreePods(t, "Cluster")
	for _, s := range podShares(cluster) {
		if !near(s, 1.0/3, 0.02) {
			t.Errorf("Cluster pod shares %v, want about a third each", podShares(cluster))
			break
		}
	}
	if src := cluster.Sources; src.SNATed != cluster.Succeeded || src.ClientAddressKept != 0 || src.DistinctSeen != 2 {
		t.Errorf("Cluster sources %+v, want every request SNATed to one of the 2 node addresses", src)
	}
	// Each node gets half the connections and picks among all 3 pods: the node with one pod forwards
	// 2/3 of its connections to the other node, the node with two forwards 1/3: half of all hop.
	if hop := float64(cluster.Sources.ForwardedToOtherNode) / float64(cluster.Succeeded); !near(hop, 0.5, 0.03) {
		t.Errorf("Cluster: %.3f of the requests took an extra hop, want about 0.5", hop)
	}
	if cluster.Setup.Probe == "" || cluster.Setup.Probe[:3] != "Tcp" {
		t.Errorf("Cluster probe %q, want the provider's Tcp probe on the node port", cluster.Setup.Probe)
	}
	local := twoNodesThreePods(t, "Local")
	if src := local.Sources; src.ClientAddressKept != local.Succeeded || src.SNATed != 0 || src.DistinctSeen != 50 || src.ForwardedToOtherNode != 0 {
		t.Errorf("Local sources %+v, want all 50 client addresses kept", src)
	}
}

// TestUpstreamRollingUpdateRecipe replays SEMANTICS.md 7's e2e test: each of 5 DaemonSet rolling
// updates keeps at least 95% of requests successful, with and without a readiness probe that sees the
// app fail readiness at SIGTERM.
func TestUpstreamRollingUpdateRecipe(t *testing.T) {
	t.Parallel()
	for _, readiness := range []string{"", readinessEverySecond} {
		r := simulate(t, service("Local"), daemonSet("10%", podOpts{grace: 60, readiness: readiness}), scenarioDoc("e2e", `  duration: 3600s
  nodes:
    count: 10
  clients:
    requestsPerSecond: 100
    count: 1
    timeout: 5s
  app:
    startupTime: 1s
    onSigterm:
      serveFor: 60s
      failReadiness: true
  events:
    - at: 10s
      rollout:
        times: 5
`))
		if len(r.Rollouts) != 5 {
			t.Fatalf("%d rollouts, want 5", len(r.Rollouts))
		}
		for _, ro := range r.Rollouts {
			if ro.End == nil || ro.SuccessRate < 0.95 {
				t.Errorf("readiness probe %v: rollout to revision %d: %+v, want completed with >= 95%% success", readiness != "", ro.Revision, ro)
			}
		}
		t.Logf("readiness probe %v: success %.4f, failures %+v", readiness != "", r.SuccessRate, r.Failures)
	}
}

// TestDeterminism: the same seed gives the same bytes; another seed gives other bytes.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	docs := func(seed int) []string {
		return []string{service("Local"), deployment(5, podOpts{preStop: 3, spread: true, readiness: readinessEverySecond}),
			scenarioDoc("determinism", fmt.Sprintf(`  duration: 120s
  seed: %d
  nodes:
    count: 6
    zones: ["1", "2", "3"]
  clients:
    requestsPerSecond: 300
    count: 40
    keepAlive: true
    arrival: poisson
  app:
    startupTime: 2s
    onSigterm:
      serveFor: 2s
  events:
    - at: 10s
      rollout: {}
    - at: 40s
      drainNode: {node: node-1}
    - at: 60s
      scale: {replicas: 2}
    - at: 70s
      addNode: {zone: "1"}
    - at: 80s
      removeNode: {node: node-3}
    - at: 90s
      deletePod: {}
`, seed))}
	}
	a, b := jsonOf(t, simulate(t, docs(5)...)), jsonOf(t, simulate(t, docs(5)...))
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	if c := jsonOf(t, simulate(t, docs(6)...)); bytes.Equal(a, c) {
		t.Error("two seeds give the same output")
	}
}
