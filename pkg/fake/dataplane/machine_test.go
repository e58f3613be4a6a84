package dataplane

import (
	"net/netip"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/azlb/azlb/pkg/probes"
)

var threeNodes = []string{"10.0.0.4", "10.0.0.5", "10.0.0.6"}

// rig is a machine on an event loop whose backends answer from a mutable table.
type rig struct {
	loop   *eventLoop
	m      *Machine
	d      *SyncDriver
	answer map[netip.Addr]Outcome
	trans  []Transition
}

func newRig(t *testing.T, spec lbSpec, sem probes.Semantics) *rig {
	t.Helper()
	r := &rig{loop: newEventLoop(), answer: map[netip.Addr]Outcome{}}
	for _, b := range spec.backends {
		r.answer[addr(b)] = Outcome{Kind: Answered, Status: 200}
	}
	r.m = New(Options{Seed: 42, Semantics: sem})
	r.d = NewSyncDriver(r.m, r.loop, func(req ProbeRequest) Outcome {
		if o, ok := r.answer[req.Backend]; ok {
			return o
		}
		return Outcome{Kind: TimedOut}
	})
	r.d.OnTransition = func(tr Transition) { r.trans = append(r.trans, tr) }
	r.d.Apply(spec.config())
	return r
}

func (r *rig) run(d time.Duration) { r.loop.runUntil(r.loop.Now().Add(d)) }

// spread opens n one-request flows from distinct client ports and counts them per backend.
func (r *rig) spread(n int, client string) map[netip.Addr]int {
	out := map[netip.Addr]int{}
	for i := range n {
		d := r.m.Place(flow(client, uint16(20000+i), "10.1.0.10", 80))
		if d.Admitted() {
			out[d.Backend.Addr()]++
		}
	}
	return out
}

func TestNewBackendsStartDownAndComeUpWithinAnInterval(t *testing.T) {
	r := newRig(t, lbSpec{frontend: "10.1.0.10", port: 80, backends: threeNodes, probe: httpProbe(5, 2)}, probes.SemanticsAzure)
	if d := r.m.Place(flow("198.18.0.1", 1000, "10.1.0.10", 80)); d.Reason != NoHealthyBackend {
		t.Fatalf("before any probe: %v, want noHealthyBackend (new backends start down)", d.Reason)
	}
	r.run(5 * time.Second)
	for _, b := range threeNodes {
		must(t, r.m.Up(probeID, addr(b)), "%s not up one interval after it joined", b)
	}
	// The backends are not probed in lock-step.
	times := map[time.Time]bool{}
	for _, tr := range r.trans {
		times[tr.At] = true
	}
	if len(times) < 2 {
		t.Errorf("all backends probed at the same instant %v", r.trans)
	}
}

func TestFlowPlacement(t *testing.T) {
	spec := lbSpec{frontend: "10.1.0.10", port: 80, backendPort: 0, backends: threeNodes, probe: httpProbe(5, 2)}
	r := newRig(t, spec, probes.SemanticsAzure)
	r.run(10 * time.Second)

	// Default distribution: 5-tuple hash spreads flows evenly over the healthy backends.
	counts := r.spread(3000, "198.18.0.1")
	for _, b := range threeNodes {
		if c := counts[addr(b)]; c < 850 || c > 1150 {
			t.Errorf("backend %s got %d of 3000 flows, want about 1000", b, c)
		}
	}
	// Backend port 0 is the port the client dialled (floating IP, HA ports).
	if d := r.m.Place(flow("198.18.0.1", 1, "10.1.0.10", 80)); d.Backend.Port() != 80 || !d.FloatingIP {
		t.Errorf("decision %+v, want backend port 80 with floating IP", d)
	}

	// An established flow stays on its backend after the backend is marked down.
	ft := flow("198.18.0.2", 40000, "10.1.0.10", 80)
	first := r.m.Open(ft, r.loop.Now())
	must(t, first.Reason == PlacedNew, "first packet: %v", first.Reason)
	r.answer[first.Backend.Addr()] = Outcome{Kind: Answered, Status: 503}
	r.run(6 * time.Second)
	must(t, !r.m.Up(probeID, first.Backend.Addr()), "backend %s still up after a 503", first.Backend)
	again := r.m.Open(ft, r.loop.Now())
	if again.Reason != PlacedEstablished || again.Backend != first.Backend {
		t.Errorf("established flow moved: %+v, want %v", again, first.Backend)
	}
	// New flows avoid the down backend.
	if n := r.spread(600, "198.18.0.3")[first.Backend.Addr()]; n != 0 {
		t.Errorf("%d new flows went to the down backend", n)
	}
	// A closed flow is placed afresh.
	r.m.Close(ft)
	if d := r.m.Open(ft, r.loop.Now()); d.Backend == first.Backend || d.Reason != PlacedNew {
		t.Errorf("after close: %+v, want a new placement away from %v", d, first.Backend)
	}
}

