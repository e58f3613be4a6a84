package fake

import (
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// TestLoadBalancerValidation checks one case of every rule Azure applies to a load balancer PUT:
// each starts from a valid load balancer "lb1" (frontend "fe" on pip1, pool "pool", Http probe
// "probe", Tcp rule "rule" 80->80 with floating IP), breaks one thing, and expects Azure's answer.
func TestLoadBalancerValidation(t *testing.T) {
	type setup func(e *env)
	cases := []struct {
		name   string
		opts   Options
		setup  setup
		mutate func(e *env, lb *armnetwork.LoadBalancer)
		code   string
	}{
		// The load balancer itself.
		{name: "missing location", code: CodeLocationRequired,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { lb.Location = nil }},
		{name: "basic sku", code: CodeBasicSkuNotSupported,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { lb.SKU.Name = ptr(armnetwork.LoadBalancerSKUNameBasic) }},
		{name: "no sku means basic", code: CodeBasicSkuNotSupported,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { lb.SKU = nil }},
		{name: "inbound NAT rules are not modelled", code: CodeFeatureNotSupportedByFake,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.InboundNatRules = []*armnetwork.InboundNatRule{{Name: ptr("nat")}}
			}},
		{name: "duplicate child names ignoring case", code: CodeInvalidRequestFormat,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.Probes = append(lb.Properties.Probes, &armnetwork.Probe{Name: ptr("PROBE"), Properties: lb.Properties.Probes[0].Properties})
			}},
		{name: "invalid child name", code: CodeInvalidResourceName,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { lb.Properties.Probes[0].Name = ptr("-bad") }},
		{name: "too many frontends", opts: Options{Limits: Limits{FrontendsPerLB: 1}}, code: CodeFrontendLimitReached,
			setup: func(e *env) { must(t, e.cloud.PutPublicIP(testRG, standardPIP("pip2", DefaultLocation))) },
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations = append(lb.Properties.FrontendIPConfigurations, publicFrontend(e, "fe2", "pip2"))
			}},
		{name: "too many rules", opts: Options{Limits: Limits{RulesPerLB: 1}}, code: CodeRuleLimitReached,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.LoadBalancingRules = append(lb.Properties.LoadBalancingRules, e.rule("lb1", "r2", "fe", armnetwork.TransportProtocolTCP, 443, 443, true))
			}},
		{name: "too many load balancers", opts: Options{Limits: Limits{LBsPerSubscription: 1}}, code: CodeLBLimitReached,
			setup: func(e *env) {
				lb := e.publicLB("first", "pip1")
				lb.Properties = nil
				e.mustPutLB("first", lb)
			},
			mutate: func(*env, *armnetwork.LoadBalancer) {}},

		// Frontends.
		{name: "frontend with public IP and subnet", code: CodeFrontendHasBoth,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties.Subnet = &armnetwork.Subnet{ID: ptr(e.subnetID())}
			}},
		{name: "frontend with neither", code: CodeFrontendHasNeither,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties = &armnetwork.FrontendIPConfigurationPropertiesFormat{}
			}},
		{name: "public IP reference without id", code: CodeInvalidRequestFormat,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties.PublicIPAddress = &armnetwork.PublicIPAddress{}
			}},
		{name: "public IP that does not exist", code: CodeInvalidResourceReference,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties.PublicIPAddress.ID = ptr(e.pipID("nope"))
			}},
		{name: "public IP in another region", code: CodeInvalidResourceReference,
			setup: func(e *env) { must(t, e.cloud.PutPublicIP(testRG, standardPIP("west", "westus"))) },
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties.PublicIPAddress.ID = ptr(e.pipID("west"))
			}},
		{name: "basic public IP", code: CodePublicIPAndLBSkuDoNotMatch,
			setup: func(e *env) {
				pip := standardPIP("basic", DefaultLocation)
				pip.SKU.Name = ptr(armnetwork.PublicIPAddressSKUNameBasic)
				must(t, e.cloud.PutPublicIP(testRG, pip))
			},
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties.PublicIPAddress.ID = ptr(e.pipID("basic"))
			}},
		{name: "public IP on two frontends", code: CodePublicIPReferencedByMultiple,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations = append(lb.Properties.FrontendIPConfigurations, publicFrontend(e, "fe2", "pip1"))
			}},
		{name: "public IP of another load balancer", code: CodePublicIPAddressInUse,
			setup:  func(e *env) { e.mustPutLB("owner", e.publicLB("owner", "pip1")) },
			mutate: func(*env, *armnetwork.LoadBalancer) {}},
		{name: "subnet that does not exist", code: CodeInvalidResourceReference,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties = internalFrontend(e.subnetID()+"x", "")
			}},
		{name: "static address outside the subnet", code: CodePrivateIPNotInSubnet,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties = internalFrontend(e.subnetID(), "10.0.1.5")
			}},
		{name: "static address reserved by Azure", code: CodePrivateIPReserved,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties = internalFrontend(e.subnetID(), "10.0.0.3")
			}},
		{name: "static address of another frontend", code: CodePrivateIPInUse,
			setup: func(e *env) {
				lb := e.publicLB("owner", "pip1")
				lb.Properties.FrontendIPConfigurations[0].Properties = internalFrontend(e.subnetID(), "10.0.0.50")
				e.mustPutLB("owner", lb)
			},
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations[0].Properties = internalFrontend(e.subnetID(), "10.0.0.50")
			}},
		{name: "static allocation without address", code: CodePrivateIPRequired,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				p := internalFrontend(e.subnetID(), "")
				p.PrivateIPAllocationMethod = ptr(armnetwork.IPAllocationMethodStatic)
				lb.Properties.FrontendIPConfigurations[0].Properties = p
			}},

		// Backend pools.
		{name: "backend address without ipAddress", code: CodeInvalidBackendAddress,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.BackendAddressPools[0].Properties.LoadBalancerBackendAddresses[0].Properties.IPAddress = nil
			}},
		{name: "backend address without virtual network", code: CodeInvalidBackendAddress,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.BackendAddressPools[0].Properties.LoadBalancerBackendAddresses[0].Properties.VirtualNetwork = nil
			}},
		{name: "backend address in a virtual network that does not exist", code: CodeInvalidResourceReference,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.BackendAddressPools[0].Properties.LoadBalancerBackendAddresses[0].Properties.VirtualNetwork.ID = ptr(e.vnetID() + "x")
			}},
		{name: "backend address twice in a pool", code: CodeDuplicateBackendAddress,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				p := lb.Properties.BackendAddressPools[0].Properties
				p.LoadBalancerBackendAddresses = append(p.LoadBalancerBackendAddresses, e.backendAddress("again", "10.0.0.10"))
			}},
		{name: "too many backend addresses", opts: Options{Limits: Limits{AddressesPerPool: 1}}, code: CodePoolAddressLimitReached,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				p := lb.Properties.BackendAddressPools[0].Properties
				p.LoadBalancerBackendAddresses = append(p.LoadBalancerBackendAddresses, e.backendAddress("node-2", "10.0.0.11"))
			}},

		// Probes.
		{name: "probe protocol not Tcp, Http or Https", code: CodeInvalidRequestFormat,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				probeProps(lb).Protocol = ptr(armnetwork.ProbeProtocol("Udp"))
			}},
		{name: "probe port 0", code: CodeInvalidProbe,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { probeProps(lb).Port = ptr[int32](0) }},
		{name: "probe port 65536", code: CodeInvalidProbe,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { probeProps(lb).Port = ptr[int32](65536) }},
		{name: "Http probe without requestPath", code: CodeProbeRequestPathRequired,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { probeProps(lb).RequestPath = nil }},
		{name: "Https probe without requestPath", code: CodeProbeRequestPathRequired,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				probeProps(lb).Protocol = ptr(armnetwork.ProbeProtocolHTTPS)
				probeProps(lb).RequestPath = nil
			}},
		{name: "Tcp probe with requestPath", code: CodeProbeRequestPathNotNull,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { probeProps(lb).Protocol = ptr(armnetwork.ProbeProtocolTCP) }},
		{name: "probe interval under 5 seconds", code: CodeInvalidProbe,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { probeProps(lb).IntervalInSeconds = ptr[int32](4) }},
		{name: "probe threshold 0", code: CodeInvalidProbe,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { probeProps(lb).ProbeThreshold = ptr[int32](0) }},
		{name: "probe interval times threshold over 120 s", code: CodeProbeTotalDurationTooLong,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				probeProps(lb).IntervalInSeconds = ptr[int32](61)
				probeProps(lb).ProbeThreshold = ptr[int32](2)
			}},
		{name: "probe interval times numberOfProbes over 120 s", code: CodeProbeTotalDurationTooLong,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				probeProps(lb).IntervalInSeconds = ptr[int32](41)
				probeProps(lb).ProbeThreshold = nil
				probeProps(lb).NumberOfProbes = ptr[int32](3)
			}},

		// Rules.
		{name: "rule frontend of another load balancer", code: CodeInvalidResourceReference,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				ruleProps(lb).FrontendIPConfiguration.ID = ptr(e.lbChildID("other", "frontendIPConfigurations", "fe"))
			}},
		{name: "rule without frontend", code: CodeInvalidRequestFormat,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { ruleProps(lb).FrontendIPConfiguration = nil }},
		{name: "rule pool that does not exist", code: CodeInvalidResourceReference,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				ruleProps(lb).BackendAddressPool.ID = ptr(e.lbChildID("lb1", "backendAddressPools", "nope"))
			}},
		{name: "rule probe that does not exist", code: CodeInvalidResourceReference,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				ruleProps(lb).Probe.ID = ptr(e.lbChildID("lb1", "probes", "nope"))
			}},
		{name: "rule probe reference of the wrong kind", code: CodeInvalidResourceReference,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				ruleProps(lb).Probe.ID = ptr(e.lbChildID("lb1", "backendAddressPools", "pool"))
			}},
		{name: "rule protocol not Tcp, Udp or All", code: CodeInvalidRequestFormat,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
				ruleProps(lb).Protocol = ptr(armnetwork.TransportProtocol("Sctp"))
			}},
		{name: "rule frontend port 0 with Tcp", code: CodeInvalidRule,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { ruleProps(lb).FrontendPort = ptr[int32](0) }},
		{name: "rule frontend port 65535", code: CodeInvalidRule,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { ruleProps(lb).FrontendPort = ptr[int32](65535) }},
		{name: "rule backend port 65536", code: CodeInvalidRule,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { ruleProps(lb).BackendPort = ptr[int32](65536) }},
		{name: "rule without backend port", code: CodeInvalidRequestFormat,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { ruleProps(lb).BackendPort = nil }},
		{name: "rule idle timeout 3", code: CodeInvalidRule,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { ruleProps(lb).IdleTimeoutInMinutes = ptr[int32](3) }},
		{name: "rule idle timeout 101", code: CodeInvalidRule,
			mutate: func(_ *env, lb *armnetwork.LoadBalancer) { ruleProps(lb).IdleTimeoutInMinutes = ptr[int32](101) }},
		{name: "two rules on one frontend, protocol and port", code: CodeRuleFrontendPortConflict,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.LoadBalancingRules = append(lb.Properties.LoadBalancingRules, e.rule("lb1", "r2", "fe", armnetwork.TransportProtocolTCP, 80, 8080, true))
			}},
		{name: "floating IP off: same backend port, protocol and pool", code: CodeRuleBackendPortConflict,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				ruleProps(lb).EnableFloatingIP = ptr(false)
				lb.Properties.LoadBalancingRules = append(lb.Properties.LoadBalancingRules, e.rule("lb1", "r2", "fe", armnetwork.TransportProtocolTCP, 81, 80, false))
			}},
		{name: "floating IP on: same backend port, protocol, pool and frontend", code: CodeRuleFloatingIPConflict,
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.LoadBalancingRules = append(lb.Properties.LoadBalancingRules, e.rule("lb1", "r2", "fe", armnetwork.TransportProtocolTCP, 81, 80, true))
			}},

		// Valid variations: Azure accepts these.
		{name: "accepted: idle timeout 100", mutate: func(_ *env, lb *armnetwork.LoadBalancer) { ruleProps(lb).IdleTimeoutInMinutes = ptr[int32](100) }},
		{name: "accepted: all ports with protocol All", mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
			p := ruleProps(lb)
			p.Protocol, p.FrontendPort, p.BackendPort = ptr(armnetwork.TransportProtocolAll), ptr[int32](0), ptr[int32](0)
		}},
		{name: "accepted: same port on Tcp and Udp", mutate: func(e *env, lb *armnetwork.LoadBalancer) {
			lb.Properties.LoadBalancingRules = append(lb.Properties.LoadBalancingRules, e.rule("lb1", "udp", "fe", armnetwork.TransportProtocolUDP, 80, 80, true))
		}},
		{name: "accepted: floating IP on, same backend port on two frontends",
			setup: func(e *env) { must(t, e.cloud.PutPublicIP(testRG, standardPIP("pip2", DefaultLocation))) },
			mutate: func(e *env, lb *armnetwork.LoadBalancer) {
				lb.Properties.FrontendIPConfigurations = append(lb.Properties.FrontendIPConfigurations, publicFrontend(e, "fe2", "pip2"))
				lb.Properties.LoadBalancingRules = append(lb.Properties.LoadBalancingRules, e.rule("lb1", "r2", "fe2", armnetwork.TransportProtocolTCP, 80, 80, true))
			}},
		{name: "accepted: probe 5 s x 24 = 120 s", mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
			probeProps(lb).IntervalInSeconds, probeProps(lb).ProbeThreshold = ptr[int32](5), ptr[int32](24)
		}},
		{name: "accepted: enum values in another case", mutate: func(_ *env, lb *armnetwork.LoadBalancer) {
			probeProps(lb).Protocol = ptr(armnetwork.ProbeProtocol("http"))
			ruleProps(lb).Protocol = ptr(armnetwork.TransportProtocol("tcp"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			if tc.setup != nil {
				tc.setup(e)
			}
			lb := e.publicLB("lb1", "pip1")
			tc.mutate(e, &lb)
			version := e.cloud.Snapshot().Version
			out, err := e.putLB("lb1", lb)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				if deref(out.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded {
					t.Errorf("provisioningState = %v", deref(out.Properties.ProvisioningState))
				}
				return
			}
			wantARMError(t, err, http.StatusBadRequest, tc.code)
			if _, found := e.cloud.GetLoadBalancer(testRG, "lb1"); found {
				t.Error("a refused PUT created the load balancer")
			}
			if v := e.cloud.Snapshot().Version; v != version {
				t.Errorf("a refused PUT changed the store (version %d -> %d)", version, v)
			}
		})
	}
}

