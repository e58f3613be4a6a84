package harness

import (
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kubernetes/pkg/proxy"
	"k8s.io/utils/ptr"
)

// endpoint describes one EndpointSlice endpoint.
type endpoint struct {
	ip, node                    string
	ready, serving, terminating bool
}

func ruleTableFor(t *testing.T, node string, svc *v1.Service, eps []endpoint) *ruleTable {
	t.Helper()
	sct := proxy.NewServiceChangeTracker(v1.IPv4Protocol, nil, nil)
	ect := proxy.NewEndpointsChangeTracker(v1.IPv4Protocol, node, nil, nil)
	sct.Update(nil, svc)
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svc.Name + "-x", Namespace: svc.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(v1.ProtocolTCP)}},
	}
	for _, e := range eps {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses: []string{e.ip}, NodeName: ptr.To(e.node),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready), Serving: ptr.To(e.serving), Terminating: ptr.To(e.terminating)},
		})
	}
	ect.EndpointSliceUpdate(slice, false)
	svcs, epsMap := make(proxy.ServicePortMap), make(proxy.EndpointsMap)
	svcs.Update(sct)
	epsMap.Update(ect)
	return buildRuleTable(svcs, epsMap, node, nil)
}

func lbService(policy v1.ServiceExternalTrafficPolicy) *v1.Service {
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: v1.ServiceSpec{
			Type: v1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.10", ClusterIPs: []string{"10.0.0.10"},
			ExternalTrafficPolicy: policy, HealthCheckNodePort: 32000,
			Ports: []v1.ServicePort{{Name: "http", Port: 80, NodePort: 31000, Protocol: v1.ProtocolTCP}},
		},
		Status: v1.ServiceStatus{LoadBalancer: v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: "127.0.2.1"}}}},
	}
}

func TestBuildRuleTable(t *testing.T) {
	local, cluster := v1.ServiceExternalTrafficPolicyLocal, v1.ServiceExternalTrafficPolicyCluster
	readyHere := endpoint{ip: "10.244.1.1", node: "node-1", ready: true, serving: true}
	readyThere := endpoint{ip: "10.244.2.1", node: "node-2", ready: true, serving: true}
	terminatingServingHere := endpoint{ip: "10.244.1.2", node: "node-1", serving: true, terminating: true}
	terminatingDeadHere := endpoint{ip: "10.244.1.3", node: "node-1", terminating: true}
	tests := []struct {
		name    string
		policy  v1.ServiceExternalTrafficPolicy
		eps     []endpoint
		verdict verdict
		want    []string
	}{
		{name: "local uses the local ready endpoint", policy: local, eps: []endpoint{readyHere, readyThere}, verdict: verdictForward, want: []string{"127.1.1.1:8080"}},
		{name: "local prefers ready over serving-terminating", policy: local, eps: []endpoint{readyHere, terminatingServingHere}, verdict: verdictForward, want: []string{"127.1.1.1:8080"}},
		{name: "local falls back to serving-terminating", policy: local, eps: []endpoint{terminatingServingHere, readyThere}, verdict: verdictForward, want: []string{"127.1.1.2:8080"}},
		{name: "local drops when only remote endpoints", policy: local, eps: []endpoint{readyThere, terminatingDeadHere}, verdict: verdictDrop},
		{name: "no endpoints anywhere rejects", policy: local, eps: []endpoint{terminatingDeadHere}, verdict: verdictReject},
		{name: "cluster uses every ready endpoint", policy: cluster, eps: []endpoint{readyHere, readyThere, terminatingServingHere}, verdict: verdictForward, want: []string{"127.1.1.1:8080", "127.1.2.1:8080"}},
		{name: "cluster falls back to serving-terminating anywhere", policy: cluster, eps: []endpoint{terminatingServingHere, terminatingDeadHere}, verdict: verdictForward, want: []string{"127.1.1.2:8080"}},
		{name: "cluster without endpoints rejects", policy: cluster, verdict: verdictReject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := ruleTableFor(t, "node-1", lbService(tt.policy), tt.eps)
			byNodePort, byFrontend := table.byNodePort[31000], table.byFrontend[netip.MustParseAddrPort("127.0.2.1:80")]
			if byNodePort == nil || byNodePort != byFrontend {
				t.Fatalf("node port and frontend rules: %v, %v", byNodePort, byFrontend)
			}
			if got := table.ports; len(got) != 2 || got[0] != 80 || got[1] != 31000 {
				t.Errorf("listen ports %v, want [80 31000]", got)
			}
			r := byNodePort
			if r.verdict != tt.verdict || r.local != (tt.policy == local) {
				t.Errorf("verdict %v local %v, want %v %v", r.verdict, r.local, tt.verdict, tt.policy == local)
			}
			var got []string
			for _, ep := range r.endpoints {
				got = append(got, ep.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("endpoints %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("endpoints %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestBuildRuleTableSkipsClusterIPServices(t *testing.T) {
	svc := lbService(v1.ServiceExternalTrafficPolicyCluster)
	svc.Spec.Type = v1.ServiceTypeClusterIP
	svc.Spec.Ports[0].NodePort = 0
	svc.Status = v1.ServiceStatus{}
	table := ruleTableFor(t, "node-1", svc, []endpoint{{ip: "10.244.1.1", node: "node-1", ready: true, serving: true}})
	if len(table.ports) != 0 || len(table.byNodePort) != 0 || len(table.byFrontend) != 0 {
		t.Fatalf("ClusterIP service produced external rules: %+v", table)
	}
}
