package sandbox

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/sim"
	"github.com/azlb/azlb/test/harness"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// TestRecorderResult: requests count in the second they started, timeouts the load balancer caused
// become noHealthyBackend, the node lanes carry the sampled states (a missed sample carries the last
// one on), served requests land on their node, health and probe changes pair into detection delays,
// and nothing is drawn before the first second ends.
func TestRecorderResult(t *testing.T) {
	r := newRecorder(t0)
	if r.result(at(0.5)) != nil {
		t.Fatal("a result before the first second ended")
	}
	req := func(start float64, o harness.Outcome) harness.Request {
		return harness.Request{Start: at(start), Outcome: o}
	}
	r.request(req(0.1, harness.Served), "node-1")
	r.request(req(0.2, harness.Served), "node-2")
	r.request(req(1.1, harness.TimedOut), "")
	r.request(req(1.2, harness.TimedOut), "")
	r.request(req(1.3, harness.Reset), "")
	r.request(req(1.4, harness.BadStatus), "")
	r.request(req(2.5, harness.Refused), "")
	up := map[string]nodeState{"node-1": {Probe: "up", Health: 200, LocalReady: 1, LocalServing: 1}, "node-2": {Probe: "up", Health: 200, LocalReady: 1, LocalServing: 1}}
	down := map[string]nodeState{"node-1": {Probe: "up", Health: 200, LocalReady: 1, LocalServing: 1}, "node-2": {Probe: "down", Health: 503, LocalServing: 1}}
	r.sample(0, up, 0)
	r.sample(1, down, 1) // one of the two timeouts: no healthy backend
	// second 2 not sampled
	r.event(at(1.0), "HealthCheckFailing", "node-2", "", "")
	r.event(at(3.5), "LBMarkedDown", "node-2", "", "probe saw 503")
	r.event(at(1.5), "PodDeleting", "node-2", "web-1", "")
	r.setSetup(sim.Setup{Service: "default/web"})

	res := r.result(at(3.2)) // seconds 0, 1 and 2 are complete
	tl := res.Timeline
	if tl == nil || len(tl.Times) != 3 || tl.Times[2] != 2 {
		t.Fatalf("timeline times %v, want [0 1 2]", tl.Times)
	}
	checks := []struct {
		name string
		got  []int32
		want []int32
	}{
		{"requests", tl.Requests, []int32{2, 4, 1}},
		{"served", tl.Served, []int32{2, 0, 0}},
		{"noHealthyBackend", tl.NoHealthyBackend, []int32{0, 1, 0}},
		{"timeout", tl.Timeout, []int32{0, 1, 0}},
		{"reset", tl.Reset, []int32{0, 2, 0}},
		{"connectionRefused", tl.Refused, []int32{0, 0, 1}},
	}
	for _, c := range checks {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s %v, want %v", c.name, c.got, c.want)
		}
	}
	if res.Requests != 7 || res.Succeeded != 2 || res.Failed != 5 || res.Failures != (sim.Failures{ConnectionRefused: 1, NoHealthyBackend: 1, Reset: 2, Timeout: 1}) {
		t.Errorf("totals %d/%d/%d %+v", res.Requests, res.Succeeded, res.Failed, res.Failures)
	}
	if len(tl.Nodes) != 2 || tl.Nodes[1].Name != "node-2" {
		t.Fatalf("node lanes %+v", tl.Nodes)
	}
	n2 := tl.Nodes[1]
	if !slices.Equal(n2.Probe, []string{"up", "down", "down"}) || !slices.Equal(n2.Health, []int{200, 503, 503}) ||
		!slices.Equal(n2.LocalReady, []int{1, 0, 0}) || !slices.Equal(n2.LocalServing, []int{1, 1, 1}) || !slices.Equal(n2.Served, []int32{1, 0, 0}) {
		t.Errorf("node-2 lane %+v", n2)
	}
	if len(tl.Events) != 3 || res.Setup.Service != "default/web" {
		t.Errorf("events %+v, setup %+v", tl.Events, res.Setup)
	}
	d := res.Detection
	if len(d.Events) != 1 || d.Events[0].Direction != "down" || d.Events[0].Delay != 2.5 || d.Down.Count != 1 || *d.Down.Max != 2.5 || d.Up.Count != 0 {
		t.Errorf("detection %+v", d)
	}
	if res.Nodes[0].Share != 0.5 || res.Nodes[1].Served != 1 {
		t.Errorf("node shares %+v", res.Nodes)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatal(err)
	}
}

// TestRecorderWindow: the timeline keeps the last maxBuckets seconds.
func TestRecorderWindow(t *testing.T) {
	r := newRecorder(t0)
	for i := 0; i < maxBuckets+50; i++ {
		r.request(harness.Request{Start: at(float64(i) + 0.5), Outcome: harness.Served}, "node-1")
		r.sample(i, map[string]nodeState{"node-1": {Probe: "up"}}, 0)
	}
	res := r.result(at(maxBuckets + 50))
	if n := len(res.Timeline.Times); n != maxBuckets || res.Timeline.Times[0] != 50 {
		t.Fatalf("%d buckets from %v, want %d from 50", n, res.Timeline.Times[0], maxBuckets)
	}
	if res.Requests != maxBuckets || res.Duration != maxBuckets {
		t.Errorf("requests %d over %v s, want %d", res.Requests, res.Duration, maxBuckets)
	}
}

func TestLocalEndpoints(t *testing.T) {
	ep := func(node string, ready, serving *bool) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{NodeName: ptr.To(node), Conditions: discoveryv1.EndpointConditions{Ready: ready, Serving: serving}}
	}
	slices := []*discoveryv1.EndpointSlice{{Endpoints: []discoveryv1.Endpoint{
		ep("node-1", ptr.To(true), ptr.To(true)),
		ep("node-1", ptr.To(false), ptr.To(true)), // terminating, still serving
		ep("node-2", ptr.To(false), ptr.To(false)),
		ep("node-3", nil, nil),                                            // unset: ready and serving
		{Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}, // no node: not counted
	}}}
	ready, serving := localEndpoints(slices)
	if ready["node-1"] != 1 || serving["node-1"] != 2 || ready["node-2"] != 0 || serving["node-2"] != 0 || ready["node-3"] != 1 || serving["node-3"] != 1 || len(ready) != 2 {
		t.Errorf("ready %v, serving %v", ready, serving)
	}
}

func TestTally(t *testing.T) {
	var tl tally
	tl.add("a", harness.Served)
	tl.add("a", harness.TimedOut)
	tl.add("b", harness.Served)
	got := tl.take()
	if got["a"].Total() != 2 || got["a"].Failed() != 1 || got["b"].Total() != 1 {
		t.Errorf("first take %v", got)
	}
	if again := tl.take(); len(again) != 0 {
		t.Errorf("second take %v, want nothing", again)
	}
}
