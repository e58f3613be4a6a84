package loadbalancer

import (
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"k8s.io/utils/ptr"
)

// lbChange is one Service's change to a shared load balancer, or a change of its backend pool.
type lbChange struct {
	// base is the owner prefix of the Service's children; "" for a change of the pool alone.
	base string
	// remove drops every child the Service owns; otherwise its children become exactly the ones below.
	remove      bool
	frontend    *armnetwork.FrontendIPConfiguration
	rules       []*armnetwork.LoadBalancingRule
	probes      []*armnetwork.Probe
	sharedProbe *armnetwork.Probe
	// nodes, when setNodes is true, become the backend pool's addresses.
	setNodes bool
	nodes    []backendAddress
}

// backendAddress is one node in the IP-based backend pool.
type backendAddress struct{ name, ip string }

// lbTarget identifies the load balancer the changes are for.
type lbTarget struct {
	name     string
	location string
	ids      armID
	poolName string
	vnetID   string
}

// writeOp is what the desired state asks of ARM.
type writeOp int

const (
	opNone writeOp = iota
	opPut
	opDelete
)

// desiredLB applies changes, in order, to the existing load balancer (nil when there is none) and says
// what to write. It never modifies existing: children it keeps are shared, children it changes are new.
// Children that no change owns are kept untouched, so other Services' rules and anything a user added
// survive. Cost is linear in the number of children and changes.
func desiredLB(existing *armnetwork.LoadBalancer, t lbTarget, changes []lbChange) (*armnetwork.LoadBalancer, writeOp) {
	byBase := map[string]*lbChange{}
	var order []string
	var nodes *lbChange
	upsert := false
	for i := range changes {
		c := &changes[i]
		if c.base != "" {
			if _, seen := byBase[c.base]; !seen {
				order = append(order, c.base)
			}
			byBase[c.base] = c
		}
		if c.setNodes {
			nodes = c
		}
	}
	for _, c := range byBase {
		if !c.remove {
			upsert = true
		}
	}

	var lb *armnetwork.LoadBalancer
	changed := false
	if existing == nil {
		if !upsert {
			return nil, opNone
		}
		lb = &armnetwork.LoadBalancer{
			Name:     ptr.To(t.name),
			Location: ptr.To(t.location),
			SKU: &armnetwork.LoadBalancerSKU{
				Name: ptr.To(armnetwork.LoadBalancerSKUNameStandard),
				Tier: ptr.To(armnetwork.LoadBalancerSKUTierRegional),
			},
		}
		changed = true
	} else {
		cp := *existing
		lb = &cp
	}
	props := &armnetwork.LoadBalancerPropertiesFormat{}
	if lb.Properties != nil {
		cp := *lb.Properties
		props = &cp
	}
	lb.Properties = props

	var c bool
	props.FrontendIPConfigurations, c = mergeChildren(props.FrontendIPConfigurations, byBase, order,
		func(f *armnetwork.FrontendIPConfiguration) *string { return f.Name },
		func(ch *lbChange) []*armnetwork.FrontendIPConfiguration {
			if ch.frontend == nil {
				return nil
			}
			return []*armnetwork.FrontendIPConfiguration{ch.frontend}
		}, frontendEqual)
	changed = changed || c
	props.LoadBalancingRules, c = mergeChildren(props.LoadBalancingRules, byBase, order,
		func(r *armnetwork.LoadBalancingRule) *string { return r.Name },
		func(ch *lbChange) []*armnetwork.LoadBalancingRule { return ch.rules }, ruleEqual)
	changed = changed || c
	props.Probes, c = mergeChildren(props.Probes, byBase, order,
		func(p *armnetwork.Probe) *string { return p.Name },
		func(ch *lbChange) []*armnetwork.Probe { return ch.probes }, probeEqual)
	changed = changed || c
	props.Probes, c = reconcileSharedProbe(props.Probes, props.LoadBalancingRules, changes)
	changed = changed || c

	if len(props.FrontendIPConfigurations) == 0 {
		if existing == nil {
			return nil, opNone
		}
		return nil, opDelete
	}
	props.BackendAddressPools, c = reconcilePool(props.BackendAddressPools, t, nodes)
	changed = changed || c
	if !changed {
		return existing, opNone
	}
	return lb, opPut
}

// mergeChildren replaces, in place, the children owned by the Services in byBase with their desired
// children, drops those of removed Services, and appends new ones. Unowned children stay as they are.
func mergeChildren[T any](existing []*T, byBase map[string]*lbChange, order []string,
	name func(*T) *string, desired func(*lbChange) []*T, equal func(a, b *T) bool) ([]*T, bool) {
	if len(byBase) == 0 {
		return existing, false
	}
	want := map[string]*T{} // lower-case name -> desired child
	for _, base := range order {
		for _, child := range desired(byBase[base]) {
			want[strings.ToLower(ptr.Deref(name(child), ""))] = child
		}
	}
	out := make([]*T, 0, len(existing)+len(want))
	placed := map[string]bool{}
	changed := false
	for _, child := range existing {
		n := ptr.Deref(name(child), "")
		base := ownerBase(n)
		ch, owned := byBase[base]
		if base == "" || !owned {
			out = append(out, child)
			continue
		}
		key := strings.ToLower(n)
		d, keep := want[key]
		if ch.remove || !keep || placed[key] {
			changed = true
			continue
		}
		placed[key] = true
		if equal(child, d) {
			out = append(out, child)
		} else {
			out = append(out, d)
			changed = true
		}
	}
	for _, base := range order {
		for _, child := range desired(byBase[base]) {
			key := strings.ToLower(ptr.Deref(name(child), ""))
			if !placed[key] {
				placed[key] = true
				out = append(out, child)
				changed = true
			}
		}
	}
	return out, changed
}

