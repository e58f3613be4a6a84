package fake

import (
	"net/netip"
	"time"

	"k8s.io/utils/clock"
)

// Options configure a Cloud. The zero value is usable: every field has a default.
type Options struct {
	SubscriptionID string      // default "00000000-0000-0000-0000-000000000000"
	TenantID       string      // default "00000000-0000-0000-0000-000000000001"
	Location       string      // default "eastus"; the region Options-less helpers use
	Clock          clock.Clock // default the real clock
	// PublicIPRange holds the addresses handed to new public IPs; default 127.0.2.0/24 (loopback on
	// purpose: the sandbox accepts real connections on them).
	PublicIPRange netip.Prefix
	Limits        Limits // zero fields mean Azure's Standard defaults (see DefaultLimits)
	// ClientSecrets maps a client id to the secret the token endpoint accepts for it. Empty: any
	// non-empty client id and secret pair is accepted.
	ClientSecrets map[string]string
	PageSize      int   // list pages hold at most this many items (default 100); more get a nextLink
	Seed          int64 // seeds the choice of probabilistic faults
	// TokenLifetime is how long an issued token is accepted, on Clock (default 1h).
	TokenLifetime time.Duration
}

// Limits are the per-resource limits Azure enforces. A zero field means Azure's default.
type Limits struct {
	FrontendsPerLB     int // frontend IP configurations per load balancer (600)
	RulesPerLB         int // load-balancing plus inbound NAT rules per load balancer (1,500)
	AddressesPerPool   int // addresses per backend pool (5,000)
	LBsPerSubscription int // load balancers per subscription (1,000)
}

// DefaultLimits are Azure's Standard load balancer limits.
var DefaultLimits = Limits{
	FrontendsPerLB:     600,
	RulesPerLB:         1500,
	AddressesPerPool:   5000,
	LBsPerSubscription: 1000,
}

// Defaults of Options.
const (
	DefaultSubscriptionID = "00000000-0000-0000-0000-000000000000"
	DefaultTenantID       = "00000000-0000-0000-0000-000000000001"
	DefaultLocation       = "eastus"
	DefaultPageSize       = 100
	DefaultTokenLifetime  = time.Hour
)

// DefaultPublicIPRange is the default Options.PublicIPRange.
var DefaultPublicIPRange = netip.MustParsePrefix("127.0.2.0/24")

func (o Options) withDefaults() Options {
	if o.SubscriptionID == "" {
		o.SubscriptionID = DefaultSubscriptionID
	}
	if o.TenantID == "" {
		o.TenantID = DefaultTenantID
	}
	if o.Location == "" {
		o.Location = DefaultLocation
	}
	o.Location = normalizeLocation(o.Location)
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if !o.PublicIPRange.IsValid() {
		o.PublicIPRange = DefaultPublicIPRange
	}
	o.PublicIPRange = o.PublicIPRange.Masked()
	o.Limits = o.Limits.withDefaults()
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = DefaultTokenLifetime
	}
	return o
}

func (l Limits) withDefaults() Limits {
	pick := func(v, d int) int {
		if v > 0 {
			return v
		}
		return d
	}
	return Limits{
		FrontendsPerLB:     pick(l.FrontendsPerLB, DefaultLimits.FrontendsPerLB),
		RulesPerLB:         pick(l.RulesPerLB, DefaultLimits.RulesPerLB),
		AddressesPerPool:   pick(l.AddressesPerPool, DefaultLimits.AddressesPerPool),
		LBsPerSubscription: pick(l.LBsPerSubscription, DefaultLimits.LBsPerSubscription),
	}
}