func TestIdleTimeoutForgetsFlows(t *testing.T) {
	spec := lbSpec{frontend: "10.1.0.10", port: 80, backends: threeNodes, probe: httpProbe(5, 2), idleMinutes: 4}
	r := newRig(t, spec, probes.SemanticsAzure)
	r.run(10 * time.Second)
	ft := flow("198.18.0.2", 40000, "10.1.0.10", 80)
	d := r.m.Open(ft, r.loop.Now())
	r.answer[d.Backend.Addr()] = Outcome{Kind: Refused}
	r.run(3 * time.Minute)
	if _, ok := r.m.Lookup(ft, r.loop.Now()); !ok {
		t.Fatal("flow forgotten after 3 idle minutes, want kept (idle timeout 4)")
	}
	r.run(4*time.Minute + time.Second)
	if _, ok := r.m.Lookup(ft, r.loop.Now()); ok {
		t.Fatal("flow kept after 4 idle minutes")
	}
	if got := r.m.Open(ft, r.loop.Now()); got.Reason != PlacedNew || got.Backend == d.Backend {
		t.Errorf("after idle timeout: %+v, want a new placement on a healthy backend", got)
	}
	if r.m.Flows() != 1 {
		t.Errorf("%d flows remembered, want 1", r.m.Flows())
	}
	r.run(5 * time.Minute)
	if n := r.m.Expire(r.loop.Now()); n != 1 || r.m.Flows() != 0 {
		t.Errorf("Expire removed %d, %d left", n, r.m.Flows())
	}
}

func TestAllBackendsDown(t *testing.T) {
	for _, tc := range []struct {
		name        string
		allProbedUp bool
		want        Reason
	}{
		{"AllProbedDown admits nothing", false, NoHealthyBackend},
		{"AllProbedUp sends to all", true, PlacedAllProbedUp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := lbSpec{frontend: "10.1.0.10", port: 80, backends: threeNodes, probe: httpProbe(5, 2), allProbedUp: tc.allProbedUp}
			r := newRig(t, spec, probes.SemanticsAzure)
			r.run(10 * time.Second)
			for _, b := range threeNodes {
				r.answer[addr(b)] = Outcome{Kind: Answered, Status: 503}
			}
			r.run(10 * time.Second)
			counts := map[netip.Addr]int{}
			for i := range 300 {
				d := r.m.Place(flow("198.18.0.1", uint16(1000+i), "10.1.0.10", 80))
				if d.Reason != tc.want {
					t.Fatalf("flow %d: %v, want %v", i, d.Reason, tc.want)
				}
				counts[d.Backend.Addr()]++
			}
			if tc.allProbedUp && len(counts) != 3 {
				t.Errorf("AllProbedUp used %d backends, want all 3", len(counts))
			}
			// One backend back: flows go to it alone.
			r.answer[addr(threeNodes[1])] = Outcome{Kind: Answered, Status: 200}
			r.run(5 * time.Second)
			if c := r.spread(100, "198.18.0.9"); c[addr(threeNodes[1])] != 100 {
				t.Errorf("with one backend up: %v, want all 100 on %s", c, threeNodes[1])
			}
		})
	}
}

