package check

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/klog/v2"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim"
)

// maxRuleRounds bounds the passes over the placement rules (each fix may move the pods).
const maxRuleRounds = 4

// Report is the outcome of a check; its JSON shape is the output of `lbctl check -o json`.
type Report struct {
	Service               string `json:"service"`
	Workload              string `json:"workload"`
	ExternalTrafficPolicy string `json:"externalTrafficPolicy"`
	// Probe is the probe of the Service's rule as the provider writes it ("none" without one).
	Probe          string  `json:"probe"`
	ProbeSemantics string  `json:"probeSemantics"`
	KubeProxySync  float64 `json:"kubeProxyMinSyncPeriodSeconds"`
	// RequiredPreStopSeconds is how long a deleted pod may still get new connections: kube-proxy's sync,
	// plus for Local the probe's worst mark-down (probes.RequiredPreStop).
	RequiredPreStopSeconds float64 `json:"requiredPreStopSeconds"`
	// RequiredMinReadySeconds is how long a node takes to come into rotation (probes.RequiredMinReadySeconds;
	// Local only).
	RequiredMinReadySeconds int32 `json:"requiredMinReadySeconds"`
	Nodes                   int   `json:"nodes"`
	// PodsPerNode is where the pods run once steady, in the simulation (nodes without a pod left out).
	PodsPerNode []NodePods `json:"podsPerNode"`
	// Assumptions are what the check took for granted for want of a Scenario document.
	Assumptions []string `json:"assumptions"`
	// DropsRequests: a finding drops requests, or the simulation of the manifests as given dropped some.
	DropsRequests bool         `json:"dropsRequests"`
	Findings      []Finding    `json:"findings"`
	Simulations   []Simulation `json:"simulations"`
	// StillFailing: with every fix applied, the simulations still dropped requests (or a fix is manual).
	StillFailing bool     `json:"stillFailing"`
	Notes        []string `json:"notes"`
}

// NodePods is one node's pod count.
type NodePods struct {
	Node string `json:"node"`
	Pods int    `json:"pods"`
}

// Simulation is one replay of the manifests, as given and with every fix.
type Simulation struct {
	Name            string  `json:"name"`   // steady, rollout, drain, scenario
	Events          string  `json:"events"` // what happened
	DurationSeconds float64 `json:"durationSeconds"`
	Seed            int64   `json:"seed"`
	Before          Counts  `json:"before"`
	After           Counts  `json:"after"`
}

// Run checks the manifests: a Service of type LoadBalancer, its Deployment or DaemonSet, and optionally
// Nodes, PodDisruptionBudgets and one Scenario document. Every error is about the input (what to
// change is in the message). The report is deterministic.
func Run(ctx context.Context, set *manifest.Set) (*Report, error) {
	a, err := analyze(ctx, set)
	if err != nil {
		return nil, err
	}
	rep := newReport(a.orig, a.assumptions)
	rep.Findings = a.findings
	if err := a.r.evidence(rep, a.base, a.fixed, a.orig, a.subj, a.given); err != nil {
		return nil, err
	}
	return rep, nil
}

// Findings returns the findings Run reports, without the simulations that back them (it simulates only
// where the pods run): for callers that need the suggestions alone, such as docs/validation.md.
func Findings(ctx context.Context, set *manifest.Set) ([]Finding, error) {
	a, err := analyze(ctx, set)
	if err != nil {
		return nil, err
	}
	return a.findings, nil
}

// analysis is the outcome of the rules.
type analysis struct {
	r           *runner
	base, fixed *manifest.Set // the manifests with a Scenario, as given and with every fix
	given       bool
	assumptions []string
	orig, subj  *subject // as given, and with every fix
	findings    []Finding
}

