package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/test/harness"
)

// Names the provider gives Azure resources, written out here from the documented contract (the
// reference provider's naming) rather than taken from the provider's code.
const (
	clusterName   = "kubernetes" // --cluster-name: the shared load balancer and its backend pool
	tagService    = "k8s-azure-service"
	tagCluster    = "k8s-azure-cluster-name"
	resourceGroup = harness.FakeAzureResourceGroup
)

// baseName is the prefix of everything a Service owns: "a" + its UID without dashes, cut to 32.
func baseName(svc *v1.Service) string {
	b := "a" + strings.ReplaceAll(string(svc.UID), "-", "")
	if len(b) > 32 {
		b = b[:32]
	}
	return b
}

// publicIPName is the name of the public IP the provider creates for a Service.
func publicIPName(svc *v1.Service) string { return clusterName + "-" + baseName(svc) }

// serviceKey is namespace/name, as the public IP's service tag holds it.
func serviceKey(svc *v1.Service) string { return svc.Namespace + "/" + svc.Name }

// loadBalancer returns the cluster's public load balancer in the fake, nil when it does not exist.
func (e *env) loadBalancer() *armnetwork.LoadBalancer {
	lb, ok := e.azure.Cloud.GetLoadBalancer(resourceGroup, clusterName)
	if !ok {
		return nil
	}
	return &lb
}

// publicIP returns a public IP of the fake, nil when it does not exist.
func (e *env) publicIP(name string) *armnetwork.PublicIPAddress {
	pip, ok := e.azure.Cloud.GetPublicIP(resourceGroup, name)
	if !ok {
		return nil
	}
	return &pip
}

// children are the parts of a load balancer that belong to one Service.
type children struct {
	frontends []*armnetwork.FrontendIPConfiguration
	rules     []*armnetwork.LoadBalancingRule
	probes    []*armnetwork.Probe
}

// ownedBy returns what lb holds for the Service with this base name: children named base or base-....
func ownedBy(lb *armnetwork.LoadBalancer, base string) children {
	var c children
	if lb == nil || lb.Properties == nil {
		return c
	}
	owns := func(name *string) bool {
		n := strings.ToLower(ptr.Deref(name, ""))
		return n == base || strings.HasPrefix(n, base+"-")
	}
	for _, fe := range lb.Properties.FrontendIPConfigurations {
		if owns(fe.Name) {
			c.frontends = append(c.frontends, fe)
		}
	}
	for _, r := range lb.Properties.LoadBalancingRules {
		if owns(r.Name) {
			c.rules = append(c.rules, r)
		}
	}
	for _, p := range lb.Properties.Probes {
		if owns(p.Name) {
			c.probes = append(c.probes, p)
		}
	}
	return c
}

func (c children) empty() bool { return len(c.frontends)+len(c.rules)+len(c.probes) == 0 }

// poolAddresses are the IP addresses in the load balancer's backend pool named after the cluster,
// sorted; nil when there is no such pool.
func poolAddresses(lb *armnetwork.LoadBalancer) []string {
	if lb == nil || lb.Properties == nil {
		return nil
	}
	for _, pool := range lb.Properties.BackendAddressPools {
		if !strings.EqualFold(ptr.Deref(pool.Name, ""), clusterName) {
			continue
		}
		out := []string{}
		if pool.Properties != nil {
			for _, a := range pool.Properties.LoadBalancerBackendAddresses {
				if a.Properties != nil {
					out = append(out, ptr.Deref(a.Properties.IPAddress, ""))
				}
			}
		}
		sort.Strings(out)
		return out
	}
	return nil
}

// nodeAddresses are the InternalIPs of the cluster's running nodes, sorted.
func (e *env) nodeAddresses() []string {
	var out []string
	for _, n := range e.cluster.Nodes() {
		out = append(out, n.Address.String())
	}
	sort.Strings(out)
	return out
}

// provisioningState of a load balancer ("" when nil).
func provisioningState(lb *armnetwork.LoadBalancer) armnetwork.ProvisioningState {
	if lb == nil || lb.Properties == nil {
		return ""
	}
	return ptr.Deref(lb.Properties.ProvisioningState, "")
}

// idName is the last segment of an ARM ID.
func idName(id *string) string {
	s := ptr.Deref(id, "")
	return s[strings.LastIndexByte(s, '/')+1:]
}

// describeAzure summarises the fake's load balancers and public IPs for failure messages.
func (e *env) describeAzure() string {
	snap := e.azure.Cloud.Snapshot()
	var b strings.Builder
	for _, lb := range snap.LoadBalancers {
		p := ptr.Deref(lb.Properties, armnetwork.LoadBalancerPropertiesFormat{})
		fmt.Fprintf(&b, "  load balancer %s (%s): frontends %v, rules %v, probes %v, pool %v\n", ptr.Deref(lb.Name, ""),
			ptr.Deref(p.ProvisioningState, ""),
			names(p.FrontendIPConfigurations, func(f *armnetwork.FrontendIPConfiguration) *string { return f.Name }),
			names(p.LoadBalancingRules, func(r *armnetwork.LoadBalancingRule) *string { return r.Name }),
			names(p.Probes, func(p *armnetwork.Probe) *string { return p.Name }), poolAddresses(&lb))
	}
	for _, pip := range snap.PublicIPs {
		tags, _ := json.Marshal(pip.Tags)
		addr := ""
		if pip.Properties != nil {
			addr = ptr.Deref(pip.Properties.IPAddress, "")
		}
		fmt.Fprintf(&b, "  public IP %s %s tags %s\n", ptr.Deref(pip.Name, ""), addr, tags)
	}
	if b.Len() == 0 {
		return "  (no load balancer, no public IP)\n"
	}
	return b.String()
}

// names lists the names of load balancer children.
func names[T any](items []*T, name func(*T) *string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, ptr.Deref(name(it), ""))
	}
	return out
}
