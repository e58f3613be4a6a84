package dataplane

import (
	"fmt"
	"net/netip"
	"time"
)

// FiveTuple identifies a flow: client address and port, frontend address and port, protocol.
type FiveTuple struct {
	Client   netip.AddrPort
	Frontend netip.AddrPort
	Protocol Protocol // ProtocolTCP or ProtocolUDP
}

// String formats the flow, e.g. "Tcp 198.18.0.1:40000->127.0.2.1:80".
func (t FiveTuple) String() string {
	return fmt.Sprintf("%s %s->%s", t.Protocol, t.Client, t.Frontend)
}

// hash is the flow's placement hash under a rule's distribution (SEMANTICS.md 1: Default is a
// 5-tuple hash; SourceIP uses client and frontend addresses; SourceIPProtocol adds the protocol).
func (t FiveTuple) hash(seed uint64, d Distribution) uint64 {
	h := newHasher(seed).addr(t.Client.Addr()).addr(t.Frontend.Addr())
	switch d {
	case DistributionSourceIP:
	case DistributionSourceIPProtocol:
		h = h.str(string(t.Protocol))
	default:
		h = h.str(string(t.Protocol)).u64(uint64(t.Client.Port())<<16 | uint64(t.Frontend.Port()))
	}
	return h.sum()
}

// Reason says how a flow was (or was not) placed.
type Reason int

// Placement reasons.
const (
	// PlacedNew: a new flow hashed over the healthy backends.
	PlacedNew Reason = iota
	// PlacedEstablished: a known flow stays on its backend, whatever the probes say now.
	PlacedEstablished
	// PlacedAllProbedUp: every backend is down and the probe says AllProbedUp: hashed over all.
	PlacedAllProbedUp
	// NoRule: no rule listens on the frontend address, port and protocol.
	NoRule
	// NoHealthyBackend: every backend is down (AllProbedDown) or the pool is empty: not admitted.
	NoHealthyBackend
)

// String names the reason.
func (r Reason) String() string {
	switch r {
	case PlacedNew:
		return "new"
	case PlacedEstablished:
		return "established"
	case PlacedAllProbedUp:
		return "allProbedUp"
	case NoRule:
		return "noRule"
	case NoHealthyBackend:
		return "noHealthyBackend"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Decision is where a flow goes.
type Decision struct {
	Reason  Reason
	RuleID  string
	Backend netip.AddrPort // the backend address and the port to forward to; zero when not admitted
	// FloatingIP: the backend receives the packet addressed to the frontend (floating IP) rather
	// than to its own address.
	FloatingIP bool
	// IdleTimeout and TCPReset are the rule's: an idle flow is forgotten after IdleTimeout, with a
	// reset sent both ways when TCPReset.
	IdleTimeout time.Duration
	TCPReset    bool
}

// Admitted reports whether the flow goes to a backend.
func (d Decision) Admitted() bool {
	return d.Reason == PlacedNew || d.Reason == PlacedEstablished || d.Reason == PlacedAllProbedUp
}
