package fake

import (
	"sort"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

type watchers struct {
	mu     sync.Mutex
	nextID int
	fns    map[int]func()
}

// Watch registers fn to be called after every committed change of the store (a write accepted, an
// operation ended, a seed), outside the cloud's locks. fn may be called from several goroutines at
// once and should be quick; it reads the new state with Snapshot. cancel unregisters it.
func (c *Cloud) Watch(fn func()) (cancel func()) {
	w := &c.watchers
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextID++
	id := w.nextID
	w.fns[id] = fn
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.fns, id)
	}
}

func (w *watchers) notify() {
	w.mu.Lock()
	ids := make([]int, 0, len(w.fns))
	for id := range w.fns {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	fns := make([]func(), 0, len(ids))
	for _, id := range ids {
		fns = append(fns, w.fns[id])
	}
	w.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Snapshot is the whole store at one instant, deep-copied: changing it changes nothing in the cloud.
// Lists are sorted by resource group, then name (case-insensitively).
type Snapshot struct {
	// Version increases with every committed change; equal versions mean equal contents.
	Version         uint64
	Time            time.Time // the cloud's clock when the snapshot was taken
	LoadBalancers   []armnetwork.LoadBalancer
	PublicIPs       []armnetwork.PublicIPAddress
	VirtualNetworks []armnetwork.VirtualNetwork
}

// Snapshot returns a consistent copy of every resource, with the back-references Azure shows.
func (c *Cloud) Snapshot() Snapshot {
	var s Snapshot
	c.locked(func(now time.Time) bool {
		w := c.worldLocked()
		s = Snapshot{
			Version:         c.version,
			Time:            now,
			LoadBalancers:   viewsOf(w, c.lbs, lbKind, ""),
			PublicIPs:       viewsOf(w, c.pips, pipKind, ""),
			VirtualNetworks: viewsOf(w, c.vnets, vnetKind, ""),
		}
		return false
	})
	return s
}

// viewsOf renders the resources of one kind in resource group rg ("" for all), sorted by key.
func viewsOf[T any](w *world, items map[string]*T, k *kind[T], rg string) []T {
	keys := make([]string, 0, len(items))
	for key := range items {
		if inGroup(key, rg) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	out := make([]T, 0, len(keys))
	for _, key := range keys {
		out = append(out, *k.view(w, items[key]))
	}
	return out
}

func getView[T any](c *Cloud, k *kind[T], rg, name string) (T, bool) {
	var out T
	var found bool
	c.locked(func(time.Time) bool {
		if v := k.items(c)[storeKey(rg, name)]; v != nil {
			out, found = *k.view(c.worldLocked(), v), true
		}
		return false
	})
	return out, found
}

// GetLoadBalancer returns a copy of a load balancer, bypassing auth and counters.
func (c *Cloud) GetLoadBalancer(rg, name string) (armnetwork.LoadBalancer, bool) {
	return getView(c, lbKind, rg, name)
}

// ListLoadBalancers returns copies of the load balancers of resource group rg ("" for all), sorted
// by name.
func (c *Cloud) ListLoadBalancers(rg string) []armnetwork.LoadBalancer {
	return listViews(c, lbKind, rg)
}

// GetPublicIP returns a copy of a public IP address, bypassing auth and counters.
func (c *Cloud) GetPublicIP(rg, name string) (armnetwork.PublicIPAddress, bool) {
	return getView(c, pipKind, rg, name)
}

// ListPublicIPs returns copies of the public IPs of resource group rg ("" for all), sorted by name.
func (c *Cloud) ListPublicIPs(rg string) []armnetwork.PublicIPAddress {
	return listViews(c, pipKind, rg)
}

func listViews[T any](c *Cloud, k *kind[T], rg string) []T {
	var out []T
	c.locked(func(time.Time) bool {
		out = viewsOf(c.worldLocked(), k.items(c), k, rg)
		return false
	})
	return out
}

// GetVirtualNetwork returns a copy of a virtual network with its subnets.
func (c *Cloud) GetVirtualNetwork(rg, name string) (armnetwork.VirtualNetwork, bool) {
	return getView(c, vnetKind, rg, name)
}

// PutVirtualNetwork creates or replaces a virtual network with its subnets at once (no operation),
// validated as a PUT is, bypassing auth, counters and faults. It returns an *Error when Azure would
// refuse the network.
func (c *Cloud) PutVirtualNetwork(rg string, vnet armnetwork.VirtualNetwork) error {
	return seed(c, vnetKind, rg, deref(vnet.Name), &vnet)
}

// PutPublicIP creates or replaces a public IP address at once (no operation), as a user would
// create their own, validated as a PUT is, bypassing auth, counters and faults. The address is
// allocated from Options.PublicIPRange. Unlike a PUT it accepts a Basic SKU, standing for a legacy
// address created before Basic was retired.
func (c *Cloud) PutPublicIP(rg string, pip armnetwork.PublicIPAddress) error {
	return seed(c, pipKind, rg, deref(pip.Name), &pip)
}

func seed[T any](c *Cloud, k *kind[T], rg, name string, body *T) error {
	if rg == "" {
		return badRequest(CodeInvalidResourceName, "The resource group name is empty.")
	}
	var err *Error
	c.locked(func(time.Time) bool {
		key := storeKey(rg, name)
		items := k.items(c)
		prev := items[key]
		if prev != nil {
			p, _ := parsePath(k.id(prev))
			rg, name = p.ResourceGroup, p.Name
		}
		var out *T
		out, err = k.build(c.worldLocked(), buildInput[T]{rg: rg, name: name, prev: prev, body: deepCopy(body),
			etag: newEtag(), state: armnetwork.ProvisioningStateSucceeded, seeded: true})
		if err != nil {
			return false
		}
		items[key] = out
		return true
	})
	if err != nil {
		return err
	}
	return nil
}
