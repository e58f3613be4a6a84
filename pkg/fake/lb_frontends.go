package fake

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// dynamicFrontend is an internal frontend waiting for an address from its subnet.
type dynamicFrontend struct {
	out    *armnetwork.FrontendIPConfigurationPropertiesFormat
	name   string
	id     string
	subnet string // lower-case subnet id
	prefix netip.Prefix
}

// frontends validates the frontend IP configurations: each references exactly one of a public IP
// (existing, Standard, same region, used by no other frontend) or a subnet (existing, same region),
// and internal ones get their private address: the requested one if free and inside the subnet, or
// one allocated from the subnet (the previous one when it is still theirs).
func (b *lbBuilder) frontends(in []*armnetwork.FrontendIPConfiguration) ([]*armnetwork.FrontendIPConfiguration, *Error) {
	if len(in) > b.w.limits.FrontendsPerLB {
		return nil, badRequest(CodeFrontendLimitReached,
			"A load balancer cannot have more than %d FrontendIPConfigurations.", b.w.limits.FrontendsPerLB)
	}
	names, err := childNames("Frontend IP configuration", "properties.frontendIPConfigurations", in, func(v *armnetwork.FrontendIPConfiguration) *string { return v.Name })
	if err != nil {
		return nil, err
	}
	out := make([]*armnetwork.FrontendIPConfiguration, len(in))
	pipsHere := map[string]string{}               // lower public IP id -> frontend id
	addrsHere := map[string]map[netip.Addr]bool{} // lower subnet id -> addresses of this LB
	var dynamic []dynamicFrontend
	for i, fe := range in {
		path := fmt.Sprintf("properties.frontendIPConfigurations[%d].properties", i)
		id := b.childID("frontendIPConfigurations", names[i])
		p := deref(fe.Properties)
		props := &armnetwork.FrontendIPConfigurationPropertiesFormat{ProvisioningState: ptr(b.state)}
		out[i] = &armnetwork.FrontendIPConfiguration{
			ID: &id, Name: ptr(names[i]), Type: b.childType("frontendIPConfigurations"), Etag: ptr(b.etag),
			Zones: fe.Zones, Properties: props,
		}
		switch {
		case p.PublicIPPrefix != nil:
			return nil, unsupportedByFake("publicIPPrefix on a frontend")
		case p.GatewayLoadBalancer != nil:
			return nil, unsupportedByFake("gatewayLoadBalancer on a frontend")
		case p.PublicIPAddress != nil && p.Subnet != nil:
			return nil, badRequest(CodeFrontendHasBoth,
				"Frontend IP Configuration %s must not reference both a Subnet and a Public IP Address.", id)
		case p.PublicIPAddress != nil:
			if err := b.publicFrontend(p.PublicIPAddress, id, path+".publicIPAddress", props, pipsHere); err != nil {
				return nil, err
			}
		case p.Subnet != nil:
			d, err := b.internalFrontend(p, id, names[i], path, props, addrsHere)
			if err != nil {
				return nil, err
			}
			if d != nil {
				dynamic = append(dynamic, *d)
			}
		default:
			return nil, badRequest(CodeFrontendHasNeither,
				"Frontend IP Configuration %s must reference either a Subnet or a Public IP Address.", id)
		}
	}
	// Dynamic addresses are chosen after every static one is known, so none is taken twice.
	for _, d := range dynamic {
		addr, err := b.allocatePrivate(d, addrsHere)
		if err != nil {
			return nil, err
		}
		d.out.PrivateIPAddress = ptr(addr.String())
	}
	return out, nil
}

func (b *lbBuilder) publicFrontend(ref *armnetwork.PublicIPAddress, feID, path string,
	props *armnetwork.FrontendIPConfigurationPropertiesFormat, pipsHere map[string]string) *Error {
	refID := deref(ref.ID)
	if refID == "" {
		return missingReference(path)
	}
	pip := b.w.publicIP(refID)
	if pip == nil || normalizeLocation(deref(pip.Location)) != b.location {
		return referenceNotFound(refID, feID)
	}
	if !strings.EqualFold(string(deref(deref(pip.SKU).Name)), string(armnetwork.PublicIPAddressSKUNameStandard)) {
		return badRequest(CodePublicIPAndLBSkuDoNotMatch,
			"Standard sku load balancer %s cannot reference Basic sku publicIP %s.", b.id, deref(pip.ID))
	}
	k := strings.ToLower(deref(pip.ID))
	if _, dup := pipsHere[k]; dup {
		return badRequest(CodePublicIPReferencedByMultiple,
			"Public ip address %s is referenced by multiple ipconfigs in resource %s.", deref(pip.ID), b.id)
	}
	if user, used := b.usage.pipUser[k]; used {
		return badRequest(CodePublicIPAddressInUse,
			"Public IP address %s is already used by %s and cannot be referenced by %s.", deref(pip.ID), user, feID)
	}
	pipsHere[k] = feID
	props.PublicIPAddress = &armnetwork.PublicIPAddress{ID: pip.ID}
	return nil
}

