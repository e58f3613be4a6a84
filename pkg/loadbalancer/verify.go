package loadbalancer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Verify checks the invariants the provider promises after it has converged, and returns every
// violation (empty when all hold):
//   - every valid LoadBalancer Service has exactly its frontend, rules and probes, as its spec says, on the
//     right load balancer and on no other;
//   - every backend pool holds exactly the eligible nodes;
//   - nothing the cluster owns is orphaned: no child whose owner Service is gone, no load balancer without
//     frontends, no public IP tagged for this cluster whose Services are all gone;
//   - nothing the user owns is touched: each public IP in userPIPs (its state before) is still there with
//     the same tags and address.
//
// It is used by the fault and churn tests, and by the end-to-end suites.
func Verify(s Settings, services []*v1.Service, nodes []*v1.Node, lbs []armnetwork.LoadBalancer,
	pips []armnetwork.PublicIPAddress, userPIPs []armnetwork.PublicIPAddress) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	byName := map[string]*armnetwork.LoadBalancer{}
	for i := range lbs {
		byName[strings.ToLower(ptr.Deref(lbs[i].Name, ""))] = &lbs[i]
	}
	live := map[string]*ServiceSpec{} // base -> spec
	liveKeys := map[string]bool{}
	for _, svc := range services {
		if svc.Spec.Type != v1.ServiceTypeLoadBalancer || svc.DeletionTimestamp != nil {
			continue
		}
		spec, err := BuildServiceSpec(svc, &s)
		if err != nil {
			continue // an invalid Service has nothing on Azure of its own making; orphans are checked below
		}
		live[spec.Base] = spec
		liveKeys[strings.ToLower(spec.Key)] = true
		lb := byName[strings.ToLower(spec.LBName)]
		if lb == nil || lb.Properties == nil {
			report("%s: load balancer %s does not exist", spec.Key, spec.LBName)
			continue
		}
		verifyService(spec, lb, report)
	}
	wantPool := map[string]bool{}
	eligible, _ := eligibleAddresses(nodes, s.ExcludeControlPlane)
	for _, n := range eligible {
		wantPool[n.ip] = true
	}
	for i := range lbs {
		verifyLB(&lbs[i], live, wantPool, BackendPoolName(s.ClusterName), report)
	}
	verifyPublicIPs(s, pips, userPIPs, liveKeys, report)
	sort.Strings(problems)
	return problems
}

func verifyService(spec *ServiceSpec, lb *armnetwork.LoadBalancer, report func(string, ...any)) {
	var fe *armnetwork.FrontendIPConfiguration
	frontends := 0
	for _, f := range lb.Properties.FrontendIPConfigurations {
		if ownerBase(ptr.Deref(f.Name, "")) == spec.Base {
			frontends++
			fe = f
		}
	}
	switch {
	case frontends != 1:
		report("%s: %d frontends on %s, want 1", spec.Key, frontends, spec.LBName)
	case !strings.EqualFold(ptr.Deref(fe.Name, ""), spec.FrontendName):
		report("%s: frontend %s, want %s", spec.Key, ptr.Deref(fe.Name, ""), spec.FrontendName)
	case spec.Internal && !idEqual(subnetID(fe.Properties), spec.SubnetID):
		report("%s: frontend in subnet %s, want %s", spec.Key, subnetID(fe.Properties), spec.SubnetID)
	case !spec.Internal && pipID(fe.Properties) == "":
		report("%s: public frontend without a public IP", spec.Key)
	}
	verifyChildren(spec, "rule", lb.Properties.LoadBalancingRules, spec.Rules,
		func(r *armnetwork.LoadBalancingRule) *string { return r.Name }, ruleEqual, report)
	verifyChildren(spec, "probe", lb.Properties.Probes, spec.Probes,
		func(p *armnetwork.Probe) *string { return p.Name }, probeEqual, report)
	if spec.SharedProbe != nil {
		for _, pr := range lb.Properties.Probes {
			if strings.EqualFold(ptr.Deref(pr.Name, ""), SharedProbeName) && !probeEqual(pr, spec.SharedProbe) {
				report("shared probe differs from its spec")
			}
		}
	}
}

