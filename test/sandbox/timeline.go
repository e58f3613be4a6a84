package sandbox

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/azlb/azlb/pkg/sim"
	"github.com/azlb/azlb/test/harness"
)

// maxBuckets bounds the live timeline: the last 10 minutes, one bucket per second (the simulator's
// timeline has at most 600 buckets too).
const maxBuckets = 600

// nodeState is one node at the end of a second, for the Service the timeline follows.
type nodeState struct {
	// Probe is the load balancer's view: "up", "down", or "out" (not in the backend pool).
	Probe string
	// Health is the answer of the node's health check (the health check node port's /healthz for
	// Local, kube-proxy's :10256/healthz for Cluster); 0 when it did not answer.
	Health int
	// LocalReady and LocalServing count the Service's endpoints on the node that are ready, and
	// serving (ready or terminating but still serving), from the EndpointSlices.
	LocalReady, LocalServing int
}

// bucket is one second of the timeline. Requests count at their start (as the simulator counts
// them), so a second's counts grow until its last request has ended (at most the client timeout).
type bucket struct {
	requests, served, refused, reset, timeout int32
	// noHealthy counts the load balancer's own refusals to place a connection on this second's
	// frontend (its NoHealthyBackend counter): the client sees those as timeouts.
	noHealthy int32
	servedOn  map[string]int32     // served requests by the node the load balancer sent them to
	nodes     map[string]nodeState // sampled at the end of the second
	sampled   bool
}

// recorder builds the live page's timeline (a sim.Result) for one Service from what the sandbox
// sees each second: its client's requests, the data plane's probe states and counters, the health
// checks and the EndpointSlices, and events.
type recorder struct {
	t0 time.Time

	mu        sync.Mutex
	buckets   map[int]*bucket
	nodes     []string // every node seen, sorted
	events    []sim.Event
	setup     sim.Setup
	pending   map[string]healthChange // per node, a health change the load balancer has not followed yet
	detection []sim.DetectionEvent
}

type healthChange struct {
	at     time.Time
	status int
}

func newRecorder(t0 time.Time) *recorder {
	return &recorder{t0: t0, buckets: map[int]*bucket{}, pending: map[string]healthChange{}}
}

// index is the bucket of instant t.
func (r *recorder) index(t time.Time) int {
	return int(math.Floor(t.Sub(r.t0).Seconds()))
}

func (r *recorder) bucketLocked(i int) *bucket {
	b := r.buckets[i]
	if b == nil {
		b = &bucket{servedOn: map[string]int32{}}
		r.buckets[i] = b
		for k := range r.buckets {
			if k <= i-2*maxBuckets {
				delete(r.buckets, k)
			}
		}
	}
	return b
}

// request counts one finished request of the followed Service at its start; node is the node the
// load balancer sent it to when it was served ("" when unknown).
func (r *recorder) request(req harness.Request, node string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.bucketLocked(r.index(req.Start))
	b.requests++
	switch req.Outcome {
	case harness.Served:
		b.served++
		if node != "" {
			b.servedOn[node]++
		}
	case harness.Refused:
		b.refused++
	case harness.TimedOut:
		b.timeout++
	default: // reset, or an answer other than 200
		b.reset++
	}
}

// sample records the state of the nodes at the end of second i and the data plane's no-healthy-
// backend refusals on the frontend during it.
func (r *recorder) sample(i int, nodes map[string]nodeState, noHealthy int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.bucketLocked(i)
	b.nodes = nodes
	b.sampled = true
	b.noHealthy = int32(min(noHealthy, math.MaxInt32))
	for n := range nodes {
		if !slices.Contains(r.nodes, n) {
			r.nodes = append(r.nodes, n)
			sort.Strings(r.nodes)
		}
	}
}

// event records an event at instant t (pod, probe, health check or Service changes). Health and
// load balancer changes of a node are also paired into detection delays.
func (r *recorder) event(t time.Time, kind, node, pod, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, sim.Event{T: r.secs(t), Kind: kind, Node: node, Pod: pod, Detail: detail})
	switch kind {
	case "HealthCheckPassing", "HealthCheckFailing":
		status := 503
		if kind == "HealthCheckPassing" {
			status = 200
		}
		r.pending[node] = healthChange{at: t, status: status}
	case "LBMarkedUp", "LBMarkedDown":
		h, ok := r.pending[node]
		if !ok || (h.status == 200) != (kind == "LBMarkedUp") {
			return
		}
		delete(r.pending, node)
		dir := "down"
		if kind == "LBMarkedUp" {
			dir = "up"
		}
		r.detection = append(r.detection, sim.DetectionEvent{
			Node: node, Direction: dir, HealthChangedAt: r.secs(h.at), LBChangedAt: r.secs(t), Delay: sim.Seconds(roundMillis(t.Sub(h.at))),
		})
	}
	if len(r.events) > 4*maxBuckets {
		r.events = slices.Delete(r.events, 0, len(r.events)-4*maxBuckets)
	}
	if len(r.detection) > maxBuckets {
		r.detection = slices.Delete(r.detection, 0, len(r.detection)-maxBuckets)
	}
}

