package probes

import (
	"fmt"
	"strings"
)

// Mode is cloud-config's clusterServiceLoadBalancerHealthProbeMode.
type Mode string

// Probe modes of Cluster Services.
const (
	// ModeServiceNodePort gives every TCP port of a Cluster Service its own probe on the port's nodePort.
	ModeServiceNodePort Mode = "servicenodeport"
	// ModeShared makes every rule of a Cluster Service use one Http probe to kube-proxy's health check.
	ModeShared Mode = "shared"
)

// Defaults of the shared probe (cloud-config clusterServiceSharedLoadBalancerHealthProbePort/Path).
const (
	DefaultSharedPort = 10256
	DefaultSharedPath = HealthCheckPath
)

// ParseMode parses clusterServiceLoadBalancerHealthProbeMode: "" means servicenodeport, the match is
// case-insensitive (as in the reference provider), anything else is an error naming the allowed values.
func ParseMode(s string) (Mode, error) {
	v := strings.TrimSpace(s)
	switch {
	case v == "" || strings.EqualFold(v, string(ModeServiceNodePort)):
		return ModeServiceNodePort, nil
	case strings.EqualFold(v, string(ModeShared)):
		return ModeShared, nil
	}
	return "", fmt.Errorf("clusterServiceLoadBalancerHealthProbeMode %q is not supported: use %q (the default) or %q",
		s, ModeServiceNodePort, ModeShared)
}

// Config is the part of cloud-config that shapes probes.
type Config struct {
	ClusterMode Mode   // "" means servicenodeport
	SharedPort  int32  // clusterServiceSharedLoadBalancerHealthProbePort; 0 means 10256
	SharedPath  string // clusterServiceSharedLoadBalancerHealthProbePath; "" means /healthz
}

// WithDefaults returns the configuration with its defaults filled in, or an error naming the
// cloud-config field that is invalid.
func (c Config) WithDefaults() (Config, error) {
	mode, err := ParseMode(string(c.ClusterMode))
	if err != nil {
		return Config{}, err
	}
	c.ClusterMode = mode
	if c.SharedPort == 0 {
		c.SharedPort = DefaultSharedPort
	}
	if c.SharedPort < 1 || c.SharedPort > 65535 {
		return Config{}, fmt.Errorf("clusterServiceSharedLoadBalancerHealthProbePort %d is invalid: use a port 1..65535 (default %d)", c.SharedPort, DefaultSharedPort)
	}
	if c.SharedPath == "" {
		c.SharedPath = DefaultSharedPath
	}
	if !validRequestPath(c.SharedPath) {
		return Config{}, fmt.Errorf("clusterServiceSharedLoadBalancerHealthProbePath %q is invalid: it must start with \"/\" and contain no whitespace (default %s)", c.SharedPath, DefaultSharedPath)
	}
	return c, nil
}
