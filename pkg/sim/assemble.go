package sim

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/azlb/azlb/pkg/probes"
	"github.com/azlb/azlb/pkg/sim/kubeproxy"
)

// windowGap merges failures less than this apart into one window.
const windowGap = time.Second

// finish closes the run: the buckets not sampled yet get the final state.
func (w *world) finish() {
	for w.rec.sampled < w.rec.buckets {
		w.rec.sample(w)
	}
}

func (w *world) result() *Result {
	r := w.rec
	res := &Result{
		Scenario:  w.in.Scenario.Metadata.Name,
		Seed:      *w.spec.Seed,
		Requests:  r.requests,
		Succeeded: r.served,
		Failures:  failuresOf(r.failures),
		Duration:  secs(w.spec.Duration.Duration),
		WarmUp:    secs(w.t0.Sub(Epoch)),
		Setup:     w.setupSummary(),
		Notes:     append([]string{}, w.notes...),
	}
	res.Failed = res.Failures.total()
	res.SuccessRate = ratio(res.Succeeded, res.Requests)
	runEnd := w.spec.Duration.Seconds()

	res.Rollouts = []Rollout{}
	var first, last *float64
	for i, ro := range w.ctrl.rollouts {
		rc := r.rollouts[i]
		out := Rollout{Revision: ro.rev.num, Start: Seconds(ro.start), Requests: rc.requests, Failed: rc.failed,
			SuccessRate: ratio(rc.requests-rc.failed, rc.requests)}
		end := runEnd
		if ro.done {
			out.End = ptrSeconds(Seconds(ro.end))
			end = ro.end
			if !ro.superseded {
				if first == nil {
					s := ro.start
					first = &s
				}
				e := ro.end
				last = &e
			}
		} else {
			res.Notes = append(res.Notes, fmt.Sprintf("rollout to revision %d did not complete within the run", ro.rev.num))
		}
		out.Duration = Seconds(end - ro.start)
		res.Rollouts = append(res.Rollouts, out)
	}
	if first != nil {
		res.RolloutDuration = ptrSeconds(Seconds(*last - *first))
	}
	res.Drains = []Drain{}
	for _, d := range w.ctrl.drains {
		out := Drain{Node: d.node.name, Start: Seconds(d.start)}
		end := runEnd
		if d.done {
			out.End = ptrSeconds(Seconds(d.end))
			end = d.end
		} else {
			res.Notes = append(res.Notes, fmt.Sprintf("the drain of %s did not finish within the run", d.node.name))
		}
		out.Duration = Seconds(end - d.start)
		res.Drains = append(res.Drains, out)
	}

	res.Nodes = []NodeShare{}
	for _, n := range w.nodes {
		s := r.nodeStats[n.idx]
		res.Nodes = append(res.Nodes, NodeShare{
			Name: n.name, Zone: n.zone, Address: n.ip.String(), Requests: s.requests, Share: ratio(s.requests, r.requests),
			Served: s.served, Failures: failuresOf(s.failed), Removed: n.deleted,
		})
	}
	res.Pods = []PodShare{}
	pending := 0
	for _, p := range w.pods {
		if p.gone && p.goneAt.Before(w.t0) {
			continue
		}
		if !p.gone && p.node == nil {
			pending++
		}
		s := r.podStats[p.idx]
		out := PodShare{
			Name: p.name, Revision: p.rev.num, Requests: s.reached, Share: ratio(s.reached, r.requests), Served: s.served,
			Failures: failuresOf(s.failed), ClientAddressKept: s.kept, SNATed: s.snat, Created: secs(w.rel(p.created)),
		}
		if p.node != nil {
			out.Node = p.node.name
		}
		if p.gone {
			out.Deleted = ptrSeconds(secs(w.rel(p.goneAt)))
		}
		res.Pods = append(res.Pods, out)
	}
	if pending > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d pod(s) were still pending at the end (see the PodPending events for the scheduler's reason)", pending))
	}
	res.FailureWindows = r.windows()
	res.Detection = r.detection()
	res.Sources = r.sourceSummary(len(w.cl.list))
	tl := r.timeline(w)
	res.Timeline = &tl
	if w.policy == kubeproxy.Cluster {
		res.Notes = append(res.Notes, "externalTrafficPolicy Cluster: every node forwards to any ready endpoint (an extra hop) and the pods see the node's address (SNAT)")
	}
	return res
}

