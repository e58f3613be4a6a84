package dataplane

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/azlb/azlb/pkg/fake"
)

// liveNet picks loopback /24s for this process (127.A.B.0/24 frontends, 127.A.B+1.0/24 nodes, .B+2
// clients), so that parallel test processes on the machine do not collide.
func liveNet() (frontends netip.Prefix, node func(int) netip.Addr, client netip.Addr) {
	pid := os.Getpid()
	a, b := byte(200+pid%50), byte((pid/50)%80*3)
	frontends = netip.PrefixFrom(netip.AddrFrom4([4]byte{127, a, b, 0}), 24)
	node = func(i int) netip.Addr { return netip.AddrFrom4([4]byte{127, a, b + 1, byte(10 + i)}) }
	client = netip.AddrFrom4([4]byte{127, a, b + 2, 7})
	return frontends, node, client
}

// testNode stands in for a Kubernetes node: an HTTP health check whose status the test sets, and a
// backend port that reads the PROXY header and answers with it.
type testNode struct {
	addr    netip.Addr
	status  atomic.Int32
	probes  atomic.Int32
	servers []io.Closer
}

func startNode(t *testing.T, a netip.Addr, healthPort, backendPort int) *testNode {
	t.Helper()
	n := &testNode{addr: a}
	n.status.Store(200)
	hl, err := net.Listen("tcp", netip.AddrPortFrom(a, uint16(healthPort)).String())
	if err != nil {
		t.Fatalf("node %s: %v", a, err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.probes.Add(1)
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(int(n.status.Load()))
	}), ReadHeaderTimeout: time.Second}
	go func() { _ = hs.Serve(hl) }()
	bl, err := net.Listen("tcp", netip.AddrPortFrom(a, uint16(backendPort)).String())
	if err != nil {
		t.Fatalf("node %s: %v", a, err)
	}
	go func() {
		for {
			c, err := bl.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(2 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return
				}
				fmt.Fprintf(c, "node=%s header=%s", a, line)
			}()
		}
	}()
	n.servers = []io.Closer{hs, bl}
	t.Cleanup(func() {
		for _, s := range n.servers {
			_ = s.Close()
		}
	})
	return n
}

const (
	liveHealthPort  = 31080
	liveBackendPort = 31081
	liveFrontPort   = 31082
)

