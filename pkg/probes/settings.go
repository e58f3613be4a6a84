package probes

import (
	"fmt"
	"strings"
	"unicode"
)

// Protocol is a probe protocol. The values are exactly armnetwork's ProbeProtocol values.
type Protocol string

// Probe protocols.
const (
	ProtocolTCP   Protocol = "Tcp"
	ProtocolHTTP  Protocol = "Http"
	ProtocolHTTPS Protocol = "Https"
)

// Defaults and Azure's limits.
const (
	// DefaultIntervalSeconds is the probe interval when no annotation sets one.
	DefaultIntervalSeconds = 5
	// DefaultThreshold is the probe threshold when no annotation sets one; it is sent as probeThreshold.
	DefaultThreshold = 2
	// DefaultRequestPath is the request path of Http/Https probes on Cluster services.
	DefaultRequestPath = "/"
	// HealthCheckPath is the path of probes to kube-proxy's health checks (healthCheckNodePort, shared).
	HealthCheckPath = "/healthz"
	// MinIntervalSeconds is the smallest interval Azure accepts.
	MinIntervalSeconds = 5
	// MinThreshold is the smallest threshold the reference provider accepts.
	MinThreshold = 2
	// MaxTotalSeconds bounds interval x threshold: the product must be < 120.
	MaxTotalSeconds = 120
)

// Settings is one Azure probe's configuration.
type Settings struct {
	Protocol        Protocol
	Port            int32
	RequestPath     string // empty for Tcp
	IntervalSeconds int32
	Threshold       int32 // probeThreshold (numberOfProbes is deprecated and not sent)
}

// String describes the probe for events and logs, e.g. "Http :31234/healthz every 5s, threshold 2".
func (s Settings) String() string {
	return fmt.Sprintf("%s :%d%s every %ds, threshold %d", s.Protocol, s.Port, s.RequestPath, s.IntervalSeconds, s.Threshold)
}

// Validate reports whether Azure would accept the settings: a known protocol, a port 1..65535, a request
// path (starting with "/", no whitespace) exactly for Http and Https, interval >= 5, threshold >= 2 and
// interval x threshold < 120. Every Settings that ForService returns passes.
func (s Settings) Validate() error {
	switch s.Protocol {
	case ProtocolTCP:
		if s.RequestPath != "" {
			return fmt.Errorf("probe %s: a Tcp probe has no request path", s)
		}
	case ProtocolHTTP, ProtocolHTTPS:
		if !validRequestPath(s.RequestPath) {
			return fmt.Errorf("probe %s: request path %q must start with \"/\" and contain no whitespace", s, s.RequestPath)
		}
	default:
		return fmt.Errorf("probe %s: protocol %q is not one of Tcp, Http, Https", s, s.Protocol)
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("probe %s: port %d is not in 1..65535", s, s.Port)
	}
	if s.IntervalSeconds < MinIntervalSeconds {
		return fmt.Errorf("probe %s: interval %ds is below %ds", s, s.IntervalSeconds, MinIntervalSeconds)
	}
	if s.Threshold < MinThreshold {
		return fmt.Errorf("probe %s: threshold %d is below %d", s, s.Threshold, MinThreshold)
	}
	if int64(s.IntervalSeconds)*int64(s.Threshold) >= MaxTotalSeconds {
		return fmt.Errorf("probe %s: interval x threshold must be < %d", s, MaxTotalSeconds)
	}
	return nil
}

// validRequestPath: starts with "/" and has no whitespace or control characters.
func validRequestPath(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for _, r := range p {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// Kind says why a Service needs a probe.
type Kind int

// Probe kinds.
const (
	KindHealthCheckNodePort Kind = iota // Local: Http on spec.healthCheckNodePort, /healthz
	KindPort                            // Cluster: built for one service port
	KindShared                          // Cluster in shared mode: kube-proxy's port (10256) /healthz
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindHealthCheckNodePort:
		return "HealthCheckNodePort"
	case KindPort:
		return "Port"
	case KindShared:
		return "Shared"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Probe is a probe the Service needs. KeyPort identifies it for naming by the provider:
// the health check node port for KindHealthCheckNodePort, the service port (spec.ports[].port) it was
// built for with KindPort, 0 for KindShared.
type Probe struct {
	Kind    Kind
	KeyPort int32
	Settings
}
