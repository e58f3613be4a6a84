package dataplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"sync"
	"time"

	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/azlb/azlb/pkg/fake"
	"github.com/azlb/azlb/pkg/probes"
)

// Source is the store the live data plane follows: *fake.Cloud.
type Source interface {
	Watch(fn func()) (cancel func())
	Snapshot() fake.Snapshot
}

// LiveOptions configure a Live data plane.
type LiveOptions struct {
	Source    Source
	Clock     clock.Clock      // default the real clock
	Seed      uint64           // probe phases and flow hash
	Semantics probes.Semantics // "" is probes.SemanticsAzure
	// ProbeInterval, when non-zero, replaces every probe's interval (and so its timeout). It exists for
	// tests of this driver, which must finish in seconds; Azure's interval is whole seconds >= 5.
	ProbeInterval time.Duration
	// DialTimeout bounds the connection to a backend (default 5 s).
	DialTimeout time.Duration
	Logger      klog.Logger // default klog.Background().WithName("dataplane")
}

// Live is the fake load balancer's data plane for real: it probes the backends over the network and
// accepts TCP connections on every frontend address:port, forwarding each to its backend with a PROXY
// v1 header. It follows the load balancers of Source as the controller writes them. Only loopback
// addresses are listened on and dialled.
type Live struct {
	opts   LiveOptions
	clock  clock.Clock
	log    klog.Logger
	prober *NetProber

	mu          sync.Mutex
	m           *Machine
	problems    []string
	listeners   map[netip.AddrPort]net.Listener
	frontends   map[netip.AddrPort]*frontendCounters
	conns       map[net.Conn]struct{}
	transitions []Transition
	version     uint64
	running     bool

	wg sync.WaitGroup
}

// maxTransitions bounds the transitions kept for Observe.
const maxTransitions = 256

type frontendCounters struct {
	Admitted         uint64 `json:"admitted"`
	NoHealthyBackend uint64 `json:"noHealthyBackend"`
	NoRule           uint64 `json:"noRule"`
	BackendFailed    uint64 `json:"backendFailed"` // the backend connection could not be opened
	Active           int    `json:"active"`
}

// NewLive returns a live data plane; Run starts it.
func NewLive(opts LiveOptions) *Live {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 5 * time.Second
	}
	log := opts.Logger
	if log.GetSink() == nil {
		log = klog.Background().WithName("dataplane")
	}
	return &Live{
		opts:      opts,
		clock:     opts.Clock,
		log:       log,
		prober:    NewNetProber(),
		m:         New(Options{Seed: opts.Seed, Semantics: opts.Semantics}),
		listeners: map[netip.AddrPort]net.Listener{},
		frontends: map[netip.AddrPort]*frontendCounters{},
		conns:     map[net.Conn]struct{}{},
	}
}