func (w *world) setupSummary() Setup {
	s := Setup{
		Service:               w.svc.Namespace + "/" + w.svc.Name,
		ExternalTrafficPolicy: string(w.svc.Spec.ExternalTrafficPolicy),
		Frontend:              w.lb.frontend.String(),
		Workload:              fmt.Sprintf("%s %s/%s", w.in.Workload.Kind(), w.in.Workload.Meta().Namespace, w.in.Workload.Meta().Name),
		Nodes:                 len(w.in.Nodes),
		ProbeSemantics:        string(w.semantics),
		KubeProxyMinSync:      secs(w.minSync),
		PreStop:               w.app.preStopText,
		PreStopSeconds:        secs(min(w.app.preStop, w.app.grace)),
		GracePeriod:           secs(w.app.grace),
		MinReadySeconds:       secs(w.in.Workload.MinReadySeconds()),
		OnSigterm:             w.sigtermText(),
		KeepAlive:             w.spec.Clients.KeepAlive,
		RequestsPerSecond:     w.spec.Clients.RequestsPerSecond,
		Clients:               w.spec.Clients.Count,
		ClientTimeout:         secs(w.spec.Clients.Timeout.Duration),
	}
	if ps, ok := w.lb.settings(); ok {
		s.Probe = ps.String()
		f := probes.FailureStatus
		if ps.Protocol == probes.ProtocolTCP {
			f = probes.FailureRefused
		}
		s.MarkDownWindow = probes.MarkDown(ps, w.semantics, f).String()
		s.MarkUpWindow = probes.MarkUp(ps, w.semantics).String()
		s.RequiredPreStop = secs(probes.RequiredPreStop(ps, w.semantics, w.minSync))
	} else {
		s.Probe = "none (every backend is always up)"
	}
	return s
}

func (w *world) sigtermText() string {
	a := w.app
	var s string
	if a.exitAtSigterm {
		s = "exit immediately"
	} else {
		s = fmt.Sprintf("serve %s, then exit", a.serveFor)
	}
	if a.failReadiness {
		s += "; readiness fails"
	}
	if a.gracefulClose {
		s += "; graceful close (Connection: close)"
	} else {
		s += "; connections cut at exit"
	}
	return s
}

func (r *recorder) windows() []FailureWindow {
	keys := make([]int64, 0, len(r.failBucket))
	for k := range r.failBucket {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := []FailureWindow{}
	var cur *FailureWindow
	var counts [numCauses]int64
	var last time.Duration
	nodes := map[string]int64{}
	flush := func() {
		if cur == nil {
			return
		}
		cur.End = secs(last)
		cur.Failures = failuresOf(counts)
		cur.Failed = cur.Failures.total()
		names := make([]string, 0, len(nodes))
		for n := range nodes {
			names = append(names, n)
		}
		sort.Strings(names)
		cur.Nodes = []NodeFailures{}
		for _, n := range names {
			cur.Nodes = append(cur.Nodes, NodeFailures{Node: n, Failed: nodes[n]})
		}
		out = append(out, *cur)
		cur, counts, nodes = nil, [numCauses]int64{}, map[string]int64{}
	}
	for _, k := range keys {
		fb := r.failBucket[k]
		if cur != nil && fb.first-last > windowGap {
			flush()
		}
		if cur == nil {
			cur = &FailureWindow{Start: secs(fb.first)}
		}
		for c := range counts {
			counts[c] += fb.counts[c]
		}
		for n, v := range fb.nodes {
			nodes[n] += v
		}
		last = max(last, fb.last)
	}
	flush()
	return out
}

func (r *recorder) detection() Detection {
	d := Detection{Events: append([]DetectionEvent{}, r.detections...)}
	summarise := func(dir string) DetectionSummary {
		var s DetectionSummary
		var sum Seconds
		for _, e := range r.detections {
			if e.Direction != dir {
				continue
			}
			s.Count++
			sum += e.Delay
			if s.Min == nil || e.Delay < *s.Min {
				s.Min = ptrSeconds(e.Delay)
			}
			if s.Max == nil || e.Delay > *s.Max {
				s.Max = ptrSeconds(e.Delay)
			}
		}
		if s.Count > 0 {
			s.Mean = ptrSeconds(sum / Seconds(s.Count))
		}
		return s
	}
	d.Down, d.Up = summarise("down"), summarise("up")
	return d
}

func (r *recorder) sourceSummary(clients int) SourceAddresses {
	addrs := make([]netip.Addr, 0, len(r.sources))
	for a := range r.sources {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	s := SourceAddresses{ClientAddressKept: r.kept, SNATed: r.snat, ForwardedToOtherNode: r.forwarded, DistinctSeen: len(addrs), Clients: clients, Examples: []string{}}
	for i := 0; i < len(addrs) && i < 5; i++ {
		s.Examples = append(s.Examples, addrs[i].String())
	}
	return s
}

func (r *recorder) timeline(w *world) Timeline {
	t := Timeline{Bucket: secs(r.bucket), Events: append([]Event{}, r.events...)}
	for b := range r.buckets {
		sb := r.series[b]
		t.Times = append(t.Times, secs(time.Duration(b)*r.bucket))
		t.Requests = append(t.Requests, sb.requests)
		t.Served = append(t.Served, sb.served)
		t.Refused = append(t.Refused, sb.failed[causeRefused])
		t.NoHealthyBackend = append(t.NoHealthyBackend, sb.failed[causeNoHealthy])
		t.Reset = append(t.Reset, sb.failed[causeReset])
		t.Timeout = append(t.Timeout, sb.failed[causeTimeout])
	}
	t.Nodes = []NodeTimeline{}
	for _, n := range w.nodes {
		s := r.samples[n.idx]
		ns := r.nodeStats[n.idx]
		nt := NodeTimeline{Name: n.name, Probe: s.probe, Health: s.health, LocalReady: s.ready, LocalServing: s.serving}
		for _, b := range ns.buckets {
			nt.Served = append(nt.Served, b.served)
			nt.Failed = append(nt.Failed, b.failed)
		}
		t.Nodes = append(t.Nodes, nt)
	}
	return t
}
