package dataplane

import (
	"container/heap"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/azlb/azlb/pkg/probes"
)

// Options configure a Machine.
type Options struct {
	// Seed fixes the probe phases and the flow hash: the same seed places the same flows on the same
	// backends.
	Seed uint64
	// Semantics is how probe results count; "" is probes.SemanticsAzure.
	Semantics probes.Semantics
}

// Machine is the load balancer's data plane as a deterministic state machine, after etcd's raft: it
// does no I/O and reads no clock. Drivers tell it the time, send the probes it asks for and report
// their outcomes, and ask it where flows go. It is not safe for concurrent use; drivers serialise.
type Machine struct {
	opts   Options
	cfg    Config
	probes map[string]*Probe
	rules  []*ruleState
	listen map[listenKey][]*ruleState
	slots  map[slotKey]*slot
	queue  slotQueue
	flows  map[FiveTuple]flowEntry
	gen    uint64 // changes whenever a backend's health or the configuration changes
}

type listenKey struct {
	addr  netip.Addr
	port  uint16
	proto Protocol
}

type slotKey struct {
	probe   string
	backend netip.Addr
}

// slot is one (probe, backend address): its state machine and its place in the probe schedule.
type slot struct {
	key         slotKey
	probe       *Probe
	phase       time.Duration
	next        time.Time
	index       int
	h           health
	probed      bool
	last        Outcome
	transitions int
	lastChange  time.Time
}

type ruleState struct {
	rule     Rule
	probe    *Probe
	slots    []*slot // per backend, parallel to rule.Backends; nil entries without a probe
	cacheGen uint64
	healthy  []int // indexes of the backends that take new flows, valid while cacheGen == Machine.gen
}

type flowEntry struct {
	rule    *ruleState
	backend netip.AddrPort
	last    time.Time
}

// New returns a machine with no configuration: it admits nothing until Apply.
func New(opts Options) *Machine {
	if opts.Semantics == "" {
		opts.Semantics = probes.SemanticsAzure
	}
	return &Machine{
		opts:   opts,
		probes: map[string]*Probe{},
		listen: map[listenKey][]*ruleState{},
		slots:  map[slotKey]*slot{},
		flows:  map[FiveTuple]flowEntry{},
	}
}

// Config returns the configuration in force.
func (m *Machine) Config() Config { return m.cfg }

