package e2e

import (
	"fmt"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// TestBackendPoolFollowsNodes: the backend pool follows the nodes the service controller passes: a
// new node joins, a removed node leaves, and a node labelled
// node.kubernetes.io/exclude-from-external-load-balancers=true leaves (and comes back when the label
// goes), while the Service's frontend, rule and probe stay as they are.
func TestBackendPoolFollowsNodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.startController("a", controllerOptions{})
	e.createService("web", local)
	svc := e.waitIngress("web")
	base := baseName(svc)
	e.waitPool("every initial node", e.nodeAddresses())
	owned := ownedBy(e.loadBalancer(), base)

	added, err := e.cluster.AddNode(e.ctx)
	if err != nil {
		t.Fatalf("adding a node: %v", err)
	}
	e.step("added %s (%s)", added.Name, added.Address)
	e.waitPool("the added node "+added.Name, e.nodeAddresses())

	removed := e.cluster.Nodes()[0]
	if err := e.cluster.RemoveNode(e.ctx, removed.Name); err != nil {
		t.Fatalf("removing node %s: %v", removed.Name, err)
	}
	e.step("removed %s (%s)", removed.Name, removed.Address)
	e.waitPool("node "+removed.Name+" gone", e.nodeAddresses())

	excluded := e.cluster.Nodes()[0]
	e.labelNode(excluded.Name, labelExcludeFromLB, ptr.To("true"))
	e.step("labelled %s %s=true", excluded.Name, labelExcludeFromLB)
	var rest []string
	for _, a := range e.nodeAddresses() {
		if a != excluded.Address.String() {
			rest = append(rest, a)
		}
	}
	e.waitPool("node "+excluded.Name+" excluded", rest)

	e.labelNode(excluded.Name, labelExcludeFromLB, nil)
	e.step("removed the label from %s", excluded.Name)
	e.waitPool("node "+excluded.Name+" back", e.nodeAddresses())

	if after := ownedBy(e.loadBalancer(), base); !sameChildren(owned, after) {
		t.Errorf("the service's frontend, rules or probes changed with the nodes\nbefore: %s\nafter:  %s", describeChildren(owned), describeChildren(after))
	}
}

// waitPool waits until the backend pool holds exactly want (sorted addresses).
func (e *env) waitPool(what string, want []string) {
	e.t.Helper()
	e.waitFor("backend pool = "+what+" "+fmt.Sprint(want), reconcileTimeout, func() (bool, error) {
		got := poolAddresses(e.loadBalancer())
		return slices.Equal(got, want), fmt.Errorf("pool is %v", got)
	})
	e.step("backend pool %v (%s)", want, what)
}

// labelNode sets (value != nil) or removes (nil) a node label.
func (e *env) labelNode(node, key string, value *string) {
	e.t.Helper()
	var patch string
	if value == nil {
		patch = fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, key)
	} else {
		patch = fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, key, *value)
	}
	if _, err := e.client.CoreV1().Nodes().Patch(e.ctx, node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		e.t.Fatalf("labelling node %s: %v", node, err)
	}
}

// sameChildren compares frontends, rules and probes by name and properties, ignoring etags.
func sameChildren(a, b children) bool { return describeChildren(a) == describeChildren(b) }

// describeChildren renders children as JSON without etags and provisioning states, which every
// write changes.
func describeChildren(c children) string {
	return jsonString(withoutKeys(jsonValue([]any{c.frontends, c.rules, c.probes}), "etag", "provisioningState"))
}
