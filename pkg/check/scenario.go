package check

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim"
	"github.com/azlb/azlb/pkg/sim/scenario"
)

// Assumptions used when the manifests hold no Scenario document.
const (
	defaultScenarioName = "lbctl-check"
	assumedRPS          = 100
	assumedClients      = 20
	assumedStartup      = 2 * time.Second
	minAssumedNodes     = 3
)

// withScenario returns the manifests with a Scenario document: the user's, or one made of the stated
// assumptions (assumptions lists them). given says which.
func withScenario(set *manifest.Set) (out *manifest.Set, given bool, assumptions []string, err error) {
	switch n := len(set.Other[scenario.Kind]); {
	case n == 1:
		return set, true, nil, nil
	case n > 1:
		return nil, false, nil, fmt.Errorf("%d Scenario documents: check takes at most one (it says how the app behaves and the load)", n)
	}
	nodes := minAssumedNodes
	if len(set.Nodes) == 0 {
		// A first pass finds the workload to size the cluster: a node more than the replicas, so that a
		// surge pod can land on a node without a pod, as in most clusters.
		probe := cloneSet(set)
		probe.Other[scenario.Kind] = [][]byte{defaultScenario(nodes)}
		in, err := sim.NewInput(probe)
		if err != nil {
			return nil, false, nil, err
		}
		if d := in.Workload.Deployment; d != nil && d.Spec.Replicas != nil {
			nodes = min(max(nodes, int(*d.Spec.Replicas)+1), scenario.MaxNodes)
		}
	}
	out = cloneSet(set)
	out.Other[scenario.Kind] = [][]byte{defaultScenario(nodes)}
	assumptions = []string{
		"no Scenario document: the app is assumed to start listening 2s after its container starts, to stop accepting " +
			"connections at SIGTERM and to finish the requests in flight within 2s (add a Scenario, as in docs/simulation.md, to describe yours)",
		fmt.Sprintf("clients: %d requests/s from %d addresses, a new connection per request (kept-alive connections are not checked without a Scenario)",
			assumedRPS, assumedClients),
		"kube-proxy minSyncPeriod 1s (iptables, nftables); Azure's documented probe semantics (an explicit 503 marks a node down at once)",
	}
	if len(set.Nodes) == 0 {
		assumptions = append(assumptions, fmt.Sprintf("no Nodes in the manifests: %d nodes (one more than the replicas, at least 3)", nodes))
	}
	return out, false, assumptions, nil
}

func defaultScenario(nodes int) []byte {
	doc := map[string]any{
		"apiVersion": scenario.APIVersion,
		"kind":       scenario.Kind,
		"metadata":   map[string]any{"name": defaultScenarioName},
		"spec": map[string]any{
			"duration": "60s",
			"nodes":    map[string]any{"count": nodes},
			"clients":  map[string]any{"requestsPerSecond": assumedRPS, "count": assumedClients},
			"app": map[string]any{
				"startupTime": assumedStartup.String(),
				"onSigterm":   map[string]any{"exitImmediately": true, "gracefulClose": true},
			},
		},
	}
	data, err := json.Marshal(doc)
	if err != nil {
		panic(err) // a constant shape
	}
	return data
}

// withEvents returns the manifests with the Scenario's events and duration replaced.
func withEvents(set *manifest.Set, events []map[string]any, duration time.Duration) (*manifest.Set, error) {
	return EditScenario(set, func(spec map[string]any) {
		spec["duration"] = duration.String()
		if events == nil {
			delete(spec, "events")
		} else {
			spec["events"] = events
		}
	})
}

// EditScenario returns a copy of the manifests whose one Scenario document has been changed by edit
// (given the decoded spec); the input is not modified.
func EditScenario(set *manifest.Set, edit func(spec map[string]any)) (*manifest.Set, error) {
	docs := set.Other[scenario.Kind]
	if len(docs) != 1 {
		return nil, fmt.Errorf("want one Scenario document, found %d", len(docs))
	}
	var m map[string]any
	if err := json.Unmarshal(docs[0], &m); err != nil {
		return nil, err
	}
	edit(subMap(m, "spec"))
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	out := *set
	out.Other = map[string][][]byte{}
	for k, v := range set.Other {
		out.Other[k] = v
	}
	out.Other[scenario.Kind] = [][]byte{data}
	return &out, nil
}

// estimateRollout is a generous guess of how long one rollout of the subject's workload takes, so that
// the simulation runs long enough for it to finish (Run doubles the run when it does not).
func estimateRollout(s *subject) time.Duration {
	app := s.app
	start := app.ContainerStartDelay.Duration + app.StartupTime.Duration + time.Duration(s.minReady)*time.Second + 2*time.Second
	if rp := s.container.ReadinessProbe; rp != nil {
		start += time.Duration(max(rp.InitialDelaySeconds, 0)+max(rp.PeriodSeconds, 1)*max(rp.SuccessThreshold, 1)) * time.Second
	}
	stop := min(s.preStop, s.grace) + app.OnSigterm.ServeFor.Duration + 2*time.Second
	surge, unavailable, _ := s.bounds()
	perStep := max(surge+unavailable, 1)
	nodes := s.place.servingNodes()
	if !s.daemonSet {
		nodes = int(s.replicas)
	}
	steps := time.Duration((max(nodes, 1) + perStep - 1) / perStep)
	if s.daemonSet && surge == 0 {
		return steps*(start+stop) + stop
	}
	return steps*start + stop
}
