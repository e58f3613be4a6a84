package sim

import (
	"net/netip"
	"time"
)

// failBucketWidth is the resolution of failure windows.
const failBucketWidth = 100 * time.Millisecond

// recorder accumulates what the result reports. Requests are recorded at their arrival; a request
// later cut (reset) or lost with its node (timeout) is moved to that cause.
type recorder struct {
	w       *world
	bucket  time.Duration
	buckets int

	requests, served int64
	failures         [numCauses]int64

	nodeStats []*nodeStat // by node index
	podStats  []*podStat  // by pod index

	series     []seriesBucket // cluster-wide, per timeline bucket
	failBucket map[int64]*failBucket

	events     []Event
	detections []DetectionEvent
	health     map[*node]pendingHealth
	pendingWhy map[*pod]string

	sources   map[netip.Addr]bool
	kept      int64
	snat      int64
	forwarded int64 // served by a pod on another node than the one the load balancer chose

	rollouts []*rolloutCount

	samples []*nodeSamples // by node index
	sampled int            // buckets sampled so far
}

type nodeStat struct {
	requests, served int64
	failed           [numCauses]int64
	buckets          []nodeBucket
}

type nodeBucket struct{ served, failed int32 }

type podStat struct {
	reached, served int64
	failed          [numCauses]int64
	kept, snat      int64
}

type seriesBucket struct {
	requests, served int32
	failed           [numCauses]int32
}

type failBucket struct {
	first, last time.Duration
	counts      [numCauses]int64
	nodes       map[string]int64
}

type pendingHealth struct {
	at     time.Time
	status int
	open   bool
}

type rolloutCount struct {
	run              *rolloutRun
	requests, failed int64
}

// reqRef identifies a recorded request, to move it to another cause later.
type reqRef struct {
	at   time.Duration // scenario time of arrival
	node int32         // node index, -1 when none
	pod  int32         // pod index, -1 when none
}

func newRecorder(w *world, duration time.Duration) *recorder {
	bucket := time.Second
	for duration/bucket > 600 {
		bucket += time.Second
	}
	n := int((duration + bucket - 1) / bucket)
	return &recorder{
		w:      w,
		bucket: bucket, buckets: n,
		series:     make([]seriesBucket, n),
		failBucket: map[int64]*failBucket{},
		health:     map[*node]pendingHealth{},
		pendingWhy: map[*pod]string{},
		sources:    map[netip.Addr]bool{},
	}
}

func (r *recorder) addNode(n *node) {
	for len(r.nodeStats) <= n.idx {
		r.nodeStats = append(r.nodeStats, &nodeStat{buckets: make([]nodeBucket, r.buckets)})
	}
}

func (r *recorder) addPod(p *pod) {
	for len(r.podStats) <= p.idx {
		r.podStats = append(r.podStats, &podStat{})
	}
}

func (r *recorder) bucketOf(at time.Duration) int {
	b := int(at / r.bucket)
	return max(0, min(b, r.buckets-1))
}

// request records one request that arrives now and ends with cz, admitted to node n (nil when the
// load balancer admitted nothing) and reaching pod p (nil when it reached none).
func (r *recorder) request(w *world, cz cause, n *node, p *pod, cl *client) reqRef {
	at := w.rel(w.now())
	ref := reqRef{at: at, node: -1, pod: -1}
	r.requests++
	b := r.bucketOf(at)
	r.series[b].requests++
	if n != nil {
		ref.node = int32(n.idx)
		r.nodeStats[n.idx].requests++
	}
	if p != nil {
		ref.pod = int32(p.idx)
		r.podStats[p.idx].reached++
	}
	for _, rc := range r.rollouts {
		if !rc.run.done {
			rc.requests++
		}
	}
	if cz == causeNone {
		r.served++
		r.series[b].served++
		if n != nil {
			r.nodeStats[n.idx].served++
			r.nodeStats[n.idx].buckets[b].served++
		}
		ps := r.podStats[p.idx]
		ps.served++
		if n != nil && p.node != n {
			r.forwarded++
		}
		src, kept := w.seenSource(cl, n)
		r.sources[src] = true
		if kept {
			r.kept++
			ps.kept++
		} else {
			r.snat++
			ps.snat++
		}
		return ref
	}
	r.fail(w, ref, cz, +1)
	return ref
}

