package validation

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/azlb/azlb/pkg/check"
	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim"
)

const (
	exNoPreStop  = "examples/scenarios/rolling-update-no-prestop.yaml"
	exPreStop    = "examples/scenarios/rolling-update-prestop.yaml"
	exKeepCut    = "examples/scenarios/keepalive-no-graceful-close.yaml"
	exKeepClose  = "examples/scenarios/keepalive-graceful-close.yaml"
	exTwoNodes   = "examples/scenarios/two-nodes-three-pods.yaml"
	exCluster    = "examples/scenarios/source-ip-cluster.yaml"
	exE2E        = "examples/scenarios/e2e-rolling-update-local.yaml"
	exE2EReady   = "examples/check/e2e-rolling-update-readiness.yaml"
	exMinReady   = "examples/check/minReadySeconds.yaml"
	e2eThreshold = 0.95
	// e2eCheckedDuration is long enough for the 5 rollouts with check's settings (a longer preStop and
	// minReadySeconds slow each node down) to complete.
	e2eCheckedDuration = "7200s"
)

// env is what the claims share: the repository's root and the simulations of unedited examples (rows
// that replay the same file share one run).
type env struct {
	root  string
	mu    sync.Mutex
	files map[string]*memo
}

type memo struct {
	once sync.Once
	res  *sim.Result
	err  error
}

// simulate simulates an example, optionally with its Scenario edited.
func (e *env) simulate(ctx context.Context, file string, edits ...func(map[string]any)) (*sim.Result, error) {
	if len(edits) > 0 {
		set, err := load(e.root, file)
		if err != nil {
			return nil, err
		}
		return simulateSet(ctx, set, edits...)
	}
	e.mu.Lock()
	m := e.files[file]
	if m == nil {
		m = &memo{}
		e.files[file] = m
	}
	e.mu.Unlock()
	m.once.Do(func() {
		set, err := load(e.root, file)
		if err != nil {
			m.err = err
			return
		}
		m.res, m.err = sim.Simulate(ctx, set)
	})
	return m.res, m.err
}

func simulateSet(ctx context.Context, set *manifest.Set, edits ...func(map[string]any)) (*sim.Result, error) {
	for _, e := range edits {
		var err error
		if set, err = check.EditScenario(set, e); err != nil {
			return nil, err
		}
	}
	return sim.Simulate(ctx, set)
}

func detectionText(d sim.DetectionSummary) string {
	if d.Count == 0 {
		return "no mark-down"
	}
	return fmt.Sprintf("%d times a node was marked down after its health check failed: min %.3g s, mean %.3g s, max %.3g s", d.Count, seconds(d.Min), seconds(d.Mean), seconds(d.Max))
}

func detectionAzure(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exE2E)
	if err != nil {
		return Row{}, err
	}
	d := r.Detection.Down
	return Row{
		Claim:     "The default probe (Http /healthz on the health check node port, 5 s x 2) marks a node down within 5 s of its health check answering 503, under Azure's documented semantics (an explicit answer acts at once)",
		Source:    "SEMANTICS.md 1, 6; `probes.MarkDown` = [0s, 5s]",
		Scenario:  "`" + exE2E + "` (5 rollouts over 10 nodes)",
		Expected:  "every mark-down within 5 s",
		Simulated: detectionText(d),
		Pass:      d.Count > 0 && seconds(d.Max) <= 5,
	}, nil
}

func detectionThreshold(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exE2E, setSpec("loadBalancer.probeSemantics", "threshold"))
	if err != nil {
		return Row{}, err
	}
	d := r.Detection.Down
	return Row{
		Claim:     "Under the stricter reading in which every probe result counts toward the threshold, the same probe takes 5 to 10 s (\"up to 10 sec\")",
		Source:    "seed 001 (\"Load Balancer Probe Delay\"); `probes.MarkDown` = [5s, 10s]",
		Scenario:  "`" + exE2E + "` with `spec.loadBalancer.probeSemantics: threshold`",
		Expected:  "every mark-down within 5 to 10 s",
		Simulated: detectionText(d),
		Pass:      d.Count > 0 && seconds(d.Min) >= 5 && seconds(d.Max) <= 10,
	}, nil
}

