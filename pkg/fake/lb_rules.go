package fake

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// Load-balancing rule limits Azure documents.
const (
	defaultIdleTimeout = 4   // minutes
	maxIdleTimeout     = 100 // minutes
	maxFrontendPort    = 65534
	maxBackendPort     = 65535
)

// rules validates the load-balancing rules against the frontends, pools and probes already built:
// references resolve to children of this load balancer; protocol Tcp, Udp or All; frontendPort
// 0..65534 and backendPort 0..65535, 0 only with All; idleTimeoutInMinutes 4..100 (4 when omitted);
// no two rules on one frontend, protocol and frontend port; and no two rules sharing a pool, protocol
// and backend port unless floating IP tells their flows apart (see ruleConflicts).
func (b *lbBuilder) rules(in []*armnetwork.LoadBalancingRule, built *armnetwork.LoadBalancerPropertiesFormat) ([]*armnetwork.LoadBalancingRule, *Error) {
	if len(in) > b.w.limits.RulesPerLB {
		return nil, badRequest(CodeRuleLimitReached,
			"A load balancer cannot have more than %d rules; this one has %d.", b.w.limits.RulesPerLB, len(in))
	}
	names, err := childNames("Load balancing rule", "properties.loadBalancingRules", in, func(v *armnetwork.LoadBalancingRule) *string { return v.Name })
	if err != nil {
		return nil, err
	}
	refs := childIDs{
		frontends: idsByName(built.FrontendIPConfigurations, func(v *armnetwork.FrontendIPConfiguration) (*string, *string) { return v.Name, v.ID }),
		pools:     idsByName(built.BackendAddressPools, func(v *armnetwork.BackendAddressPool) (*string, *string) { return v.Name, v.ID }),
		probes:    idsByName(built.Probes, func(v *armnetwork.Probe) (*string, *string) { return v.Name, v.ID }),
	}
	out := make([]*armnetwork.LoadBalancingRule, len(in))
	for i, rule := range in {
		id := b.childID("loadBalancingRules", names[i])
		props, err := b.ruleProperties(deref(rule.Properties), id, fmt.Sprintf("properties.loadBalancingRules[%d].properties", i), refs)
		if err != nil {
			return nil, err
		}
		out[i] = &armnetwork.LoadBalancingRule{
			ID: &id, Name: ptr(names[i]), Type: b.childType("loadBalancingRules"), Etag: ptr(b.etag), Properties: props,
		}
	}
	if err := ruleConflicts(out); err != nil {
		return nil, err
	}
	return out, nil
}

type childIDs struct{ frontends, pools, probes map[string]string }

func idsByName[T any](items []*T, nameID func(*T) (*string, *string)) map[string]string {
	m := make(map[string]string, len(items))
	for _, it := range items {
		name, id := nameID(it)
		m[strings.ToLower(deref(name))] = deref(id)
	}
	return m
}

func (b *lbBuilder) ruleProperties(p armnetwork.LoadBalancingRulePropertiesFormat, id, path string, refs childIDs) (*armnetwork.LoadBalancingRulePropertiesFormat, *Error) {
	if p.FrontendIPConfiguration == nil {
		return nil, missingProperty(path + ".frontendIPConfiguration")
	}
	frontend, err := b.childRef(p.FrontendIPConfiguration, "frontendIPConfigurations", refs.frontends, id, path+".frontendIPConfiguration")
	if err != nil {
		return nil, err
	}
	out := &armnetwork.LoadBalancingRulePropertiesFormat{
		FrontendIPConfiguration:  &armnetwork.SubResource{ID: &frontend},
		ProvisioningState:        ptr(b.state),
		EnableConnectionTracking: p.EnableConnectionTracking,
	}
	poolRefs := p.BackendAddressPools
	if p.BackendAddressPool != nil {
		poolRefs = append([]*armnetwork.SubResource{p.BackendAddressPool}, poolRefs...)
	}
	seenPools := map[string]bool{}
	for j, ref := range poolRefs {
		pool, err := b.childRef(ref, "backendAddressPools", refs.pools, id, fmt.Sprintf("%s.backendAddressPools[%d]", path, j))
		if err != nil {
			return nil, err
		}
		if !seenPools[strings.ToLower(pool)] {
			seenPools[strings.ToLower(pool)] = true
			out.BackendAddressPools = append(out.BackendAddressPools, &armnetwork.SubResource{ID: ptr(pool)})
		}
	}
	if len(out.BackendAddressPools) > 0 {
		out.BackendAddressPool = &armnetwork.SubResource{ID: out.BackendAddressPools[0].ID}
	}
	if p.Probe != nil {
		probe, err := b.childRef(p.Probe, "probes", refs.probes, id, path+".probe")
		if err != nil {
			return nil, err
		}
		out.Probe = &armnetwork.SubResource{ID: &probe}
	}
	if err := ruleProtocolAndPorts(p, id, path, out); err != nil {
		return nil, err
	}
	idle := int32(defaultIdleTimeout)
	if p.IdleTimeoutInMinutes != nil {
		idle = *p.IdleTimeoutInMinutes
	}
	if idle < defaultIdleTimeout || idle > maxIdleTimeout {
		return nil, badRequest(CodeInvalidRule,
			"Load balancing rule %s has idleTimeoutInMinutes %d; it must be between %d and %d.", id, idle, defaultIdleTimeout, maxIdleTimeout)
	}
	out.IdleTimeoutInMinutes = &idle
	distribution := armnetwork.LoadDistributionDefault
	if p.LoadDistribution != nil {
		var ok bool
		if distribution, ok = canonicalEnum(*p.LoadDistribution, armnetwork.PossibleLoadDistributionValues()...); !ok {
			return nil, invalidEnum(path+".loadDistribution", *p.LoadDistribution, armnetwork.PossibleLoadDistributionValues()...)
		}
	}
	out.LoadDistribution = &distribution
	out.EnableFloatingIP = ptr(deref(p.EnableFloatingIP))
	out.EnableTCPReset = ptr(deref(p.EnableTCPReset))
	out.DisableOutboundSnat = ptr(deref(p.DisableOutboundSnat))
	return out, nil
}

