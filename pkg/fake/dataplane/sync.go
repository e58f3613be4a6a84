package dataplane

import (
	"time"

	"k8s.io/utils/clock"
)

// Scheduler is a virtual clock that runs callbacks at given instants, one at a time, in order: the
// event loop of a discrete-event simulation. At must not run fn before returning.
type Scheduler interface {
	clock.PassiveClock
	At(t time.Time, fn func())
}

// SyncProber answers a probe at once, from the simulated world, as it would be answered at the
// scheduler's current time.
type SyncProber func(ProbeRequest) Outcome

// SyncDriver drives a Machine on a Scheduler with a synchronous prober: the simulator's driver. Each
// probe is sent at its scheduled instant; an explicit answer is reported at once, a timeout Timeout
// later (SEMANTICS.md 1), as Azure would know them.
type SyncDriver struct {
	m      *Machine
	sched  Scheduler
	prober SyncProber
	// OnTransition, when set, is called for every backend marked up or down.
	OnTransition func(Transition)
	// OnProbe, when set, is called for every probe sent with its outcome.
	OnProbe func(ProbeRequest, Outcome)

	wakeAt time.Time // the earliest wake-up scheduled; zero when none
}

// NewSyncDriver returns a driver for m; call Apply to load a configuration.
func NewSyncDriver(m *Machine, sched Scheduler, prober SyncProber) *SyncDriver {
	return &SyncDriver{m: m, sched: sched, prober: prober}
}

// Machine returns the driven machine (to place flows).
func (d *SyncDriver) Machine() *Machine { return d.m }

// Apply loads a configuration now and schedules the probes it needs.
func (d *SyncDriver) Apply(cfg Config) {
	d.m.Apply(cfg, d.sched.Now())
	d.arm()
}

func (d *SyncDriver) arm() {
	next, ok := d.m.NextProbe()
	if !ok {
		return
	}
	if !d.wakeAt.IsZero() && !next.Before(d.wakeAt) {
		return // an earlier or equal wake-up is already scheduled
	}
	d.wakeAt = next
	d.sched.At(next, func() { d.wake(next) })
}

func (d *SyncDriver) wake(at time.Time) {
	if d.wakeAt.Equal(at) {
		d.wakeAt = time.Time{}
	}
	now := d.sched.Now()
	for _, req := range d.m.DueProbes(now) {
		out := d.prober(req)
		if d.OnProbe != nil {
			d.OnProbe(req, out)
		}
		if out.Kind == TimedOut {
			req := req
			d.sched.At(req.SentAt.Add(req.Timeout), func() { d.report(req, out) })
			continue
		}
		d.report(req, out)
	}
	d.arm()
}

func (d *SyncDriver) report(req ProbeRequest, out Outcome) {
	if tr, changed := d.m.Report(req, out, d.sched.Now()); changed && d.OnTransition != nil {
		d.OnTransition(tr)
	}
}
