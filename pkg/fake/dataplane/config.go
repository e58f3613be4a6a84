package dataplane

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/azlb/azlb/pkg/fake"
	"github.com/azlb/azlb/pkg/probes"
)

// Protocol is a load-balancing rule's transport protocol (armnetwork TransportProtocol values).
type Protocol string

// Rule protocols.
const (
	ProtocolTCP Protocol = "Tcp"
	ProtocolUDP Protocol = "Udp"
	ProtocolAll Protocol = "All"
)

// Distribution is a rule's loadDistribution: which parts of a flow's 5-tuple choose its backend.
type Distribution string

// Load distributions (SEMANTICS.md 1).
const (
	DistributionDefault          Distribution = "Default"          // 5-tuple
	DistributionSourceIP         Distribution = "SourceIP"         // client IP, frontend IP
	DistributionSourceIPProtocol Distribution = "SourceIPProtocol" // client IP, frontend IP, protocol
)

// AdminState is a backend address's adminState: None follows the probe, Up and Down override it for
// new flows.
type AdminState string

// Admin states.
const (
	AdminNone AdminState = "None"
	AdminUp   AdminState = "Up"
	AdminDown AdminState = "Down"
)

// Defaults Azure applies when a field is omitted.
const (
	// DefaultIntervalSeconds is the REST default of intervalInSeconds (SEMANTICS.md 1).
	DefaultIntervalSeconds = 15
	// DefaultIdleTimeout is the REST default of idleTimeoutInMinutes.
	DefaultIdleTimeout = 4 * time.Minute
)

// Config is what the data plane needs from the load balancers of one store: every rule with its
// frontend address and backends, and every probe. Build it with BuildConfig; it is a plain value.
type Config struct {
	Rules  []Rule  // sorted by ID
	Probes []Probe // sorted by ID
	// Problems are rules the data plane cannot serve (for example a frontend without an address),
	// one sentence each.
	Problems []string
}

// Rule is one load-balancing rule, resolved.
type Rule struct {
	ID           string // lower-cased ARM ID
	Frontend     netip.Addr
	Protocol     Protocol
	FrontendPort uint16 // 0: every port (HA ports, protocol All)
	BackendPort  uint16 // 0: the port the client dialled
	FloatingIP   bool
	TCPReset     bool
	IdleTimeout  time.Duration
	Distribution Distribution
	ProbeID      string    // lower-cased ARM ID; "" when the rule has no probe (all backends up)
	Backends     []Backend // union of the rule's pools, sorted by address, unique
}

// Backend is one IP-based backend pool address.
type Backend struct {
	Name  string
	Addr  netip.Addr
	Admin AdminState
}

// Probe is one health probe, resolved.
type Probe struct {
	ID       string // lower-cased ARM ID
	Name     string
	Settings probes.Settings
	// AllProbedUp is noHealthyBackendsBehavior AllProbedUp: when every backend is probed down, new
	// flows go to all of them.
	AllProbedUp bool
	// period, when non-zero, replaces Settings.IntervalSeconds: only LiveOptions.ProbeInterval sets it,
	// so that tests of the real driver run in milliseconds. Azure's interval is whole seconds >= 5.
	period time.Duration
}

// Interval is the time between two probes of one backend.
func (p Probe) Interval() time.Duration {
	if p.period > 0 {
		return p.period
	}
	return time.Duration(p.Settings.IntervalSeconds) * time.Second
}

// Timeout is how long the probe waits for an answer: min(30 s, interval) (SEMANTICS.md 1,
// probes.ProbeTimeout).
func (p Probe) Timeout() time.Duration {
	if p.period > 0 {
		return min(30*time.Second, p.period)
	}
	return probes.ProbeTimeout(p.Settings)
}

// withProbeInterval returns the configuration with every probe's interval replaced by d (d <= 0
// changes nothing).
func (c Config) withProbeInterval(d time.Duration) Config {
	if d <= 0 {
		return c
	}
	out := c
	out.Probes = append([]Probe(nil), c.Probes...)
	for i := range out.Probes {
		out.Probes[i].period = d
	}
	return out
}

