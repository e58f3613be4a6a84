package loadbalancer

import (
	"fmt"
	"strings"
	"unicode"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
)

// Naming follows the reference provider (kubernetes-sigs/cloud-provider-azure) exactly, so a user who
// migrates keeps their load balancers, rules, probes and public IPs: they are adopted, not recreated.
const (
	// InternalLBSuffix is appended to the cluster's load balancer name for internal Services.
	InternalLBSuffix = "-internal"
	// SharedProbeName is the probe used by every Cluster Service in the shared probe mode.
	SharedProbeName = "cluster-service-shared-health-probe"

	maxChildNameLength = 80 // Azure's limit for LB child and PIP names
	ipFamilySuffixLen  = 5  // "-IPv6", reserved by the reference provider even on single-stack names
	baseNameLength     = 32 // cloudprovider.DefaultLoadBalancerName cuts to 32 characters
)

// ServiceBaseName is the per-Service prefix of every child the Service owns: "a" + UID without dashes,
// cut to 32 characters (cloud-provider's DefaultLoadBalancerName).
func ServiceBaseName(svc *v1.Service) string { return cloudprovider.DefaultLoadBalancerName(svc) }

// LBName is the shared load balancer for public (or internal) Services: the cloud-config
// loadBalancerName if set, else the cluster name, with "-internal" for internal Services.
func LBName(clusterName, configured string, internal bool) string {
	name := clusterName
	if configured != "" {
		name = configured
	}
	if internal {
		return name + InternalLBSuffix
	}
	return name
}

// BackendPoolName is the backend pool of both shared load balancers: the cluster name.
func BackendPoolName(clusterName string) string { return clusterName }

// FrontendName is the frontend IP configuration of a Service: the base name, or base-subnet for an
// internal Service with a subnet annotation (cut to 75 characters, ending in a letter or '_').
func FrontendName(base, subnet string) string {
	if subnet == "" {
		return base
	}
	name := base + "-" + subnet
	maxLen := maxChildNameLength - ipFamilySuffixLen
	if len(name) > maxLen {
		name = name[:maxLen]
		last := rune(name[len(name)-1])
		if !unicode.IsLetter(last) && last != '_' {
			name = name[:len(name)-1] + "_"
		}
	}
	return name
}

// RuleName is the load-balancing rule of one Service port: base-PROTO-port, or base-subnet-PROTO-port
// for an internal Service with a subnet annotation (the subnet segment cut so the name fits 75).
// A port's own probe has the same name.
func RuleName(base, subnet string, protocol v1.Protocol, port int32) string {
	rule := fmt.Sprintf("%s-%s-%d", base, protocol, port)
	if subnet == "" {
		return rule
	}
	maxLen := maxChildNameLength - ipFamilySuffixLen
	segment := subnet
	if len(rule)+len(segment)+1 > maxLen {
		segment = segment[:max(0, maxLen-len(rule)-1)]
	}
	return fmt.Sprintf("%s-%s-%s-%d", base, segment, protocol, port)
}

// PublicIPName is the public IP the provider creates for a Service: cluster-base (cut to 75).
func PublicIPName(clusterName, base string) string {
	name := clusterName + "-" + base
	if maxLen := maxChildNameLength - ipFamilySuffixLen; len(name) > maxLen {
		name = name[:maxLen]
	}
	return name
}

// ownerBase returns the base name of the Service that owns a child named name, or "" when the name is
// not of the form the provider gives its children (base, or base-...).
func ownerBase(name string) string {
	if len(name) < baseNameLength || (len(name) > baseNameLength && name[baseNameLength] != '-') {
		return ""
	}
	if name[0] != 'a' && name[0] != 'A' {
		return ""
	}
	lower := true
	for i := 1; i < baseNameLength; i++ {
		switch c := name[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			lower = false
		default:
			return ""
		}
	}
	if lower && name[0] == 'a' {
		return name[:baseNameLength] // no allocation: the usual case
	}
	return strings.ToLower(name[:baseNameLength])
}

// armID builds ARM resource IDs.
type armID struct{ subscription, resourceGroup string }

func (a armID) loadBalancer(name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/loadBalancers/%s", a.subscription, a.resourceGroup, name)
}

func (a armID) lbChild(lb, kind, name string) string {
	return a.loadBalancer(lb) + "/" + kind + "/" + name
}

func (a armID) publicIP(name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/publicIPAddresses/%s", a.subscription, a.resourceGroup, name)
}

func (a armID) vnet(name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s", a.subscription, a.resourceGroup, name)
}

func (a armID) subnet(vnet, subnet string) string { return a.vnet(vnet) + "/subnets/" + subnet }

// Child kinds in load balancer IDs.
const (
	kindFrontend = "frontendIPConfigurations"
	kindPool     = "backendAddressPools"
	kindProbe    = "probes"
	kindRule     = "loadBalancingRules"
)

// lastSegment is the name at the end of an ARM ID.
func lastSegment(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}
