package sim

import (
	"net/netip"
	"time"
)

// pod is one pod and what its kubelet does with it: start-up, readiness probes, and the termination
// sequence of SEMANTICS.md 3 (deletion, preStop, SIGTERM, the app's reaction, SIGKILL).
type pod struct {
	idx    int
	name   string
	rev    *revision
	order  int
	labels map[string]string
	node   *node

	created, scheduled, started, listenAt time.Time
	running                               bool // the container has started (phase Running)
	ip                                    netip.Addr

	ready      bool
	readySince time.Time
	okRun      int32 // consecutive readiness successes
	failRun    int32 // consecutive readiness failures

	deleting  bool
	deletedAt time.Time
	sigterm   bool
	killAt    time.Time
	exited    bool
	exitedAt  time.Time
	gone      bool // the object is deleted: no endpoint
	goneAt    time.Time
	vanished  bool // its node's VM is gone: nothing answers
	evicted   bool

	inflight []inflight
	conns    []*conn
}

// inflight is a request the app is answering.
type inflight struct {
	req  reqRef
	done time.Time
}

// active: counted by controllers (not being deleted, not gone).
func (p *pod) active() bool { return !p.deleting && !p.gone }

// listening: the app accepts connections.
func (p *pod) listening(now time.Time) bool {
	return p.running && !p.exited && !p.vanished && !now.Before(p.listenAt)
}

// readinessPasses is what the readiness endpoint answers now.
func (p *pod) readinessPasses(w *world, now time.Time) bool {
	return p.listening(now) && !(p.sigterm && w.app.failReadiness)
}

// available: Ready for minReadySeconds and not being deleted.
func (p *pod) available(w *world, now time.Time) bool {
	return p.active() && p.ready && !now.Before(p.readySince.Add(w.in.Workload.MinReadySeconds()))
}

// bind places the pod on a node; its container starts after the start delay.
func (w *world) bind(p *pod, n *node) {
	p.node = n
	p.scheduled = w.now()
	w.rec.podEvent(w, p, "Scheduled", "on "+n.name)
	w.loop.After(w.app.containerStart, func() { w.startContainer(p) })
}

func (w *world) startContainer(p *pod) {
	if p.gone || p.deleting || p.vanished {
		return
	}
	now := w.now()
	p.running, p.started = true, now
	p.listenAt = now.Add(w.app.startup)
	p.ip = podAddress(p)
	w.rec.podEvent(w, p, "Started", "")
	w.endpointsChanged()
	w.ctrl.markDirty()
	pr := w.app.readiness
	if pr == nil {
		w.setReady(p, true)
		return
	}
	// kubelet's prober ticks every periodSeconds from the container's start and skips ticks before
	// initialDelaySeconds.
	period := time.Duration(max(pr.PeriodSeconds, 1)) * time.Second
	delay := time.Duration(max(pr.InitialDelaySeconds, 0)) * time.Second
	first := time.Duration(0)
	for first < delay {
		first += period
	}
	w.loop.After(first, func() { w.probeReadiness(p, period) })
}

func (w *world) probeReadiness(p *pod, period time.Duration) {
	if p.gone || p.exited || p.vanished {
		return
	}
	pr := w.app.readiness
	now := w.now()
	if p.readinessPasses(w, now) {
		p.failRun = 0
		p.okRun++
		if !p.ready && p.okRun >= max(pr.SuccessThreshold, 1) {
			w.setReady(p, true)
		}
	} else {
		p.okRun = 0
		p.failRun++
		if p.ready && p.failRun >= max(pr.FailureThreshold, 1) {
			w.setReady(p, false)
		}
	}
	w.loop.After(period, func() { w.probeReadiness(p, period) })
}

func (w *world) setReady(p *pod, ready bool) {
	if p.ready == ready {
		return
	}
	p.ready = ready
	if ready {
		p.readySince = w.now()
		w.rec.podEvent(w, p, "Ready", "")
		if d := w.in.Workload.MinReadySeconds(); d > 0 {
			w.loop.After(d, w.ctrl.markDirty) // it becomes available then
		}
	} else {
		w.rec.podEvent(w, p, "NotReady", "")
	}
	w.endpointsChanged()
	w.ctrl.markDirty()
}