func ruleProtocolAndPorts(p armnetwork.LoadBalancingRulePropertiesFormat, id, path string, out *armnetwork.LoadBalancingRulePropertiesFormat) *Error {
	if p.Protocol == nil {
		return missingProperty(path + ".protocol")
	}
	protocol, ok := canonicalEnum(*p.Protocol, armnetwork.TransportProtocolTCP, armnetwork.TransportProtocolUDP, armnetwork.TransportProtocolAll)
	if !ok {
		return invalidEnum(path+".protocol", *p.Protocol, armnetwork.TransportProtocolTCP, armnetwork.TransportProtocolUDP, armnetwork.TransportProtocolAll)
	}
	if p.FrontendPort == nil {
		return missingProperty(path + ".frontendPort")
	}
	if p.BackendPort == nil {
		return missingProperty(path + ".backendPort")
	}
	fp, bp := *p.FrontendPort, *p.BackendPort
	switch {
	case fp < 0 || fp > maxFrontendPort:
		return badRequest(CodeInvalidRule, "Load balancing rule %s has frontendPort %d; it must be between 1 and %d (0 with protocol All).", id, fp, maxFrontendPort)
	case bp < 0 || bp > maxBackendPort:
		return badRequest(CodeInvalidRule, "Load balancing rule %s has backendPort %d; it must be between 1 and %d (0 with protocol All).", id, bp, maxBackendPort)
	case (fp == 0 || bp == 0) && protocol != armnetwork.TransportProtocolAll:
		return badRequest(CodeInvalidRule, "Load balancing rule %s uses port 0 (all ports), which needs protocol All, not %s.", id, protocol)
	}
	out.Protocol, out.FrontendPort, out.BackendPort = &protocol, &fp, &bp
	return nil
}

// ruleConflicts finds rules whose flows Azure could not tell apart:
//   - same frontend, protocol and frontend port;
//   - floating IP off on both, same protocol and backend port, a pool in common (the backend sees
//     the same destination address and port);
//   - floating IP on on both, same protocol and backend port and frontend, a pool in common.
func ruleConflicts(rules []*armnetwork.LoadBalancingRule) *Error {
	frontendUse := map[string]string{}
	backendUse := map[string]string{}
	for _, rule := range rules {
		p := rule.Properties
		proto, fe := string(*p.Protocol), strings.ToLower(deref(p.FrontendIPConfiguration.ID))
		fk := fmt.Sprintf("%s|%s|%d", fe, proto, *p.FrontendPort)
		if other, dup := frontendUse[fk]; dup {
			return badRequest(CodeRuleFrontendPortConflict,
				"Load balancing rules %s and %s use the same frontend IP configuration %s, protocol %s and frontend port %d.",
				other, deref(rule.ID), deref(p.FrontendIPConfiguration.ID), proto, *p.FrontendPort)
		}
		frontendUse[fk] = deref(rule.ID)
		for _, pool := range p.BackendAddressPools {
			pk := strings.ToLower(deref(pool.ID))
			bk := fmt.Sprintf("off|%s|%s|%d", pk, proto, *p.BackendPort)
			code := CodeRuleBackendPortConflict
			if *p.EnableFloatingIP {
				bk = fmt.Sprintf("on|%s|%s|%s|%d", pk, fe, proto, *p.BackendPort)
				code = CodeRuleFloatingIPConflict
			}
			if other, dup := backendUse[bk]; dup {
				state := "disabled"
				if *p.EnableFloatingIP {
					state = "enabled"
				}
				return badRequest(code,
					"Load balancing rules %s and %s with floating IP %s use the same protocol %s and backend port %d, "+
						"and must not be used with the same backend address pool %s.",
					other, deref(rule.ID), state, proto, *p.BackendPort, deref(pool.ID))
			}
			backendUse[bk] = deref(rule.ID)
		}
	}
	return nil
}
