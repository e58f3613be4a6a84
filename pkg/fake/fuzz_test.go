package fake

import (
	"net/http"
	"testing"
)

// FuzzPutLoadBalancer sends arbitrary bodies as a load balancer PUT: the fake must answer 2xx or a
// 4xx ARM error, never fail or panic, and a refused body must leave the store as it was.
func FuzzPutLoadBalancer(f *testing.F) {
	e := &env{cloud: New(Options{})} // for its builders only
	valid := mustJSON(f, e.publicLB("lb1", "pip1"))
	for _, seed := range []string{
		valid,
		`{"location":"eastus","sku":{"name":"Standard"}}`,
		`{"location":"eastus","sku":{"name":"Standard"},"properties":{"frontendIPConfigurations":[{"name":"fe","properties":{"subnet":{"id":"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/subnet"}}}]}}`,
		`{"location":"eastus","sku":{"name":"Standard"},"properties":{"loadBalancingRules":[{"name":"r","properties":{"frontendPort":-1}}]}}`,
		`{"properties":{"probes":[{}]}}`,
		`null`,
		`{`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		c := New(Options{})
		must(t, c.PutVirtualNetwork(testRG, testVNetwork(testVNet, "10.0.0.0/16", map[string]string{testSubnet: "10.0.0.0/24"})))
		must(t, c.PutPublicIP(testRG, standardPIP("pip1", DefaultLocation)))
		before := c.Snapshot().Version
		resp, out := rawRequest(t, c, http.MethodPut, InProcessEndpoint+lbPath("lb1")+apiVersion, body, nil)
		switch {
		case resp.StatusCode == http.StatusCreated:
			if _, found := c.GetLoadBalancer(testRG, "lb1"); !found {
				t.Fatal("201 without a stored load balancer")
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if armCode(t, out) == "" {
				t.Fatalf("4xx without an ARM error code: %s", out)
			}
			if c.Snapshot().Version != before {
				t.Fatal("a refused PUT changed the store")
			}
		default:
			t.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	})
}
