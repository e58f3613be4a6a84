package fake

import (
	"fmt"
	"net/netip"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// pools validates the backend address pools. Pools are IP based: every address has an ipAddress and
// the id of an existing virtual network, appears once per pool, and a pool holds at most
// Limits.AddressesPerPool addresses.
func (b *lbBuilder) pools(in []*armnetwork.BackendAddressPool) ([]*armnetwork.BackendAddressPool, *Error) {
	names, err := childNames("Backend address pool", "properties.backendAddressPools", in, func(v *armnetwork.BackendAddressPool) *string { return v.Name })
	if err != nil {
		return nil, err
	}
	out := make([]*armnetwork.BackendAddressPool, len(in))
	for i, pool := range in {
		id := b.childID("backendAddressPools", names[i])
		p := deref(pool.Properties)
		props := &armnetwork.BackendAddressPoolPropertiesFormat{
			ProvisioningState:    ptr(b.state),
			DrainPeriodInSeconds: p.DrainPeriodInSeconds,
			SyncMode:             p.SyncMode,
		}
		if len(p.TunnelInterfaces) > 0 {
			return nil, unsupportedByFake("tunnelInterfaces (gateway load balancers)")
		}
		if p.VirtualNetwork != nil {
			vnet := b.w.virtualNetwork(deref(p.VirtualNetwork.ID))
			if vnet == nil {
				return nil, referenceNotFound(deref(p.VirtualNetwork.ID), id)
			}
			props.VirtualNetwork = &armnetwork.SubResource{ID: vnet.ID}
		}
		poolVnet := ""
		if props.VirtualNetwork != nil {
			poolVnet = deref(props.VirtualNetwork.ID)
		}
		addrs, err := b.poolAddresses(p.LoadBalancerBackendAddresses, id, i, poolVnet)
		if err != nil {
			return nil, err
		}
		props.LoadBalancerBackendAddresses = addrs
		out[i] = &armnetwork.BackendAddressPool{
			ID: &id, Name: ptr(names[i]), Type: b.childType("backendAddressPools"), Etag: ptr(b.etag), Properties: props,
		}
	}
	return out, nil
}

// poolAddresses validates IP-based backend addresses. Each needs a virtual network: its own, or the
// pool's (Azure accepts either; the reference provider sets the pool's).
func (b *lbBuilder) poolAddresses(in []*armnetwork.LoadBalancerBackendAddress, poolID string, poolIndex int, poolVnet string) ([]*armnetwork.LoadBalancerBackendAddress, *Error) {
	if len(in) > b.w.limits.AddressesPerPool {
		return nil, badRequest(CodePoolAddressLimitReached,
			"Backend address pool %s cannot have more than %d addresses; it has %d.", poolID, b.w.limits.AddressesPerPool, len(in))
	}
	if in == nil {
		return nil, nil
	}
	out := make([]*armnetwork.LoadBalancerBackendAddress, 0, len(in))
	seen := make(map[netip.Addr]int, len(in))
	for j, a := range in {
		path := fmt.Sprintf("properties.backendAddressPools[%d].properties.loadBalancerBackendAddresses[%d]", poolIndex, j)
		if a == nil {
			return nil, nullElement(path)
		}
		p := deref(a.Properties)
		ipText, vnetID := deref(p.IPAddress), deref(deref(p.VirtualNetwork).ID)
		ownVnet := vnetID != ""
		if !ownVnet {
			vnetID = poolVnet
		}
		if ipText == "" || vnetID == "" {
			return nil, badRequest(CodeInvalidBackendAddress,
				"Backend address %s of pool %s must have properties.ipAddress and a virtual network (properties.virtualNetwork.id, its own or the pool's).", path, poolID)
		}
		ip, err := netip.ParseAddr(ipText)
		if err != nil {
			return nil, badRequest(CodeInvalidBackendAddress, "Backend address %s of pool %s has ipAddress %q, which is not an IP address.",
				path, poolID, ipText)
		}
		vnet := b.w.virtualNetwork(vnetID)
		if vnet == nil {
			return nil, referenceNotFound(vnetID, poolID)
		}
		if first, dup := seen[ip]; dup {
			return nil, badRequest(CodeDuplicateBackendAddress,
				"Backend address pool %s has IP address %s more than once (addresses %d and %d).", poolID, ip, first, j)
		}
		seen[ip] = j
		props := &armnetwork.LoadBalancerBackendAddressPropertiesFormat{
			IPAddress:  ptr(ip.String()),
			AdminState: p.AdminState,
		}
		if ownVnet {
			props.VirtualNetwork = &armnetwork.SubResource{ID: vnet.ID}
		}
		if p.Subnet != nil {
			_, subnet := b.w.subnet(deref(p.Subnet.ID))
			if subnet == nil {
				return nil, referenceNotFound(deref(p.Subnet.ID), poolID)
			}
			props.Subnet = &armnetwork.SubResource{ID: subnet.ID}
		}
		out = append(out, &armnetwork.LoadBalancerBackendAddress{Name: a.Name, Properties: props})
	}
	return out, nil
}
