package loadbalancer

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
)

// lbKey identifies a load balancer (lower-case, as ARM names are case-insensitive).
type lbKey struct{ resourceGroup, name string }

func newLBKey(rg, name string) lbKey { return lbKey{strings.ToLower(rg), strings.ToLower(name)} }

// lbCacheEntry is a load balancer as last read or written (lb nil: it does not exist).
type lbCacheEntry struct {
	lb      *armnetwork.LoadBalancer
	fetched time.Time
}

// pipCache holds the public IPs of resource groups, filled by one List per resource group and kept
// current by the provider's own writes, so a resync reads each resource group at most once per TTL.
type pipCache struct {
	clock clock.PassiveClock
	ttl   time.Duration
	arm   *armClient

	mu     sync.Mutex
	groups map[string]*pipGroup
}

type pipGroup struct {
	mu      sync.Mutex // serialises the refresh of this group
	fetched time.Time
	byName  map[string]*armnetwork.PublicIPAddress // lower-case name
}

func newPIPCache(c clock.PassiveClock, ttl time.Duration, arm *armClient) *pipCache {
	return &pipCache{clock: c, ttl: ttl, arm: arm, groups: map[string]*pipGroup{}}
}

func (c *pipCache) group(rg string) *pipGroup {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(rg)
	g, ok := c.groups[key]
	if !ok {
		g = &pipGroup{}
		c.groups[key] = g
	}
	return g
}

// snapshot returns the public IPs of rg, listing them when the cached copy is older than the TTL. The
// map is never modified after it is returned (writes replace it), so callers may read it freely.
func (c *pipCache) snapshot(ctx context.Context, rg string) (map[string]*armnetwork.PublicIPAddress, error) {
	g := c.group(rg)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byName != nil && c.clock.Since(g.fetched) < c.ttl {
		return g.byName, nil
	}
	list, err := c.arm.listPIPs(ctx, rg)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*armnetwork.PublicIPAddress, len(list))
	for _, p := range list {
		byName[strings.ToLower(ptr.Deref(p.Name, ""))] = p
	}
	g.byName, g.fetched = byName, c.clock.Now()
	return byName, nil
}

// lookup returns the cached public IP named name in rg (nil when absent).
func (c *pipCache) lookup(ctx context.Context, rg, name string) (*armnetwork.PublicIPAddress, error) {
	all, err := c.snapshot(ctx, rg)
	if err != nil {
		return nil, err
	}
	return all[strings.ToLower(name)], nil
}

// store records the result of the provider's own write (pip nil: deleted).
func (c *pipCache) store(rg, name string, pip *armnetwork.PublicIPAddress) {
	g := c.group(rg)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byName == nil {
		return // not listed yet; the next snapshot lists
	}
	next := make(map[string]*armnetwork.PublicIPAddress, len(g.byName)+1)
	for k, v := range g.byName {
		next[k] = v
	}
	if pip == nil {
		delete(next, strings.ToLower(name))
	} else {
		next[strings.ToLower(name)] = pip
	}
	g.byName = next
}

// invalidate forgets rg so that the next lookup lists it again (after a stale-etag failure).
func (c *pipCache) invalidate(rg string) {
	g := c.group(rg)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.byName = nil
}
