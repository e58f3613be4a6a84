package loadbalancer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/probes"
)

func testSettings() *Settings {
	return &Settings{
		ClusterName: "kubernetes", SubscriptionID: "sub", ResourceGroup: "rg", LBResourceGroup: "rg",
		Location: "eastus", VnetResourceGroup: "rg", VnetName: "vnet", SubnetName: "subnet",
		ExcludeControlPlane: true,
	}
}

func testTarget(s *Settings, internal bool) lbTarget {
	return lbTarget{
		name: LBName(s.ClusterName, "", internal), location: s.Location, ids: s.lbIDs(),
		poolName: s.ClusterName, vnetID: s.vnetIDs().vnet(s.VnetName),
	}
}

// testService is a LoadBalancer Service with a UID derived from n.
func testService(n int, mutate ...func(*v1.Service)) *v1.Service {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("svc%d", n), Namespace: "default",
			UID: types.UID(fmt.Sprintf("%08x-0000-4000-8000-000000000000", n)),
		},
		Spec: v1.ServiceSpec{
			Type:                  v1.ServiceTypeLoadBalancer,
			ExternalTrafficPolicy: v1.ServiceExternalTrafficPolicyCluster,
			Ports:                 []v1.ServicePort{{Name: "http", Port: 80, Protocol: v1.ProtocolTCP, NodePort: 30080}},
		},
	}
	for _, m := range mutate {
		m(svc)
	}
	return svc
}

func local(svc *v1.Service) {
	svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
	svc.Spec.HealthCheckNodePort = 32000
}

func upsertOf(t *testing.T, s *Settings, svc *v1.Service, nodes ...backendAddress) lbChange {
	t.Helper()
	spec, err := BuildServiceSpec(svc, s)
	if err != nil {
		t.Fatal(err)
	}
	pipID := armID{s.SubscriptionID, s.ResourceGroup}.publicIP(spec.PIP.Name)
	return lbChange{base: spec.Base, frontend: spec.Frontend(pipID), rules: spec.Rules, probes: spec.Probes,
		sharedProbe: spec.SharedProbe, setNodes: nodes != nil, nodes: nodes}
}

func names[T any](items []*T, name func(*T) *string) []string {
	var out []string
	for _, i := range items {
		out = append(out, *name(i))
	}
	return out
}

func ruleNames(lb *armnetwork.LoadBalancer) []string {
	return names(lb.Properties.LoadBalancingRules, func(r *armnetwork.LoadBalancingRule) *string { return r.Name })
}

func probeNames(lb *armnetwork.LoadBalancer) []string {
	return names(lb.Properties.Probes, func(p *armnetwork.Probe) *string { return p.Name })
}

func frontendNames(lb *armnetwork.LoadBalancer) []string {
	return names(lb.Properties.FrontendIPConfigurations, func(f *armnetwork.FrontendIPConfiguration) *string { return f.Name })
}

var twoNodes = []backendAddress{{"node-1", "10.0.0.5"}, {"node-0", "10.0.0.4"}}

func TestDesiredLBCreates(t *testing.T) {
	s := testSettings()
	svc := testService(1)
	lb, op := desiredLB(nil, testTarget(s, false), []lbChange{upsertOf(t, s, svc, twoNodes...)})
	if op != opPut {
		t.Fatalf("op = %v, want put", op)
	}
	base := ServiceBaseName(svc)
	if *lb.Name != "kubernetes" || *lb.Location != "eastus" || *lb.SKU.Name != armnetwork.LoadBalancerSKUNameStandard {
		t.Errorf("identity: %s %s %s", *lb.Name, *lb.Location, *lb.SKU.Name)
	}
	if got := frontendNames(lb); len(got) != 1 || got[0] != base {
		t.Errorf("frontends %v", got)
	}
	if got := ruleNames(lb); len(got) != 1 || got[0] != base+"-TCP-80" {
		t.Errorf("rules %v", got)
	}
	pool := lb.Properties.BackendAddressPools
	if len(pool) != 1 || *pool[0].Name != "kubernetes" || len(pool[0].Properties.LoadBalancerBackendAddresses) != 2 {
		t.Fatalf("pool %+v", pool)
	}
	if first := pool[0].Properties.LoadBalancerBackendAddresses[0]; *first.Name != "node-0" || *first.Properties.IPAddress != "10.0.0.4" {
		t.Errorf("pool addresses are sorted by node name: %s %s", *first.Name, *first.Properties.IPAddress)
	}
	if !strings.HasSuffix(*pool[0].Properties.VirtualNetwork.ID, "/virtualNetworks/vnet") {
		t.Errorf("pool vnet %s", *pool[0].Properties.VirtualNetwork.ID)
	}
}