func noPreStop(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exNoPreStop)
	if err != nil {
		return Row{}, err
	}
	return Row{
		Claim:     "Without a preStop, a rolling update of a Local Service drops requests: refused until kube-proxy syncs, then dropped until the load balancer marks the emptied node down",
		Source:    "seeds 000 (\"Rolling updates matter more\") and 001 (\"Delay Termination\")",
		Scenario:  "`" + exNoPreStop + "`",
		Expected:  "refused and timed-out requests",
		Simulated: failuresText(r),
		Pass:      r.Failures.ConnectionRefused > 0 && r.Failures.Timeout > 0,
	}, nil
}

func preStopCovers(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exPreStop)
	if err != nil {
		return Row{}, err
	}
	return Row{
		Claim:     "A preStop longer than kube-proxy's sync plus the detection window (7 s ≥ 1 s + 5 s) drops nothing",
		Source:    "seed 001 (\"Delay Termination\"); `probes.RequiredPreStop` = 6 s",
		Scenario:  "`" + exPreStop + "`",
		Expected:  "0 failed",
		Simulated: failuresText(r),
		Pass:      r.Requests > 0 && r.Failed == 0,
	}, nil
}

func preStopThreshold(ctx context.Context, e *env) (Row, error) {
	th := setSpec("loadBalancer.probeSemantics", "threshold")
	short, err := e.simulate(ctx, exPreStop, th)
	if err != nil {
		return Row{}, err
	}
	set, err := load(e.root, exPreStop)
	if err != nil {
		return Row{}, err
	}
	long, err := check.Apply(set, []check.Finding{{Object: "Deployment default/web",
		Field: "spec.template.spec.containers[web].lifecycle.preStop.sleep.seconds", Suggested: "11"}})
	if err != nil {
		return Row{}, err
	}
	r11, err := simulateSet(ctx, long, th)
	if err != nil {
		return Row{}, err
	}
	return Row{
		Claim:     "Under the threshold reading the window is 1 s + 2 x 5 s: a 7 s preStop drops requests, 11 s (the seed's \"at least 10 seconds\" plus the sync) none",
		Source:    "seed 001 (\"Delay Termination\"); `probes.RequiredPreStop` = 11 s",
		Scenario:  "`" + exPreStop + "` with `probeSemantics: threshold`; preStop 7 s, then 11 s",
		Expected:  "7 s: some fail; 11 s: 0 failed",
		Simulated: "7 s: " + failuresText(short) + "; 11 s: " + failuresText(r11),
		Pass:      short.Failed > 0 && r11.Requests > 0 && r11.Failed == 0,
	}, nil
}

func keepAliveCut(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exKeepCut)
	if err != nil {
		return Row{}, err
	}
	return Row{
		Claim:     "With kept-alive connections, an app that does not close them gracefully after SIGTERM makes clients see \"connection reset by peer\", even with a sufficient preStop",
		Source:    "seed 001 (\"Gracefully Closing Existing Connections\")",
		Scenario:  "`" + exKeepCut + "` (preStop 7 s)",
		Expected:  "resets, and only resets",
		Simulated: failuresText(r),
		Pass:      r.Failures.Reset > 0 && r.Failed == r.Failures.Reset,
	}, nil
}

func keepAliveGraceful(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exKeepClose)
	if err != nil {
		return Row{}, err
	}
	return Row{
		Claim:     "The same app answering `Connection: close` after SIGTERM, closing idle connections and exiting once requests in flight are done drops nothing",
		Source:    "seed 001 (\"Gracefully Closing Existing Connections\")",
		Scenario:  "`" + exKeepClose + "`",
		Expected:  "0 failed",
		Simulated: failuresText(r),
		Pass:      r.Requests > 0 && r.Failed == 0,
	}, nil
}