// Apply replaces the configuration at now. The probe state of every (probe, backend address) that
// stays is kept, with its schedule; new ones start down (see health) and are first probed within
// one interval. Established flows whose rule and backend remain keep their backend; the others are
// forgotten (their next packet is placed as a new flow).
func (m *Machine) Apply(cfg Config, now time.Time) {
	m.cfg = cfg
	m.gen++
	m.probes = make(map[string]*Probe, len(cfg.Probes))
	for i := range cfg.Probes {
		p := &cfg.Probes[i]
		m.probes[p.ID] = p
	}
	old := m.slots
	m.slots = map[slotKey]*slot{}
	m.rules = nil
	m.listen = map[listenKey][]*ruleState{}
	for _, r := range cfg.Rules {
		rs := &ruleState{rule: r, probe: m.probes[r.ProbeID], slots: make([]*slot, len(r.Backends))}
		for i, b := range r.Backends {
			if rs.probe == nil {
				continue
			}
			key := slotKey{probe: rs.probe.ID, backend: b.Addr}
			s := m.slots[key]
			if s == nil {
				s = old[key]
				if s == nil {
					s = &slot{key: key, h: health{}}
				}
				m.schedule(s, rs.probe, now)
				m.slots[key] = s
			}
			rs.slots[i] = s
		}
		m.rules = append(m.rules, rs)
		protos := []Protocol{r.Protocol}
		if r.Protocol == ProtocolAll {
			protos = []Protocol{ProtocolTCP, ProtocolUDP}
		}
		for _, p := range protos {
			k := listenKey{addr: r.Frontend, port: r.FrontendPort, proto: p}
			m.listen[k] = append(m.listen[k], rs)
		}
	}
	m.queue = m.queue[:0]
	keys := make([]slotKey, 0, len(m.slots))
	for k := range m.slots {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	for _, k := range keys {
		s := m.slots[k]
		s.index = len(m.queue)
		m.queue = append(m.queue, s)
	}
	heap.Init(&m.queue)
	// Keep established flows whose rule and backend are still there.
	for t, f := range m.flows {
		rs := m.ruleFor(t)
		if rs == nil || rs.rule.ID != f.rule.rule.ID || !rs.hasBackend(f.backend.Addr()) {
			delete(m.flows, t)
			continue
		}
		f.rule = rs
		m.flows[t] = f
	}
}

// schedule (re)computes a slot's phase and next probe for probe p; an unchanged interval keeps a
// scheduled probe where it is.
func (m *Machine) schedule(s *slot, p *Probe, now time.Time) {
	interval := p.Interval()
	ph := phase(m.opts.Seed, p.ID, s.key.backend, interval)
	if s.probe == nil || s.probe.Interval() != interval || s.phase != ph || !s.next.After(now) {
		s.next = nextDue(now, interval, ph)
	}
	s.phase = ph
	s.probe = p
}

func (k slotKey) less(o slotKey) bool {
	if k.probe != o.probe {
		return k.probe < o.probe
	}
	return k.backend.Less(o.backend)
}

// ProbeRequest is one probe the driver must send.
type ProbeRequest struct {
	ProbeID   string
	ProbeName string
	Backend   netip.Addr
	Settings  probes.Settings
	SentAt    time.Time     // when the probe is sent (its scheduled instant)
	Timeout   time.Duration // min(30 s, interval): no answer by SentAt+Timeout is TimedOut
}

// Target is the address the probe connects to: the backend address and the probe's port.
func (r ProbeRequest) Target() netip.AddrPort {
	return netip.AddrPortFrom(r.Backend, uint16(max(0, min(65535, r.Settings.Port))))
}

// NextProbe is when the next probe is due (ok false when nothing is probed).
func (m *Machine) NextProbe() (t time.Time, ok bool) {
	if len(m.queue) == 0 {
		return time.Time{}, false
	}
	return m.queue[0].next, true
}

// DueProbes returns the probes due at or before now, in schedule order, and schedules each
// backend's next probe one interval later.
func (m *Machine) DueProbes(now time.Time) []ProbeRequest {
	var out []ProbeRequest
	for len(m.queue) > 0 && !m.queue[0].next.After(now) {
		s := m.queue[0]
		out = append(out, ProbeRequest{
			ProbeID: s.probe.ID, ProbeName: s.probe.Name, Backend: s.key.backend,
			Settings: s.probe.Settings, SentAt: s.next, Timeout: s.probe.Timeout(),
		})
		s.next = s.next.Add(s.probe.Interval())
		if !s.next.After(now) {
			// A driver that fell behind does not send a burst: the missed probes are skipped.
			s.next = nextDue(now, s.probe.Interval(), s.phase)
		}
		heap.Fix(&m.queue, 0)
	}
	return out
}

// Transition is a backend marked up or down by a probe.
type Transition struct {
	ProbeID   string
	ProbeName string
	Backend   netip.Addr
	Up        bool
	At        time.Time
	Outcome   Outcome // the result that tipped it
}

// Report applies a probe's outcome, known at now (SentAt for an explicit answer, SentAt+Timeout for
// a timeout). It returns the transition when the backend changed state. Reports for a (probe,
// backend) that is no longer configured are ignored.
func (m *Machine) Report(req ProbeRequest, out Outcome, now time.Time) (Transition, bool) {
	s := m.slots[slotKey{probe: req.ProbeID, backend: req.Backend}]
	if s == nil {
		return Transition{}, false
	}
	before := s.h.Up
	s.h = s.h.observe(s.probe.Settings, m.opts.Semantics, out)
	s.probed = true
	s.last = out
	if s.h.Up == before {
		return Transition{}, false
	}
	s.transitions++
	s.lastChange = now
	m.gen++
	return Transition{ProbeID: s.probe.ID, ProbeName: s.probe.Name, Backend: s.key.backend, Up: s.h.Up, At: now, Outcome: out}, true
}

// Up reports whether the probe (its ARM ID, any case) currently has the backend up (false when
// unknown).
func (m *Machine) Up(probeID string, backend netip.Addr) bool {
	s := m.slots[slotKey{probe: strings.ToLower(probeID), backend: backend}]
	return s != nil && s.h.Up
}

func (m *Machine) ruleFor(t FiveTuple) *ruleState {
	if rs := m.listen[listenKey{addr: t.Frontend.Addr(), port: t.Frontend.Port(), proto: t.Protocol}]; len(rs) > 0 {
		return rs[0]
	}
	if rs := m.listen[listenKey{addr: t.Frontend.Addr(), port: 0, proto: t.Protocol}]; len(rs) > 0 {
		return rs[0] // HA ports
	}
	return nil
}

func (rs *ruleState) hasBackend(a netip.Addr) bool {
	i := sort.Search(len(rs.rule.Backends), func(i int) bool { return !rs.rule.Backends[i].Addr.Less(a) })
	return i < len(rs.rule.Backends) && rs.rule.Backends[i].Addr == a
}

// healthyBackends are the indexes of the backends that take new flows: admin state Up, or None and
// probed up (every backend when the rule has no probe); never admin state Down.
func (m *Machine) healthyBackends(rs *ruleState) []int {
	if rs.cacheGen == m.gen && rs.healthy != nil {
		return rs.healthy
	}
	rs.healthy = rs.healthy[:0]
	if rs.healthy == nil {
		rs.healthy = make([]int, 0, len(rs.rule.Backends))
	}
	for i, b := range rs.rule.Backends {
		switch {
		case b.Admin == AdminDown:
		case b.Admin == AdminUp, rs.slots[i] == nil, rs.slots[i].h.Up:
			rs.healthy = append(rs.healthy, i)
		}
	}
	rs.cacheGen = m.gen
	return rs.healthy
}

// Place chooses the backend of a new flow without remembering it. A connection that carries one
// request and closes is placed this way: nothing the load balancer learns meanwhile can move it.
func (m *Machine) Place(t FiveTuple) Decision {
	rs := m.ruleFor(t)
	if rs == nil {
		return Decision{Reason: NoRule}
	}
	return m.place(rs, t)
}

func (m *Machine) place(rs *ruleState, t FiveTuple) Decision {
	d := rs.decision(PlacedNew)
	candidates := m.healthyBackends(rs)
	if len(candidates) == 0 {
		if rs.probe == nil || !rs.probe.AllProbedUp {
			d.Reason = NoHealthyBackend
			return d
		}
		// SEMANTICS.md 1: with AllProbedUp, when every backend is probed down new flows go to all.
		all := make([]int, 0, len(rs.rule.Backends))
		for i, b := range rs.rule.Backends {
			if b.Admin != AdminDown {
				all = append(all, i)
			}
		}
		if len(all) == 0 {
			d.Reason = NoHealthyBackend
			return d
		}
		candidates = all
		d.Reason = PlacedAllProbedUp
	}
	b := rs.rule.Backends[candidates[t.hash(m.opts.Seed, rs.rule.Distribution)%uint64(len(candidates))]]
	port := rs.rule.BackendPort
	if port == 0 {
		port = t.Frontend.Port()
	}
	d.Backend = netip.AddrPortFrom(b.Addr, port)
	return d
}

// Open places a flow and remembers it: until Close, or until it has been idle longer than the rule's
// idle timeout, the flow stays on its backend even after the probe marks that backend down
// (SEMANTICS.md 1: established TCP flows continue).
func (m *Machine) Open(t FiveTuple, now time.Time) Decision {
	rs := m.ruleFor(t)
	if rs == nil {
		return Decision{Reason: NoRule}
	}
	if f, ok := m.flows[t]; ok {
		if now.Sub(f.last) <= rs.rule.IdleTimeout {
			f.last = now
			m.flows[t] = f
			d := rs.decision(PlacedEstablished)
			d.Backend = f.backend
			return d
		}
		delete(m.flows, t)
	}
	d := m.place(rs, t)
	if d.Admitted() {
		m.flows[t] = flowEntry{rule: rs, backend: d.Backend, last: now}
	}
	return d
}

// Lookup returns the backend of an established flow that has not idled out, and refreshes it.
func (m *Machine) Lookup(t FiveTuple, now time.Time) (Decision, bool) {
	f, ok := m.flows[t]
	if !ok {
		return Decision{}, false
	}
	if now.Sub(f.last) > f.rule.rule.IdleTimeout {
		delete(m.flows, t)
		return Decision{}, false
	}
	f.last = now
	m.flows[t] = f
	d := f.rule.decision(PlacedEstablished)
	d.Backend = f.backend
	return d, true
}

func (rs *ruleState) decision(r Reason) Decision {
	return Decision{Reason: r, RuleID: rs.rule.ID, FloatingIP: rs.rule.FloatingIP, IdleTimeout: rs.rule.IdleTimeout, TCPReset: rs.rule.TCPReset}
}

// Close forgets a flow (the connection ended).
func (m *Machine) Close(t FiveTuple) { delete(m.flows, t) }

// Expire forgets the flows idle longer than their rule's idle timeout at now, and returns how many.
func (m *Machine) Expire(now time.Time) int {
	n := 0
	for t, f := range m.flows {
		if now.Sub(f.last) > f.rule.rule.IdleTimeout {
			delete(m.flows, t)
			n++
		}
	}
	return n
}

// Flows is the number of established flows remembered.
func (m *Machine) Flows() int { return len(m.flows) }

// slotQueue is a min-heap of slots by next probe time (then probe ID and address, for determinism).
type slotQueue []*slot

func (q slotQueue) Len() int { return len(q) }
func (q slotQueue) Less(i, j int) bool {
	if !q[i].next.Equal(q[j].next) {
		return q[i].next.Before(q[j].next)
	}
	return q[i].key.less(q[j].key)
}
func (q slotQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *slotQueue) Push(x any) {
	s := x.(*slot)
	s.index = len(*q)
	*q = append(*q, s)
}
func (q *slotQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	*q = old[:len(old)-1]
	return s
}
