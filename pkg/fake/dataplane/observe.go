package dataplane

import (
	"net/netip"
	"sort"
	"time"
)

// BackendStatus is what the data plane knows of one (probe, backend address).
type BackendStatus struct {
	ProbeID     string     `json:"probeId"`
	Probe       string     `json:"probe"`
	Backend     netip.Addr `json:"backend"`
	Up          bool       `json:"up"`
	Probed      bool       `json:"probed"`                // at least one result reported
	LastOutcome string     `json:"lastOutcome,omitempty"` // "200", "503", "refused", "reset", "timeout", "accepted"
	Successes   int32      `json:"successes"`             // consecutive, toward the threshold
	Failures    int32      `json:"failures"`              // consecutive, toward the threshold
	Transitions int        `json:"transitions"`
	LastChange  time.Time  `json:"lastChange,omitzero"`
	NextProbe   time.Time  `json:"nextProbe"`
}

// Backends returns the state of every (probe, backend address), sorted by probe then address.
func (m *Machine) Backends() []BackendStatus {
	out := make([]BackendStatus, 0, len(m.slots))
	for _, s := range m.slots {
		st := BackendStatus{
			ProbeID: s.probe.ID, Probe: s.probe.Name, Backend: s.key.backend, Up: s.h.Up, Probed: s.probed,
			Successes: s.h.Successes, Failures: s.h.Failures, Transitions: s.transitions,
			LastChange: s.lastChange, NextProbe: s.next,
		}
		if s.probed {
			st.LastOutcome = s.last.String()
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ProbeID != out[j].ProbeID {
			return out[i].ProbeID < out[j].ProbeID
		}
		return out[i].Backend.Less(out[j].Backend)
	})
	return out
}