func TestRuleWithoutProbeAndAdminState(t *testing.T) {
	spec := lbSpec{frontend: "10.1.0.10", port: 80, backends: threeNodes,
		admin: map[string]armnetwork.LoadBalancerBackendAddressAdminState{"10.0.0.6": armnetwork.LoadBalancerBackendAddressAdminStateDown}}
	r := newRig(t, spec, probes.SemanticsAzure)
	counts := r.spread(600, "198.18.0.1") // no probe: every backend is up from the start
	if counts[addr("10.0.0.4")] == 0 || counts[addr("10.0.0.5")] == 0 || counts[addr("10.0.0.6")] != 0 {
		t.Errorf("without probe, admin Down on .6: %v", counts)
	}
	if d := r.m.Place(flow("198.18.0.1", 1, "10.1.0.10", 81)); d.Reason != NoRule {
		t.Errorf("port without rule: %v", d.Reason)
	}
}

func TestSourceIPDistribution(t *testing.T) {
	spec := lbSpec{frontend: "10.1.0.10", port: 80, backends: threeNodes, probe: httpProbe(5, 2), distribution: armnetwork.LoadDistributionSourceIP}
	r := newRig(t, spec, probes.SemanticsAzure)
	r.run(10 * time.Second)
	used := map[netip.Addr]bool{}
	for c := 1; c <= 60; c++ {
		client := netip.AddrFrom4([4]byte{198, 18, 0, byte(c)}).String()
		counts := r.spread(20, client)
		if len(counts) != 1 {
			t.Fatalf("SourceIP: client %s spread over %d backends", client, len(counts))
		}
		for b := range counts {
			used[b] = true
		}
	}
	if len(used) != 3 {
		t.Errorf("60 clients used %d backends, want 3", len(used))
	}
}

func TestRebuildKeepsProbeState(t *testing.T) {
	spec := lbSpec{frontend: "10.1.0.10", port: 80, backends: threeNodes, probe: httpProbe(5, 2)}
	r := newRig(t, spec, probes.SemanticsThreshold)
	r.run(15 * time.Second)
	r.answer[addr("10.0.0.5")] = Outcome{Kind: Answered, Status: 503}
	r.run(15 * time.Second)
	before := r.m.Backends()
	next, _ := r.m.NextProbe()

	// The controller adds a node and changes nothing else.
	spec.backends = append(spec.backends, "10.0.0.7")
	r.answer[addr("10.0.0.7")] = Outcome{Kind: Answered, Status: 200}
	r.d.Apply(spec.config())
	after := r.m.Backends()
	if len(after) != 4 {
		t.Fatalf("%d backends after the rebuild", len(after))
	}
	for i, b := range before {
		a := after[i]
		if a.Backend != b.Backend || a.Up != b.Up || a.Transitions != b.Transitions || a.NextProbe != b.NextProbe {
			t.Errorf("backend %s changed by the rebuild: %+v -> %+v", b.Backend, b, a)
		}
	}
	if after[3].Up || after[3].Probed {
		t.Errorf("new backend %+v, want down and unprobed", after[3])
	}
	if n, _ := r.m.NextProbe(); n.After(next) {
		t.Errorf("next probe moved from %v to %v", next, n)
	}
	// Removing a backend drops its state; adding it back starts it down again.
	spec.backends = threeNodes[:2]
	r.d.Apply(spec.config())
	spec.backends = threeNodes
	r.d.Apply(spec.config())
	for _, b := range r.m.Backends() {
		if b.Backend == addr("10.0.0.6") && (b.Up || b.Probed) {
			t.Errorf("re-added backend kept state: %+v", b)
		}
	}
}