// ConfigFromSnapshot builds the configuration of every load balancer in a snapshot of pkg/fake's store.
func ConfigFromSnapshot(s fake.Snapshot) Config {
	return BuildConfig(s.LoadBalancers, s.PublicIPs)
}

// BuildConfig resolves the rules and probes of the load balancers: a public frontend takes its public
// IP's address from pips, an internal one its private address. It never fails: what cannot be
// served is left out and described in Config.Problems.
func BuildConfig(lbs []armnetwork.LoadBalancer, pips []armnetwork.PublicIPAddress) Config {
	pipAddr := map[string]netip.Addr{}
	for _, p := range pips {
		if p.ID == nil || p.Properties == nil || p.Properties.IPAddress == nil {
			continue
		}
		if a, err := netip.ParseAddr(*p.Properties.IPAddress); err == nil {
			pipAddr[strings.ToLower(*p.ID)] = a
		}
	}
	var cfg Config
	for _, lb := range lbs {
		if lb.Properties == nil {
			continue
		}
		props := lb.Properties
		frontends := map[string]netip.Addr{}
		for _, fe := range props.FrontendIPConfigurations {
			if fe == nil || fe.ID == nil || fe.Properties == nil {
				continue
			}
			id := strings.ToLower(*fe.ID)
			switch {
			case fe.Properties.PublicIPAddress != nil && fe.Properties.PublicIPAddress.ID != nil:
				if a, ok := pipAddr[strings.ToLower(*fe.Properties.PublicIPAddress.ID)]; ok {
					frontends[id] = a
				}
			case fe.Properties.PrivateIPAddress != nil:
				if a, err := netip.ParseAddr(*fe.Properties.PrivateIPAddress); err == nil {
					frontends[id] = a
				}
			}
		}
		pools := map[string][]Backend{}
		for _, pool := range props.BackendAddressPools {
			if pool == nil || pool.ID == nil {
				continue
			}
			var backends []Backend
			if pool.Properties != nil {
				for _, a := range pool.Properties.LoadBalancerBackendAddresses {
					if b, ok := backendOf(a); ok {
						backends = append(backends, b)
					}
				}
			}
			pools[strings.ToLower(*pool.ID)] = backends
		}
		for _, p := range props.Probes {
			if pr, ok := probeOf(p); ok {
				cfg.Probes = append(cfg.Probes, pr)
			}
		}
		for _, r := range props.LoadBalancingRules {
			rule, problem := ruleOf(r, frontends, pools)
			if problem != "" {
				cfg.Problems = append(cfg.Problems, problem)
				continue
			}
			cfg.Rules = append(cfg.Rules, rule)
		}
	}
	sort.Slice(cfg.Rules, func(i, j int) bool { return cfg.Rules[i].ID < cfg.Rules[j].ID })
	sort.Slice(cfg.Probes, func(i, j int) bool { return cfg.Probes[i].ID < cfg.Probes[j].ID })
	return cfg
}

func backendOf(a *armnetwork.LoadBalancerBackendAddress) (Backend, bool) {
	if a == nil || a.Properties == nil || a.Properties.IPAddress == nil {
		return Backend{}, false
	}
	addr, err := netip.ParseAddr(*a.Properties.IPAddress)
	if err != nil {
		return Backend{}, false
	}
	b := Backend{Addr: addr.Unmap(), Admin: AdminNone}
	if a.Name != nil {
		b.Name = *a.Name
	}
	if a.Properties.AdminState != nil {
		switch *a.Properties.AdminState {
		case armnetwork.LoadBalancerBackendAddressAdminStateUp:
			b.Admin = AdminUp
		case armnetwork.LoadBalancerBackendAddressAdminStateDown:
			b.Admin = AdminDown
		}
	}
	return b, true
}

