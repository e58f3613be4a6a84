package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/azlb/azlb/test/harness"
)

// openDataPlane starts the load balancer data plane of the fake Azure, so that connections to a
// frontend's address reach the backend pool: it follows the fake's load balancers (Snapshot, Watch),
// probes each pool member on the probe's port and path, and opens each backend connection to
// nodeIP:backendPort with a PROXY v1 header (harness.ProxyHeader), which the harness's node data
// path routes. pkg/fake serves the ARM control plane only so far, so the tests that need traffic are
// skipped here, before their cluster starts, rather than pass without it.
func openDataPlane(t *testing.T, azure *harness.FakeAzure) {
	t.Helper()
	t.Skipf("no load balancer data plane: pkg/fake serves the ARM control plane only, so nothing listens on frontend addresses such as %s yet",
		azure.PublicIPRange.Addr().Next())
}

// TestLocalServiceTraffic: requests to a Local Service's ingress address are answered by its pods,
// which see the client's own address, and only nodes that run a pod take them.
func TestLocalServiceTraffic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{dataPlane: true})
	e.startController("a", controllerOptions{})
	e.createDeployment("shop", 2) // 2 of the 3 nodes run a pod
	e.createService("shop", local)
	svc := e.waitIngress("shop")
	e.waitDeploymentReady("shop")
	withPod := e.nodesRunning("shop")
	frontend := netip.AddrPortFrom(netip.MustParseAddr(svc.Status.LoadBalancer.Ingress[0].IP), 80)

	// The probes need up to interval x threshold to mark the nodes with a pod up.
	e.waitFor("a first answer through "+frontend.String(), reconcileTimeout, func() (bool, error) {
		_, err := getDebugIP(e.ctx, harness.ClientAddress(1), frontend)
		return err == nil, err
	})
	e.step("first answer through the frontend")
	for i := 1; i <= 20; i++ {
		client := harness.ClientAddress(i)
		got, err := getDebugIP(e.ctx, client, frontend)
		if err != nil {
			t.Errorf("request %d from %s: %v", i, client, err)
			continue
		}
		if got.ClientHost != client.String() {
			t.Errorf("request %d from %s: the pod saw client %s, want the client's own address", i, client, got.ClientHost)
		}
		if !withPod[got.Node] {
			t.Errorf("request %d answered on node %s, which runs no pod of the service (nodes with one: %v)", i, got.Node, withPod)
		}
	}
}

// nodesRunning returns the nodes that run a ready pod labelled app=name.
func (e *env) nodesRunning(app string) map[string]bool {
	e.t.Helper()
	pods, err := e.client.CoreV1().Pods(e.ns).List(e.ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		e.t.Fatalf("listing pods of %s: %v", app, err)
	}
	out := map[string]bool{}
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == v1.PodReady && c.Status == v1.ConditionTrue && p.DeletionTimestamp == nil {
				out[p.Spec.NodeName] = true
			}
		}
	}
	return out
}

// getDebugIP asks the app's /debug/ip at target from the client address, on a new connection.
func getDebugIP(ctx context.Context, client netip.Addr, target netip.AddrPort) (harness.DebugIP, error) {
	var out harness.DebugIP
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: client.AsSlice()}, Timeout: 2 * time.Second}
	hc := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+target.String()+"/debug/ip", nil)
	if err != nil {
		return out, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return out, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return out, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return out, fmt.Errorf("decoding /debug/ip %q: %w", body, err)
	}
	return out, nil
}
