package fake

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

var vnetKind = &kind[armnetwork.VirtualNetwork]{
	typ:      TypeVirtualNetworks,
	items:    func(c *Cloud) map[string]*armnetwork.VirtualNetwork { return c.vnets },
	build:    buildVirtualNetwork,
	view:     viewVirtualNetwork,
	setState: setVirtualNetworkState,
	id:       func(v *armnetwork.VirtualNetwork) string { return deref(v.ID) },
	etag:     func(v *armnetwork.VirtualNetwork) string { return deref(v.Etag) },
	location: func(v *armnetwork.VirtualNetwork) string { return deref(v.Location) },
	setTags:  func(v *armnetwork.VirtualNetwork, tags map[string]*string) { v.Tags = tags },
	canDelete: func(w *world, v *armnetwork.VirtualNetwork) *Error {
		for _, s := range vnetProps(v).Subnets {
			if err := subnetNotInUse(w, s); err != nil {
				return err
			}
		}
		return nil
	},
}

func vnetProps(v *armnetwork.VirtualNetwork) *armnetwork.VirtualNetworkPropertiesFormat {
	if v.Properties == nil {
		v.Properties = &armnetwork.VirtualNetworkPropertiesFormat{}
	}
	return v.Properties
}

func init() {
	vnetKind.children = map[string]childServer{
		"subnets": &childKind[armnetwork.VirtualNetwork, armnetwork.Subnet]{
			parent:  vnetKind,
			typ:     "subnets",
			list:    func(v *armnetwork.VirtualNetwork) []*armnetwork.Subnet { return vnetProps(v).Subnets },
			set:     func(v *armnetwork.VirtualNetwork, s []*armnetwork.Subnet) { vnetProps(v).Subnets = s },
			name:    func(s *armnetwork.Subnet) string { return deref(s.Name) },
			setName: func(s *armnetwork.Subnet, name string) { s.Name = &name },
		},
	}
}

func setVirtualNetworkState(v *armnetwork.VirtualNetwork, s armnetwork.ProvisioningState) {
	props := vnetProps(v)
	props.ProvisioningState = ptr(s)
	for _, subnet := range props.Subnets {
		subnet.Properties.ProvisioningState = ptr(s)
	}
}

// viewVirtualNetwork adds the read-only list of frontends that use each subnet.
func viewVirtualNetwork(w *world, v *armnetwork.VirtualNetwork) *armnetwork.VirtualNetwork {
	out := deepCopy(v)
	u := w.usageOf("")
	for _, s := range vnetProps(out).Subnets {
		for _, fe := range u.subnetUsers[strings.ToLower(deref(s.ID))] {
			s.Properties.IPConfigurations = append(s.Properties.IPConfigurations, &armnetwork.IPConfiguration{ID: ptr(fe)})
		}
	}
	return out
}

func subnetNotInUse(w *world, s *armnetwork.Subnet) *Error {
	if users := w.usageOf("").subnetUsers[strings.ToLower(deref(s.ID))]; len(users) > 0 {
		return badRequest(CodeInUseSubnetCannotBeDeleted,
			"Subnet %s is in use by %s and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.",
			deref(s.ID), strings.Join(users, ", "))
	}
	return nil
}

// subnetPrefix is the subnet's address range: addressPrefix, or the single entry of addressPrefixes
// (stored subnets always have a valid one; the zero prefix otherwise).
func subnetPrefix(s *armnetwork.Subnet) netip.Prefix {
	p := deref(s.Properties)
	text := deref(p.AddressPrefix)
	if text == "" && len(p.AddressPrefixes) == 1 {
		text = deref(p.AddressPrefixes[0])
	}
	prefix, _ := netip.ParsePrefix(text)
	return prefix
}

// parseCIDR accepts a prefix in canonical form only (10.0.0.0/16, not 10.0.0.1/16), as Azure does.
func parseCIDR(text, path string) (netip.Prefix, *Error) {
	prefix, err := netip.ParsePrefix(text)
	if err != nil || prefix != prefix.Masked() || !prefix.Addr().Is4() {
		return netip.Prefix{}, badRequest(CodeInvalidAddressPrefix, "Value %q of %s is not a valid IPv4 CIDR prefix.", text, path)
	}
	return prefix, nil
}