func analyze(ctx context.Context, set *manifest.Set) (*analysis, error) {
	log := klog.FromContext(ctx).WithName("check")
	base, given, assumptions, err := withScenario(set)
	if err != nil {
		return nil, err
	}
	r := &runner{ctx: ctx}

	// Placement rules, each on the manifests with the previous fixes and the placement they give.
	work := base
	findings := []Finding{}
	subj, err := r.subjectOf(work, given)
	if err != nil {
		return nil, err
	}
	orig := subj
	for round := 0; round < maxRuleRounds; round++ {
		fs := firstNew(subj, placementRules, findings)
		if len(fs) == 0 {
			break
		}
		findings = append(findings, fs...)
		if work, err = Apply(work, fs); err != nil {
			return nil, fmt.Errorf("applying a fix: %w", err)
		}
		if subj, err = r.subjectOf(work, given); err != nil {
			return nil, err
		}
	}
	// Timing rules, each on the manifests with the previous fixes.
	for _, rl := range timingRules {
		fs := firstNew(subj, []rule{rl}, findings)
		if len(fs) == 0 {
			continue
		}
		findings = append(findings, fs...)
		if work, err = Apply(work, fs); err != nil {
			return nil, fmt.Errorf("applying a fix: %w", err)
		}
		if subj, err = newSubject(work, given, subj.place); err != nil {
			return nil, err
		}
	}
	log.V(2).Info("rules done", "findings", len(findings))
	return &analysis{r: r, base: base, fixed: work, given: given, assumptions: assumptions, orig: orig, subj: subj, findings: findings}, nil
}

// firstNew returns the findings of the first rule that has any not already found (a fix that does not
// change what a rule sees would otherwise be suggested again).
func firstNew(s *subject, rules []rule, found []Finding) []Finding {
	for _, rl := range rules {
		var fresh []Finding
		for _, f := range rl(s) {
			if !slices.ContainsFunc(found, func(g Finding) bool {
				return g.Object == f.Object && g.Field == f.Field && g.Suggested == f.Suggested
			}) {
				fresh = append(fresh, f)
			}
		}
		if len(fresh) > 0 {
			return fresh
		}
	}
	return nil
}

// runner runs the simulations of one check.
type runner struct{ ctx context.Context }

// steadyRun is the run that gives the placement: no event, long enough for pod shares to settle.
const steadyDuration = 30 * time.Second

// subjectOf simulates the steady cluster for the placement, then derives the subject.
func (r *runner) subjectOf(set *manifest.Set, given bool) (*subject, error) {
	steady, err := withEvents(set, nil, steadyDuration)
	if err != nil {
		return nil, err
	}
	res, err := sim.Simulate(r.ctx, steady)
	if err != nil {
		return nil, err
	}
	return newSubject(set, given, placementOf(res))
}

func newReport(s *subject, assumptions []string) *Report {
	rep := &Report{
		Service:               s.service[len("Service "):],
		Workload:              s.workload,
		ExternalTrafficPolicy: string(s.in.Service.Spec.ExternalTrafficPolicy),
		Probe:                 "none",
		ProbeSemantics:        string(s.sem),
		KubeProxySync:         s.proxySync.Seconds(),
		Nodes:                 len(s.in.Nodes),
		Assumptions:           assumptions,
		Notes:                 []string{},
	}
	if rep.Assumptions == nil {
		rep.Assumptions = []string{}
	}
	if s.probe != nil {
		rep.Probe = s.probe.String()
	}
	rep.RequiredPreStopSeconds = s.detection(s.probe).Seconds()
	if s.local {
		rep.RequiredMinReadySeconds = int32(requiredMinReady(s) / time.Second)
	}
	for _, n := range s.place.nodes {
		if c := s.place.perNode[n]; c > 0 {
			rep.PodsPerNode = append(rep.PodsPerNode, NodePods{Node: n, Pods: c})
		}
	}
	if s.local && s.probe == nil {
		rep.Notes = append(rep.Notes, "the Service's rule has no probe (port_N_no_probe_rule): the load balancer never takes a node out of "+
			"rotation, so with externalTrafficPolicy Local every connection to a node without a ready pod is dropped; no preStop helps")
	}
	if s.place.pending > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d pod(s) stayed Pending in the simulation: the scheduler found no node for them "+
			"(lbctl simulate shows why)", s.place.pending))
	}
	if _, warns, err := probeSettings(s.in.Service); err == nil {
		for _, w := range warns {
			rep.Notes = append(rep.Notes, fmt.Sprintf("annotation %s: %s", w.Annotation, w.Message))
		}
	}
	return rep
}

// dropping reports whether any finding drops requests.
func dropping(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.DropsRequests })
}
