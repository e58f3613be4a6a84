package fake

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// Public IP limits Azure documents.
const (
	minPIPIdleTimeout     = 4  // minutes
	maxPIPIdleTimeout     = 30 // minutes
	defaultPIPIdleTimeout = 4
	dnsZoneSuffix         = "cloudapp.azure.com"
)

// domainNameLabelPattern is Azure's rule for a public IP's DNS label.
var domainNameLabelPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,61}[a-z0-9]$`)

var pipKind = &kind[armnetwork.PublicIPAddress]{
	typ:   TypePublicIPAddresses,
	items: func(c *Cloud) map[string]*armnetwork.PublicIPAddress { return c.pips },
	build: buildPublicIP,
	view:  viewPublicIP,
	setState: func(v *armnetwork.PublicIPAddress, s armnetwork.ProvisioningState) {
		pipProps(v).ProvisioningState = ptr(s)
	},
	id:        func(v *armnetwork.PublicIPAddress) string { return deref(v.ID) },
	etag:      func(v *armnetwork.PublicIPAddress) string { return deref(v.Etag) },
	location:  func(v *armnetwork.PublicIPAddress) string { return deref(v.Location) },
	setTags:   func(v *armnetwork.PublicIPAddress, tags map[string]*string) { v.Tags = tags },
	canDelete: canDeletePublicIP,
}

func pipProps(v *armnetwork.PublicIPAddress) *armnetwork.PublicIPAddressPropertiesFormat {
	if v.Properties == nil {
		v.Properties = &armnetwork.PublicIPAddressPropertiesFormat{}
	}
	return v.Properties
}

// viewPublicIP adds the read-only back-reference to the frontend that uses the address.
func viewPublicIP(w *world, v *armnetwork.PublicIPAddress) *armnetwork.PublicIPAddress {
	out := deepCopy(v)
	if fe, used := w.usageOf("").pipUser[strings.ToLower(deref(v.ID))]; used {
		pipProps(out).IPConfiguration = &armnetwork.IPConfiguration{ID: ptr(fe)}
	}
	return out
}

func canDeletePublicIP(w *world, v *armnetwork.PublicIPAddress) *Error {
	if fe, used := w.usageOf("").pipUser[strings.ToLower(deref(v.ID))]; used {
		return badRequest(CodePublicIPCannotBeDeleted,
			"Public IP address %s can not be deleted since it is still allocated to resource %s. In order to delete the "+
				"public IP, disassociate/detach the Public IP address from the resource.", deref(v.ID), fe)
	}
	return nil
}

// buildPublicIP validates a public IP address: Standard SKU (Basic is retired), Static allocation,
// IPv4, idle timeout 4..30 minutes, a DNS label that is valid and unique in its region. Its address is
// kept across updates, else allocated from Options.PublicIPRange.
func buildPublicIP(w *world, in buildInput[armnetwork.PublicIPAddress]) (*armnetwork.PublicIPAddress, *Error) {
	if err := validateName("Public IP address", in.name); err != nil {
		return nil, err
	}
	id := resourceID(w.sub, in.rg, TypePublicIPAddresses, in.name)
	var prevLocation *string
	var prev armnetwork.PublicIPAddressPropertiesFormat
	guid := newUUID()
	if in.prev != nil {
		prevLocation = in.prev.Location
		prev = deref(in.prev.Properties)
		guid = deref(prev.ResourceGUID)
	}
	location, err := resolveLocation(id, in.body.Location, prevLocation)
	if err != nil {
		return nil, err
	}
	sku, err := publicIPSKU(in.body.SKU, in.seeded)
	if err != nil {
		return nil, err
	}
	if in.body.ExtendedLocation != nil {
		return nil, unsupportedByFake("extendedLocation")
	}
	props := deepCopy(in.body.Properties)
	if props == nil {
		props = &armnetwork.PublicIPAddressPropertiesFormat{}
	}
	if err := checkPublicIPProperties(props, id, *sku.Name); err != nil {
		return nil, err
	}
	if props.DNSSettings != nil {
		if err := checkDNSLabel(w, props.DNSSettings, id, location); err != nil {
			return nil, err
		}
	}
	// Read-only and server-set fields.
	props.IPConfiguration, props.LinkedPublicIPAddress, props.ServicePublicIPAddress = nil, nil, nil
	props.ProvisioningState, props.ResourceGUID = ptr(in.state), &guid
	props.IPAddress = prev.IPAddress
	if props.IPAddress == nil {
		addr, err := allocatePublicIP(w, id)
		if err != nil {
			return nil, err
		}
		props.IPAddress = ptr(addr.String())
	}
	return &armnetwork.PublicIPAddress{
		ID:         &id,
		Name:       ptr(in.name),
		Type:       ptr(armTypePublicIP),
		Location:   &location,
		SKU:        sku,
		Tags:       in.body.Tags,
		Zones:      in.body.Zones,
		Etag:       ptr(in.etag),
		Properties: props,
	}, nil
}

func publicIPSKU(sku *armnetwork.PublicIPAddressSKU, allowBasic bool) (*armnetwork.PublicIPAddressSKU, *Error) {
	name := deref(deref(sku).Name)
	switch {
	case allowBasic && strings.EqualFold(string(name), string(armnetwork.PublicIPAddressSKUNameBasic)):
		return &armnetwork.PublicIPAddressSKU{Name: ptr(armnetwork.PublicIPAddressSKUNameBasic), Tier: ptr(armnetwork.PublicIPAddressSKUTierRegional)}, nil
	case name == "" || strings.EqualFold(string(name), string(armnetwork.PublicIPAddressSKUNameBasic)):
		return nil, badRequest(CodeBasicSkuNotSupported,
			"Basic SKU public IP addresses are retired and cannot be created or updated (a missing sku means Basic): set sku.name to Standard.")
	case !strings.EqualFold(string(name), string(armnetwork.PublicIPAddressSKUNameStandard)):
		return nil, unsupportedByFake("Public IP sku " + string(name))
	}
	tier := deref(deref(sku).Tier)
	if tier != "" && !strings.EqualFold(string(tier), string(armnetwork.PublicIPAddressSKUTierRegional)) {
		return nil, unsupportedByFake("Public IP sku tier " + string(tier))
	}
	return &armnetwork.PublicIPAddressSKU{
		Name: ptr(armnetwork.PublicIPAddressSKUNameStandard),
		Tier: ptr(armnetwork.PublicIPAddressSKUTierRegional),
	}, nil
}

// checkPublicIPProperties validates and canonicalizes allocation, version and idle timeout in place.
func checkPublicIPProperties(props *armnetwork.PublicIPAddressPropertiesFormat, id string, sku armnetwork.PublicIPAddressSKUName) *Error {
	method := armnetwork.IPAllocationMethodStatic // Standard public IPs are Static; omitting the method means that
	if props.PublicIPAllocationMethod != nil {
		var ok bool
		if method, ok = canonicalEnum(*props.PublicIPAllocationMethod, armnetwork.IPAllocationMethodStatic, armnetwork.IPAllocationMethodDynamic); !ok {
			return invalidEnum("properties.publicIPAllocationMethod", *props.PublicIPAllocationMethod,
				armnetwork.IPAllocationMethodStatic, armnetwork.IPAllocationMethodDynamic)
		}
	}
	if method != armnetwork.IPAllocationMethodStatic && sku == armnetwork.PublicIPAddressSKUNameStandard {
		return badRequest(CodeStandardSkuPIPMustBeStatic, "Standard sku publicIp %s must have AllocationMethod set to Static.", id)
	}
	props.PublicIPAllocationMethod = &method
	if v := deref(props.PublicIPAddressVersion); v != "" && !strings.EqualFold(string(v), string(armnetwork.IPVersionIPv4)) {
		return unsupportedByFake("publicIPAddressVersion " + string(v))
	}
	props.PublicIPAddressVersion = ptr(armnetwork.IPVersionIPv4)
	if props.PublicIPPrefix != nil {
		return unsupportedByFake("publicIPPrefix")
	}
	idle := int32(defaultPIPIdleTimeout)
	if props.IdleTimeoutInMinutes != nil {
		idle = *props.IdleTimeoutInMinutes
	}
	if idle < minPIPIdleTimeout || idle > maxPIPIdleTimeout {
		return badRequest(CodePublicIPIdleTimeoutOutOfRange,
			"Public IP address %s has invalid Idle Timeout %d. The value must be between %d and %d.", id, idle, minPIPIdleTimeout, maxPIPIdleTimeout)
	}
	props.IdleTimeoutInMinutes = &idle
	return nil
}

// checkDNSLabel validates the DNS label, sets the FQDN, and refuses a label another public IP of
// the region has.
func checkDNSLabel(w *world, dns *armnetwork.PublicIPAddressDNSSettings, id, location string) *Error {
	label := deref(dns.DomainNameLabel)
	if label == "" {
		dns.Fqdn = nil
		return nil
	}
	if !domainNameLabelPattern.MatchString(label) {
		return badRequest(CodeInvalidDomainNameLabel,
			"The domain name label %s is invalid. It must conform to the following regular expression: %s.", label, domainNameLabelPattern)
	}
	fqdn := label + "." + location + "." + dnsZoneSuffix
	for _, other := range w.pips {
		if strings.EqualFold(deref(other.ID), id) {
			continue
		}
		if strings.EqualFold(deref(deref(deref(other.Properties).DNSSettings).Fqdn), fqdn) {
			return badRequest(CodeDNSRecordInUse, "DNS record %s is already used by another public IP (%s).", fqdn, deref(other.ID))
		}
	}
	dns.Fqdn = &fqdn
	return nil
}

// allocatePublicIP returns the lowest address of Options.PublicIPRange no other public IP holds,
// skipping the network and broadcast addresses of ranges larger than /31.
func allocatePublicIP(w *world, id string) (netip.Addr, *Error) {
	used := make(map[netip.Addr]bool, len(w.pips))
	for _, other := range w.pips {
		if a, err := netip.ParseAddr(deref(deref(other.Properties).IPAddress)); err == nil {
			used[a] = true
		}
	}
	r := w.pipRange
	skipEnds := r.Addr().Is4() && r.Bits() < 31
	for a := r.Addr(); r.Contains(a); a = a.Next() {
		if skipEnds && (a == r.Addr() || a == lastAddr(r)) {
			continue
		}
		if !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, badRequest(CodePublicIPCountLimitReached,
		"Cannot create public IP address %s: every address of the range %s is taken.", id, r)
}
