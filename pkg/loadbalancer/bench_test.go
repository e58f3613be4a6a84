package loadbalancer

import (
	"fmt"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
)

// fullLB is a load balancer as ARM returns it with n Services (2.5 rules each on average, as in a
// full load balancer: 600 frontends, 1,500 rules) and nodes backend addresses.
func fullLB(b *testing.B, n, nodes int) (*armnetwork.LoadBalancer, []*v1.Service, []backendAddress) {
	b.Helper()
	s := testSettings()
	var services []*v1.Service
	var changes []lbChange
	for i := range n {
		svc := testService(i, func(s *v1.Service) {
			ports := 2 + i%2 // 2 or 3 ports
			s.Spec.Ports = nil
			for p := range ports {
				s.Spec.Ports = append(s.Spec.Ports, v1.ServicePort{Name: fmt.Sprint(p), Port: int32(80 + p), Protocol: v1.ProtocolTCP, NodePort: int32(30000 + p)})
			}
			if i%2 == 0 {
				local(s)
			}
		})
		services = append(services, svc)
		spec, err := BuildServiceSpec(svc, s)
		if err != nil {
			b.Fatal(err)
		}
		changes = append(changes, lbChange{base: spec.Base, frontend: spec.Frontend("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/x" + fmt.Sprint(i)),
			rules: spec.Rules, probes: spec.Probes})
	}
	addrs := make([]backendAddress, nodes)
	for i := range addrs {
		addrs[i] = backendAddress{name: fmt.Sprintf("node-%05d", i), ip: fmt.Sprintf("10.%d.%d.%d", i/65536, (i/256)%256, i%256)}
	}
	changes = append(changes, lbChange{setNodes: true, nodes: addrs})
	lb, op := desiredLB(nil, testTarget(s, false), changes)
	if op != opPut {
		b.Fatal("no load balancer")
	}
	return asStored(lb), services, addrs
}

// BenchmarkReconcile is one Service's reconcile on a load balancer holding n Services and 5,000 nodes:
// build its desired state and diff it with the load balancer (here: a change of its probe interval).
func BenchmarkReconcile(b *testing.B) {
	for _, n := range []int{10, 100, 300, 600} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			lb, services, addrs := fullLB(b, n, 5000)
			addrs = sortedByIP(addrs) // as backendAddresses hands them over, once per call
			s := testSettings()
			target := testTarget(s, false)
			svc := services[n/2].DeepCopy()
			svc.Annotations = map[string]string{"service.beta.kubernetes.io/azure-load-balancer-health-probe-interval": "10"}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				spec, err := BuildServiceSpec(svc, s)
				if err != nil {
					b.Fatal(err)
				}
				_, op := desiredLB(lb, target, []lbChange{{base: spec.Base, frontend: spec.Frontend("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/x"),
					rules: spec.Rules, probes: spec.Probes, setNodes: true, nodes: addrs}})
				if op != opPut {
					b.Fatal("the change was not seen")
				}
			}
		})
	}
}