func TestBuildConfigFromProviderShapes(t *testing.T) {
	spec := lbSpec{frontend: "10.1.0.10", port: 80, backendPort: 80, backends: []string{"10.0.0.5", "10.0.0.4", "10.0.0.4"}, probe: httpProbe(5, 2)}
	lb := spec.build()
	lb.Properties.Probes[0].Properties.ProbeThreshold = nil
	lb.Properties.Probes[0].Properties.NumberOfProbes = ptr[int32](3)
	lb.Properties.Probes[0].Properties.IntervalInSeconds = nil
	cfg := BuildConfig([]armnetwork.LoadBalancer{lb}, nil)
	must(t, len(cfg.Rules) == 1 && len(cfg.Probes) == 1, "config %+v", cfg)
	r, p := cfg.Rules[0], cfg.Probes[0]
	if len(r.Backends) != 2 || r.Backends[0].Addr != addr("10.0.0.4") {
		t.Errorf("backends %v, want 10.0.0.4 and 10.0.0.5 once each, sorted", r.Backends)
	}
	if p.Settings.Threshold != 3 || p.Settings.IntervalSeconds != DefaultIntervalSeconds || p.Timeout() != 15*time.Second {
		t.Errorf("probe %+v: want numberOfProbes as threshold and the REST default interval 15 s", p)
	}
	if r.IdleTimeout != 4*time.Minute || r.Distribution != DistributionDefault || !r.TCPReset {
		t.Errorf("rule defaults %+v", r)
	}
	// A public frontend whose public IP is unknown is a problem, not a rule.
	lb.Properties.FrontendIPConfigurations[0].Properties = &armnetwork.FrontendIPConfigurationPropertiesFormat{
		PublicIPAddress: &armnetwork.PublicIPAddress{ID: ptr(testSub + "/publicIPAddresses/pip")},
	}
	cfg = BuildConfig([]armnetwork.LoadBalancer{lb}, nil)
	must(t, len(cfg.Rules) == 0 && len(cfg.Problems) == 1, "unresolved frontend: %+v", cfg)
	pip := armnetwork.PublicIPAddress{ID: ptr(testSub + "/publicIPAddresses/PIP"), Properties: &armnetwork.PublicIPAddressPropertiesFormat{IPAddress: ptr("127.0.2.9")}}
	cfg = BuildConfig([]armnetwork.LoadBalancer{lb}, []armnetwork.PublicIPAddress{pip})
	must(t, len(cfg.Rules) == 1 && cfg.Rules[0].Frontend == addr("127.0.2.9"), "public frontend: %+v", cfg)
}

func TestProbeSchedulePhase(t *testing.T) {
	interval := 5 * time.Second
	seen := map[time.Duration]bool{}
	for i := range 50 {
		ph := phase(1, "probe", netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), interval)
		if ph < 0 || ph >= interval {
			t.Fatalf("phase %v outside [0, %v)", ph, interval)
		}
		seen[ph] = true
		now := epoch.Add(time.Duration(i) * 777 * time.Millisecond)
		next := nextDue(now, interval, ph)
		if !next.After(now) || next.Sub(now) > interval || (next.UnixNano()-int64(ph))%int64(interval) != 0 {
			t.Fatalf("nextDue(%v) = %v: not in (now, now+I] on the phase", now, next)
		}
	}
	if len(seen) < 45 {
		t.Errorf("only %d distinct phases for 50 backends", len(seen))
	}
	first := phase(1, "probe", addr("10.0.0.1"), interval)
	if again := phase(1, "probe", addr("10.0.0.1"), interval); again != first {
		t.Error("phase is not a function of its inputs")
	}
	if other := phase(2, "probe", addr("10.0.0.1"), interval); other == first {
		t.Error("the seed does not change the phase")
	}
}

func TestProxyHeader(t *testing.T) {
	got := ProxyHeader(netip.MustParseAddrPort("198.18.0.7:40123"), netip.MustParseAddrPort("127.0.2.1:80"))
	if want := "PROXY TCP4 198.18.0.7 127.0.2.1 40123 80\r\n"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	got = ProxyHeader(netip.MustParseAddrPort("[2001:db8::1]:5"), netip.MustParseAddrPort("[::1]:80"))
	if want := "PROXY TCP6 2001:db8::1 ::1 5 80\r\n"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
}
