package check

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim"
	"github.com/azlb/azlb/pkg/sim/scenario"
)

// eventStart is when the disruptions of the evidence runs start (clients start at 0).
const eventStart = 10 * time.Second

// rolloutTimes is how many rollouts run back to back: the second starts as soon as the first completes,
// which is when a node that has just come back may not be in rotation yet.
const rolloutTimes = 2

// maxDoublings bounds how often a run is lengthened because a rollout or drain did not finish.
const maxDoublings = 3

// plan of the evidence runs, the same for every variant of the manifests so that their counts compare.
type runPlan struct {
	rollout, drain time.Duration
	drainRun       bool // Deployments: DaemonSet pods are not evicted by a drain
	scenarioRun    bool // the user's Scenario has events
}

// outcome is what one variant of the manifests gave.
type outcome struct {
	runs   []namedResult
	steady *sim.Result
}

type namedResult struct {
	name, events string
	res          *sim.Result
}

func (o *outcome) total() Counts {
	var c Counts
	for _, r := range o.runs {
		c = c.plus(countsOf(r.res))
	}
	return c
}

// find returns the result of the named run, or nil.
func (o *outcome) find(name string) *sim.Result {
	for _, r := range o.runs {
		if r.name == name {
			return r.res
		}
	}
	return nil
}

// unfinished reports a rollout or drain that did not complete in the run.
func (o *outcome) unfinished() bool {
	for _, r := range o.runs {
		if r.name == "scenario" {
			continue
		}
		for _, ro := range r.res.Rollouts {
			if ro.End == nil {
				return true
			}
		}
		for _, d := range r.res.Drains {
			if d.End == nil {
				return true
			}
		}
	}
	return false
}

// evidence simulates the manifests as given (base), with every fix (fixed), and with each fix alone,
// and fills the report's simulations and each finding's evidence.
func (r *runner) evidence(rep *Report, base, fixed *manifest.Set, orig, fix *subject, given bool) error {
	p := runPlan{drainRun: !orig.daemonSet, scenarioRun: given && len(orig.scenario.Spec.Events) > 0}
	est := max(estimateRollout(orig), estimateRollout(fix))
	p.rollout = eventStart + rolloutTimes*est + 30*time.Second
	p.drain = eventStart + est + 40*time.Second

	var before, after *outcome
	for doubling := 0; ; doubling++ {
		outs, err := r.outcomes(p, []*manifest.Set{base, fixed})
		if err != nil {
			return err
		}
		before, after = outs[0], outs[1]
		if (!before.unfinished() && !after.unfinished()) || doubling == maxDoublings {
			break
		}
		p.rollout = min(2*p.rollout, scenario.MaxDuration)
		p.drain = min(2*p.drain, scenario.MaxDuration)
	}
	var notes noteSet
	for _, run := range before.runs {
		sim := Simulation{Name: run.name, Events: run.events, DurationSeconds: float64(run.res.Duration), Seed: run.res.Seed,
			Before: countsOf(run.res)}
		notes.add(run.res.Notes, run.name+" as given")
		if a := after.find(run.name); a != nil {
			sim.After = countsOf(a)
			notes.add(a.Notes, run.name+" with every fix")
		}
		rep.Simulations = append(rep.Simulations, sim)
	}
	rep.Notes = append(rep.Notes, notes.lines()...)

	// Each fix alone.
	var variants []*manifest.Set
	var index []int
	for i := range rep.Findings {
		if rep.Findings[i].Manual {
			continue
		}
		v, err := Apply(base, rep.Findings[i:i+1])
		if err != nil {
			return fmt.Errorf("applying a fix: %w", err)
		}
		variants = append(variants, v)
		index = append(index, i)
	}
	alone, err := r.outcomes(p, variants)
	if err != nil {
		return err
	}
	bt, at := before.total(), after.total()
	for i := range rep.Findings {
		f := &rep.Findings[i]
		f.Evidence = &Evidence{Before: bt, WithThisFix: bt, WithAllFixes: at}
		if f.Kind == KindUnevenTraffic || f.Kind == KindSingleNode {
			f.Evidence.PodSharesBefore = roundedShares(before.steady)
		}
	}
	for j, i := range index {
		f := &rep.Findings[i]
		f.Evidence.WithThisFix = alone[j].total()
		if f.Kind == KindUnevenTraffic || f.Kind == KindSingleNode {
			f.Evidence.PodSharesWithThisFix = roundedShares(alone[j].steady)
		}
	}

	rep.DropsRequests = dropping(rep.Findings) || bt.Failed > 0
	manual := false
	for _, f := range rep.Findings {
		manual = manual || (f.Manual && f.DropsRequests)
	}
	rep.StillFailing = at.Failed > 0 || manual
	if bt.Failed > 0 && !dropping(rep.Findings) {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the simulations dropped %d requests that no rule explains: "+
			"run lbctl simulate on the manifests with a Scenario to see when and where", bt.Failed))
	}
	if at.Failed > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("with every fix applied the simulations still dropped %d requests (%s)",
			at.Failed, failuresText(at.Failures)))
	}
	return nil
}