func unevenSplit(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exTwoNodes)
	if err != nil {
		return Row{}, err
	}
	s := podShares(r)
	return Row{
		Claim:     "With Local, 2+1 pods on two nodes split the traffic 25/25/50: the load balancer spreads over nodes, each node over its own pods",
		Source:    "seed 001 (\"Pod Distribution Best Practices\"); seed 000 (\"Traffic can become uneven\")",
		Scenario:  "`" + exTwoNodes + "`",
		Expected:  "pod shares 25% / 25% / 50% (± 2 points)",
		Simulated: "pod shares " + sharesText(s),
		Pass:      len(s) == 3 && near(s[0], 0.25, 0.02) && near(s[1], 0.25, 0.02) && near(s[2], 0.5, 0.02),
	}, nil
}

func localKeepsSource(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exTwoNodes)
	if err != nil {
		return Row{}, err
	}
	src := r.Sources
	return Row{
		Claim:     "Local keeps the client's source address: no SNAT, no hop to another node",
		Source:    "seed 000 (\"Source IP can be preserved\"); SEMANTICS.md 2",
		Scenario:  "`" + exTwoNodes + "` (50 client addresses)",
		Expected:  "every served request shows its client's address; 50 addresses seen",
		Simulated: fmt.Sprintf("%d of %d served requests kept the client address, %d SNATed, %d forwarded to another node; %d addresses seen", src.ClientAddressKept, r.Succeeded, src.SNATed, src.ForwardedToOtherNode, src.DistinctSeen),
		Pass:      r.Succeeded > 0 && src.ClientAddressKept == r.Succeeded && src.SNATed == 0 && src.ForwardedToOtherNode == 0 && src.DistinctSeen == src.Clients,
	}, nil
}

func clusterSNAT(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exCluster)
	if err != nil {
		return Row{}, err
	}
	src := r.Sources
	s := podShares(r)
	even := len(s) == 3
	for _, v := range s {
		even = even && near(v, 1.0/3, 0.03)
	}
	return Row{
		Claim:     "Cluster loses the client address (kube-proxy SNATs to the node) and spreads evenly over the pods, with an extra hop",
		Source:    "seed 000 (the Cluster/Local table); SEMANTICS.md 2",
		Scenario:  "`" + exCluster + "` (the same 2+1 pods, 50 clients)",
		Expected:  "every served request SNATed, 2 node addresses seen; pod shares a third each (± 3 points)",
		Simulated: fmt.Sprintf("%d of %d served requests SNATed, %d forwarded to another node, %d addresses seen; pod shares %s", src.SNATed, r.Succeeded, src.ForwardedToOtherNode, src.DistinctSeen, sharesText(s)),
		Pass:      r.Succeeded > 0 && src.SNATed == r.Succeeded && src.DistinctSeen == 2 && src.ForwardedToOtherNode > 0 && even,
	}, nil
}

// rolloutsText summarises the rollouts' success rates; ok reports whether there are want rollouts, each
// completed with at least min.
func rolloutsText(r *sim.Result, want int, min float64) (string, bool) {
	var rates []string
	ok := len(r.Rollouts) == want
	lowest := 1.0
	for _, ro := range r.Rollouts {
		rates = append(rates, fmt.Sprintf("%.2f%%", ro.SuccessRate*100))
		if ro.End == nil {
			ok = false
			rates[len(rates)-1] += " (did not complete)"
		}
		lowest = minf(lowest, ro.SuccessRate)
	}
	ok = ok && lowest >= min
	return fmt.Sprintf("%d rollouts: %s; %s", len(r.Rollouts), strings.Join(rates, ", "), failuresText(r)), ok
}

