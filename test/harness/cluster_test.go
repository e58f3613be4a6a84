package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// TestLocalHealthCheckFollowsEndpoints: three replicas spread over three
// nodes land one per node, become Ready and appear in the EndpointSlice; a
// Local Service's health check node port answers 200 (kube-proxy's JSON and
// weight header) where a pod runs and 503 elsewhere; scaling to one turns
// the others 503.
func TestLocalHealthCheckFollowsEndpoints(t *testing.T) {
	t.Parallel()
	c := StartForTest(t, Options{Nodes: 3})
	logTimings(t, c)
	ctx := t.Context()

	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, appDeployment("web", 3, true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, err := c.Client.CoreV1().Services("default").Create(ctx, appLBService("web", "web", v1.ServiceExternalTrafficPolicyLocal), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hcnp := svc.Spec.HealthCheckNodePort
	if hcnp == 0 {
		t.Fatal("the API server allocated no healthCheckNodePort")
	}

	start := time.Now()
	pods := waitReadyPods(ctx, t, c, "web", 3, time.Minute)
	t.Logf("3 pods ready after %s", time.Since(start).Round(time.Millisecond))
	podNode := map[string]string{}
	for _, p := range pods {
		podNode[p.Status.PodIP] = p.Spec.NodeName
	}
	nodesWithPods := map[string]bool{}
	for _, n := range podNode {
		nodesWithPods[n] = true
	}
	if len(nodesWithPods) != 3 {
		t.Fatalf("topology spread: pods on %v, want one on each of 3 nodes", podNode)
	}

	waitFor(t, 10*time.Second, "the EndpointSlice to list the 3 ready pods", func() (bool, error) {
		slices, err := c.Client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=web"})
		if err != nil {
			return false, err
		}
		found := 0
		for _, s := range slices.Items {
			for _, ep := range s.Endpoints {
				if ep.Conditions.Ready != nil && *ep.Conditions.Ready && ep.NodeName != nil && podNode[ep.Addresses[0]] == *ep.NodeName {
					found++
				}
			}
		}
		if found != 3 {
			return false, fmt.Errorf("found %d of the pods %v ready in %+v", found, podNode, slices.Items)
		}
		return true, nil
	})

	expectHealth := func(n Node, wantStatus, wantEndpoints int) {
		t.Helper()
		var last httpResult
		waitFor(t, 10*time.Second, "hcnp of "+n.Name+" to answer "+strconv.Itoa(wantStatus), func() (bool, error) {
			r, err := httpGet(ClientAddress(1), hcnpURL(n, hcnp), time.Second)
			last = r
			return err == nil && r.status == wantStatus, err
		})
		var body hcnpBody
		if err := json.Unmarshal([]byte(last.body), &body); err != nil {
			t.Fatalf("hcnp body of %s: %v: %q", n.Name, err, last.body)
		}
		if body.Service.Namespace != "default" || body.Service.Name != "web" || body.LocalEndpoints != wantEndpoints || !body.ServiceProxyHealthy {
			t.Errorf("hcnp body of %s = %+v, want service default/web, %d local endpoints, proxy healthy", n.Name, body, wantEndpoints)
		}
		if got := last.header.Get("X-Load-Balancing-Endpoint-Weight"); got != strconv.Itoa(wantEndpoints) {
			t.Errorf("X-Load-Balancing-Endpoint-Weight of %s = %q, want %d", n.Name, got, wantEndpoints)
		}
	}
	for _, n := range c.Nodes() {
		expectHealth(n, http.StatusOK, 1)
	}

	extra, err := c.AddNode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expectHealth(extra, http.StatusServiceUnavailable, 0)

	if _, err := c.Client.AppsV1().Deployments("default").Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":1}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	left := waitReadyPods(ctx, t, c, "web", 1, time.Minute)
	for _, n := range c.Nodes() {
		if n.Name == left[0].Spec.NodeName {
			expectHealth(n, http.StatusOK, 1)
		} else {
			expectHealth(n, http.StatusServiceUnavailable, 0)
		}
	}
}

// TestTerminatingPodFailsHealthCheckWhileServing: a pod whose app keeps
// serving 10 s after SIGTERM (readiness failing) is deleted; the health
// check node port of its node turns 503 within a kube-proxy sync while the
// pod still answers on its address, and the pod object goes away once the
// app exits, within its grace period.
func TestTerminatingPodFailsHealthCheckWhileServing(t *testing.T) {
	t.Parallel()
	const minSync = time.Second
	c := StartForTest(t, Options{Nodes: 2, MinSyncPeriod: minSync})
	logTimings(t, c)
	ctx := t.Context()

	const shutdownDelay, grace = 10 * time.Second, 15
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "slow", Namespace: "default", Labels: map[string]string{"app": "slow"},
			Annotations: AppBehaviour{ShutdownDelay: shutdownDelay, KeepAlive: KeepAliveClose}.Annotations()},
		Spec: appPodSpec(grace),
	}
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, err := c.Client.CoreV1().Services("default").Create(ctx, appLBService("slow", "slow", v1.ServiceExternalTrafficPolicyLocal), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	running := waitReadyPods(ctx, t, c, "slow", 1, time.Minute)[0]
	node, _ := c.Node(running.Spec.NodeName)
	podURL := "http://" + net.JoinHostPort(PodLoopback(netip.MustParseAddr(running.Status.PodIP)).String(), strconv.Itoa(appPort)) + "/"
	waitFor(t, 10*time.Second, "hcnp 200 on "+node.Name, func() (bool, error) {
		r, err := httpGet(ClientAddress(1), hcnpURL(node, svc.Spec.HealthCheckNodePort), time.Second)
		return err == nil && r.status == http.StatusOK, err
	})

	deleted := time.Now()
	if err := c.Client.CoreV1().Pods("default").Delete(ctx, "slow", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "hcnp 503 on "+node.Name, func() (bool, error) {
		r, err := httpGet(ClientAddress(1), hcnpURL(node, svc.Spec.HealthCheckNodePort), time.Second)
		return err == nil && r.status == http.StatusServiceUnavailable, err
	})
	to503 := time.Since(deleted)
	t.Logf("hcnp turned 503 %s after the delete (minSyncPeriod %s)", to503.Round(time.Millisecond), minSync)
	if limit := minSync + 2*time.Second; to503 > limit {
		t.Errorf("hcnp took %s to turn 503, more than a sync (%s) plus 2 s of slack", to503, minSync)
	}
	if r, err := httpGet(ClientAddress(1), podURL, time.Second); err != nil || r.status != http.StatusOK || r.body != "slow" {
		t.Errorf("the terminating pod stopped answering when hcnp turned 503: %+v, %v", r, err)
	}

	// Readiness fails at SIGTERM: the endpoint stops serving but stays.
	waitFor(t, 5*time.Second, "the endpoint to be terminating and not serving", func() (bool, error) {
		slices, err := c.Client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=slow"})
		if err != nil {
			return false, err
		}
		for _, s := range slices.Items {
			for _, ep := range s.Endpoints {
				c := ep.Conditions
				if ep.Addresses[0] == running.Status.PodIP && ptr.Deref(c.Terminating, false) && !ptr.Deref(c.Serving, true) {
					return true, nil
				}
			}
		}
		return false, nil
	})
	time.Sleep(time.Until(deleted.Add(shutdownDelay / 2)))
	if r, err := httpGet(ClientAddress(1), podURL, time.Second); err != nil || r.status != http.StatusOK {
		t.Errorf("the pod stopped serving %s into its shutdown delay: %+v, %v", shutdownDelay/2, r, err)
	}

	waitFor(t, grace*time.Second+5*time.Second, "the pod object to go away", func() (bool, error) {
		_, err := c.Client.CoreV1().Pods("default").Get(ctx, "slow", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	gone := time.Since(deleted)
	t.Logf("pod object gone %s after the delete (app shutdown delay %s, grace %ds)", gone.Round(time.Millisecond), shutdownDelay, grace)
	if gone < shutdownDelay-time.Second || gone > grace*time.Second+3*time.Second {
		t.Errorf("pod object went away %s after the delete; want after the app's %s shutdown delay and within the %ds grace", gone, shutdownDelay, grace)
	}
	if _, err := httpGet(ClientAddress(1), podURL, time.Second); err == nil {
		t.Errorf("the pod still answers after it was deleted")
	}
}

// TestDrainEvictsAndReschedules: draining a node cordons it and evicts its
// pods through the Eviction API; with three replicas on two nodes one node
// runs two, and the PDB (maxUnavailable 1) refuses the second eviction until
// the first pod's replacement is ready. The pods come back on the other
// node.
func TestDrainEvictsAndReschedules(t *testing.T) {
	t.Parallel()
	c := StartForTest(t, Options{Nodes: 2})
	logTimings(t, c)
	ctx := t.Context()

	// Pods become ready 2 s after they start, so a replacement cannot make
	// room in the PDB before the drain's second eviction.
	dep := appDeployment("web", 3, false)
	dep.Spec.Template.Annotations = AppBehaviour{StartupDelay: 2 * time.Second}.Annotations()
	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		},
	}
	if _, err := c.Client.PolicyV1().PodDisruptionBudgets("default").Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := waitReadyPods(ctx, t, c, "web", 3, time.Minute)
	perNode := map[string]int{}
	for _, p := range pods {
		perNode[p.Spec.NodeName]++
	}
	target, onTarget := "", 0
	for n, count := range perNode {
		if count > onTarget {
			target, onTarget = n, count
		}
	}
	// The PDB controller must have seen all three ready before draining.
	waitFor(t, 10*time.Second, "the PDB to allow one disruption", func() (bool, error) {
		p, err := c.Client.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && p.Status.CurrentHealthy == 3 && p.Status.DisruptionsAllowed == 1, err
	})

	start := time.Now()
	res, err := c.Drain(ctx, target, DrainOptions{Timeout: 2 * time.Minute, RetryDelay: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("drained %s in %s: evicted %v, %d PDB refusals", target, time.Since(start).Round(time.Millisecond), res.Evicted, res.PDBRetries)
	if len(res.Evicted) != onTarget {
		t.Errorf("evicted %v, want the %d pods that ran on %s", res.Evicted, onTarget, target)
	}
	if onTarget >= 2 && res.PDBRetries == 0 {
		t.Errorf("%d pods evicted at once from %s although the PDB allows one disruption", onTarget, target)
	}
	n, err := c.Client.CoreV1().Nodes().Get(ctx, target, metav1.GetOptions{})
	if err != nil || !n.Spec.Unschedulable {
		t.Fatalf("node %s not cordoned after the drain: %v", target, err)
	}
	after := waitReadyPods(ctx, t, c, "web", 3, time.Minute)
	for _, p := range after {
		if p.Spec.NodeName == target {
			t.Errorf("pod %s was rescheduled onto the drained node %s", p.Name, target)
		}
	}
}

// TestStopReleasesEverything: the kubeconfig works while the cluster runs;
// Stop removes the node address from lo, closes its ports and the
// directory, leaves none of the harness's goroutines behind, and may be
// called twice.
func TestStopReleasesEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	c, err := Start(t.Context(), Options{Nodes: 1})
	if errors.Is(err, ErrNeedRoot) {
		t.Skip(err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	logTimings(t, c)
	node := c.Nodes()[0]

	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := kc.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 1 || nodes.Items[0].Name != node.Name {
		t.Fatalf("listing nodes through the kubeconfig: %v, %v", nodes, err)
	}
	if !slices.ContainsFunc(nodes.Items[0].Status.Conditions, func(c v1.NodeCondition) bool {
		return c.Type == v1.NodeReady && c.Status == v1.ConditionTrue
	}) {
		t.Errorf("node is not Ready: %+v", nodes.Items[0].Status.Conditions)
	}
	healthz := "http://" + net.JoinHostPort(node.Address.String(), strconv.Itoa(ProxyHealthPort)) + "/healthz"
	if r, err := httpGet(ClientAddress(1), healthz, time.Second); err != nil || r.status != http.StatusOK {
		t.Fatalf("kube-proxy /healthz on %s: %+v, %v", node.Name, r, err)
	}
	if has, err := loopbackHas(node.Address); err != nil || !has {
		t.Fatalf("node address %s on lo: %v, %v", node.Address, has, err)
	}
	// Some work, so that every kind of goroutine exists: a pod with probes,
	// kube-proxy listeners, a node data path with a connection.
	ctx := t.Context()
	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, appDeployment("web", 1, false), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, err := c.Client.CoreV1().Services("default").Create(ctx, appLBService("web", "web", v1.ServiceExternalTrafficPolicyLocal), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitReadyPods(ctx, t, c, "web", 1, time.Minute)
	nodePort := net.JoinHostPort(node.Address.String(), strconv.Itoa(int(svc.Spec.Ports[0].NodePort)))
	waitFor(t, 10*time.Second, "an answer on the node port", func() (bool, error) {
		_, err := debugIP(ClientAddress(1), nodePort)
		return err == nil, err
	})
	// A connection left open across Stop.
	open, err := net.Dial("tcp", nodePort)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()

	extraStopped := make(chan struct{})
	c.Go("extra", func(ctx context.Context) error {
		<-ctx.Done()
		close(extraStopped)
		return nil
	})

	c.Stop()
	c.Stop()
	select {
	case <-extraStopped:
	default:
		t.Errorf("Stop returned before the extra process ended")
	}
	if leftOnLo(t, node.Address) {
		t.Errorf("node address %s still on lo after Stop", node.Address)
	}
	if _, err := httpGet(ClientAddress(1), healthz, time.Second); err == nil && !takenOver(t, node.Address) {
		t.Errorf("kube-proxy /healthz still answers after Stop")
	}
	if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory %s still there after Stop (%v)", c.Dir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := kc.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		t.Errorf("the API server still answers after Stop")
	}

	var leaked []string
	waitFor(t, 5*time.Second, "the harness's goroutines to end", func() (bool, error) {
		leaked = harnessGoroutines()
		return len(leaked) == 0, fmt.Errorf("%d left: %v", len(leaked), leaked)
	})
	// Upstream components finish shutting down asynchronously; report what
	// is left once they settled (not asserted: not ours to control).
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before+5 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("goroutines: %d before Start, %d a moment after Stop", before, runtime.NumGoroutine())
}

// harnessGoroutines returns the stacks of goroutines running harness code,
// other than tests.
func harnessGoroutines() []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "azlb/test/harness.") && !strings.Contains(g, "harness.Test") && !strings.Contains(g, "_test.go") {
			out = append(out, g)
		}
	}
	return out
}

// leftOnLo reports whether addr is on lo with nobody owning it: another test process running at the
// same time may have claimed the address as soon as it was released, which is not a leak.
func leftOnLo(t *testing.T, addr netip.Addr) bool {
	t.Helper()
	has, err := loopbackHas(addr)
	if err != nil {
		t.Fatal(err)
	}
	return has && !takenOver(t, addr)
}

// takenOver reports whether another process (or cluster) holds the address's claim.
func takenOver(t *testing.T, addr netip.Addr) bool {
	t.Helper()
	f, err := claimer.lock(addr)
	if errors.Is(err, errAddressTaken) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	return false
}