// reconcileSharedProbe keeps the cluster-wide shared probe exactly while some rule uses it.
func reconcileSharedProbe(probes []*armnetwork.Probe, rules []*armnetwork.LoadBalancingRule, changes []lbChange) ([]*armnetwork.Probe, bool) {
	used := false
	for _, r := range rules {
		if r.Properties != nil && r.Properties.Probe != nil && strings.EqualFold(lastSegment(ptr.Deref(r.Properties.Probe.ID, "")), SharedProbeName) {
			used = true
			break
		}
	}
	var want *armnetwork.Probe
	for i := range changes {
		if changes[i].sharedProbe != nil && !changes[i].remove {
			want = changes[i].sharedProbe
		}
	}
	idx := -1
	for i, p := range probes {
		if strings.EqualFold(ptr.Deref(p.Name, ""), SharedProbeName) {
			idx = i
			break
		}
	}
	switch {
	case !used && idx >= 0:
		return append(probes[:idx:idx], probes[idx+1:]...), true
	case used && idx < 0 && want != nil:
		return append(probes, want), true
	case used && idx >= 0 && want != nil && !probeEqual(probes[idx], want):
		out := append([]*armnetwork.Probe(nil), probes...)
		out[idx] = want
		return out, true
	}
	return probes, false
}

// reconcilePool makes sure the backend pool exists and, when nodes are given, holds exactly them.
func reconcilePool(pools []*armnetwork.BackendAddressPool, t lbTarget, nodes *lbChange) ([]*armnetwork.BackendAddressPool, bool) {
	idx := -1
	for i, p := range pools {
		if strings.EqualFold(ptr.Deref(p.Name, ""), t.poolName) {
			idx = i
			break
		}
	}
	if idx >= 0 && (nodes == nil || poolHolds(pools[idx], nodes.nodes)) {
		return pools, false
	}
	pool := &armnetwork.BackendAddressPool{
		Name: ptr.To(t.poolName),
		Properties: &armnetwork.BackendAddressPoolPropertiesFormat{
			VirtualNetwork: &armnetwork.SubResource{ID: ptr.To(t.vnetID)},
		},
	}
	if nodes != nil {
		for _, a := range sortedByIP(nodes.nodes) {
			pool.Properties.LoadBalancerBackendAddresses = append(pool.Properties.LoadBalancerBackendAddresses,
				&armnetwork.LoadBalancerBackendAddress{
					Name:       ptr.To(a.name),
					Properties: &armnetwork.LoadBalancerBackendAddressPropertiesFormat{IPAddress: ptr.To(a.ip)},
				})
		}
	} else if idx >= 0 {
		return pools, false
	}
	out := append([]*armnetwork.BackendAddressPool(nil), pools...)
	if idx >= 0 {
		out[idx] = pool
	} else {
		out = append(out, pool)
	}
	return out, true
}

// sortedByIP returns the addresses ordered by IP (the order of the pool the provider writes), sorting a
// copy only when they are not already in order.
func sortedByIP(addrs []backendAddress) []backendAddress {
	if sort.SliceIsSorted(addrs, func(i, j int) bool { return addrs[i].ip < addrs[j].ip }) {
		return addrs
	}
	out := append([]backendAddress(nil), addrs...)
	sort.Slice(out, func(i, j int) bool { return out[i].ip < out[j].ip })
	return out
}

// poolHolds reports whether the pool's addresses are exactly the nodes' addresses. Both are normally in
// IP order already (the provider writes pools in that order and sorts the node set once per call), so
// this is a linear scan without allocations; otherwise it sorts copies.
func poolHolds(pool *armnetwork.BackendAddressPool, nodes []backendAddress) bool {
	var have []*armnetwork.LoadBalancerBackendAddress
	if pool.Properties != nil {
		have = pool.Properties.LoadBalancerBackendAddresses
	}
	if len(have) != len(nodes) {
		return false
	}
	ipOf := func(a *armnetwork.LoadBalancerBackendAddress) string {
		if a == nil || a.Properties == nil {
			return ""
		}
		return ptr.Deref(a.Properties.IPAddress, "")
	}
	if !sort.SliceIsSorted(have, func(i, j int) bool { return ipOf(have[i]) < ipOf(have[j]) }) {
		have = append([]*armnetwork.LoadBalancerBackendAddress(nil), have...)
		sort.Slice(have, func(i, j int) bool { return ipOf(have[i]) < ipOf(have[j]) })
	}
	want := sortedByIP(nodes)
	for i := range have {
		if ipOf(have[i]) != want[i].ip {
			return false
		}
	}
	return true
}
