package e2e

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/azlb/azlb/test/harness"
)

// TestLocalServiceTraffic: requests to a Local Service's ingress address, through the fake load
// balancer's data plane (Azure's probe timing), are answered by its pods, which see the client's own
// address, and only nodes that run a pod are in rotation. Switched to Cluster, every node is in
// rotation and the pods see a node's address (SNAT), including that of the node without a pod, which
// forwards to another node.
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
	nodeByAddr := map[string]string{}
	for _, n := range e.cluster.Nodes() {
		nodeByAddr[n.Address.String()] = n.Name
	}

	// The probes need up to one interval to mark the nodes with a pod up (an Http probe's first 200).
	e.waitFor("a first answer through "+frontend.String(), reconcileTimeout, func() (bool, error) {
		r := harness.GetDebugIP(e.ctx, harness.ClientAddress(1), frontend, 2*time.Second)
		return r.Outcome == harness.Served, r.Err
	})
	e.step("first answer through the frontend")
	for i := 1; i <= 20; i++ {
		client := harness.ClientAddress(i)
		r := harness.GetDebugIP(e.ctx, client, frontend, 5*time.Second)
		if r.Outcome != harness.Served {
			t.Errorf("request %d from %s: %s: %v", i, client, r.Outcome, r.Err)
			continue
		}
		if r.Answer.ClientHost != client.String() {
			t.Errorf("request %d from %s: the pod saw client %s, want the client's own address", i, client, r.Answer.ClientHost)
		}
		if !withPod[r.Answer.Node] {
			t.Errorf("request %d answered on node %s, which runs no pod of the service (nodes with one: %v)", i, r.Answer.Node, withPod)
		}
	}
	// Local never forwards to another node, so the nodes in rotation are exactly those with a pod.
	e.waitRotation(frontend, func(n string) bool { return withPod[n] }, "the nodes with a pod")
	e.step("requests kept the client address; in rotation: the nodes with a pod")

	// Switched to Cluster: the provider probes the node port over TCP, every node passes, and the
	// node that received the connection is the source the pod sees.
	e.setTrafficPolicy("shop", v1.ServiceExternalTrafficPolicyCluster)
	e.waitRotation(frontend, func(string) bool { return true }, "every node")
	e.step("switched to Cluster: every node in rotation")
	viaNode := map[string]int{}
	for i := 1; i <= 30; i++ {
		client := harness.ClientAddress(i)
		r := harness.GetDebugIP(e.ctx, client, frontend, 5*time.Second)
		if r.Outcome != harness.Served {
			t.Errorf("Cluster request %d from %s: %s: %v", i, client, r.Outcome, r.Err)
			continue
		}
		node, ok := nodeByAddr[r.Answer.ClientHost]
		if !ok {
			t.Errorf("Cluster request %d from %s: the pod saw %s, want a node's address (SNAT)", i, client, r.Answer.ClientHost)
			continue
		}
		viaNode[node]++
	}
	for _, name := range nodeByAddr {
		if !withPod[name] && viaNode[name] == 0 {
			t.Errorf("no request came through %s, the node without a pod (requests per receiving node: %v): with Cluster it is in rotation and forwards", name, viaNode)
		}
	}
	e.step("Cluster: pods saw node addresses %v", viaNode)
}

// waitRotation waits until the nodes the data plane has in rotation for the frontend's rule are
// exactly those for which want holds.
func (e *env) waitRotation(frontend netip.AddrPort, want func(node string) bool, what string) {
	e.t.Helper()
	e.waitFor(what+" in rotation behind "+frontend.String(), reconcileTimeout, func() (bool, error) {
		rule, ok := e.azure.Rule(frontend)
		if !ok || rule.ProbeID == "" {
			return false, fmt.Errorf("no rule with a probe for %s", frontend)
		}
		up := map[netip.Addr]bool{}
		for _, a := range e.lb.InRotation(rule.ProbeID) {
			up[a] = true
		}
		var got, wanted []string
		for _, n := range e.cluster.Nodes() {
			if up[n.Address] {
				got = append(got, n.Name)
			}
			if want(n.Name) {
				wanted = append(wanted, n.Name)
			}
		}
		return slices.Equal(got, wanted), fmt.Errorf("in rotation %v, want %v", got, wanted)
	})
}

// setTrafficPolicy changes a Service's externalTrafficPolicy.
func (e *env) setTrafficPolicy(name string, p v1.ServiceExternalTrafficPolicy) {
	e.t.Helper()
	patch := fmt.Sprintf(`{"spec":{"externalTrafficPolicy":%q}}`, p)
	if _, err := e.client.CoreV1().Services(e.ns).Patch(e.ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		e.t.Fatalf("setting service %s externalTrafficPolicy %s: %v", name, p, err)
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