// outcomes simulates each set through the plan's runs, in parallel (each simulation is deterministic).
func (r *runner) outcomes(p runPlan, sets []*manifest.Set) ([]*outcome, error) {
	outs := make([]*outcome, len(sets))
	errs := make([]error, len(sets))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, set := range sets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			outs[i], errs[i] = r.outcome(p, set)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// outcome runs one variant: steady (for the placement and the shares), two rollouts, a drain of the
// busiest node, and the Scenario's own events.
func (r *runner) outcome(p runPlan, set *manifest.Set) (*outcome, error) {
	o := &outcome{}
	add := func(name, events string, s *manifest.Set) (*sim.Result, error) {
		res, err := sim.Simulate(r.ctx, s)
		if err != nil {
			return nil, fmt.Errorf("simulation %s: %w", name, err)
		}
		o.runs = append(o.runs, namedResult{name: name, events: events, res: res})
		return res, nil
	}
	steady, err := withEvents(set, nil, steadyDuration)
	if err != nil {
		return nil, err
	}
	if o.steady, err = add("steady", "none: the workload serving", steady); err != nil {
		return nil, err
	}
	ro, err := withEvents(set, []map[string]any{{"at": eventStart.String(), "rollout": map[string]any{"times": rolloutTimes}}}, p.rollout)
	if err != nil {
		return nil, err
	}
	if _, err := add("rollout", fmt.Sprintf("%d rollouts back to back from %s", rolloutTimes, eventStart), ro); err != nil {
		return nil, err
	}
	if p.drainRun {
		node := placementOf(o.steady).busiest()
		if node != "" {
			dr, err := withEvents(set, []map[string]any{{"at": eventStart.String(), "drainNode": map[string]any{"node": node}}}, p.drain)
			if err != nil {
				return nil, err
			}
			if _, err := add("drain", fmt.Sprintf("kubectl drain of %s (the node with the most pods) at %s", node, eventStart), dr); err != nil {
				return nil, err
			}
		}
	}
	if p.scenarioRun {
		if _, err := add("scenario", "the Scenario's own events", set); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// noteSet gathers the simulations' notes, each once with the runs that gave it.
type noteSet struct {
	order []string
	runs  map[string][]string
	total int // runs seen
}

func (n *noteSet) add(notes []string, run string) {
	if n.runs == nil {
		n.runs = map[string][]string{}
	}
	n.total++
	for _, note := range notes {
		if _, ok := n.runs[note]; !ok {
			n.order = append(n.order, note)
		}
		n.runs[note] = append(n.runs[note], run)
	}
}

func (n *noteSet) lines() []string {
	out := make([]string, 0, len(n.order))
	for _, note := range n.order {
		runs := strings.Join(n.runs[note], ", ")
		if len(n.runs[note]) == n.total {
			runs = "every simulation"
		}
		out = append(out, fmt.Sprintf("%s: %s", runs, note))
	}
	return out
}

func roundedShares(r *sim.Result) []float64 {
	pl := placementOf(r)
	out := make([]float64, len(pl.shares))
	for i, s := range pl.shares {
		out[i] = math.Round(s*1e4) / 1e4
	}
	return out
}

func failuresText(f sim.Failures) string {
	return fmt.Sprintf("%d refused, %d no healthy backend, %d reset, %d timeout",
		f.ConnectionRefused, f.NoHealthyBackend, f.Reset, f.Timeout)
}
