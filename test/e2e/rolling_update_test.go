package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/azlb/azlb/pkg/check"
	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim"
	"github.com/azlb/azlb/pkg/sim/scenario"
	"github.com/azlb/azlb/test/harness"
)

// rollingUpdateManifests is the upstream disruption test's Service, DaemonSet and Scenario, scaled to
// the harness (its comment says how and why).
const rollingUpdateManifests = "testdata/rolling-update-local.yaml"

// Load of the upstream test's client: a new connection every 10 ms, each with a 5 s timeout.
const (
	disruptionRate    = 100
	disruptionTimeout = 5 * time.Second
	// Time the client runs before the first rolling update (the Scenario's rollout event is at the
	// same time) and after the last one.
	disruptionLead, disruptionTail = 5 * time.Second, 3 * time.Second
	rolloutTimeout                 = 3 * time.Minute
)

// disruptionVariant is one run of the disruption test.
type disruptionVariant struct {
	name string
	// fix applies the settings lbctl check proposes (pkg/check) before the run.
	fix bool
	// minRate is the success rate every rolling update must keep, in the real run and in the
	// simulation.
	minRate float64
}

// TestRollingUpdateDisruption is the upstream e2e check "should not have connectivity disruption
// during rolling update with externalTrafficPolicy=Local" (SEMANTICS.md 7) on the real stack: the
// cloud-controller binary, the fake Azure over HTTPS and its real data plane, on the real clock, with
// Azure's probe timing. It is scaled to the harness (testdata/rolling-update-local.yaml): 3 nodes
// rather than up to 25 (one machine; with maxUnavailable 10% one node is replaced at a time either
// way, and 3 keeps two nodes serving while one is replaced), the app serving 5 s after SIGTERM rather
// than 60 s with a grace period to match (60 s per node would make a rollout minutes long; 5 s is
// just under the 6 s the load balancer may take to stop sending a terminating node new connections,
// so the scaled recipe shows the gap the long delay hides upstream), and 2 rolling updates rather
// than 5. The probe interval (5 s, Azure's minimum), the probe threshold and kube-proxy's 1 s sync are
// kept real: they are what the test is about.
//
// With the upstream recipe every rolling update must keep at least 95% of requests, as upstream; with
// every setting lbctl check proposes (pkg/check) applied, 100%. The same manifests through the
// simulator (sim.Simulate) must give the same verdict. The test prints both runs' numbers.
func TestRollingUpdateDisruption(t *testing.T) {
	if testing.Short() {
		t.Skip("real-clock rolling updates take about 1.5 minutes; skipped with -short")
	}
	t.Parallel()
	for _, v := range []disruptionVariant{
		{name: "upstream-recipe", minRate: 0.95},
		{name: "lbctl-check-fixes", fix: true, minRate: 1},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			runDisruption(t, v)
		})
	}
}