// fail adds (sign +1) or removes (-1) a failure of the request.
func (r *recorder) fail(w *world, ref reqRef, cz cause, sign int64) {
	b := r.bucketOf(ref.at)
	r.failures[cz] += sign
	r.series[b].failed[cz] += int32(sign)
	nodeName := ""
	if ref.node >= 0 {
		ns := r.nodeStats[ref.node]
		ns.failed[cz] += sign
		ns.buckets[b].failed += int32(sign)
		nodeName = w.nodes[ref.node].name
	}
	if ref.pod >= 0 {
		r.podStats[ref.pod].failed[cz] += sign
	}
	if sign > 0 {
		for _, rc := range r.rollouts {
			if !rc.run.done && ref.at >= time.Duration(rc.run.start*float64(time.Second)) {
				rc.failed++
			}
		}
		key := int64(ref.at / failBucketWidth)
		fb := r.failBucket[key]
		if fb == nil {
			fb = &failBucket{first: ref.at, last: ref.at, nodes: map[string]int64{}}
			r.failBucket[key] = fb
		}
		fb.first, fb.last = min(fb.first, ref.at), max(fb.last, ref.at)
		fb.counts[cz]++
		if nodeName != "" {
			fb.nodes[nodeName]++
		}
	}
}

// reclassify moves a served request to a failure (its connection was cut, or its node vanished).
func (r *recorder) reclassify(ref reqRef, cz cause) {
	w := r.w
	b := r.bucketOf(ref.at)
	r.served--
	r.series[b].served--
	if ref.node >= 0 {
		ns := r.nodeStats[ref.node]
		ns.served--
		ns.buckets[b].served--
	}
	if ref.pod >= 0 {
		r.podStats[ref.pod].served--
	}
	r.fail(w, ref, cz, +1)
}

// Event is one thing that happened, for the timeline.
type Event struct {
	T      Seconds `json:"t"`
	Kind   string  `json:"kind"`
	Node   string  `json:"node,omitempty"`
	Pod    string  `json:"pod,omitempty"`
	Detail string  `json:"detail,omitempty"`
}

func (r *recorder) event(w *world, kind, nodeName, podName, detail string) {
	if !w.running {
		return
	}
	r.events = append(r.events, Event{T: secs(w.rel(w.now())), Kind: kind, Node: nodeName, Pod: podName, Detail: detail})
}

func (r *recorder) podEvent(w *world, p *pod, kind, detail string) {
	nodeName := ""
	if p.node != nil {
		nodeName = p.node.name
	}
	r.event(w, "Pod"+kind, nodeName, p.name, detail)
}

func (r *recorder) pending(w *world, p *pod, why string) {
	if r.pendingWhy[p] == why {
		return
	}
	r.pendingWhy[p] = why
	r.podEvent(w, p, "Pending", why)
}

// healthChanged: node n's health check node port now answers status (after a kube-proxy sync).
func (r *recorder) healthChanged(w *world, n *node, status int) {
	r.health[n] = pendingHealth{at: w.now(), status: status, open: w.running}
	kind := "HealthCheckFailing"
	if status == 200 {
		kind = "HealthCheckPassing"
	}
	r.event(w, kind, n.name, "", "")
}

// lbChanged: the load balancer marked node n up or down.
func (r *recorder) lbChanged(w *world, n *node, up bool, outcome string) {
	kind := "LBMarkedDown"
	if up {
		kind = "LBMarkedUp"
	}
	r.event(w, kind, n.name, "", "probe saw "+outcome)
	h, ok := r.health[n]
	if !ok || !h.open || !w.running || (h.status == 200) != up {
		return
	}
	r.health[n] = pendingHealth{at: h.at, status: h.status, open: false}
	dir := "down"
	if up {
		dir = "up"
	}
	r.detections = append(r.detections, DetectionEvent{
		Node: n.name, Direction: dir,
		HealthChangedAt: secs(w.rel(h.at)), LBChangedAt: secs(w.rel(w.now())), Delay: secs(w.now().Sub(h.at)),
	})
}

// nodeSamples is one node's state at the end of each timeline bucket.
type nodeSamples struct {
	probe          []string
	health         []int
	ready, serving []int
}

// sample records every node's state for the bucket that ends now.
func (r *recorder) sample(w *world) {
	for len(r.samples) < len(w.nodes) {
		r.samples = append(r.samples, &nodeSamples{})
	}
	for _, n := range w.nodes {
		s := r.samples[n.idx]
		// a node added late has nothing for the buckets before it existed
		for len(s.probe) < r.sampled {
			s.probe, s.health = append(s.probe, ""), append(s.health, 0)
			s.ready, s.serving = append(s.ready, 0), append(s.serving, 0)
		}
		state := "out"
		if inPool, up := w.lb.probeUp(n); inPool && up {
			state = "up"
		} else if inPool {
			state = "down"
		}
		health := n.proxy.health
		if n.deleted {
			health = 0
		}
		s.probe = append(s.probe, state)
		s.health = append(s.health, health)
		s.ready = append(s.ready, n.proxy.localReady)
		s.serving = append(s.serving, n.proxy.localServing)
	}
	r.sampled++
}