// putLiveLB writes a load balancer with one public frontend, one pool of the nodes, an Http probe on
// /healthz and a Tcp rule, through the real SDK client against the fake cloud.
func putLiveLB(t *testing.T, cloud *fake.Cloud, nodes []netip.Addr) {
	t.Helper()
	sub := cloud.Options().SubscriptionID
	lbID := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"
	vnetID := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
	pipID := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip"
	var addrs []*armnetwork.LoadBalancerBackendAddress
	for i, n := range nodes {
		addrs = append(addrs, &armnetwork.LoadBalancerBackendAddress{
			Name:       ptr(fmt.Sprintf("node-%d", i)),
			Properties: &armnetwork.LoadBalancerBackendAddressPropertiesFormat{IPAddress: ptr(n.String())},
		})
	}
	lb := armnetwork.LoadBalancer{
		Location: ptr(cloud.Options().Location),
		SKU:      &armnetwork.LoadBalancerSKU{Name: ptr(armnetwork.LoadBalancerSKUNameStandard)},
		Properties: &armnetwork.LoadBalancerPropertiesFormat{
			FrontendIPConfigurations: []*armnetwork.FrontendIPConfiguration{{
				Name:       ptr("fe"),
				Properties: &armnetwork.FrontendIPConfigurationPropertiesFormat{PublicIPAddress: &armnetwork.PublicIPAddress{ID: ptr(pipID)}},
			}},
			BackendAddressPools: []*armnetwork.BackendAddressPool{{
				Name: ptr("pool"),
				Properties: &armnetwork.BackendAddressPoolPropertiesFormat{
					VirtualNetwork:               &armnetwork.SubResource{ID: ptr(vnetID)},
					LoadBalancerBackendAddresses: addrs,
				},
			}},
			Probes: []*armnetwork.Probe{{
				Name: ptr("probe"),
				Properties: &armnetwork.ProbePropertiesFormat{
					Protocol: ptr(armnetwork.ProbeProtocolHTTP), Port: ptr[int32](liveHealthPort), RequestPath: ptr("/healthz"),
					IntervalInSeconds: ptr[int32](5), ProbeThreshold: ptr[int32](2),
				},
			}},
			LoadBalancingRules: []*armnetwork.LoadBalancingRule{{
				Name: ptr("rule"),
				Properties: &armnetwork.LoadBalancingRulePropertiesFormat{
					FrontendIPConfiguration: &armnetwork.SubResource{ID: ptr(lbID + "/frontendIPConfigurations/fe")},
					BackendAddressPool:      &armnetwork.SubResource{ID: ptr(lbID + "/backendAddressPools/pool")},
					Probe:                   &armnetwork.SubResource{ID: ptr(lbID + "/probes/probe")},
					Protocol:                ptr(armnetwork.TransportProtocolTCP),
					FrontendPort:            ptr[int32](liveFrontPort),
					BackendPort:             ptr[int32](liveBackendPort),
					IdleTimeoutInMinutes:    ptr[int32](4),
				},
			}},
		},
	}
	client, err := armnetwork.NewLoadBalancersClient(sub, cloud.TokenCredential(), cloud.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	poller, err := client.BeginCreateOrUpdate(t.Context(), "rg", "lb", lb, nil)
	if err != nil {
		t.Fatalf("writing the load balancer: %v", err)
	}
	if _, err := poller.PollUntilDone(t.Context(), nil); err != nil {
		t.Fatalf("writing the load balancer: %v", err)
	}
}

func newLiveCloud(t *testing.T, frontends netip.Prefix) (*fake.Cloud, netip.Addr) {
	t.Helper()
	cloud := fake.New(fake.Options{PublicIPRange: frontends})
	vnet := armnetwork.VirtualNetwork{
		Name: ptr("vnet"), Location: ptr(cloud.Options().Location),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{ptr("10.0.0.0/16")}}},
	}
	if err := cloud.PutVirtualNetwork("rg", vnet); err != nil {
		t.Fatal(err)
	}
	pip := armnetwork.PublicIPAddress{
		Name: ptr("pip"), Location: ptr(cloud.Options().Location),
		SKU:        &armnetwork.PublicIPAddressSKU{Name: ptr(armnetwork.PublicIPAddressSKUNameStandard)},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: ptr(armnetwork.IPAllocationMethodStatic)},
	}
	if err := cloud.PutPublicIP("rg", pip); err != nil {
		t.Fatal(err)
	}
	got, _ := cloud.GetPublicIP("rg", "pip")
	return cloud, netip.MustParseAddr(*got.Properties.IPAddress)
}