// deletePod starts a graceful deletion (SEMANTICS.md 3): the grace countdown starts now, before
// preStop; preStop runs (bounded by the grace period), then SIGTERM; SIGKILL at the end of the grace
// period, and at least 2 s after preStop.
func (w *world) deletePod(p *pod, reason string) {
	if p.deleting || p.gone {
		return
	}
	now := w.now()
	p.deleting, p.deletedAt = true, now
	w.rec.podEvent(w, p, "Deleting", reason)
	if !p.running {
		// Not started: nothing to stop.
		w.removePod(p)
		return
	}
	grace := w.app.grace
	preStop := min(w.app.preStop, grace)
	p.killAt = now.Add(max(grace, preStop+2*time.Second))
	w.endpointsChanged()
	w.ctrl.markDirty()
	w.loop.After(preStop, func() { w.sendSigterm(p) })
	w.loop.At(p.killAt, func() { w.exitPod(p, true) })
}

func (w *world) sendSigterm(p *pod) {
	if p.exited || p.vanished {
		return
	}
	now := w.now()
	p.sigterm = true
	w.rec.podEvent(w, p, "SIGTERM", "")
	if w.app.gracefulClose {
		w.closeIdleConns(p, now)
	}
	if w.app.exitAtSigterm {
		w.exitPod(p, false)
		return
	}
	w.loop.At(minTime(now.Add(w.app.serveFor), p.killAt), func() { w.exitPod(p, false) })
}

// exitPod ends the process: at the app's own exit (graceful close waits for requests in flight, up to
// SIGKILL) or at SIGKILL (forced). In-flight requests are cut, kept-alive connections die, and the
// kubelet deletes the pod.
func (w *world) exitPod(p *pod, forced bool) {
	if p.exited || p.vanished {
		return
	}
	now := w.now()
	if !forced && w.app.gracefulClose {
		last := now
		for _, f := range p.inflight {
			if f.done.After(last) {
				last = f.done
			}
		}
		if last.After(now) {
			w.loop.At(minTime(last, p.killAt), func() { w.exitPod(p, !last.Before(p.killAt)) })
			return
		}
	}
	p.exited, p.exitedAt = true, now
	how := "exited"
	if forced {
		how = "SIGKILL"
	}
	w.rec.podEvent(w, p, "Exited", how)
	for _, f := range p.inflight {
		if f.done.After(now) {
			w.rec.reclassify(f.req, causeReset)
		}
	}
	p.inflight = nil
	graceful := w.app.gracefulClose && !forced
	for _, c := range p.conns {
		if graceful {
			c.closed = true
		} else {
			c.dead = causeReset
		}
	}
	p.conns = nil
	p.ready = false
	w.removePod(p)
}

// removePod deletes the pod object: its endpoint goes at once.
func (w *world) removePod(p *pod) {
	if p.gone {
		return
	}
	p.gone, p.goneAt = true, w.now()
	p.ready = false
	w.rec.podEvent(w, p, "Deleted", "")
	w.endpointsChanged()
	w.ctrl.markDirty()
}

// vanish: the pod's node and VM are gone; nothing it was doing answers any more.
func (w *world) vanish(p *pod) {
	if p.vanished || p.gone && p.exited {
		return
	}
	p.vanished = true
	now := w.now()
	for _, f := range p.inflight {
		if f.done.After(now) {
			w.rec.reclassify(f.req, causeTimeout)
		}
	}
	p.inflight = nil
	for _, c := range p.conns {
		c.dead = causeTimeout
	}
	p.conns = nil
	p.exited, p.exitedAt, p.deleting = true, now, true
	w.removePod(p)
}

func (w *world) closeIdleConns(p *pod, now time.Time) {
	kept := p.conns[:0]
	for _, c := range p.conns {
		if !c.busyUntil.After(now) {
			c.closed = true // the server closes it; the client drops it silently
			continue
		}
		c.closeAfter = true
		kept = append(kept, c)
	}
	p.conns = kept
}

func (p *pod) addInflight(now, done time.Time, r reqRef) {
	kept := p.inflight[:0]
	for _, f := range p.inflight {
		if f.done.After(now) {
			kept = append(kept, f)
		}
	}
	kept = append(kept, inflight{req: r, done: done})
	p.inflight = kept
}

// podAddress is the pod's IP: 10.244.<node index>.<pod index>, as a cluster's pod CIDR would give.
func podAddress(p *pod) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(244 + p.node.idx/256), byte(p.node.idx % 256), byte(2 + p.idx%250)})
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