// setSetup records what the followed Service runs with.
func (r *recorder) setSetup(s sim.Setup) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.setup = s
}

func (r *recorder) secs(t time.Time) sim.Seconds { return sim.Seconds(roundMillis(t.Sub(r.t0))) }

func roundMillis(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// result is the timeline of the last maxBuckets seconds before now, as a sim.Result: the totals of
// those seconds, the setup, the detection delays and Timeline. It is nil before the first second
// has ended.
func (r *recorder) result(now time.Time) *sim.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	last := r.index(now) - 1 // the last complete second
	if last < 0 {
		return nil
	}
	first := max(0, last-maxBuckets+1)
	tl := &sim.Timeline{Bucket: 1, Events: []sim.Event{}}
	res := &sim.Result{
		Scenario: "sandbox", Setup: r.setup, Timeline: tl,
		Rollouts: []sim.Rollout{}, Drains: []sim.Drain{}, Nodes: []sim.NodeShare{}, Pods: []sim.PodShare{},
		FailureWindows: []sim.FailureWindow{}, Notes: []string{
			"live sandbox: requests count at their start, so the latest seconds grow until their requests end (at most the client timeout)",
			"failed requests are not attributed to nodes: a client cannot tell where the load balancer sent a connection that failed",
		},
		Detection: sim.Detection{Events: []sim.DetectionEvent{}},
	}
	nodeTL := make([]sim.NodeTimeline, len(r.nodes))
	for j, n := range r.nodes {
		nodeTL[j].Name = n
	}
	served := map[string]int64{}
	var prev map[string]nodeState
	for i := first; i <= last; i++ {
		b := r.buckets[i]
		if b == nil {
			b = &bucket{}
		}
		noHealthy := min(b.noHealthy, b.timeout) // the client's timeouts the load balancer caused
		tl.Times = append(tl.Times, sim.Seconds(i))
		tl.Requests = append(tl.Requests, b.requests)
		tl.Served = append(tl.Served, b.served)
		tl.Refused = append(tl.Refused, b.refused)
		tl.NoHealthyBackend = append(tl.NoHealthyBackend, noHealthy)
		tl.Reset = append(tl.Reset, b.reset)
		tl.Timeout = append(tl.Timeout, b.timeout-noHealthy)
		res.Requests += int64(b.requests)
		res.Succeeded += int64(b.served)
		res.Failures.ConnectionRefused += int64(b.refused)
		res.Failures.NoHealthyBackend += int64(noHealthy)
		res.Failures.Reset += int64(b.reset)
		res.Failures.Timeout += int64(b.timeout - noHealthy)
		states := b.nodes
		if !b.sampled {
			states = prev // a missed sample: the state carries on
		}
		prev = states
		for j, n := range r.nodes {
			st, ok := states[n]
			if !ok {
				st = nodeState{Probe: "out"}
			}
			nt := &nodeTL[j]
			nt.Probe = append(nt.Probe, st.Probe)
			nt.Health = append(nt.Health, st.Health)
			nt.LocalReady = append(nt.LocalReady, st.LocalReady)
			nt.LocalServing = append(nt.LocalServing, st.LocalServing)
			nt.Served = append(nt.Served, b.servedOn[n])
			nt.Failed = append(nt.Failed, 0)
			served[n] += int64(b.servedOn[n])
		}
	}
	tl.Nodes = nodeTL
	res.Failed = res.Requests - res.Succeeded
	res.SuccessRate = 1
	if res.Requests > 0 {
		res.SuccessRate = math.Round(float64(res.Succeeded)/float64(res.Requests)*1e6) / 1e6
	}
	res.Duration = sim.Seconds(last - first + 1)
	for _, n := range r.nodes {
		share := 0.0
		if res.Succeeded > 0 {
			share = math.Round(float64(served[n])/float64(res.Succeeded)*1e6) / 1e6
		}
		res.Nodes = append(res.Nodes, sim.NodeShare{Name: n, Requests: served[n], Served: served[n], Share: share})
	}
	from := sim.Seconds(first)
	for _, e := range r.events {
		if e.T >= from {
			tl.Events = append(tl.Events, e)
		}
	}
	for _, d := range r.detection {
		if d.HealthChangedAt >= from {
			res.Detection.Events = append(res.Detection.Events, d)
		}
	}
	res.Detection.Down, res.Detection.Up = summarise(res.Detection.Events, "down"), summarise(res.Detection.Events, "up")
	return res
}

// summarise is the min, mean and max delay of the detection events in one direction.
func summarise(events []sim.DetectionEvent, dir string) sim.DetectionSummary {
	var s sim.DetectionSummary
	var sum float64
	for _, e := range events {
		if e.Direction != dir {
			continue
		}
		d := e.Delay
		if s.Count == 0 || d < *s.Min {
			s.Min = &d
		}
		if s.Count == 0 || d > *s.Max {
			dd := d
			s.Max = &dd
		}
		s.Count++
		sum += float64(d)
	}
	if s.Count > 0 {
		mean := sim.Seconds(math.Round(sum/float64(s.Count)*1000) / 1000)
		s.Mean = &mean
	}
	return s
}
