package fake

import (
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// Azure resource type names.
const (
	armTypeLoadBalancer = "Microsoft.Network/loadBalancers"
	armTypePublicIP     = "Microsoft.Network/publicIPAddresses"
	armTypeVNet         = "Microsoft.Network/virtualNetworks"
	armTypeSubnet       = "Microsoft.Network/virtualNetworks/subnets"
)

var lbKind = &kind[armnetwork.LoadBalancer]{
	typ:      TypeLoadBalancers,
	items:    func(c *Cloud) map[string]*armnetwork.LoadBalancer { return c.lbs },
	build:    buildLoadBalancer,
	view:     func(_ *world, v *armnetwork.LoadBalancer) *armnetwork.LoadBalancer { return deepCopy(v) },
	setState: setLoadBalancerState,
	id:       func(v *armnetwork.LoadBalancer) string { return deref(v.ID) },
	etag:     func(v *armnetwork.LoadBalancer) string { return deref(v.Etag) },
	location: func(v *armnetwork.LoadBalancer) string { return deref(v.Location) },
	setTags:  func(v *armnetwork.LoadBalancer, tags map[string]*string) { v.Tags = tags },
	canDelete: func(*world, *armnetwork.LoadBalancer) *Error {
		return nil // what references a load balancer (NICs, other LBs) is not modelled
	},
}

func lbProps(lb *armnetwork.LoadBalancer) *armnetwork.LoadBalancerPropertiesFormat {
	if lb.Properties == nil {
		lb.Properties = &armnetwork.LoadBalancerPropertiesFormat{}
	}
	return lb.Properties
}

func init() {
	lbKind.children = map[string]childServer{
		"frontendIPConfigurations": &childKind[armnetwork.LoadBalancer, armnetwork.FrontendIPConfiguration]{
			parent: lbKind, typ: "frontendIPConfigurations",
			list: func(lb *armnetwork.LoadBalancer) []*armnetwork.FrontendIPConfiguration {
				return lbProps(lb).FrontendIPConfigurations
			},
			name: func(v *armnetwork.FrontendIPConfiguration) string { return deref(v.Name) },
		},
		"backendAddressPools": &childKind[armnetwork.LoadBalancer, armnetwork.BackendAddressPool]{
			parent: lbKind, typ: "backendAddressPools",
			list: func(lb *armnetwork.LoadBalancer) []*armnetwork.BackendAddressPool {
				return lbProps(lb).BackendAddressPools
			},
			set: func(lb *armnetwork.LoadBalancer, pools []*armnetwork.BackendAddressPool) {
				lbProps(lb).BackendAddressPools = pools
			},
			name:    func(v *armnetwork.BackendAddressPool) string { return deref(v.Name) },
			setName: func(v *armnetwork.BackendAddressPool, name string) { v.Name = &name },
		},
		"probes": &childKind[armnetwork.LoadBalancer, armnetwork.Probe]{
			parent: lbKind, typ: "probes",
			list: func(lb *armnetwork.LoadBalancer) []*armnetwork.Probe { return lbProps(lb).Probes },
			name: func(v *armnetwork.Probe) string { return deref(v.Name) },
		},
		"loadBalancingRules": &childKind[armnetwork.LoadBalancer, armnetwork.LoadBalancingRule]{
			parent: lbKind, typ: "loadBalancingRules",
			list: func(lb *armnetwork.LoadBalancer) []*armnetwork.LoadBalancingRule {
				return lbProps(lb).LoadBalancingRules
			},
			name: func(v *armnetwork.LoadBalancingRule) string { return deref(v.Name) },
		},
	}
}

func setLoadBalancerState(lb *armnetwork.LoadBalancer, s armnetwork.ProvisioningState) {
	props := lbProps(lb)
	props.ProvisioningState = ptr(s)
	for _, fe := range props.FrontendIPConfigurations {
		fe.Properties.ProvisioningState = ptr(s)
	}
	for _, pool := range props.BackendAddressPools {
		pool.Properties.ProvisioningState = ptr(s)
	}
	for _, probe := range props.Probes {
		probe.Properties.ProvisioningState = ptr(s)
	}
	for _, rule := range props.LoadBalancingRules {
		rule.Properties.ProvisioningState = ptr(s)
	}
}

// lbBuilder turns a requested load balancer into the stored one: validated as Azure validates it,
// references made canonical, defaults and server-set fields filled in.
type lbBuilder struct {
	w        *world
	key      string
	id       string
	location string
	etag     string
	state    armnetwork.ProvisioningState
	prev     *armnetwork.LoadBalancer
	usage    *usage // of every other load balancer
}

func buildLoadBalancer(w *world, in buildInput[armnetwork.LoadBalancer]) (*armnetwork.LoadBalancer, *Error) {
	if err := validateName("Load balancer", in.name); err != nil {
		return nil, err
	}
	id := resourceID(w.sub, in.rg, TypeLoadBalancers, in.name)
	var prevLocation *string
	guid := newUUID()
	if in.prev != nil {
		prevLocation = in.prev.Location
		guid = deref(lbProps(in.prev).ResourceGUID)
	}
	location, err := resolveLocation(id, in.body.Location, prevLocation)
	if err != nil {
		return nil, err
	}
	sku, err := loadBalancerSKU(in.body.SKU)
	if err != nil {
		return nil, err
	}
	if in.prev == nil && len(w.lbs) >= w.limits.LBsPerSubscription {
		return nil, badRequest(CodeLBLimitReached,
			"Cannot create more than %d load balancers for this subscription.", w.limits.LBsPerSubscription)
	}
	if in.body.ExtendedLocation != nil {
		return nil, unsupportedByFake("extendedLocation")
	}
	props := deref(in.body.Properties)
	switch {
	case len(props.InboundNatRules) > 0:
		return nil, unsupportedByFake("inboundNatRules")
	case len(props.InboundNatPools) > 0:
		return nil, unsupportedByFake("inboundNatPools")
	case len(props.OutboundRules) > 0:
		return nil, unsupportedByFake("outboundRules")
	}
	key := storeKey(in.rg, in.name)
	b := &lbBuilder{w: w, key: key, id: id, location: location, etag: in.etag, state: in.state, prev: in.prev,
		usage: w.usageOf(key)}
	out := &armnetwork.LoadBalancerPropertiesFormat{ProvisioningState: ptr(in.state), ResourceGUID: &guid}
	if out.FrontendIPConfigurations, err = b.frontends(props.FrontendIPConfigurations); err != nil {
		return nil, err
	}
	if out.BackendAddressPools, err = b.pools(props.BackendAddressPools); err != nil {
		return nil, err
	}
	if out.Probes, err = b.probes(props.Probes); err != nil {
		return nil, err
	}
	if out.LoadBalancingRules, err = b.rules(props.LoadBalancingRules, out); err != nil {
		return nil, err
	}
	setBackReferences(out)
	return &armnetwork.LoadBalancer{
		ID:         &id,
		Name:       ptr(in.name),
		Type:       ptr(armTypeLoadBalancer),
		Location:   &location,
		SKU:        sku,
		Tags:       in.body.Tags,
		Etag:       ptr(in.etag),
		Properties: out,
	}, nil
}

// loadBalancerSKU accepts Standard (Regional) only. A missing SKU means Basic to ARM, and Basic load
// balancers are retired (no new ones since 30 September 2025).
func loadBalancerSKU(sku *armnetwork.LoadBalancerSKU) (*armnetwork.LoadBalancerSKU, *Error) {
	name := deref(deref(sku).Name)
	switch {
	case name == "" || strings.EqualFold(string(name), string(armnetwork.LoadBalancerSKUNameBasic)):
		return nil, badRequest(CodeBasicSkuNotSupported,
			"Basic SKU load balancers are retired and cannot be created or updated (a missing sku means Basic): set sku.name to Standard.")
	case !strings.EqualFold(string(name), string(armnetwork.LoadBalancerSKUNameStandard)):
		return nil, unsupportedByFake("Load balancer sku " + string(name))
	}
	tier := deref(deref(sku).Tier)
	if tier != "" && !strings.EqualFold(string(tier), string(armnetwork.LoadBalancerSKUTierRegional)) {
		return nil, unsupportedByFake("Load balancer sku tier " + string(tier))
	}
	return &armnetwork.LoadBalancerSKU{
		Name: ptr(armnetwork.LoadBalancerSKUNameStandard),
		Tier: ptr(armnetwork.LoadBalancerSKUTierRegional),
	}, nil
}

func (b *lbBuilder) childID(collection, name string) string { return childID(b.id, collection, name) }

func (b *lbBuilder) childType(collection string) *string {
	return ptr(armTypeLoadBalancer + "/" + collection)
}

// childRef resolves a reference to a child of this load balancer (a rule's frontend, pool or probe)
// and returns its canonical id. ids maps lower-case child names to ids.
func (b *lbBuilder) childRef(ref *armnetwork.SubResource, collection string, ids map[string]string, by, path string) (string, *Error) {
	id := deref(deref(ref).ID)
	if id == "" {
		return "", missingReference(path)
	}
	p, ok := b.w.resolve(id, TypeLoadBalancers)
	if !ok || p.ChildType != collection || storeKey(p.ResourceGroup, p.Name) != b.key {
		return "", referenceNotFound(id, by)
	}
	canonical, ok := ids[strings.ToLower(p.ChildName)]
	if !ok {
		return "", referenceNotFound(id, by)
	}
	return canonical, nil
}

// setBackReferences fills in the read-only lists of rules that use each frontend, pool and probe.
func setBackReferences(props *armnetwork.LoadBalancerPropertiesFormat) {
	users := map[string][]*armnetwork.SubResource{}
	add := func(target *armnetwork.SubResource, rule *armnetwork.LoadBalancingRule) {
		if target != nil {
			k := strings.ToLower(deref(target.ID))
			users[k] = append(users[k], &armnetwork.SubResource{ID: rule.ID})
		}
	}
	for _, rule := range props.LoadBalancingRules {
		add(rule.Properties.FrontendIPConfiguration, rule)
		for _, pool := range rule.Properties.BackendAddressPools {
			add(pool, rule)
		}
		add(rule.Properties.Probe, rule)
	}
	for _, fe := range props.FrontendIPConfigurations {
		fe.Properties.LoadBalancingRules = users[strings.ToLower(deref(fe.ID))]
	}
	for _, pool := range props.BackendAddressPools {
		pool.Properties.LoadBalancingRules = users[strings.ToLower(deref(pool.ID))]
	}
	for _, probe := range props.Probes {
		probe.Properties.LoadBalancingRules = users[strings.ToLower(deref(probe.ID))]
	}
}
