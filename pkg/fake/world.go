package fake

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// world is the read-only view of the store that validation and rendering work on. It is built
// under c.mu and must not outlive the critical section.
type world struct {
	sub      string
	limits   Limits
	pipRange netip.Prefix
	lbs      map[string]*armnetwork.LoadBalancer
	pips     map[string]*armnetwork.PublicIPAddress
	vnets    map[string]*armnetwork.VirtualNetwork
	all      *usage // usage of every load balancer, computed once
}

func (c *Cloud) worldLocked() *world {
	return &world{
		sub:      c.opts.SubscriptionID,
		limits:   c.opts.Limits,
		pipRange: c.opts.PublicIPRange,
		lbs:      c.lbs,
		pips:     c.pips,
		vnets:    c.vnets,
	}
}

// resolve parses a reference id and checks that it names a top-level resource of type typ in this
// subscription.
func (w *world) resolve(id, typ string) (armPath, bool) {
	p, err := parsePath(id)
	if err != nil || !strings.EqualFold(p.Subscription, w.sub) || p.ResourceGroup == "" || p.Type != typ || p.Name == "" {
		return p, false
	}
	return p, true
}

func (w *world) publicIP(id string) *armnetwork.PublicIPAddress {
	p, ok := w.resolve(id, TypePublicIPAddresses)
	if !ok || p.ChildType != "" {
		return nil
	}
	return w.pips[storeKey(p.ResourceGroup, p.Name)]
}

func (w *world) virtualNetwork(id string) *armnetwork.VirtualNetwork {
	p, ok := w.resolve(id, TypeVirtualNetworks)
	if !ok || p.ChildType != "" {
		return nil
	}
	return w.vnets[storeKey(p.ResourceGroup, p.Name)]
}

func (w *world) subnet(id string) (*armnetwork.VirtualNetwork, *armnetwork.Subnet) {
	p, ok := w.resolve(id, TypeVirtualNetworks)
	if !ok || p.ChildType != "subnets" || p.ChildName == "" {
		return nil, nil
	}
	vnet := w.vnets[storeKey(p.ResourceGroup, p.Name)]
	if vnet == nil || vnet.Properties == nil {
		return nil, nil
	}
	for _, s := range vnet.Properties.Subnets {
		if strings.EqualFold(deref(s.Name), p.ChildName) {
			return vnet, s
		}
	}
	return nil, nil
}

// usage is what the load balancers' frontends and pools hold: the back-references Azure shows on
// public IPs and subnets, and the addresses that are taken.
type usage struct {
	pipUser     map[string]string                // lower public IP id -> frontend id
	subnetUsers map[string][]string              // lower subnet id -> frontend ids, sorted
	privateIP   map[string]map[netip.Addr]string // lower subnet id -> address -> frontend id
	backendIPs  map[netip.Addr]bool              // addresses in any backend pool
}

// usageOf computes the usage of every load balancer but the one stored at skipKey.
func (w *world) usageOf(skipKey string) *usage {
	if skipKey == "" && w.all != nil {
		return w.all
	}
	u := &usage{
		pipUser:     map[string]string{},
		subnetUsers: map[string][]string{},
		privateIP:   map[string]map[netip.Addr]string{},
		backendIPs:  map[netip.Addr]bool{},
	}
	for key, lb := range w.lbs {
		if key == skipKey || lb.Properties == nil {
			continue
		}
		for _, fe := range lb.Properties.FrontendIPConfigurations {
			feID := deref(fe.ID)
			props := deref(fe.Properties)
			if props.PublicIPAddress != nil {
				u.pipUser[strings.ToLower(deref(props.PublicIPAddress.ID))] = feID
			}
			if props.Subnet != nil {
				sk := strings.ToLower(deref(props.Subnet.ID))
				u.subnetUsers[sk] = append(u.subnetUsers[sk], feID)
				if addr, err := netip.ParseAddr(deref(props.PrivateIPAddress)); err == nil {
					if u.privateIP[sk] == nil {
						u.privateIP[sk] = map[netip.Addr]string{}
					}
					u.privateIP[sk][addr] = feID
				}
			}
		}
		for _, pool := range lb.Properties.BackendAddressPools {
			for _, a := range deref(pool.Properties).LoadBalancerBackendAddresses {
				if addr, err := netip.ParseAddr(deref(deref(a.Properties).IPAddress)); err == nil {
					u.backendIPs[addr] = true
				}
			}
		}
	}
	for k := range u.subnetUsers {
		sort.Strings(u.subnetUsers[k])
	}
	if skipKey == "" {
		w.all = u
	}
	return u
}