// asStored mimics what ARM returns: ids, etags and read-only back references filled in.
func asStored(lb *armnetwork.LoadBalancer) *armnetwork.LoadBalancer {
	out := *lb
	out.Etag = ptr.To(`W/"1"`)
	out.ID = ptr.To("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/" + *lb.Name)
	props := *lb.Properties
	props.ProvisioningState = ptr.To(armnetwork.ProvisioningStateSucceeded)
	props.Probes = nil
	for _, p := range lb.Properties.Probes {
		cp := *p
		pp := *p.Properties
		pp.LoadBalancingRules = []*armnetwork.SubResource{{ID: ptr.To("x")}}
		pp.ProvisioningState = ptr.To(armnetwork.ProvisioningStateSucceeded)
		cp.Properties = &pp
		cp.Etag = out.Etag
		props.Probes = append(props.Probes, &cp)
	}
	props.FrontendIPConfigurations = nil
	for _, f := range lb.Properties.FrontendIPConfigurations {
		cp := *f
		fp := *f.Properties
		if fp.Subnet != nil {
			fp.PrivateIPAddress = ptr.To("10.1.0.9") // allocated by Azure
		}
		cp.Properties = &fp
		props.FrontendIPConfigurations = append(props.FrontendIPConfigurations, &cp)
	}
	out.Properties = &props
	return &out
}

func TestDesiredLBNoOpIgnoresServerFields(t *testing.T) {
	s := testSettings()
	for _, svc := range []*v1.Service{
		testService(1), testService(2, local),
		testService(3, func(svc *v1.Service) { svc.Annotations = map[string]string{AnnotationInternal: "true"} }),
	} {
		internal := isInternal(svc)
		created, _ := desiredLB(nil, testTarget(s, internal), []lbChange{upsertOf(t, s, svc, twoNodes...)})
		existing := asStored(created)
		got, op := desiredLB(existing, testTarget(s, internal), []lbChange{upsertOf(t, s, svc, twoNodes...)})
		if op != opNone || got != existing {
			t.Errorf("%s: re-applying the same Service gives op %v, want none", svc.Name, op)
		}
	}
}

func TestDesiredLBKeepsOthers(t *testing.T) {
	s := testSettings()
	a, b := testService(1), testService(2, local)
	both, _ := desiredLB(nil, testTarget(s, false), []lbChange{upsertOf(t, s, a, twoNodes...), upsertOf(t, s, b)})
	existing := asStored(both)
	// A user's own rule and probe on the shared load balancer.
	existing.Properties.Probes = append(existing.Properties.Probes, &armnetwork.Probe{Name: ptr.To("user-probe"),
		Properties: &armnetwork.ProbePropertiesFormat{Protocol: ptr.To(armnetwork.ProbeProtocolTCP), Port: ptr.To[int32](22)}})

	// Change a's port: b's and the user's children stay exactly as they were (same objects).
	a2 := a.DeepCopy()
	a2.Spec.Ports[0].Port = 8080
	got, op := desiredLB(existing, testTarget(s, false), []lbChange{upsertOf(t, s, a2)})
	if op != opPut {
		t.Fatalf("op %v", op)
	}
	baseA, baseB := ServiceBaseName(a), ServiceBaseName(b)
	wantRules := []string{baseB + "-TCP-80", baseA + "-TCP-8080"}
	if r := ruleNames(got); strings.Join(r, ",") != strings.Join(wantRules, ",") {
		t.Errorf("rules %v, want %v", r, wantRules)
	}
	wantProbes := []string{baseB + "-TCP-32000", "user-probe", baseA + "-TCP-8080"}
	if p := probeNames(got); strings.Join(p, ",") != strings.Join(wantProbes, ",") {
		t.Errorf("probes %v, want %v", p, wantProbes)
	}
	if got.Properties.LoadBalancingRules[0] != existing.Properties.LoadBalancingRules[1] {
		t.Errorf("b's rule was rewritten")
	}

	// Removing a leaves b; removing b too deletes the load balancer... unless a user frontend remains.
	got, op = desiredLB(existing, testTarget(s, false), []lbChange{{base: baseA, remove: true}})
	if op != opPut || len(frontendNames(got)) != 1 || frontendNames(got)[0] != baseB {
		t.Errorf("remove a: op %v frontends %v", op, frontendNames(got))
	}
	_, op = desiredLB(existing, testTarget(s, false), []lbChange{{base: baseA, remove: true}, {base: baseB, remove: true}})
	if op != opDelete {
		t.Errorf("removing the last Services: op %v, want delete", op)
	}
	// Removing a Service that is not there changes nothing.
	_, op = desiredLB(existing, testTarget(s, false), []lbChange{{base: ServiceBaseName(testService(9)), remove: true}})
	if op != opNone {
		t.Errorf("removing an absent Service: op %v", op)
	}
	if _, op := desiredLB(nil, testTarget(s, false), []lbChange{{base: baseA, remove: true}}); op != opNone {
		t.Errorf("removing from an absent load balancer: op %v", op)
	}
}