func TestRefusedReplaceKeepsTheStoredLoadBalancer(t *testing.T) {
	e := newEnv(t, Options{})
	before := e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	bad := e.publicLB("lb1", "pip1")
	probeProps(&bad).Port = ptr[int32](0)
	_, err := e.putLB("lb1", bad)
	wantARMError(t, err, http.StatusBadRequest, CodeInvalidProbe)
	after, _ := e.cloud.GetLoadBalancer(testRG, "lb1")
	if deref(after.Etag) != deref(before.Etag) || deref(after.Properties.Probes[0].Properties.Port) != 30000 {
		t.Error("a refused replace changed the stored load balancer")
	}
	moved := e.publicLB("lb1", "pip1")
	moved.Location = ptr("westus")
	_, err = e.putLB("lb1", moved)
	wantARMError(t, err, http.StatusBadRequest, CodeInvalidResourceLocation)
}

func TestMalformedBodiesAreRefusedAndNotApplied(t *testing.T) {
	e := newEnv(t, Options{})
	for name, body := range map[string]string{
		"not JSON":      `{"location":`,
		"wrong type":    `{"location":"eastus","sku":{"name":"Standard"},"properties":{"probes":[{"name":"p","properties":{"protocol":"Tcp","port":"80"}}]}}`,
		"array":         `[]`,
		"empty":         ``,
		"null element":  `{"location":"eastus","sku":{"name":"Standard"},"properties":{"probes":[null]}}`,
		"location type": `{"location":5}`,
	} {
		resp, out := e.raw(http.MethodPut, lbPath("lb1")+apiVersion, body, nil)
		if resp.StatusCode != http.StatusBadRequest || armCode(t, out) != CodeInvalidRequestFormat {
			t.Errorf("%s: %d %s, want 400 %s", name, resp.StatusCode, out, CodeInvalidRequestFormat)
		}
	}
	if _, found := e.cloud.GetLoadBalancer(testRG, "lb1"); found {
		t.Error("a malformed PUT created the load balancer")
	}
}