// buildVirtualNetwork validates a virtual network and its subnets: address space prefixes valid,
// subnets valid, unique, inside the address space and not overlapping; a subnet a frontend uses may
// be neither removed nor shrunk away from the frontend's address.
func buildVirtualNetwork(w *world, in buildInput[armnetwork.VirtualNetwork]) (*armnetwork.VirtualNetwork, *Error) {
	if err := validateName("Virtual network", in.name); err != nil {
		return nil, err
	}
	id := resourceID(w.sub, in.rg, TypeVirtualNetworks, in.name)
	var prevLocation *string
	guid := newUUID()
	if in.prev != nil {
		prevLocation = in.prev.Location
		guid = deref(vnetProps(in.prev).ResourceGUID)
	}
	location, err := resolveLocation(id, in.body.Location, prevLocation)
	if err != nil {
		return nil, err
	}
	props := deepCopy(in.body.Properties)
	if props == nil {
		props = &armnetwork.VirtualNetworkPropertiesFormat{}
	}
	space := deref(props.AddressSpace).AddressPrefixes
	if len(space) == 0 {
		return nil, missingProperty("properties.addressSpace.addressPrefixes")
	}
	var ranges []netip.Prefix
	for i, text := range space {
		prefix, err := parseCIDR(deref(text), fmt.Sprintf("properties.addressSpace.addressPrefixes[%d]", i))
		if err != nil {
			return nil, err
		}
		ranges = append(ranges, prefix)
	}
	subnets, err := buildSubnets(props.Subnets, id, in.etag, in.state, ranges)
	if err != nil {
		return nil, err
	}
	if in.prev != nil {
		if err := checkSubnetsInUse(w, vnetProps(in.prev).Subnets, subnets); err != nil {
			return nil, err
		}
	}
	props.Subnets = subnets
	props.ProvisioningState, props.ResourceGUID = ptr(in.state), &guid
	return &armnetwork.VirtualNetwork{
		ID:         &id,
		Name:       ptr(in.name),
		Type:       ptr(armTypeVNet),
		Location:   &location,
		Tags:       in.body.Tags,
		Etag:       ptr(in.etag),
		Properties: props,
	}, nil
}

func buildSubnets(in []*armnetwork.Subnet, vnetID, etag string, state armnetwork.ProvisioningState, space []netip.Prefix) ([]*armnetwork.Subnet, *Error) {
	names, err := childNames("Subnet", "properties.subnets", in, func(v *armnetwork.Subnet) *string { return v.Name })
	if err != nil {
		return nil, err
	}
	out := make([]*armnetwork.Subnet, len(in))
	prefixes := make([]netip.Prefix, len(in))
	for i, s := range in {
		path := fmt.Sprintf("properties.subnets[%d].properties", i)
		id := childID(vnetID, "subnets", names[i])
		p := deref(s.Properties)
		props := &armnetwork.SubnetPropertiesFormat{ProvisioningState: ptr(state)}
		var text string
		switch {
		case p.AddressPrefix != nil && len(p.AddressPrefixes) > 0:
			return nil, invalidRequestFormat("InvalidJson", "%s has both addressPrefix and addressPrefixes; give one.", path)
		case p.AddressPrefix != nil:
			text = *p.AddressPrefix
			props.AddressPrefix = ptr(text)
		case len(p.AddressPrefixes) == 1:
			text = deref(p.AddressPrefixes[0])
			props.AddressPrefixes = []*string{ptr(text)}
		case len(p.AddressPrefixes) > 1:
			return nil, unsupportedByFake("A subnet with more than one address prefix")
		default:
			return nil, missingProperty(path + ".addressPrefix")
		}
		prefix, err := parseCIDR(text, path+".addressPrefix")
		if err != nil {
			return nil, err
		}
		if !insideAny(prefix, space) {
			return nil, badRequest(CodeSubnetOutsideVNet,
				"Subnet '%s' is not valid because its IP address range %s is outside the IP address range of the virtual network.", names[i], prefix)
		}
		for j := 0; j < i; j++ {
			if prefixes[j].Overlaps(prefix) {
				return nil, badRequest(CodeSubnetsOverlap,
					"Subnet '%s' is not valid because its IP address range %s overlaps with that of subnet '%s' (%s).",
					names[i], prefix, names[j], prefixes[j])
			}
		}
		prefixes[i] = prefix
		out[i] = &armnetwork.Subnet{ID: &id, Name: ptr(names[i]), Type: ptr(armTypeSubnet), Etag: ptr(etag), Properties: props}
	}
	return out, nil
}

func insideAny(p netip.Prefix, space []netip.Prefix) bool {
	for _, s := range space {
		if s.Bits() <= p.Bits() && s.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// checkSubnetsInUse refuses removing a subnet a frontend uses, or changing its range so that a
// frontend's address falls outside it.
func checkSubnetsInUse(w *world, prev, next []*armnetwork.Subnet) *Error {
	u := w.usageOf("")
	for _, old := range prev {
		k := strings.ToLower(deref(old.ID))
		if len(u.subnetUsers[k]) == 0 {
			continue
		}
		var kept *armnetwork.Subnet
		for _, s := range next {
			if strings.EqualFold(deref(s.ID), deref(old.ID)) {
				kept = s
			}
		}
		if kept == nil {
			return subnetNotInUse(w, old)
		}
		prefix := subnetPrefix(kept)
		for addr, fe := range u.privateIP[k] {
			if !prefix.Contains(addr) {
				return badRequest(CodeInUseSubnetCannotBeUpdated,
					"Subnet %s is in use by %s (address %s) and its address range cannot change to %s.", deref(old.ID), fe, addr, prefix)
			}
		}
	}
	return nil
}