func runDisruption(t *testing.T, v disruptionVariant) {
	set := readManifests(t, rollingUpdateManifests)
	sc := scenarioOf(t, set)
	ds := set.DaemonSets[0]
	checkAppMatchesScenario(t, ds, sc)
	if v.fix {
		set = applyCheckFixes(t, set)
		ds = set.DaemonSets[0]
	}
	rollouts := rolloutTimes(t, sc)

	simulated, err := sim.Simulate(t.Context(), set)
	if err != nil {
		t.Fatalf("simulating %s: %v", rollingUpdateManifests, err)
	}

	e := newEnv(t, envOptions{dataPlane: true})
	e.startController("a", controllerOptions{})
	svc := set.Services[0].DeepCopy()
	svc.Namespace = e.ns
	if _, err := e.client.CoreV1().Services(e.ns).Create(e.ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating service %s: %v", svc.Name, err)
	}
	ds = ds.DeepCopy()
	ds.Namespace = e.ns
	if _, err := e.client.AppsV1().DaemonSets(e.ns).Create(e.ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating daemonset %s: %v", ds.Name, err)
	}
	e.waitDaemonSetRolledOut(ds.Name)
	ingress := e.waitIngress(svc.Name)
	frontend := netip.AddrPortFrom(netip.MustParseAddr(ingress.Status.LoadBalancer.Ingress[0].IP), uint16(svc.Spec.Ports[0].Port))
	e.waitRotation(frontend, func(string) bool { return true }, "every node") // the simulator's warm-up
	e.step("daemonset ready on every node, every node in rotation behind %s", frontend)

	rec := &requestLog{}
	loadCtx, cancelLoad := context.WithCancel(e.ctx)
	loadDone := make(chan error, 1)
	go func() {
		loadDone <- harness.RunLoad(loadCtx, harness.LoadOptions{
			Target: frontend, Rate: disruptionRate, Timeout: disruptionTimeout,
			Clients: []netip.Addr{harness.ClientAddress(1)},
		}, rec.add)
	}()
	// stopLoad stops the client and waits for its requests in flight (at most the timeout).
	stopLoad := sync.OnceValue(func() error {
		cancelLoad()
		return <-loadDone
	})
	defer func() { _ = stopLoad() }()
	e.pause(disruptionLead)
	var windows []window
	for i := 1; i <= rollouts; i++ {
		w := window{start: time.Now()}
		e.restartDaemonSet(ds.Name, i)
		e.waitDaemonSetRolledOut(ds.Name)
		w.end = time.Now()
		windows = append(windows, w)
		e.step("rolling update %d done in %s", i, w.end.Sub(w.start).Round(100*time.Millisecond))
	}
	e.pause(disruptionTail)
	if err := stopLoad(); err != nil {
		t.Fatal(err)
	}

	// The verdicts and the numbers.
	var real []harness.LoadCounts
	for _, w := range windows {
		real = append(real, rec.counts(w))
	}
	total := rec.counts(window{})
	report(t, "%s: %s", v.name, describeRecipe(ds))
	for i, c := range real {
		report(t, "  real      rolling update %d (%4.1fs): %s, success %.2f%%", i+1, windows[i].end.Sub(windows[i].start).Seconds(), c, 100*c.SuccessRate())
	}
	report(t, "  real      whole run: %s", total)
	for _, ro := range simulated.Rollouts {
		report(t, "  simulated rolling update %d (%4.1fs): %d requests, %d failed, success %.2f%%", ro.Revision-1, float64(ro.Duration), ro.Requests, ro.Failed, 100*ro.SuccessRate)
	}
	f := simulated.Failures
	report(t, "  simulated whole run: %d requests, %d served, %d failed (connectionRefused %d, noHealthyBackend %d, reset %d, timeout %d)",
		simulated.Requests, simulated.Succeeded, simulated.Failed, f.ConnectionRefused, f.NoHealthyBackend, f.Reset, f.Timeout)

	if len(simulated.Rollouts) != rollouts {
		t.Errorf("the simulation ran %d rolling updates, want %d (notes: %v)", len(simulated.Rollouts), rollouts, simulated.Notes)
	}
	for i, ro := range simulated.Rollouts {
		if ro.End == nil {
			t.Errorf("simulated rolling update %d did not complete", i+1)
		}
		if ro.SuccessRate < v.minRate {
			t.Errorf("simulated rolling update %d: success %.2f%%, want at least %.0f%%", i+1, 100*ro.SuccessRate, 100*v.minRate)
		}
	}
	for i, c := range real {
		if c.Total() == 0 {
			t.Errorf("real rolling update %d: no request was sent", i+1)
		}
		if c.SuccessRate() < v.minRate {
			t.Errorf("real rolling update %d: success %.2f%% (%s), want at least %.0f%%", i+1, 100*c.SuccessRate(), c, 100*v.minRate)
		}
	}
}

// window is a span of time; the zero window is all time.
type window struct{ start, end time.Time }

func (w window) contains(t time.Time) bool {
	return w.start.IsZero() || (!t.Before(w.start) && !t.After(w.end))
}

// requestLog keeps every request of the load.
type requestLog struct {
	mu   sync.Mutex
	reqs []harness.Request
}

func (l *requestLog) add(r harness.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
}

// counts tallies the requests that started within w, as the simulator counts a request at its
// arrival.
func (l *requestLog) counts(w window) harness.LoadCounts {
	l.mu.Lock()
	defer l.mu.Unlock()
	var c harness.LoadCounts
	for _, r := range l.reqs {
		if w.contains(r.Start) {
			c.Add(r.Outcome)
		}
	}
	return c
}

// applyCheckFixes returns the manifests with every setting lbctl check proposes (check.Run, then
// check.Apply of its findings: what `lbctl check --fix` prints).
func applyCheckFixes(t *testing.T, set *manifest.Set) *manifest.Set {
	t.Helper()
	rep, err := check.Run(t.Context(), set)
	if err != nil {
		t.Fatalf("lbctl check on %s: %v", rollingUpdateManifests, err)
	}
	if len(rep.Findings) == 0 {
		t.Fatalf("lbctl check proposes nothing for %s: the upstream recipe scaled to 5 s drops requests in the simulation", rollingUpdateManifests)
	}
	var fixes []string
	for _, f := range rep.Findings {
		fixes = append(fixes, fmt.Sprintf("%s %s -> %s", f.Field, f.Current, f.Suggested))
	}
	report(t, "lbctl check proposes: %s", strings.Join(fixes, "; "))
	fixed, err := check.Apply(set, rep.Findings)
	if err != nil {
		t.Fatalf("applying lbctl check's findings: %v", err)
	}
	if len(fixed.DaemonSets) != 1 {
		t.Fatalf("the fixed manifests hold %d DaemonSets, want 1", len(fixed.DaemonSets))
	}
	return fixed
}

// describeRecipe summarises the settings of the workload under test.
func describeRecipe(ds *appsv1.DaemonSet) string {
	spec := ds.Spec.Template.Spec
	preStop := "none"
	if l := spec.Containers[0].Lifecycle; l != nil && l.PreStop != nil && l.PreStop.Sleep != nil {
		preStop = fmt.Sprintf("sleep %ds", l.PreStop.Sleep.Seconds)
	}
	grace := int64(30)
	if spec.TerminationGracePeriodSeconds != nil {
		grace = *spec.TerminationGracePeriodSeconds
	}
	maxUnavailable := "1 (default)"
	if ru := ds.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
		maxUnavailable = ru.MaxUnavailable.String()
	}
	return fmt.Sprintf("app serves %s after SIGTERM, preStop %s, grace %ds, minReadySeconds %d, maxUnavailable %s",
		ds.Spec.Template.Annotations[harness.AnnotationShutdownDelay], preStop, grace, ds.Spec.MinReadySeconds, maxUnavailable)
}

