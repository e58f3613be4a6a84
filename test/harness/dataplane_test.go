package harness

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/azlb/azlb/pkg/azureprovider"
	"github.com/azlb/azlb/pkg/cloudconfig"
	"github.com/azlb/azlb/pkg/loadbalancer"
)

// testProbeInterval shortens the data plane's probe interval so that these tests take seconds; the
// e2e tests keep Azure's real 5 s.
const testProbeInterval = 200 * time.Millisecond

// inProcessProvider is the project's provider, in this process, talking to the fake Azure over
// HTTPS with the same cloud config a cloud-controller gets: the harness's tests write load
// balancers with it instead of running the cloud-controller binary (the e2e tests do that).
func inProcessProvider(t *testing.T, a *FakeAzure) *loadbalancer.Provider {
	t.Helper()
	data, err := json.Marshal(a.CloudConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := cloudconfig.Parse(data, func(string) string { return "" })
	if err != nil {
		t.Fatalf("cloud config for the fake: %v", err)
	}
	cloud, err := azureprovider.New(cfg, azureprovider.Options{})
	if err != nil {
		t.Fatalf("provider: %v", err)
	}
	return cloud.LoadBalancerProvider()
}

// ensureLB does what the service controller does for a Service: EnsureLoadBalancer with the
// cluster's nodes, then the ingress address into the Service's status. It returns the frontend
// address.
func ensureLB(ctx context.Context, t *testing.T, c *Cluster, p *loadbalancer.Provider, namespace, name string) netip.Addr {
	t.Helper()
	svc, err := c.Client.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status, err := p.EnsureLoadBalancer(ctx, "kubernetes", svc, apiNodes(ctx, t, c))
	if err != nil {
		t.Fatalf("EnsureLoadBalancer %s/%s: %v", namespace, name, err)
	}
	if len(status.Ingress) == 0 {
		t.Fatalf("EnsureLoadBalancer %s/%s returned no ingress", namespace, name)
	}
	svc.Status.LoadBalancer = *status
	if _, err := c.Client.CoreV1().Services(namespace).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	return netip.MustParseAddr(status.Ingress[0].IP)
}

// apiNodes lists the Node objects, as the service controller passes them to the provider.
func apiNodes(ctx context.Context, t *testing.T, c *Cluster) []*v1.Node {
	t.Helper()
	list, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*v1.Node, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out
}

// TestDataPlaneSourceAddress: through the fake Azure's real data plane, a Local Service's pods
// see the client's own address and only nodes with a pod are in rotation; a Cluster Service on an
// internal frontend (the frontend subnet) reaches pods with a node's address (SNAT); NodePort
// traffic to a Local Service keeps the client address; when a node with a pod vanishes, its pod is
// replaced elsewhere and the Local frontend follows.
func TestDataPlaneSourceAddress(t *testing.T) {
	t.Parallel()
	azure := StartFakeAzureForTest(t, FakeAzureOptions{Dir: t.TempDir()})
	c := StartForTest(t, Options{Nodes: 3})
	logTimings(t, c)
	ctx := t.Context()

	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, appDeployment("web", 2, true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	local, err := c.Client.CoreV1().Services("default").Create(ctx, appLBService("web-local", "web", v1.ServiceExternalTrafficPolicyLocal), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	internal := appLBService("web-cluster", "web", v1.ServiceExternalTrafficPolicyCluster)
	internal.Annotations = map[string]string{"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}
	if _, err := c.Client.CoreV1().Services("default").Create(ctx, internal, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := waitReadyPods(ctx, t, c, "web", 2, time.Minute)
	podNode := map[string]string{}
	withPod := map[netip.Addr]bool{}
	for _, p := range pods {
		podNode[p.Name] = p.Spec.NodeName
		n, _ := c.Node(p.Spec.NodeName)
		withPod[n.Address] = true
	}

	provider := inProcessProvider(t, azure)
	feLocal := ensureLB(ctx, t, c, provider, "default", "web-local")
	feCluster := ensureLB(ctx, t, c, provider, "default", "web-cluster")
	if !azure.PublicIPRange.Contains(feLocal) {
		t.Errorf("public frontend %s is not in the fake's public IP range %s", feLocal, azure.PublicIPRange)
	}
	if !azure.FrontendSubnet.Contains(feCluster) {
		t.Errorf("internal frontend %s is not in the frontend subnet %s", feCluster, azure.FrontendSubnet)
	}
	dp := StartDataPlaneForTest(t, azure, DataPlaneOptions{ProbeInterval: testProbeInterval})

	client := ClientAddress(7)
	nodeAddrs := map[string]string{}
	for _, n := range c.Nodes() {
		nodeAddrs[n.Address.String()] = n.Name
	}
	check := func(fe string, wantClient func(DebugIP) bool, what string) {
		t.Helper()
		// Until the probes have marked the nodes up, nothing is admitted.
		waitFor(t, 10*time.Second, "a first answer through "+fe, func() (bool, error) {
			_, err := debugIP(client, fe)
			return err == nil, err
		})
		for i := 0; i < 20; i++ {
			d, err := debugIP(client, fe)
			if err != nil {
				t.Fatalf("request %d through %s: %v", i, fe, err)
			}
			if !wantClient(d) {
				t.Fatalf("request %d through %s: pod %s on %s saw client %q, want %s", i, fe, d.Pod, d.Node, d.ClientHost, what)
			}
			if podNode[d.Pod] != d.Node || d.XForwardedFor != nil || d.XRealIP != nil {
				t.Fatalf("request %d through %s: answer %+v does not match pods %v", i, fe, d, podNode)
			}
		}
	}
	check(net.JoinHostPort(feLocal.String(), "80"), func(d DebugIP) bool { return d.ClientHost == client.String() }, "the client "+client.String())
	check(net.JoinHostPort(feCluster.String(), "80"), func(d DebugIP) bool { return nodeAddrs[d.ClientHost] != "" }, "a node address")

	// The Local probe has exactly the nodes with a pod in rotation.
	localProbe := probeOf(t, azure, netip.AddrPortFrom(feLocal, 80))
	waitFor(t, 5*time.Second, "the Local probe to have the nodes with a pod up", func() (bool, error) {
		up := dp.InRotation(localProbe)
		return len(up) == len(withPod) && !slices.ContainsFunc(up, func(a netip.Addr) bool { return !withPod[a] }), nil
	})

	// NodePort, no PROXY header: a node with a local pod keeps the client address.
	n, _ := c.Node(pods[0].Spec.NodeName)
	d, err := debugIP(client, net.JoinHostPort(n.Address.String(), strconv.Itoa(int(local.Spec.Ports[0].NodePort))))
	if err != nil {
		t.Fatal(err)
	}
	if d.ClientHost != client.String() || d.Node != n.Name {
		t.Errorf("NodePort on %s: %+v, want client %s served on the same node", n.Name, d, client)
	}

	// The node of a pod vanishes: its pod is replaced on a remaining node, the service controller
	// updates the pool, and the Local frontend keeps answering from the new set of nodes.
	if err := c.RemoveNode(ctx, n.Name); err != nil {
		t.Fatal(err)
	}
	if leftOnLo(t, n.Address) {
		t.Errorf("removed node's address %s is still on lo", n.Address)
	}
	if _, err := c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("removed node object: err %v, want NotFound", err)
	}
	for _, name := range []string{"web-local", "web-cluster"} { // public and internal load balancers
		svc, err := c.Client.CoreV1().Services("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := provider.UpdateLoadBalancer(ctx, "kubernetes", svc, apiNodes(ctx, t, c)); err != nil {
			t.Fatalf("UpdateLoadBalancer %s: %v", name, err)
		}
	}
	replaced := waitReadyPods(ctx, t, c, "web", 2, time.Minute)
	podNode = map[string]string{}
	for _, p := range replaced {
		if p.Spec.NodeName == n.Name {
			t.Fatalf("pod %s still on the removed node", p.Name)
		}
		podNode[p.Name] = p.Spec.NodeName
	}
	check(net.JoinHostPort(feLocal.String(), "80"), func(d DebugIP) bool { return d.ClientHost == client.String() }, "the client "+client.String())
	for _, b := range dp.Observe().Backends {
		if b.Backend == n.Address {
			t.Errorf("the removed node %s is still a backend of probe %s", n.Address, b.Probe)
		}
	}

	// Stop closes the frontends.
	dp.Stop()
	if _, err := net.DialTimeout("tcp", net.JoinHostPort(feLocal.String(), "80"), time.Second); err == nil {
		t.Errorf("frontend %s still accepts connections after the data plane stopped", feLocal)
	}
}

// probeOf is the ID of the probe behind the frontend's rule.
func probeOf(t *testing.T, a *FakeAzure, fe netip.AddrPort) string {
	t.Helper()
	r, ok := a.Rule(fe)
	if !ok || r.ProbeID == "" {
		t.Fatalf("no rule with a probe serves frontend %s (rule %+v)", fe, r)
	}
	return r.ProbeID
}
