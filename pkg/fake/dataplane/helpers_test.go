package dataplane

import (
	"container/heap"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/azlb/azlb/pkg/probes"
)

// epoch is the virtual start of every test.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// eventLoop is a minimal Scheduler: a fake clock plus a queue of callbacks run in time order.
type eventLoop struct {
	clock *testingclock.FakeClock
	q     eventHeap
	seq   int
}

func newEventLoop() *eventLoop { return &eventLoop{clock: testingclock.NewFakeClock(epoch)} }

func (e *eventLoop) Now() time.Time                  { return e.clock.Now() }
func (e *eventLoop) Since(t time.Time) time.Duration { return e.clock.Since(t) }
func (e *eventLoop) At(t time.Time, fn func()) {
	e.seq++
	heap.Push(&e.q, event{at: t, seq: e.seq, fn: fn})
}

// runUntil runs every event due at or before t, then sets the clock to t.
func (e *eventLoop) runUntil(t time.Time) {
	for len(e.q) > 0 && !e.q[0].at.After(t) {
		ev := heap.Pop(&e.q).(event)
		if ev.at.After(e.clock.Now()) {
			e.clock.SetTime(ev.at)
		}
		ev.fn()
	}
	if t.After(e.clock.Now()) {
		e.clock.SetTime(t)
	}
}

type event struct {
	at  time.Time
	seq int
	fn  func()
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func ptr[T any](v T) *T { return &v }

const (
	testSub = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network"
	testLB  = testSub + "/loadBalancers/lb"
)

func childID(kind, name string) string { return testLB + "/" + kind + "/" + name }

// lbSpec describes a one-rule load balancer for tests.
type lbSpec struct {
	frontend     string // private address of the frontend
	port         int32
	backendPort  int32
	backends     []string
	probe        *probes.Settings // nil: the rule has no probe
	allProbedUp  bool
	distribution armnetwork.LoadDistribution
	idleMinutes  int32
	admin        map[string]armnetwork.LoadBalancerBackendAddressAdminState
}

func (s lbSpec) build() armnetwork.LoadBalancer {
	feID, poolID, ruleID, probeID := childID("frontendIPConfigurations", "fe"), childID("backendAddressPools", "pool"),
		childID("loadBalancingRules", "rule"), childID("probes", "probe")
	var addrs []*armnetwork.LoadBalancerBackendAddress
	for i, b := range s.backends {
		a := &armnetwork.LoadBalancerBackendAddress{
			Name:       ptr(fmt.Sprintf("node-%d", i)),
			Properties: &armnetwork.LoadBalancerBackendAddressPropertiesFormat{IPAddress: ptr(b)},
		}
		if st, ok := s.admin[b]; ok {
			a.Properties.AdminState = ptr(st)
		}
		addrs = append(addrs, a)
	}
	rule := &armnetwork.LoadBalancingRule{
		ID: ptr(ruleID), Name: ptr("rule"),
		Properties: &armnetwork.LoadBalancingRulePropertiesFormat{
			FrontendIPConfiguration: &armnetwork.SubResource{ID: ptr(feID)},
			BackendAddressPool:      &armnetwork.SubResource{ID: ptr(poolID)},
			Protocol:                ptr(armnetwork.TransportProtocolTCP),
			FrontendPort:            ptr(s.port),
			BackendPort:             ptr(s.backendPort),
			EnableFloatingIP:        ptr(true),
			EnableTCPReset:          ptr(true),
		},
	}
	if s.distribution != "" {
		rule.Properties.LoadDistribution = ptr(s.distribution)
	}
	if s.idleMinutes > 0 {
		rule.Properties.IdleTimeoutInMinutes = ptr(s.idleMinutes)
	}
	lb := armnetwork.LoadBalancer{
		ID: ptr(testLB), Name: ptr("lb"),
		Properties: &armnetwork.LoadBalancerPropertiesFormat{
			FrontendIPConfigurations: []*armnetwork.FrontendIPConfiguration{{
				ID: ptr(feID), Name: ptr("fe"),
				Properties: &armnetwork.FrontendIPConfigurationPropertiesFormat{PrivateIPAddress: ptr(s.frontend)},
			}},
			BackendAddressPools: []*armnetwork.BackendAddressPool{{
				ID: ptr(poolID), Name: ptr("pool"),
				Properties: &armnetwork.BackendAddressPoolPropertiesFormat{LoadBalancerBackendAddresses: addrs},
			}},
			LoadBalancingRules: []*armnetwork.LoadBalancingRule{rule},
		},
	}
	if s.probe != nil {
		p := &armnetwork.Probe{
			ID: ptr(probeID), Name: ptr("probe"),
			Properties: &armnetwork.ProbePropertiesFormat{
				Protocol:          ptr(armnetwork.ProbeProtocol(s.probe.Protocol)),
				Port:              ptr(s.probe.Port),
				IntervalInSeconds: ptr(s.probe.IntervalSeconds),
				ProbeThreshold:    ptr(s.probe.Threshold),
			},
		}
		if s.probe.RequestPath != "" {
			p.Properties.RequestPath = ptr(s.probe.RequestPath)
		}
		if s.allProbedUp {
			p.Properties.NoHealthyBackendsBehavior = ptr(armnetwork.ProbeNoHealthyBackendsBehaviorAllProbedUp)
		}
		lb.Properties.Probes = []*armnetwork.Probe{p}
		rule.Properties.Probe = &armnetwork.SubResource{ID: ptr(probeID)}
	}
	return lb
}

func (s lbSpec) config() Config {
	return BuildConfig([]armnetwork.LoadBalancer{s.build()}, nil)
}

var probeID = childID("probes", "probe")

func httpProbe(interval, threshold int32) *probes.Settings {
	return &probes.Settings{Protocol: probes.ProtocolHTTP, Port: 30000, RequestPath: "/healthz", IntervalSeconds: interval, Threshold: threshold}
}

func tcpProbe(interval, threshold int32) *probes.Settings {
	return &probes.Settings{Protocol: probes.ProtocolTCP, Port: 30000, IntervalSeconds: interval, Threshold: threshold}
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// world answers probes from a per-backend function of time.
type world map[netip.Addr]func(time.Time) Outcome

func (w world) prober(now func() time.Time) SyncProber {
	return func(req ProbeRequest) Outcome {
		if f := w[req.Backend]; f != nil {
			return f(now())
		}
		return Outcome{Kind: TimedOut}
	}
}

func flow(client string, port uint16, frontend string, fport uint16) FiveTuple {
	return FiveTuple{
		Client:   netip.AddrPortFrom(addr(client), port),
		Frontend: netip.AddrPortFrom(addr(frontend), fport),
		Protocol: ProtocolTCP,
	}
}

func must(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}
