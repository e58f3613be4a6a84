package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"k8s.io/utils/ptr"
)

// TestLocalService: an externalTrafficPolicy Local Service over a Deployment gets, on the cluster's
// load balancer, a frontend with its own public IP, a rule per port, one HTTP probe on the
// healthCheckNodePort's /healthz, a backend pool of every eligible node (not only those running a
// pod: the probe tells them apart), the cleanup finalizer, and the public IP's address as its ingress.
func TestLocalService(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.startController("a", controllerOptions{})
	e.createDeployment("shop", 2) // on 2 of the 3 nodes
	e.createService("shop", local)
	svc := e.waitIngress("shop")
	e.step("service shop has ingress %s", svc.Status.LoadBalancer.Ingress[0].IP)

	hcnp := svc.Spec.HealthCheckNodePort
	if hcnp == 0 {
		t.Fatal("the API server allocated no healthCheckNodePort to the Local Service")
	}
	if !hasFinalizer(svc, finalizerCleanup) {
		t.Errorf("service finalizers %v, want %s", svc.Finalizers, finalizerCleanup)
	}

	base := baseName(svc)
	lb := e.loadBalancer()
	if lb == nil {
		t.Fatalf("no load balancer %s in the fake\n%s", clusterName, e.describeAzure())
	}
	owned := ownedBy(lb, base)

	// The public IP: the provider's, tagged with the Service and cluster, its address the ingress.
	pip := e.publicIP(publicIPName(svc))
	if pip == nil {
		t.Fatalf("no public IP %s\n%s", publicIPName(svc), e.describeAzure())
	}
	if got, want := svc.Status.LoadBalancer.Ingress[0].IP, ptr.Deref(pip.Properties.IPAddress, ""); got != want {
		t.Errorf("status.loadBalancer.ingress IP %s, want the public IP's address %s", got, want)
	}
	if got := ptr.Deref(pip.Tags[tagService], ""); got != serviceKey(svc) {
		t.Errorf("public IP tag %s = %q, want %q", tagService, got, serviceKey(svc))
	}
	if got := ptr.Deref(pip.Tags[tagCluster], ""); got != clusterName {
		t.Errorf("public IP tag %s = %q, want %q", tagCluster, got, clusterName)
	}

	// One frontend, named after the Service, on that public IP.
	if len(owned.frontends) != 1 {
		t.Fatalf("frontends of the service: %d, want 1\n%s", len(owned.frontends), e.describeAzure())
	}
	fe := owned.frontends[0]
	if got := ptr.Deref(fe.Name, ""); got != base {
		t.Errorf("frontend name %q, want %q", got, base)
	}
	if fe.Properties == nil || fe.Properties.PublicIPAddress == nil || !strings.EqualFold(ptr.Deref(fe.Properties.PublicIPAddress.ID, ""), ptr.Deref(pip.ID, "")) {
		t.Errorf("frontend %s does not reference public IP %s", base, ptr.Deref(pip.ID, ""))
	}

	// One probe: HTTP on the healthCheckNodePort, /healthz, the documented defaults.
	if len(owned.probes) != 1 {
		t.Fatalf("probes of the service: %d, want 1\n%s", len(owned.probes), e.describeAzure())
	}
	probe := owned.probes[0]
	pp := ptr.Deref(probe.Properties, armnetwork.ProbePropertiesFormat{})
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"protocol", ptr.Deref(pp.Protocol, ""), armnetwork.ProbeProtocolHTTP},
		{"port", ptr.Deref(pp.Port, 0), hcnp},
		{"requestPath", ptr.Deref(pp.RequestPath, ""), "/healthz"},
		{"intervalInSeconds", ptr.Deref(pp.IntervalInSeconds, 0), int32(5)},
		{"probeThreshold", ptr.Deref(pp.ProbeThreshold, 0), int32(2)},
	} {
		if c.got != c.want {
			t.Errorf("probe %s: %s = %v, want %v", ptr.Deref(probe.Name, ""), c.field, c.got, c.want)
		}
	}

	// One rule for port 80: TCP, floating IP (backend port = service port), using that probe and the pool.
	if len(owned.rules) != 1 {
		t.Fatalf("rules of the service: %d, want 1\n%s", len(owned.rules), e.describeAzure())
	}
	rule := owned.rules[0]
	rp := ptr.Deref(rule.Properties, armnetwork.LoadBalancingRulePropertiesFormat{})
	if got, want := ptr.Deref(rule.Name, ""), base+"-TCP-80"; got != want {
		t.Errorf("rule name %q, want %q", got, want)
	}
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"protocol", ptr.Deref(rp.Protocol, ""), armnetwork.TransportProtocolTCP},
		{"frontendPort", ptr.Deref(rp.FrontendPort, 0), int32(80)},
		{"backendPort", ptr.Deref(rp.BackendPort, 0), int32(80)},
		{"enableFloatingIP", ptr.Deref(rp.EnableFloatingIP, false), true},
		{"frontendIPConfiguration", rp.FrontendIPConfiguration != nil && strings.EqualFold(ptr.Deref(rp.FrontendIPConfiguration.ID, ""), ptr.Deref(fe.ID, "")), true},
		{"probe", rp.Probe != nil && strings.EqualFold(ptr.Deref(rp.Probe.ID, ""), ptr.Deref(probe.ID, "")), true},
		{"backendAddressPool", rp.BackendAddressPool != nil && strings.EqualFold(idName(rp.BackendAddressPool.ID), clusterName), true},
	} {
		if c.got != c.want {
			t.Errorf("rule %s: %s = %v, want %v", ptr.Deref(rule.Name, ""), c.field, c.got, c.want)
		}
	}

	// The backend pool: every node, whether or not it runs a pod of the Service.
	if got, want := poolAddresses(lb), e.nodeAddresses(); !slices.Equal(got, want) {
		t.Errorf("backend pool %v, want every node %v", got, want)
	}
}
