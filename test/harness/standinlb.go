package harness

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// StandInLB is a tiny, test-only stand-in for the fake Azure load balancer's
// data plane (to be replaced by the one in pkg/fake). For each exposed
// Service it claims a frontend address 127.0.2.F, writes it to the
// Service's status.loadBalancer.ingress (the cloud-controller's job), and
// listens on F:port for each TCP port. Each client connection goes to a
// random node whose probe answers 200 — the healthCheckNodePort's /healthz
// for Local Services, kube-proxy's :10256/healthz for Cluster ones — on
// nodeIP:port (floating IP: the backend port is the Service port), opened
// with a PROXY v1 header carrying the client and frontend addresses. With
// no healthy node the connection is held unanswered, as Azure admits no new
// flow when every backend is probed down. Probes run per connection; there
// are no probe intervals or thresholds.
type StandInLB struct {
	c      *Cluster
	logger klog.Logger
	// ProbeTimeout bounds each health probe (default 1 s).
	ProbeTimeout time.Duration

	rngMu sync.Mutex
	rng   *rand.Rand

	mu        sync.Mutex
	closed    bool
	frontends []*standInFrontend
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
}

type standInFrontend struct {
	index     int
	addr      netip.Addr
	service   string
	local     bool
	hcnp      int32
	listeners []net.Listener
}

// NewStandInLB returns a stand-in load balancer that the cluster closes on
// Stop (or call Close earlier).
func NewStandInLB(c *Cluster) *StandInLB {
	lb := &StandInLB{
		c:            c,
		logger:       c.logger.WithName("standin-lb"),
		ProbeTimeout: time.Second,
		rng:          rand.New(rand.NewPCG(c.opts.Seed, 0x1b)),
		conns:        map[net.Conn]struct{}{},
	}
	if !c.onStop(lb.Close) {
		lb.closed = true
	}
	return lb
}

// Expose gives a LoadBalancer Service a frontend and starts forwarding to
// it; it returns the frontend address, also written to the Service status.
func (lb *StandInLB) Expose(ctx context.Context, namespace, name string) (netip.Addr, error) {
	svcs := lb.c.Client.CoreV1().Services(namespace)
	svc, err := svcs.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return netip.Addr{}, fmt.Errorf("exposing service %s/%s: %w", namespace, name, err)
	}
	if svc.Spec.Type != v1.ServiceTypeLoadBalancer {
		return netip.Addr{}, fmt.Errorf("exposing service %s/%s: type is %s; set spec.type: LoadBalancer", namespace, name, svc.Spec.Type)
	}
	idx, addr, err := claimIndex(&frontendIndexes, lb.c.claim, FrontendAddress)
	if err != nil {
		return netip.Addr{}, err
	}
	fe := &standInFrontend{
		index: idx, addr: addr, service: namespace + "/" + name,
		local: svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal,
		hcnp:  svc.Spec.HealthCheckNodePort,
	}
	lb.mu.Lock()
	if lb.closed {
		lb.mu.Unlock()
		lb.releaseFrontend(fe)
		return netip.Addr{}, fmt.Errorf("stand-in load balancer is closed")
	}
	lb.frontends = append(lb.frontends, fe)
	for _, p := range svc.Spec.Ports {
		if p.Protocol != v1.ProtocolTCP {
			continue
		}
		l, err := net.Listen("tcp4", net.JoinHostPort(addr.String(), strconv.Itoa(int(p.Port))))
		if err != nil {
			lb.mu.Unlock()
			return netip.Addr{}, fmt.Errorf("exposing service %s/%s on %s:%d: %w", namespace, name, addr, p.Port, err)
		}
		fe.listeners = append(fe.listeners, l)
		lb.wg.Add(1)
		go lb.serve(l, fe, uint16(p.Port))
	}
	lb.mu.Unlock()

	vip := v1.LoadBalancerIPModeVIP
	svc.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: addr.String(), IPMode: &vip}}
	if _, err := svcs.UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		return netip.Addr{}, fmt.Errorf("writing the frontend of service %s/%s to its status: %w", namespace, name, err)
	}
	return addr, nil
}

// Close stops every frontend, drops the connections and releases the
// addresses.
func (lb *StandInLB) Close() {
	lb.mu.Lock()
	if lb.closed {
		lb.mu.Unlock()
		return
	}
	lb.closed = true
	for _, fe := range lb.frontends {
		for _, l := range fe.listeners {
			_ = l.Close()
		}
	}
	for c := range lb.conns {
		_ = c.Close()
	}
	frontends := lb.frontends
	lb.frontends = nil
	lb.mu.Unlock()
	lb.wg.Wait()
	for _, fe := range frontends {
		lb.releaseFrontend(fe)
	}
}

func (lb *StandInLB) releaseFrontend(fe *standInFrontend) {
	if err := lb.c.claim.Release(fe.addr); err != nil {
		lb.logger.Error(err, "Releasing frontend address", "address", fe.addr)
	}
	frontendIndexes.release(fe.index)
}

func (lb *StandInLB) track(c net.Conn) bool {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.closed {
		return false
	}
	lb.conns[c] = struct{}{}
	return true
}

func (lb *StandInLB) untrack(c net.Conn) {
	lb.mu.Lock()
	delete(lb.conns, c)
	lb.mu.Unlock()
}

func (lb *StandInLB) serve(l net.Listener, fe *standInFrontend, port uint16) {
	defer lb.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		if !lb.track(c) {
			_ = c.Close()
			return
		}
		lb.wg.Add(1)
		go func() {
			defer lb.wg.Done()
			defer lb.untrack(c)
			defer c.Close()
			lb.forward(c, fe, port)
		}()
	}
}

// HealthyNodes probes every node as the stand-in does for a new connection
// and returns those that answer 200.
func (lb *StandInLB) healthyNodes(fe *standInFrontend) []Node {
	nodes := lb.c.Nodes()
	ok := make([]bool, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			port := ProxyHealthPort
			if fe.local {
				port = int(fe.hcnp)
			}
			ok[i] = lb.probe(n.Address, port)
		}()
	}
	wg.Wait()
	var healthy []Node
	for i, n := range nodes {
		if ok[i] {
			healthy = append(healthy, n)
		}
	}
	return healthy
}

func (lb *StandInLB) probe(ip netip.Addr, port int) bool {
	client := http.Client{Timeout: lb.ProbeTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + net.JoinHostPort(ip.String(), strconv.Itoa(port)) + "/healthz")
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (lb *StandInLB) forward(c net.Conn, fe *standInFrontend, port uint16) {
	healthy := lb.healthyNodes(fe)
	if len(healthy) == 0 {
		lb.logger.V(2).Info("No healthy backend; holding the connection", "service", fe.service)
		_, _ = io.Copy(io.Discard, c)
		return
	}
	lb.rngMu.Lock()
	node := healthy[lb.rng.IntN(len(healthy))]
	lb.rngMu.Unlock()
	client, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	up, err := net.DialTimeout("tcp4", net.JoinHostPort(node.Address.String(), strconv.Itoa(int(port))), dialTimeout)
	if err != nil {
		lb.logger.V(2).Info("Backend unreachable", "service", fe.service, "node", node.Name, "err", err)
		reset(c)
		return
	}
	if !lb.track(up) {
		_ = up.Close()
		return
	}
	defer lb.untrack(up)
	defer up.Close()
	hdr := ProxyHeader{Client: client, Frontend: netip.AddrPortFrom(fe.addr, port)}
	if _, err := io.WriteString(up, hdr.String()); err != nil {
		reset(c)
		return
	}
	splice(c, c, up)
}
