package dataplane

import (
	"fmt"
	"testing"
	"time"

	"github.com/azlb/azlb/pkg/probes"
)

// detect runs one backend whose probe answers `before` until the change at offset after the first
// scheduled probe following warm-up, and `after` once strictly later, and returns how long after the
// change the machine marked it wantUp (or false when it never did within horizon).
func detect(t *testing.T, s probes.Settings, sem probes.Semantics, before, after Outcome, wantUp bool, offset time.Duration) (time.Duration, bool) {
	t.Helper()
	loop := newEventLoop()
	m := New(Options{Seed: 7, Semantics: sem})
	backend := addr("10.0.0.4")
	var change time.Time
	w := world{backend: func(now time.Time) Outcome {
		if !change.IsZero() && now.After(change) {
			return after
		}
		return before
	}}
	d := NewSyncDriver(m, loop, w.prober(loop.Now))
	var marked time.Time
	d.OnTransition = func(tr Transition) {
		if !change.IsZero() && tr.Up == wantUp && marked.IsZero() {
			marked = tr.At
		}
	}
	spec := lbSpec{frontend: "10.1.0.10", port: 80, backendPort: 80, backends: []string{backend.String()}, probe: &s}
	d.Apply(spec.config())
	interval := time.Duration(s.IntervalSeconds) * time.Second
	loop.runUntil(epoch.Add(interval * time.Duration(s.Threshold+2)))
	if m.Up(probeID, backend) == wantUp {
		t.Fatalf("%s: before the change the backend is already up=%v", s, wantUp)
	}
	next, _ := m.NextProbe()
	change = next.Add(offset)
	loop.runUntil(change.Add(5 * time.Minute))
	if marked.IsZero() {
		return 0, false
	}
	return marked.Sub(change), true
}

// TestMachineAgreesWithTimingMath sweeps the change instant across one probe interval and checks that
// the delays the state machine produces span exactly the windows pkg/probes computes (MarkDown,
// MarkUp): every delay lies in (Min, Max], the worst case reaches Max, and the best comes within one
// sweep step of Min.
func TestMachineAgreesWithTimingMath(t *testing.T) {
	ok200 := Outcome{Kind: Answered, Status: 200}
	accepted := Outcome{Kind: Answered}
	failures := map[probes.Failure]Outcome{
		probes.FailureStatus:  {Kind: Answered, Status: 503},
		probes.FailureRefused: {Kind: Refused},
		probes.FailureTimeout: {Kind: TimedOut},
	}
	type tcase struct {
		s   probes.Settings
		sem probes.Semantics
	}
	var cases []tcase
	for _, s := range []probes.Settings{*httpProbe(5, 2), *httpProbe(10, 3), *httpProbe(40, 2), *tcpProbe(5, 2), *tcpProbe(15, 3)} {
		for _, sem := range []probes.Semantics{probes.SemanticsAzure, probes.SemanticsThreshold} {
			cases = append(cases, tcase{s, sem})
		}
	}
	for _, tc := range cases {
		up := ok200
		if tc.s.Protocol == probes.ProtocolTCP {
			up = accepted
		}
		interval := time.Duration(tc.s.IntervalSeconds) * time.Second
		step := interval / 20
		sweep := func(t *testing.T, before, after Outcome, wantUp bool, w probes.Window) {
			lo, hi := time.Duration(1<<62), time.Duration(0)
			for off := time.Duration(0); off < interval; off += step {
				d, ok := detect(t, tc.s, tc.sem, before, after, wantUp, off)
				if w.Never() {
					if ok {
						t.Fatalf("offset %v: marked after %v, want never", off, d)
					}
					continue
				}
				if !ok {
					t.Fatalf("offset %v: never marked, want within %v", off, w)
				}
				if d <= w.Min || d > w.Max {
					t.Errorf("offset %v: marked after %v, outside (%v, %v]", off, d, w.Min, w.Max)
				}
				lo, hi = min(lo, d), max(hi, d)
			}
			if w.Never() {
				return
			}
			if hi != w.Max {
				t.Errorf("worst case %v, want %v", hi, w.Max)
			}
			if lo > w.Min+step {
				t.Errorf("best case %v, want within %v of %v", lo, step, w.Min)
			}
		}
		for f, out := range failures {
			t.Run(fmt.Sprintf("down/%s/%s/%s", tc.s, tc.sem, f), func(t *testing.T) {
				sweep(t, up, out, false, probes.MarkDown(tc.s, tc.sem, f))
			})
		}
		t.Run(fmt.Sprintf("up/%s/%s", tc.s, tc.sem), func(t *testing.T) {
			down := failures[probes.FailureStatus]
			if tc.s.Protocol == probes.ProtocolTCP {
				down = failures[probes.FailureRefused] // a Tcp probe cannot see a status
			}
			sweep(t, down, up, true, probes.MarkUp(tc.s, tc.sem))
		})
	}
}

// TestDefaultDetectionWindow is the seeds' claim in numbers: with the default 5 s x 2 Http probe on
// the health check node port, a node whose health check turns 503 is out of rotation within 5 s under
// Azure's documented semantics and within 10 s when every result counts (seed 001: "up to 10 sec").
func TestDefaultDetectionWindow(t *testing.T) {
	s := *httpProbe(probes.DefaultIntervalSeconds, probes.DefaultThreshold)
	for _, tc := range []struct {
		sem  probes.Semantics
		want time.Duration
	}{{probes.SemanticsAzure, 5 * time.Second}, {probes.SemanticsThreshold, 10 * time.Second}} {
		worst := time.Duration(0)
		for off := time.Duration(0); off < 5*time.Second; off += 250 * time.Millisecond {
			d, ok := detect(t, s, tc.sem, Outcome{Kind: Answered, Status: 200}, Outcome{Kind: Answered, Status: 503}, false, off)
			must(t, ok, "%s: never marked down", tc.sem)
			worst = max(worst, d)
		}
		if worst != tc.want {
			t.Errorf("%s: worst detection %v, want %v", tc.sem, worst, tc.want)
		}
	}
}