// readManifests reads a manifest file of the test data.
func readManifests(t *testing.T, path string) *manifest.Set {
	t.Helper()
	set, err := manifest.ReadFiles([]string{path}, os.Stdin)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Services) != 1 || len(set.DaemonSets) != 1 {
		t.Fatalf("%s: %d Services and %d DaemonSets, want one of each", path, len(set.Services), len(set.DaemonSets))
	}
	return set
}

// scenarioOf parses the manifests' Scenario document.
func scenarioOf(t *testing.T, set *manifest.Set) *scenario.Scenario {
	t.Helper()
	docs := set.Other[scenario.Kind]
	if len(docs) != 1 {
		t.Fatalf("%d Scenario documents, want 1", len(docs))
	}
	sc, err := scenario.Parse(docs[0])
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// checkAppMatchesScenario fails the test when the harness app's SIGTERM behaviour (pod annotation)
// and the simulator's (Scenario app.onSigterm) differ: then the two runs would not be comparable.
func checkAppMatchesScenario(t *testing.T, ds *appsv1.DaemonSet, sc *scenario.Scenario) {
	t.Helper()
	b, err := harness.ParseAppBehaviour(ds.Spec.Template.Annotations)
	if err != nil {
		t.Fatal(err)
	}
	onTerm := sc.Spec.App.OnSigterm
	if b.ShutdownDelay != onTerm.ServeFor.Duration || (b.ShutdownDelay > 0) != onTerm.FailReadiness {
		t.Fatalf("the pod annotation %s=%s and the Scenario's app.onSigterm (serveFor %s, failReadiness %t) disagree; make them say the same",
			harness.AnnotationShutdownDelay, b.ShutdownDelay, onTerm.ServeFor.Duration, onTerm.FailReadiness)
	}
}

// rolloutTimes is how many rolling updates the Scenario runs (one rollout event, times N).
func rolloutTimes(t *testing.T, sc *scenario.Scenario) int {
	t.Helper()
	if len(sc.Spec.Events) != 1 || sc.Spec.Events[0].Rollout == nil {
		t.Fatalf("the Scenario must have exactly one event, a rollout (got %d events)", len(sc.Spec.Events))
	}
	if at := sc.Spec.Events[0].At.Duration; at != disruptionLead {
		t.Fatalf("the Scenario's rollout starts at %s; the real run starts it %s after the client", at, disruptionLead)
	}
	return max(sc.Spec.Events[0].Rollout.Times, 1)
}

// restartDaemonSet starts rolling update i the way the upstream test does: a new VERSION in the
// container's environment.
func (e *env) restartDaemonSet(name string, i int) {
	e.t.Helper()
	ds, err := e.client.AppsV1().DaemonSets(e.ns).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": ds.Spec.Template.Spec.Containers[0].Name, "env": []any{map[string]any{"name": "VERSION", "value": fmt.Sprint(i)}}}},
	}}}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.client.AppsV1().DaemonSets(e.ns).Patch(e.ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		e.t.Fatalf("rolling update %d of daemonset %s: %v", i, name, err)
	}
}

// waitDaemonSetRolledOut waits as `kubectl rollout status` does: the controller saw the latest
// generation and every scheduled pod is updated and available.
func (e *env) waitDaemonSetRolledOut(name string) {
	e.t.Helper()
	e.waitFor("daemonset "+name+" rolled out", rolloutTimeout, func() (bool, error) {
		ds, err := e.client.AppsV1().DaemonSets(e.ns).Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := ds.Status
		return s.ObservedGeneration >= ds.Generation && s.DesiredNumberScheduled > 0 &&
				s.UpdatedNumberScheduled == s.DesiredNumberScheduled && s.NumberAvailable == s.DesiredNumberScheduled,
			fmt.Errorf("generation %d observed %d; %d desired, %d updated, %d available",
				ds.Generation, s.ObservedGeneration, s.DesiredNumberScheduled, s.UpdatedNumberScheduled, s.NumberAvailable)
	})
}

// pause lets the scenario run for d (traffic flows meanwhile); it stops early if the test ends.
func (e *env) pause(d time.Duration) {
	e.t.Helper()
	select {
	case <-e.ctx.Done():
		e.t.Fatalf("test ended during a %s pause: %v", d, e.ctx.Err())
	case <-time.After(d):
	}
}

// reports are lines that TestMain prints after the tests, so that the numbers show without -v.
var reports struct {
	mu    sync.Mutex
	lines []string
}

// report logs a line in the test and keeps it for TestMain's summary.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	reports.mu.Lock()
	defer reports.mu.Unlock()
	reports.lines = append(reports.lines, t.Name()+": "+line)
}