// internalFrontend validates a subnet frontend and assigns a static address; a dynamic one is
// returned for allocation once all static addresses are known.
func (b *lbBuilder) internalFrontend(p armnetwork.FrontendIPConfigurationPropertiesFormat, feID, name, path string,
	props *armnetwork.FrontendIPConfigurationPropertiesFormat, addrsHere map[string]map[netip.Addr]bool) (*dynamicFrontend, *Error) {
	refID := deref(p.Subnet.ID)
	if refID == "" {
		return nil, missingReference(path + ".subnet")
	}
	vnet, subnet := b.w.subnet(refID)
	if subnet == nil || normalizeLocation(deref(vnet.Location)) != b.location {
		return nil, referenceNotFound(refID, feID)
	}
	prefix := subnetPrefix(subnet)
	sk := strings.ToLower(deref(subnet.ID))
	props.Subnet = &armnetwork.Subnet{ID: subnet.ID}
	props.PrivateIPAddressVersion = ptr(armnetwork.IPVersionIPv4)
	if v := deref(p.PrivateIPAddressVersion); v != "" && !strings.EqualFold(string(v), string(armnetwork.IPVersionIPv4)) {
		return nil, unsupportedByFake("privateIPAddressVersion " + string(v))
	}
	requested := deref(p.PrivateIPAddress)
	method := deref(p.PrivateIPAllocationMethod)
	if method == "" { // ARM's default is Dynamic; an address without a method is read as Static
		method = armnetwork.IPAllocationMethodDynamic
		if requested != "" {
			method = armnetwork.IPAllocationMethodStatic
		}
	}
	method, ok := canonicalEnum(method, armnetwork.IPAllocationMethodStatic, armnetwork.IPAllocationMethodDynamic)
	if !ok {
		return nil, invalidEnum(path+".privateIPAllocationMethod", method,
			armnetwork.IPAllocationMethodStatic, armnetwork.IPAllocationMethodDynamic)
	}
	props.PrivateIPAllocationMethod = ptr(method)
	if method == armnetwork.IPAllocationMethodDynamic {
		return &dynamicFrontend{out: props, name: name, id: feID, subnet: sk, prefix: prefix}, nil
	}
	if requested == "" {
		return nil, badRequest(CodePrivateIPRequired,
			"Frontend IP configuration %s has privateIPAllocationMethod Static but no privateIPAddress.", feID)
	}
	addr, err := netip.ParseAddr(requested)
	if err != nil {
		return nil, invalidRequestFormat("InvalidJson", "Value '%s' of %s.privateIPAddress is not an IP address.", requested, path)
	}
	switch {
	case !prefix.Contains(addr):
		return nil, badRequest(CodePrivateIPNotInSubnet,
			"Private static IP address %s does not belong to the range of subnet prefix %s.", addr, prefix)
	case isReservedInSubnet(prefix, addr):
		return nil, badRequest(CodePrivateIPReserved,
			"Private static IP address %s is reserved in subnet prefix %s (Azure keeps the first four and the last address).", addr, prefix)
	}
	if user, used := b.usage.privateIP[sk][addr]; used || addrsHere[sk][addr] {
		if !used {
			user = b.id
		}
		return nil, badRequest(CodePrivateIPInUse,
			"IP configuration %s is using the private IP address %s which is already allocated to resource %s.", feID, addr, user)
	}
	markAddr(addrsHere, sk, addr)
	props.PrivateIPAddress = ptr(addr.String())
	return nil, nil
}

// allocatePrivate gives a dynamic frontend its previous address when that is still in the same
// subnet and free, else the lowest free address of the subnet (not reserved, not another frontend's,
// not in a backend pool).
func (b *lbBuilder) allocatePrivate(d dynamicFrontend, addrsHere map[string]map[netip.Addr]bool) (netip.Addr, *Error) {
	free := func(a netip.Addr) bool {
		_, used := b.usage.privateIP[d.subnet][a]
		return d.prefix.Contains(a) && !isReservedInSubnet(d.prefix, a) && !used && !addrsHere[d.subnet][a] && !b.usage.backendIPs[a]
	}
	if prev := b.previousAddress(d); prev.IsValid() && free(prev) {
		markAddr(addrsHere, d.subnet, prev)
		return prev, nil
	}
	for a := d.prefix.Addr(); d.prefix.Contains(a); a = a.Next() {
		if free(a) {
			markAddr(addrsHere, d.subnet, a)
			return a, nil
		}
	}
	return netip.Addr{}, badRequest(CodeSubnetFull, "Subnet %s has no free address for %s.", d.subnet, d.id)
}

func (b *lbBuilder) previousAddress(d dynamicFrontend) netip.Addr {
	if b.prev == nil {
		return netip.Addr{}
	}
	for _, fe := range lbProps(b.prev).FrontendIPConfigurations {
		p := deref(fe.Properties)
		if strings.EqualFold(deref(fe.Name), d.name) && p.Subnet != nil && strings.EqualFold(deref(p.Subnet.ID), d.subnet) {
			addr, _ := netip.ParseAddr(deref(p.PrivateIPAddress))
			return addr
		}
	}
	return netip.Addr{}
}

func markAddr(m map[string]map[netip.Addr]bool, subnet string, a netip.Addr) {
	if m[subnet] == nil {
		m[subnet] = map[netip.Addr]bool{}
	}
	m[subnet][a] = true
}

// isReservedInSubnet reports the addresses Azure keeps in every subnet: the network address, the
// next three, and the last.
func isReservedInSubnet(prefix netip.Prefix, a netip.Addr) bool {
	first := prefix.Masked().Addr()
	reserved := first
	for i := 0; i < 4; i++ {
		if a == reserved {
			return true
		}
		reserved = reserved.Next()
	}
	return a == lastAddr(prefix)
}

// lastAddr is the highest address of prefix.
func lastAddr(prefix netip.Prefix) netip.Addr {
	b := prefix.Masked().Addr().AsSlice()
	hostBits := len(b)*8 - prefix.Bits()
	for i := len(b) - 1; i >= 0 && hostBits > 0; i-- {
		n := min(hostBits, 8)
		b[i] |= byte(1<<n - 1)
		hostBits -= n
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