// Run serves until ctx ends, then closes every listener and connection and returns once every
// goroutine it started has ended. It returns an error only when it cannot start.
func (l *Live) Run(ctx context.Context) error {
	if l.opts.Source == nil {
		return fmt.Errorf("dataplane: no Source to follow")
	}
	l.mu.Lock()
	if l.running {
		l.mu.Unlock()
		return fmt.Errorf("dataplane: already running")
	}
	l.running = true
	l.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changed := make(chan struct{}, 1)
	stopWatch := l.opts.Source.Watch(func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer stopWatch()
	wake := make(chan struct{}, 1)
	l.reload(ctx)
	l.wg.Add(1)
	go l.probeLoop(ctx, wake)
	for {
		select {
		case <-ctx.Done():
			l.shutdown()
			return nil
		case <-changed:
			l.reload(ctx)
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}
}

// reload applies the store's current load balancers and opens or closes listeners to match.
func (l *Live) reload(ctx context.Context) {
	snap := l.opts.Source.Snapshot()
	cfg := ConfigFromSnapshot(snap).withProbeInterval(l.opts.ProbeInterval)
	want := map[netip.AddrPort]bool{}
	var problems []string
	problems = append(problems, cfg.Problems...)
	for _, r := range cfg.Rules {
		if r.Protocol == ProtocolUDP {
			continue
		}
		if r.FrontendPort == 0 {
			problems = append(problems, fmt.Sprintf("rule %s: HA ports (frontend port 0) are not served by the loopback data plane", r.ID))
			continue
		}
		ap := netip.AddrPortFrom(r.Frontend, r.FrontendPort)
		if !r.Frontend.IsLoopback() {
			problems = append(problems, fmt.Sprintf("rule %s: frontend %s is not a loopback address; not listening", r.ID, ap))
			continue
		}
		want[ap] = true
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if snap.Version == l.version && l.version != 0 {
		return
	}
	l.version = snap.Version
	l.m.Apply(cfg, l.clock.Now())
	for ap, ln := range l.listeners {
		if !want[ap] {
			_ = ln.Close()
			delete(l.listeners, ap)
			l.log.V(2).Info("Stopped listening", "frontend", ap)
		}
	}
	keys := make([]netip.AddrPort, 0, len(want))
	for ap := range want {
		keys = append(keys, ap)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Compare(keys[j]) < 0 })
	for _, ap := range keys {
		if _, ok := l.listeners[ap]; ok {
			continue
		}
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", ap.String())
		if err != nil {
			problems = append(problems, fmt.Sprintf("listening on %s: %v", ap, err))
			continue
		}
		l.listeners[ap] = ln
		if l.frontends[ap] == nil {
			l.frontends[ap] = &frontendCounters{}
		}
		l.log.V(2).Info("Listening", "frontend", ap)
		l.wg.Add(1)
		go l.accept(ctx, ln, ap)
	}
	l.problems = problems
}

func (l *Live) probeLoop(ctx context.Context, wake <-chan struct{}) {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		next, ok := l.m.NextProbe()
		l.mu.Unlock()
		var timer clock.Timer
		var fire <-chan time.Time
		if ok {
			timer = l.clock.NewTimer(max(next.Sub(l.clock.Now()), 0))
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-wake:
			if timer != nil {
				timer.Stop()
			}
			continue
		case <-fire:
		}
		l.mu.Lock()
		due := l.m.DueProbes(l.clock.Now())
		l.mu.Unlock()
		for _, req := range due {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				out := l.prober.Probe(ctx, req)
				if ctx.Err() != nil {
					return
				}
				l.mu.Lock()
				defer l.mu.Unlock()
				if tr, changed := l.m.Report(req, out, l.clock.Now()); changed {
					l.log.V(2).Info("Backend probed", "probe", tr.ProbeName, "backend", tr.Backend, "up", tr.Up, "outcome", tr.Outcome.String())
					l.transitions = append(l.transitions, tr)
					if n := len(l.transitions); n > maxTransitions {
						l.transitions = append(l.transitions[:0], l.transitions[n-maxTransitions:]...)
					}
				}
			}()
		}
	}
}

func (l *Live) shutdown() {
	l.mu.Lock()
	for ap, ln := range l.listeners {
		_ = ln.Close()
		delete(l.listeners, ap)
	}
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	l.mu.Lock()
	l.running = false
	l.mu.Unlock()
}

// Observations is what a live page polls: per backend probe state and transitions, and per frontend
// connection counts.
type Observations struct {
	Time        time.Time          `json:"time"`
	Backends    []BackendStatus    `json:"backends"`
	Frontends   []FrontendStatus   `json:"frontends"`
	Transitions []TransitionRecord `json:"transitions"` // the latest, oldest first
	Problems    []string           `json:"problems,omitempty"`
	Flows       int                `json:"flows"` // established flows remembered
	Semantics   probes.Semantics   `json:"semantics"`
}

// FrontendStatus counts the connections of one frontend address:port.
type FrontendStatus struct {
	Frontend netip.AddrPort `json:"frontend"`
	frontendCounters
}

// TransitionRecord is a Transition as JSON.
type TransitionRecord struct {
	Probe   string     `json:"probe"`
	Backend netip.Addr `json:"backend"`
	Up      bool       `json:"up"`
	At      time.Time  `json:"at"`
	Outcome string     `json:"outcome"`
}

// Observe returns a consistent copy of the observations.
func (l *Live) Observe() Observations {
	l.mu.Lock()
	defer l.mu.Unlock()
	o := Observations{
		Time:      l.clock.Now(),
		Backends:  l.m.Backends(),
		Problems:  append([]string(nil), l.problems...),
		Flows:     l.m.Flows(),
		Semantics: l.m.opts.Semantics,
	}
	keys := make([]netip.AddrPort, 0, len(l.frontends))
	for ap := range l.frontends {
		keys = append(keys, ap)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Compare(keys[j]) < 0 })
	for _, ap := range keys {
		o.Frontends = append(o.Frontends, FrontendStatus{Frontend: ap, frontendCounters: *l.frontends[ap]})
	}
	for _, tr := range l.transitions {
		o.Transitions = append(o.Transitions, TransitionRecord{Probe: tr.ProbeName, Backend: tr.Backend, Up: tr.Up, At: tr.At, Outcome: tr.Outcome.String()})
	}
	return o
}

// Handler serves Observe as JSON (GET only), for a live page to poll.
func (l *Live) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "only GET", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(l.Observe())
	})
}