func TestDesiredLBPool(t *testing.T) {
	s := testSettings()
	created, _ := desiredLB(nil, testTarget(s, false), []lbChange{upsertOf(t, s, testService(1), twoNodes...)})
	existing := asStored(created)
	if _, op := desiredLB(existing, testTarget(s, false), []lbChange{{setNodes: true, nodes: twoNodes}}); op != opNone {
		t.Errorf("same nodes: op %v", op)
	}
	got, op := desiredLB(existing, testTarget(s, false), []lbChange{{setNodes: true, nodes: append(twoNodes[:1:1], backendAddress{"node-2", "10.0.0.6"})}})
	if op != opPut {
		t.Fatalf("new node: op %v", op)
	}
	var ips []string
	for _, a := range got.Properties.BackendAddressPools[0].Properties.LoadBalancerBackendAddresses {
		ips = append(ips, *a.Properties.IPAddress)
	}
	if strings.Join(ips, ",") != "10.0.0.5,10.0.0.6" {
		t.Errorf("pool %v", ips)
	}
	if got.Properties.LoadBalancingRules[0] != existing.Properties.LoadBalancingRules[0] {
		t.Errorf("a pool change rewrote a rule")
	}
	if _, op := desiredLB(nil, testTarget(s, false), []lbChange{{setNodes: true, nodes: twoNodes}}); op != opNone {
		t.Errorf("pool change without a load balancer: op %v", op)
	}
}

func TestDesiredLBSharedProbe(t *testing.T) {
	s := testSettings()
	s.Probes = probes.Config{ClusterMode: probes.ModeShared}
	a, b := testService(1), testService(2)
	both, _ := desiredLB(nil, testTarget(s, false), []lbChange{upsertOf(t, s, a), upsertOf(t, s, b)})
	if p := probeNames(both); len(p) != 1 || p[0] != SharedProbeName {
		t.Fatalf("probes %v, want the one shared probe", p)
	}
	existing := asStored(both)
	got, op := desiredLB(existing, testTarget(s, false), []lbChange{{base: ServiceBaseName(a), remove: true}})
	if op != opPut || len(probeNames(got)) != 1 {
		t.Errorf("shared probe must stay while b uses it: %v", probeNames(got))
	}
	// b becomes Local: it no longer uses the shared probe, which goes.
	got, _ = desiredLB(asStored(got), testTarget(s, false), []lbChange{upsertOf(t, s, testService(2, local))})
	if p := probeNames(got); len(p) != 1 || p[0] == SharedProbeName {
		t.Errorf("probes %v, want only b's health check probe", p)
	}
}

func TestDesiredLBBatchLastChangeWins(t *testing.T) {
	s := testSettings()
	a := testService(1)
	a2 := a.DeepCopy()
	a2.Spec.Ports[0].Port = 81
	got, _ := desiredLB(nil, testTarget(s, false), []lbChange{upsertOf(t, s, a), upsertOf(t, s, a2)})
	if r := ruleNames(got); len(r) != 1 || !strings.HasSuffix(r[0], "-TCP-81") {
		t.Errorf("rules %v", r)
	}
	_, op := desiredLB(nil, testTarget(s, false), []lbChange{upsertOf(t, s, a), {base: ServiceBaseName(a), remove: true}})
	if op != opNone {
		t.Errorf("create then delete in one batch: op %v", op)
	}
}