// verifyChildren checks that the Service's children of one kind on the load balancer are exactly the
// desired ones, each equal to its spec.
func verifyChildren[T any](spec *ServiceSpec, kind string, have, want []*T, name func(*T) *string,
	equal func(a, b *T) bool, report func(string, ...any)) {
	wanted := map[string]*T{}
	for _, c := range want {
		wanted[strings.ToLower(*name(c))] = c
	}
	seen := map[string]bool{}
	for _, c := range have {
		n := strings.ToLower(ptr.Deref(name(c), ""))
		if ownerBase(n) != spec.Base {
			continue
		}
		d, ok := wanted[n]
		switch {
		case !ok:
			report("%s: unexpected %s %s", spec.Key, kind, ptr.Deref(name(c), ""))
		case !equal(c, d):
			report("%s: %s %s differs from its spec", spec.Key, kind, ptr.Deref(name(c), ""))
		}
		seen[n] = true
	}
	for n := range wanted {
		if !seen[n] {
			report("%s: %s %s missing", spec.Key, kind, n)
		}
	}
}

func verifyLB(lb *armnetwork.LoadBalancer, live map[string]*ServiceSpec, wantPool map[string]bool, poolName string, report func(string, ...any)) {
	name := ptr.Deref(lb.Name, "")
	if lb.Properties == nil || len(lb.Properties.FrontendIPConfigurations) == 0 {
		report("load balancer %s has no frontend and should have been deleted", name)
		return
	}
	orphan := func(kind, child string) {
		base := ownerBase(child)
		if base == "" {
			return // not the provider's
		}
		spec, ok := live[base]
		if !ok {
			report("%s %s on %s is orphaned: its Service is gone", kind, child, name)
		} else if !strings.EqualFold(spec.LBName, name) {
			report("%s %s of %s is on %s, want only on %s", kind, child, spec.Key, name, spec.LBName)
		}
	}
	for _, f := range lb.Properties.FrontendIPConfigurations {
		orphan("frontend", ptr.Deref(f.Name, ""))
	}
	for _, r := range lb.Properties.LoadBalancingRules {
		orphan("rule", ptr.Deref(r.Name, ""))
	}
	for _, pr := range lb.Properties.Probes {
		orphan("probe", ptr.Deref(pr.Name, ""))
	}
	for _, pool := range lb.Properties.BackendAddressPools {
		if !strings.EqualFold(ptr.Deref(pool.Name, ""), poolName) || pool.Properties == nil {
			continue
		}
		have := map[string]bool{}
		for _, a := range pool.Properties.LoadBalancerBackendAddresses {
			if a.Properties != nil {
				have[ptr.Deref(a.Properties.IPAddress, "")] = true
			}
		}
		for ip := range wantPool {
			if !have[ip] {
				report("backend pool of %s lacks node %s", name, ip)
			}
		}
		for ip := range have {
			if !wantPool[ip] {
				report("backend pool of %s holds %s, which is not an eligible node", name, ip)
			}
		}
	}
}

func verifyPublicIPs(s Settings, pips, userPIPs []armnetwork.PublicIPAddress, liveKeys map[string]bool, report func(string, ...any)) {
	current := map[string]*armnetwork.PublicIPAddress{}
	for i := range pips {
		pip := &pips[i]
		current[strings.ToLower(ptr.Deref(pip.Name, ""))] = pip
		services := serviceTagValues(pip.Tags)
		if len(services) == 0 {
			continue
		}
		if cluster, ok := tagValue(pip.Tags, TagClusterName); ok && !strings.EqualFold(cluster, s.ClusterName) {
			continue
		}
		alive := false
		for _, key := range services {
			if liveKeys[strings.ToLower(key)] {
				alive = true
			}
		}
		if !alive {
			report("public IP %s is orphaned: its Services %v are gone", ptr.Deref(pip.Name, ""), services)
		}
	}
	for _, before := range userPIPs {
		name := ptr.Deref(before.Name, "")
		after, ok := current[strings.ToLower(name)]
		switch {
		case !ok:
			report("the user's public IP %s was deleted", name)
		case len(after.Tags) != len(before.Tags):
			report("the user's public IP %s had its tags changed", name)
		default:
			for k, v := range before.Tags {
				if ptr.Deref(after.Tags[k], "") != ptr.Deref(v, "") {
					report("the user's public IP %s had tag %s changed", name, k)
				}
			}
		}
	}
}