func probeOf(p *armnetwork.Probe) (Probe, bool) {
	if p == nil || p.ID == nil || p.Properties == nil {
		return Probe{}, false
	}
	props := p.Properties
	s := probes.Settings{
		Protocol:        probes.ProtocolTCP,
		IntervalSeconds: DefaultIntervalSeconds,
		Threshold:       1,
	}
	if props.Protocol != nil {
		s.Protocol = probes.Protocol(*props.Protocol)
	}
	if props.Port != nil {
		s.Port = *props.Port
	}
	if props.RequestPath != nil {
		s.RequestPath = *props.RequestPath
	}
	if props.IntervalInSeconds != nil && *props.IntervalInSeconds > 0 {
		s.IntervalSeconds = *props.IntervalInSeconds
	}
	// The threshold is probeThreshold, else the deprecated numberOfProbes, else 1 (as pkg/fake reads it).
	switch {
	case props.ProbeThreshold != nil && *props.ProbeThreshold > 0:
		s.Threshold = *props.ProbeThreshold
	case props.NumberOfProbes != nil && *props.NumberOfProbes > 0:
		s.Threshold = *props.NumberOfProbes
	}
	pr := Probe{ID: strings.ToLower(*p.ID), Settings: s}
	if p.Name != nil {
		pr.Name = *p.Name
	}
	if props.NoHealthyBackendsBehavior != nil && *props.NoHealthyBackendsBehavior == armnetwork.ProbeNoHealthyBackendsBehaviorAllProbedUp {
		pr.AllProbedUp = true
	}
	return pr, true
}

func ruleOf(r *armnetwork.LoadBalancingRule, frontends map[string]netip.Addr, pools map[string][]Backend) (Rule, string) {
	if r == nil || r.ID == nil || r.Properties == nil {
		return Rule{}, ""
	}
	props := r.Properties
	rule := Rule{
		ID:           strings.ToLower(*r.ID),
		Protocol:     ProtocolTCP,
		IdleTimeout:  DefaultIdleTimeout,
		Distribution: DistributionDefault,
	}
	if props.FrontendIPConfiguration == nil || props.FrontendIPConfiguration.ID == nil {
		return Rule{}, fmt.Sprintf("rule %s has no frontend", rule.ID)
	}
	fe, ok := frontends[strings.ToLower(*props.FrontendIPConfiguration.ID)]
	if !ok {
		return Rule{}, fmt.Sprintf("rule %s: frontend %s has no address", rule.ID, *props.FrontendIPConfiguration.ID)
	}
	rule.Frontend = fe.Unmap()
	if props.Protocol != nil {
		rule.Protocol = Protocol(*props.Protocol)
	}
	if props.FrontendPort != nil {
		rule.FrontendPort = uint16(max(0, min(65535, *props.FrontendPort)))
	}
	if props.BackendPort != nil {
		rule.BackendPort = uint16(max(0, min(65535, *props.BackendPort)))
	}
	rule.FloatingIP = props.EnableFloatingIP != nil && *props.EnableFloatingIP
	rule.TCPReset = props.EnableTCPReset != nil && *props.EnableTCPReset
	if props.IdleTimeoutInMinutes != nil && *props.IdleTimeoutInMinutes > 0 {
		rule.IdleTimeout = time.Duration(*props.IdleTimeoutInMinutes) * time.Minute
	}
	if props.LoadDistribution != nil && *props.LoadDistribution != "" {
		rule.Distribution = Distribution(*props.LoadDistribution)
	}
	if props.Probe != nil && props.Probe.ID != nil {
		rule.ProbeID = strings.ToLower(*props.Probe.ID)
	}
	poolIDs := map[string]bool{}
	if props.BackendAddressPool != nil && props.BackendAddressPool.ID != nil {
		poolIDs[strings.ToLower(*props.BackendAddressPool.ID)] = true
	}
	for _, p := range props.BackendAddressPools {
		if p != nil && p.ID != nil {
			poolIDs[strings.ToLower(*p.ID)] = true
		}
	}
	ids := make([]string, 0, len(poolIDs))
	for id := range poolIDs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	seen := map[netip.Addr]bool{}
	for _, id := range ids {
		for _, b := range pools[id] {
			if !seen[b.Addr] {
				seen[b.Addr] = true
				rule.Backends = append(rule.Backends, b)
			}
		}
	}
	sort.Slice(rule.Backends, func(i, j int) bool { return rule.Backends[i].Addr.Less(rule.Backends[j].Addr) })
	return rule, ""
}
