package sim

import (
	"strings"
	"testing"

	"github.com/azlb/azlb/pkg/manifest"
)

func simulateErr(t *testing.T, docs ...string) error {
	t.Helper()
	set, err := manifest.Read(strings.NewReader(strings.Join(docs, "\n---\n")))
	if err != nil {
		return err
	}
	_, err = Simulate(t.Context(), set)
	return err
}

const minimalScenario = "  duration: 30s\n  clients:\n    requestsPerSecond: 10\n"

func TestInputErrors(t *testing.T) {
	t.Parallel()
	dep := deployment(2, podOpts{})
	sc := scenarioDoc("s", minimalScenario)
	tests := []struct {
		name string
		docs []string
		want string
	}{
		{"no scenario", []string{service("Local"), dep}, "no Scenario"},
		{"two scenarios", []string{service("Local"), dep, sc, sc}, "2 Scenario documents"},
		{"no LoadBalancer service", []string{dep, sc}, "no Service of type LoadBalancer"},
		{"no workload", []string{service("Local"), sc}, "no Deployment or DaemonSet"},
		{"selector matches nothing", []string{service("Local"), strings.ReplaceAll(dep, "app: web", "app: other"), sc}, "matching Service default/web's selector"},
		{"unknown node in an event", []string{service("Local"), dep, scenarioDoc("s", minimalScenario+"  events:\n    - at: 5s\n      drainNode: {node: node-9}\n")}, `spec.events[0].drainNode.node: no node "node-9"`},
		{"scale of a DaemonSet", []string{service("Local"), daemonSet("1", podOpts{}), scenarioDoc("s", minimalScenario+"  events:\n    - at: 5s\n      scale: {replicas: 2}\n")}, "spec.events[0].scale: the workload is a DaemonSet"},
		{"invalid probe annotation", []string{service("Local", "service.beta.kubernetes.io/azure-load-balancer-health-probe-interval", "3"), dep, sc}, "azure-load-balancer-health-probe-interval"},
		{"scenario problem with its path", []string{service("Local"), dep, scenarioDoc("s", "  duration: 30s\n  clients:\n    requestsPerSecond: 0\n")}, "spec.clients.requestsPerSecond"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := simulateErr(t, tc.docs...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestDrainRespectsBudget: a budget that allows no disruption holds the drain: the eviction is refused
// and retried, the pod keeps serving, and the result says the drain did not finish.
func TestDrainRespectsBudget(t *testing.T) {
	t.Parallel()
	pdb := `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: default
spec:
  minAvailable: 3
  selector:
    matchLabels:
      app: web
`
	r := simulate(t, service("Local"), deployment(3, podOpts{}), pdb, scenarioDoc("pdb", `  duration: 60s
  nodes:
    count: 3
  clients:
    requestsPerSecond: 50
  events:
    - at: 10s
      drainNode: {node: node-0}
`))
	if len(r.Drains) != 1 || r.Drains[0].End != nil {
		t.Fatalf("drains %+v, want one that never finishes", r.Drains)
	}
	refused := 0
	for _, e := range r.Timeline.Events {
		if e.Kind == "PodEvictionRefused" {
			refused++
		}
	}
	if refused < 9 { // every 5 s from 10 s to 60 s
		t.Errorf("%d refused evictions, want one every 5 s", refused)
	}
	if r.Failed != 0 || !strings.Contains(strings.Join(r.Notes, " "), "drain of node-0 did not finish") {
		t.Errorf("failed %d, notes %v", r.Failed, r.Notes)
	}
}

// TestNodeRemovalAndAddition: a removed node's pods vanish and it stops answering; its in-flight and
// new connections time out until the load balancer stops sending it new ones, and the pool drops it
// after UpdateLoadBalancer. An added node gets the DaemonSet's pod and joins the pool.
func TestNodeRemovalAndAddition(t *testing.T) {
	t.Parallel()
	r := simulate(t, service("Local"), daemonSet("1", podOpts{readiness: readinessEverySecond}), scenarioDoc("nodes", `  duration: 60s
  nodes:
    count: 3
  clients:
    requestsPerSecond: 300
    count: 30
  loadBalancer:
    updateDelay: 5s
  events:
    - at: 10s
      removeNode: {node: node-1}
    - at: 20s
      addNode: {name: extra}
`))
	if r.Failures.Timeout == 0 || r.Failed != r.Failures.Timeout {
		t.Errorf("failures %+v, want timeouts only (a vanished node answers nothing)", r.Failures)
	}
	var removed, extra *NodeTimeline
	for i := range r.Timeline.Nodes {
		switch r.Timeline.Nodes[i].Name {
		case "node-1":
			removed = &r.Timeline.Nodes[i]
		case "extra":
			extra = &r.Timeline.Nodes[i]
		}
	}
	if removed == nil || extra == nil {
		t.Fatalf("timeline nodes %v", r.Timeline.Nodes)
	}
	if got := removed.Probe[len(removed.Probe)-1]; got != "out" {
		t.Errorf("removed node's final probe state %q, want out of the pool", got)
	}
	if got := extra.Probe[len(extra.Probe)-1]; got != "up" {
		t.Errorf("added node's final probe state %q, want up", got)
	}
	served := int64(0)
	for _, n := range r.Nodes {
		if n.Name == "extra" {
			served = n.Served
		}
	}
	if served == 0 {
		t.Error("the added node served nothing")
	}
	updates := 0
	for _, e := range r.Timeline.Events {
		if e.Kind == "UpdatedLoadBalancer" {
			updates++
		}
	}
	if updates != 2 {
		t.Errorf("%d backend pool updates, want 2 (removal, addition)", updates)
	}
}

// TestDrainExcludedFromLoadBalancer: labelling the drained node exclude-from-external-load-balancers
// takes it out of the backend pool.
func TestDrainExcludedFromLoadBalancer(t *testing.T) {
	t.Parallel()
	r := simulate(t, service("Local"), deployment(2, podOpts{preStop: 7, readiness: readinessEverySecond}), scenarioDoc("exclude", `  duration: 40s
  nodes:
    count: 3
  clients:
    requestsPerSecond: 100
  events:
    - at: 5s
      drainNode: {node: node-2, excludeFromLoadBalancer: true}
`))
	for _, n := range r.Timeline.Nodes {
		if n.Name == "node-2" && n.Probe[len(n.Probe)-1] != "out" {
			t.Errorf("node-2 ends %q, want out of the pool", n.Probe[len(n.Probe)-1])
		}
	}
	if r.Failed != 0 {
		t.Errorf("failures %+v", r.Failures)
	}
}

// TestPendingPods: required anti-affinity with more replicas than nodes leaves a pod pending, and the
// result says so.
func TestPendingPods(t *testing.T) {
	t.Parallel()
	anti := podOpts{}
	dep := strings.Replace(deployment(3, anti), "    spec:\n", `    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:
                  app: web
`, 1)
	r := simulate(t, service("Local"), dep, scenarioDoc("pending", "  duration: 10s\n  nodes:\n    count: 2\n  clients:\n    requestsPerSecond: 10\n"))
	notes := strings.Join(r.Notes, " ")
	if !strings.Contains(notes, "1 pod(s) were still pending") || !strings.Contains(notes, "not steady") {
		t.Errorf("notes %q, want the pending pod and the warm-up that never settled", notes)
	}
}

// TestKubeProxySyncDelay: kube-proxy keeps sending connections to a deleted pod until its next sync;
// with minSyncPeriod 0 (ipvs) nothing is sent to an exited pod.
func TestKubeProxySyncDelay(t *testing.T) {
	t.Parallel()
	run := func(sync string) *Result {
		return simulate(t, service("Local"), deployment(3, podOpts{spread: true, readiness: readinessEverySecond}), scenarioDoc("sync", `  duration: 40s
  nodes:
    count: 3
  clients:
    requestsPerSecond: 200
  kubeProxy:
    minSyncPeriod: `+sync+`
  events:
    - at: 10s
      rollout: {}
`))
	}
	slow, fast := run("1s"), run("0s")
	if slow.Failures.ConnectionRefused == 0 || fast.Failures.ConnectionRefused != 0 {
		t.Errorf("connection refused: %d with 1s, %d with 0s; want some, then none", slow.Failures.ConnectionRefused, fast.Failures.ConnectionRefused)
	}
}

// TestTextOutput checks the summary a user reads.
func TestTextOutput(t *testing.T) {
	t.Parallel()
	r := rollingUpdate{preStop: 0, semantics: "azure"}.run(t)
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"9000 requests in 90s", "does not cover the 6s", "Failure windows", "Probe detection", "Traffic per pod", "revision 2: started 10s",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, b.String())
		}
	}
}