func minf(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func e2eRecipe(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exE2E)
	if err != nil {
		return Row{}, err
	}
	text, ok := rolloutsText(r, 5, e2eThreshold)
	return Row{
		Claim:     "The upstream e2e check \"should not have connectivity disruption during rolling update with externalTrafficPolicy=Local\": 5 rolling updates of a DaemonSet (app serving 60 s after SIGTERM, grace 60 s, maxUnavailable 10%), a new connection every 10 ms, each rollout ≥ 95% successful",
		Source:    "SEMANTICS.md 7 (test/e2e/network/loadbalancer.go)",
		Scenario:  "`" + exE2E + "` (10 nodes)",
		Expected:  "each of 5 rollouts completes with ≥ 95%",
		Simulated: text,
		Pass:      ok,
	}, nil
}

func checkedRow(ctx context.Context, e *env, file, claimText, source string) (Row, error) {
	set, err := load(e.root, file)
	if err != nil {
		return Row{}, err
	}
	fixed, findings, err := checked(ctx, set)
	if err != nil {
		return Row{}, err
	}
	r, err := simulateSet(ctx, fixed, setSpec("duration", e2eCheckedDuration))
	if err != nil {
		return Row{}, err
	}
	text, ok := rolloutsText(r, 5, 1)
	return Row{
		Claim:     claimText,
		Source:    source,
		Scenario:  fmt.Sprintf("`%s` with `lbctl check --fix` (%s); run for %s so that every rollout completes", file, settingsText(findings), e2eCheckedDuration),
		Expected:  "each of 5 rollouts completes with 100%",
		Simulated: text,
		Pass:      ok && r.Failed == 0,
	}, nil
}

func e2eRecipeChecked(ctx context.Context, e *env) (Row, error) {
	return checkedRow(ctx, e, exE2E,
		"The same check at 100% with the settings `lbctl check` proposes",
		"`lbctl check` (docs/check.md)")
}

func e2eReadiness(ctx context.Context, e *env) (Row, error) {
	r, err := e.simulate(ctx, exE2EReady)
	if err != nil {
		return Row{}, err
	}
	text, ok := rolloutsText(r, 5, e2eThreshold)
	return Row{
		Claim:     "The e2e check with the readiness probe most apps have (/readyz fails from SIGTERM): still ≥ 95%, but requests are dropped: the pod stops serving before the load balancer stops sending",
		Source:    "SEMANTICS.md 2, 3, 7",
		Scenario:  "`" + exE2EReady + "`",
		Expected:  "each of 5 rollouts ≥ 95%, some requests failed",
		Simulated: text,
		Pass:      ok && r.Failed > 0,
	}, nil
}

func e2eReadinessChecked(ctx context.Context, e *env) (Row, error) {
	return checkedRow(ctx, e, exE2EReady,
		"The same at 100% with the settings `lbctl check` proposes",
		"`lbctl check` (docs/check.md)")
}

func minReadySeconds(ctx context.Context, e *env) (Row, error) {
	set, err := load(e.root, exMinReady)
	if err != nil {
		return Row{}, err
	}
	before, err := sim.Simulate(ctx, set)
	if err != nil {
		return Row{}, err
	}
	fixed, findings, err := checked(ctx, set)
	if err != nil {
		return Row{}, err
	}
	after, err := sim.Simulate(ctx, fixed)
	if err != nil {
		return Row{}, err
	}
	return Row{
		Claim:     "minReadySeconds at least the time a node takes to come back into rotation keeps a rollout from taking the next node out first (the seed recommends about 10 s; kube-proxy's sync + the 5 s probe need 6 s)",
		Source:    "seed 001 (\"Set minReadySeconds\"); `probes.RequiredMinReadySeconds` = 6 s",
		Scenario:  fmt.Sprintf("`%s` (a DaemonSet on 2 nodes, 5 rollouts), as given and with `lbctl check --fix` (%s)", exMinReady, settingsText(findings)),
		Expected:  "minReadySeconds 0: some fail; with check's value: 0 failed",
		Simulated: "as given: " + failuresText(before) + "; fixed: " + failuresText(after),
		Pass:      before.Failed > 0 && after.Requests > 0 && after.Failed == 0,
	}, nil
}
