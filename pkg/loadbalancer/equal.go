package loadbalancer

import (
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"k8s.io/utils/ptr"
)

// The comparisons below look only at the fields the provider sets, with Azure's defaults for omitted
// values, and compare ARM IDs case-insensitively; read-only fields Azure adds (ids, etags, back
// references, provisioning state, allocated addresses) never cause a write.

func frontendEqual(a, b *armnetwork.FrontendIPConfiguration) bool {
	pa, pb := a.Properties, b.Properties
	if pa == nil || pb == nil {
		return pa == pb
	}
	if !idEqual(pipID(pa), pipID(pb)) || !idEqual(subnetID(pa), subnetID(pb)) {
		return false
	}
	if subnetID(pa) == "" {
		return true
	}
	am := ptr.Deref(pa.PrivateIPAllocationMethod, armnetwork.IPAllocationMethodDynamic)
	bm := ptr.Deref(pb.PrivateIPAllocationMethod, armnetwork.IPAllocationMethodDynamic)
	if am != bm {
		return false
	}
	return am != armnetwork.IPAllocationMethodStatic || ptr.Deref(pa.PrivateIPAddress, "") == ptr.Deref(pb.PrivateIPAddress, "")
}

func pipID(p *armnetwork.FrontendIPConfigurationPropertiesFormat) string {
	if p.PublicIPAddress == nil {
		return ""
	}
	return ptr.Deref(p.PublicIPAddress.ID, "")
}

func subnetID(p *armnetwork.FrontendIPConfigurationPropertiesFormat) string {
	if p.Subnet == nil {
		return ""
	}
	return ptr.Deref(p.Subnet.ID, "")
}

func ruleEqual(a, b *armnetwork.LoadBalancingRule) bool {
	pa, pb := a.Properties, b.Properties
	if pa == nil || pb == nil {
		return pa == pb
	}
	return strings.EqualFold(string(ptr.Deref(pa.Protocol, "")), string(ptr.Deref(pb.Protocol, ""))) &&
		ptr.Deref(pa.FrontendPort, 0) == ptr.Deref(pb.FrontendPort, 0) &&
		ptr.Deref(pa.BackendPort, 0) == ptr.Deref(pb.BackendPort, 0) &&
		ptr.Deref(pa.EnableFloatingIP, false) == ptr.Deref(pb.EnableFloatingIP, false) &&
		ptr.Deref(pa.EnableTCPReset, false) == ptr.Deref(pb.EnableTCPReset, false) &&
		ptr.Deref(pa.DisableOutboundSnat, false) == ptr.Deref(pb.DisableOutboundSnat, false) &&
		idleTimeout(pa) == idleTimeout(pb) &&
		ptr.Deref(pa.LoadDistribution, armnetwork.LoadDistributionDefault) == ptr.Deref(pb.LoadDistribution, armnetwork.LoadDistributionDefault) &&
		idEqual(subID(pa.FrontendIPConfiguration), subID(pb.FrontendIPConfiguration)) &&
		idEqual(subID(pa.BackendAddressPool), subID(pb.BackendAddressPool)) &&
		idEqual(subID(pa.Probe), subID(pb.Probe))
}

// idleTimeout is the rule's idle timeout with Azure's default for Tcp rules; Udp rules carry none.
func idleTimeout(p *armnetwork.LoadBalancingRulePropertiesFormat) int32 {
	if ptr.Deref(p.Protocol, "") == armnetwork.TransportProtocolUDP {
		return 0
	}
	return ptr.Deref(p.IdleTimeoutInMinutes, DefaultIdleTimeoutMinutes)
}

func probeEqual(a, b *armnetwork.Probe) bool {
	pa, pb := a.Properties, b.Properties
	if pa == nil || pb == nil {
		return pa == pb
	}
	return strings.EqualFold(string(ptr.Deref(pa.Protocol, "")), string(ptr.Deref(pb.Protocol, ""))) &&
		ptr.Deref(pa.Port, 0) == ptr.Deref(pb.Port, 0) &&
		ptr.Deref(pa.RequestPath, "") == ptr.Deref(pb.RequestPath, "") &&
		ptr.Deref(pa.IntervalInSeconds, 15) == ptr.Deref(pb.IntervalInSeconds, 15) &&
		ptr.Deref(pa.ProbeThreshold, 1) == ptr.Deref(pb.ProbeThreshold, 1)
}

func subID(s *armnetwork.SubResource) string {
	if s == nil {
		return ""
	}
	return ptr.Deref(s.ID, "")
}

func idEqual(a, b string) bool { return strings.EqualFold(a, b) }
