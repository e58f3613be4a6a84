package probes

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Timing math. Notation: I = interval, N = threshold, T = ProbeTimeout = min(30s, I).
//
// The probe schedule's phase is unknown: the first probe after a change is sent anywhere in (0, I] after
// it, and the next ones every I. An explicit answer (a status, a refused or reset connection, an accepted
// connection) is known when the probe is sent (round trips are neglected); a probe that gets no answer
// is known to have failed T after it was sent. A Window's Min is the infimum over the phase (the first
// probe right after the change), its Max the worst case (the first probe a full interval later).
// The slower re-admission of a flapping backend that Azure documents has no published formula and is
// not modelled.

// Semantics is how the load balancer counts probe results.
type Semantics string

const (
	// SemanticsAzure is Azure's documented behaviour: an explicit HTTP/HTTPS answer (non-200 status,
	// refused, reset) marks down at once and a 200 marks up at once; probes that time out, and all Tcp
	// probe results, count toward probeThreshold consecutive results.
	SemanticsAzure Semantics = "azure"
	// SemanticsThreshold is the reading of the AKS article (seed 001): every result, explicit or not,
	// counts toward probeThreshold consecutive results, both down and up.
	SemanticsThreshold Semantics = "threshold"
)

// ParseSemantics parses a semantics name: "" means azure; the match is case-insensitive; anything else
// is an error naming the allowed values.
func ParseSemantics(s string) (Semantics, error) {
	v := strings.TrimSpace(s)
	switch {
	case v == "" || strings.EqualFold(v, string(SemanticsAzure)):
		return SemanticsAzure, nil
	case strings.EqualFold(v, string(SemanticsThreshold)):
		return SemanticsThreshold, nil
	}
	return "", fmt.Errorf("probe semantics %q is not supported: use %q (Azure's documented behaviour, the default) or %q (every result counts toward the threshold)", s, SemanticsAzure, SemanticsThreshold)
}

// Failure is how a backend's health check fails.
type Failure int

// Failures.
const (
	FailureStatus  Failure = iota // non-200 answer
	FailureRefused                // connection refused or reset
	FailureTimeout                // no answer
)

// String returns the failure's name.
func (f Failure) String() string {
	switch f {
	case FailureStatus:
		return "status"
	case FailureRefused:
		return "refused"
	case FailureTimeout:
		return "timeout"
	}
	return fmt.Sprintf("Failure(%d)", int(f))
}

// Never is the Window bound of a change the probe cannot see: a Tcp probe accepts a connection whatever
// HTTP status the backend would answer, so FailureStatus never marks a Tcp probe down.
const Never = time.Duration(math.MaxInt64)

// Window is a span of possible delays over the unknown phase of the probe schedule: the first probe after
// the change can come anywhere in (0, interval].
type Window struct{ Min, Max time.Duration }

// Never reports whether the change is never detected.
func (w Window) Never() bool { return w.Max == Never }

// String formats the window, e.g. "[5s, 10s]" or "never".
func (w Window) String() string {
	if w.Never() {
		return "never"
	}
	return fmt.Sprintf("[%s, %s]", w.Min, w.Max)
}

// ProbeTimeout is how long a probe waits for an answer: T = min(30s, I).
func ProbeTimeout(s Settings) time.Duration {
	return min(30*time.Second, interval(s))
}

func interval(s Settings) time.Duration {
	return time.Duration(max(s.IntervalSeconds, 0)) * time.Second
}

func threshold(s Settings) time.Duration {
	return time.Duration(max(s.Threshold, 1))
}

// explicitAnswers: Http and Https probes see a status; Tcp probes only whether a connection is accepted.
func explicitAnswers(s Settings) bool {
	return s.Protocol == ProtocolHTTP || s.Protocol == ProtocolHTTPS
}

// consecutive is the window of N consecutive results each known d after its probe was sent:
// [(N-1)I + d, NI + d].
func consecutive(s Settings, d time.Duration) Window {
	i, n := interval(s), threshold(s)
	return Window{Min: (n-1)*i + d, Max: n*i + d}
}

// MarkDown: from the moment the backend's health check starts failing until the LB stops sending new flows.
//
//   - FailureTimeout, any protocol, both semantics: N consecutive timeouts: [(N-1)I + T, NI + T].
//   - Tcp with FailureStatus: never (the connection is accepted): Window{Never, Never}.
//   - Tcp with FailureRefused, both semantics: N consecutive refusals: [(N-1)I, NI].
//   - Http/Https with FailureStatus or FailureRefused: SemanticsAzure marks down on the first answer: [0, I];
//     SemanticsThreshold needs N of them: [(N-1)I, NI].
//
// With the default 5s x 2 an Http probe seeing 503 marks down within 5s under SemanticsAzure and within
// 10s under SemanticsThreshold.
func MarkDown(s Settings, sem Semantics, f Failure) Window {
	switch {
	case f == FailureTimeout:
		return consecutive(s, ProbeTimeout(s))
	case !explicitAnswers(s) && f == FailureStatus:
		return Window{Min: Never, Max: Never}
	case explicitAnswers(s) && sem != SemanticsThreshold:
		return Window{Min: 0, Max: interval(s)}
	}
	return consecutive(s, 0)
}

// MarkUp: from the moment the health check answers 200 (or accepts, for Tcp) until new flows arrive.
//
//   - Http/Https under SemanticsAzure: the first 200 marks up: [0, I].
//   - Tcp (both semantics), and Http/Https under SemanticsThreshold: N consecutive successes: [(N-1)I, NI].
func MarkUp(s Settings, sem Semantics) Window {
	if explicitAnswers(s) && sem != SemanticsThreshold {
		return Window{Min: 0, Max: interval(s)}
	}
	return consecutive(s, 0)
}

// RequiredPreStop: the shortest preStop delay that keeps a terminating pod serving until the LB has marked
// its node down: kube-proxy's sync delay (health check turns 503 at its next sync) + MarkDown(...).Max for
// the failure the probe sees (Http/Https: FailureStatus; Tcp: FailureRefused):
// proxySync + I (Http/Https, SemanticsAzure), proxySync + NI otherwise.
func RequiredPreStop(s Settings, sem Semantics, proxySync time.Duration) time.Duration {
	f := FailureStatus
	if !explicitAnswers(s) {
		f = FailureRefused
	}
	return max(proxySync, 0) + MarkDown(s, sem, f).Max
}

// RequiredMinReadySeconds: the shortest minReadySeconds that keeps a rollout from removing the old pod before
// the LB sends flows to the new pod's node: proxySync + MarkUp(...).Max, rounded up to whole seconds:
// ceil(proxySync + I) for Http/Https under SemanticsAzure, ceil(proxySync + NI) otherwise.
func RequiredMinReadySeconds(s Settings, sem Semantics, proxySync time.Duration) int32 {
	d := max(proxySync, 0) + MarkUp(s, sem).Max
	secs := (d + time.Second - 1) / time.Second
	return int32(min(secs, math.MaxInt32))
}