// dial connects from the client address to the frontend and returns what the backend answered
// ("" and the error when nothing did within wait).
func dial(client, frontend netip.Addr, wait time.Duration) (string, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: client.AsSlice()}, Timeout: wait}
	c, err := d.Dial("tcp", netip.AddrPortFrom(frontend, liveFrontPort).String())
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(c)
	if err != nil && len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(4 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLiveDataPlane runs the real driver against loopback HTTP servers standing in for nodes: probes
// over HTTP mark nodes up and down, connections to the frontend are forwarded with a PROXY v1 header
// to healthy nodes only, nothing is admitted when every node is down, the driver follows the store
// when the load balancer changes, and it stops without leaking goroutines.
func TestLiveDataPlane(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	frontends, nodeAddr, client := liveNet()
	cloud, frontend := newLiveCloud(t, frontends)
	nodes := []*testNode{
		startNode(t, nodeAddr(0), liveHealthPort, liveBackendPort),
		startNode(t, nodeAddr(1), liveHealthPort, liveBackendPort),
	}
	putLiveLB(t, cloud, []netip.Addr{nodes[0].addr, nodes[1].addr})

	live := NewLive(LiveOptions{Source: cloud, Seed: 1, ProbeInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- live.Run(ctx) }()

	upCount := func() int {
		n := 0
		for _, b := range live.Observe().Backends {
			if b.Up {
				n++
			}
		}
		return n
	}
	eventually(t, "both nodes are probed up", func() bool { return upCount() == 2 })

	seen := map[string]bool{}
	for range 40 {
		got, err := dial(client, frontend, time.Second)
		if err != nil {
			t.Fatalf("connection through the frontend: %v", err)
		}
		seen[strings.SplitN(got, " ", 2)[0]] = true
		wantHeader := fmt.Sprintf("PROXY TCP4 %s %s ", client, frontend)
		if !strings.Contains(got, "header="+wantHeader) || !strings.HasSuffix(got, fmt.Sprintf(" %d\r\n", liveFrontPort)) {
			t.Fatalf("backend saw %q, want a PROXY v1 header %q... %d", got, wantHeader, liveFrontPort)
		}
	}
	if len(seen) != 2 {
		t.Errorf("40 connections reached %v, want both nodes", seen)
	}

	// Node 0's health check answers 503: Azure marks it down on that answer; new flows go to node 1.
	nodes[0].status.Store(http.StatusServiceUnavailable)
	eventually(t, "node 0 is probed down", func() bool { return upCount() == 1 })
	for range 10 {
		got, err := dial(client, frontend, time.Second)
		if err != nil || !strings.HasPrefix(got, "node="+nodes[1].addr.String()) {
			t.Fatalf("with node 0 down: %q %v, want node 1", got, err)
		}
	}

	// Every node down: the connection is held unanswered (a dropped SYN in Azure).
	nodes[1].status.Store(http.StatusServiceUnavailable)
	eventually(t, "both nodes are probed down", func() bool { return upCount() == 0 })
	if got, err := dial(client, frontend, 300*time.Millisecond); err == nil {
		t.Fatalf("with every node down the connection was answered: %q", got)
	} else if ne := net.Error(nil); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("with every node down: %v, want a client timeout", err)
	}

	// The controller removes node 1 and adds node 2: the driver follows the store.
	nodes = append(nodes, startNode(t, nodeAddr(2), liveHealthPort, liveBackendPort))
	putLiveLB(t, cloud, []netip.Addr{nodes[0].addr, nodes[2].addr})
	eventually(t, "node 2 is probed up", func() bool { return upCount() == 1 })
	got, err := dial(client, frontend, time.Second)
	if err != nil || !strings.HasPrefix(got, "node="+nodes[2].addr.String()) {
		t.Fatalf("after the update: %q %v, want node 2", got, err)
	}

	obs := live.Observe()
	if len(obs.Frontends) != 1 || obs.Frontends[0].Admitted < 51 || obs.Frontends[0].NoHealthyBackend != 1 {
		t.Errorf("frontend counters %+v", obs.Frontends)
	}
	if len(obs.Transitions) < 5 {
		t.Errorf("%d transitions recorded, want at least 5", len(obs.Transitions))
	}
	rec := httptestRecorder{}
	live.Handler().ServeHTTP(&rec, &http.Request{Method: http.MethodGet})
	if !strings.Contains(rec.body.String(), `"noHealthyBackend":1`) {
		t.Errorf("observations JSON: %s", rec.body.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := dial(client, frontend, 200*time.Millisecond); err == nil {
		t.Error("the frontend still accepts connections after Run returned")
	}
	for _, n := range nodes {
		for _, s := range n.servers {
			_ = s.Close()
		}
	}
	eventually(t, "goroutines end", func() bool { return runtime.NumGoroutine() <= goroutines+2 })
}

func TestLiveRefusesNonLoopback(t *testing.T) {
	frontends, _, client := liveNet()
	cloud, frontend := newLiveCloud(t, frontends)
	putLiveLB(t, cloud, []netip.Addr{netip.MustParseAddr("10.0.0.4")})
	live := NewLive(LiveOptions{Source: cloud, ProbeInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = live.Run(ctx) }()
	defer wg.Wait()
	defer cancel()
	// The probe to 10.0.0.4 is never sent; it counts as a timeout, so the node stays down.
	eventually(t, "the node was probed", func() bool {
		b := live.Observe().Backends
		return len(b) == 1 && b[0].Probed && b[0].LastOutcome == "timeout" && !b[0].Up
	})
	if _, err := dial(client, frontend, 200*time.Millisecond); err == nil {
		t.Error("a connection to a frontend whose only backend is not loopback was answered")
	}
	if err := checkLoopback("10.0.0.4:80"); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("checkLoopback: %v", err)
	}
}

type httptestRecorder struct {
	header http.Header
	body   strings.Builder
}

func (r *httptestRecorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}
func (r *httptestRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *httptestRecorder) WriteHeader(int)             {}
