package dataplane

import (
	"fmt"

	"github.com/azlb/azlb/pkg/probes"
)

// OutcomeKind is what a probe saw.
type OutcomeKind int

// Probe outcomes.
const (
	// Answered: the connection was accepted and, for Http/Https, a status came back.
	Answered OutcomeKind = iota
	// Refused: the connection was refused (nothing listening).
	Refused
	// Reset: the connection was reset, or the answer was not HTTP.
	Reset
	// TimedOut: no answer within the probe's timeout.
	TimedOut
)

// String names the outcome kind.
func (k OutcomeKind) String() string {
	switch k {
	case Answered:
		return "answered"
	case Refused:
		return "refused"
	case Reset:
		return "reset"
	case TimedOut:
		return "timeout"
	}
	return fmt.Sprintf("OutcomeKind(%d)", int(k))
}

// Outcome is one probe's result as seen on the wire.
type Outcome struct {
	Kind   OutcomeKind
	Status int // the HTTP status when Kind is Answered (ignored by Tcp probes)
}

// String formats the outcome, e.g. "200", "503", "refused".
func (o Outcome) String() string {
	if o.Kind == Answered {
		if o.Status == 0 {
			return "accepted"
		}
		return fmt.Sprint(o.Status)
	}
	return o.Kind.String()
}

// Failure maps the outcome to pkg/probes' failure kinds; ok is true when the probe succeeded.
// A Tcp probe succeeds whenever the connection is accepted, whatever the status (SEMANTICS.md 1).
func (o Outcome) Failure(protocol probes.Protocol) (f probes.Failure, ok bool) {
	switch o.Kind {
	case Answered:
		if protocol == probes.ProtocolTCP || o.Status == 200 {
			return 0, true
		}
		return probes.FailureStatus, false
	case Refused, Reset:
		return probes.FailureRefused, false
	}
	return probes.FailureTimeout, false
}

// health is the probe state machine of one (probe, backend address). It is a pure value: observe
// returns the next state.
//
// Rules (SEMANTICS.md 1, Azure's health probe documentation):
//   - SemanticsAzure: an explicit Http/Https answer (a status, a refused or reset connection) marks the
//     backend down at once when it is not a 200 and up at once when it is; probes that time out, and
//     every Tcp result, count toward probeThreshold consecutive results (down after N consecutive
//     failures, up after N consecutive successes).
//   - SemanticsThreshold: every result counts toward probeThreshold, both ways.
//
// A new backend starts down (Up false) with no results: Azure does not document the initial state,
// and sending no new flows to a backend before it has answered a probe is the safe reading (it is
// what probeThreshold's REST description, "require the same number of successful consecutive probes
// to be placed back in rotation", implies for a backend never seen up). The first 200 of an Http
// probe under SemanticsAzure marks it up; otherwise it takes probeThreshold successes, the same
// window as probes.MarkUp.
type health struct {
	Up        bool
	Successes int32 // consecutive successes counted toward the threshold
	Failures  int32 // consecutive failures counted toward the threshold
}

// observe applies one result.
func (h health) observe(s probes.Settings, sem probes.Semantics, o Outcome) health {
	f, ok := o.Failure(s.Protocol)
	explicit := (s.Protocol == probes.ProtocolHTTP || s.Protocol == probes.ProtocolHTTPS) && (ok || f != probes.FailureTimeout)
	if sem != probes.SemanticsThreshold && explicit {
		return health{Up: ok}
	}
	n := max(s.Threshold, 1)
	if ok {
		h.Failures = 0
		h.Successes = min(h.Successes+1, n)
		if h.Successes >= n {
			h.Up = true
		}
		return h
	}
	h.Successes = 0
	h.Failures = min(h.Failures+1, n)
	if h.Failures >= n {
		h.Up = false
	}
	return h
}