func TestInternalFrontendAddresses(t *testing.T) {
	e := newEnv(t, Options{})
	lb := e.publicLB("ilb", "pip1")
	lb.Properties.FrontendIPConfigurations = []*armnetwork.FrontendIPConfiguration{
		{Name: ptr("dyn"), Properties: internalFrontend(e.subnetID(), "")},
		{Name: ptr("static"), Properties: internalFrontend(e.subnetID(), "10.0.0.4")},
	}
	lb.Properties.LoadBalancingRules = nil
	out := e.mustPutLB("ilb", lb)
	addr := func(lb armnetwork.LoadBalancer, i int) string {
		return deref(lb.Properties.FrontendIPConfigurations[i].Properties.PrivateIPAddress)
	}
	// 10.0.0.0-3 are reserved, .4 is taken by the static frontend, .10 is in the backend pool.
	if addr(out, 0) != "10.0.0.5" || addr(out, 1) != "10.0.0.4" {
		t.Fatalf("addresses = %s, %s; want 10.0.0.5 (dynamic), 10.0.0.4 (static)", addr(out, 0), addr(out, 1))
	}
	if m := deref(out.Properties.FrontendIPConfigurations[0].Properties.PrivateIPAllocationMethod); m != armnetwork.IPAllocationMethodDynamic {
		t.Errorf("allocation method = %s", m)
	}
	// The dynamic address survives an update, even when the client omits it.
	again := e.mustPutLB("ilb", lb)
	if addr(again, 0) != "10.0.0.5" {
		t.Errorf("dynamic address after update = %s, want it kept", addr(again, 0))
	}
	// Another load balancer's dynamic frontend gets a different address.
	other := e.publicLB("ilb2", "pip1")
	other.Properties.FrontendIPConfigurations = []*armnetwork.FrontendIPConfiguration{{Name: ptr("dyn"), Properties: internalFrontend(e.subnetID(), "")}}
	other.Properties.LoadBalancingRules = nil
	other.Properties.BackendAddressPools = nil
	if got := addr(e.mustPutLB("ilb2", other), 0); got != "10.0.0.6" {
		t.Errorf("second load balancer's address = %s, want 10.0.0.6", got)
	}
	vnet, _ := e.cloud.GetVirtualNetwork(testRG, testVNet)
	if n := len(vnet.Properties.Subnets[0].Properties.IPConfigurations); n != 3 {
		t.Errorf("subnet.ipConfigurations has %d entries, want the 3 frontends", n)
	}
}

func publicFrontend(e *env, name, pip string) *armnetwork.FrontendIPConfiguration {
	return &armnetwork.FrontendIPConfiguration{
		Name:       ptr(name),
		Properties: &armnetwork.FrontendIPConfigurationPropertiesFormat{PublicIPAddress: &armnetwork.PublicIPAddress{ID: ptr(e.pipID(pip))}},
	}
}

func internalFrontend(subnetID, addr string) *armnetwork.FrontendIPConfigurationPropertiesFormat {
	p := &armnetwork.FrontendIPConfigurationPropertiesFormat{Subnet: &armnetwork.Subnet{ID: ptr(subnetID)}}
	if addr != "" {
		p.PrivateIPAddress = ptr(addr)
		p.PrivateIPAllocationMethod = ptr(armnetwork.IPAllocationMethodStatic)
	}
	return p
}

func probeProps(lb *armnetwork.LoadBalancer) *armnetwork.ProbePropertiesFormat {
	return lb.Properties.Probes[0].Properties
}

func ruleProps(lb *armnetwork.LoadBalancer) *armnetwork.LoadBalancingRulePropertiesFormat {
	return lb.Properties.LoadBalancingRules[0].Properties
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
