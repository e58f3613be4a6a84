package probes

import (
	"strconv"
	"strings"
)

// AnnotationPrefix is the prefix of every Service annotation this package reads.
const AnnotationPrefix = "service.beta.kubernetes.io/"

// Service-wide health probe annotations.
const (
	// AnnotationProtocol is the probe protocol (Tcp, Http, Https) of Cluster Services.
	AnnotationProtocol = AnnotationPrefix + "azure-load-balancer-health-probe-protocol"
	// AnnotationRequestPath is the request path of Http and Https probes of Cluster Services.
	AnnotationRequestPath = AnnotationPrefix + "azure-load-balancer-health-probe-request-path"
	// AnnotationInterval is the probe interval in seconds.
	AnnotationInterval = AnnotationPrefix + "azure-load-balancer-health-probe-interval"
	// AnnotationNumOfProbe is the probe threshold (sent as probeThreshold).
	AnnotationNumOfProbe = AnnotationPrefix + "azure-load-balancer-health-probe-num-of-probe"
)

// PortParam names a per-port probe setting: port_{port}_health-probe_{param}.
type PortParam string

// Per-port probe settings.
const (
	ParamProtocol    PortParam = "protocol"
	ParamPort        PortParam = "port"
	ParamRequestPath PortParam = "request-path"
	ParamInterval    PortParam = "interval"
	ParamNumOfProbe  PortParam = "num-of-probe"
)

// portParams lists the known per-port settings, in the order used in messages.
var portParams = []PortParam{ParamProtocol, ParamPort, ParamRequestPath, ParamInterval, ParamNumOfProbe}

const (
	portKeyPrefix      = AnnotationPrefix + "port_"
	healthProbeSuffix  = "health-probe_"
	noLBRuleSuffix     = "no_lb_rule"
	noProbeRuleSuffix  = "no_probe_rule"
	knownPortSuffixes  = "no_lb_rule, no_probe_rule, health-probe_{protocol,port,request-path,interval,num-of-probe}"
	knownProbeSettings = "protocol, port, request-path, interval, num-of-probe"
)

// PortAnnotation returns the annotation of a per-port probe setting,
// e.g. "service.beta.kubernetes.io/port_80_health-probe_interval".
func PortAnnotation(port int32, p PortParam) string {
	return portAnnotation(port, healthProbeSuffix+string(p))
}

// NoLBRuleAnnotation returns the annotation that, set to "true", removes the load-balancing rule
// (and so the probe) of a service port: "service.beta.kubernetes.io/port_80_no_lb_rule".
func NoLBRuleAnnotation(port int32) string { return portAnnotation(port, noLBRuleSuffix) }

// NoProbeRuleAnnotation returns the annotation that, set to "true", keeps the load-balancing rule of a
// service port but without a probe: "service.beta.kubernetes.io/port_80_no_probe_rule".
func NoProbeRuleAnnotation(port int32) string { return portAnnotation(port, noProbeRuleSuffix) }

func portAnnotation(port int32, suffix string) string {
	return portKeyPrefix + strconv.FormatInt(int64(port), 10) + "_" + suffix
}

// portKeyKind classifies an annotation key that starts with "service.beta.kubernetes.io/port_".
type portKeyKind int

const (
	keyBadPort       portKeyKind = iota // the part after port_ is not a port number 1..65535 in canonical form
	keyNoLBRule                         // port_N_no_lb_rule
	keyNoProbeRule                      // port_N_no_probe_rule
	keyProbeParam                       // port_N_health-probe_<known param>
	keyUnknownParam                     // port_N_health-probe_<something else>
	keyUnknownSuffix                    // port_N_<something else>
)

// portKey is a parsed per-port annotation key.
type portKey struct {
	kind  portKeyKind
	port  int32
	param PortParam // keyProbeParam and keyUnknownParam
}

// parsePortKey parses a per-port annotation key. ok is false when key is not a per-port annotation.
// Only the canonical decimal form of a port (what PortAnnotation builds) names a port: the reference
// provider looks annotations up by the key it formats with %d, so "port_080_..." never matches.
func parsePortKey(key string) (pk portKey, ok bool) {
	rest, found := strings.CutPrefix(key, portKeyPrefix)
	if !found {
		return portKey{}, false
	}
	digits, suffix, found := strings.Cut(rest, "_")
	if !found {
		return portKey{kind: keyBadPort}, true
	}
	n, err := strconv.ParseInt(digits, 10, 32)
	if err != nil || n < 1 || n > 65535 || strconv.FormatInt(n, 10) != digits {
		return portKey{kind: keyBadPort}, true
	}
	pk.port = int32(n)
	switch {
	case suffix == noLBRuleSuffix:
		pk.kind = keyNoLBRule
	case suffix == noProbeRuleSuffix:
		pk.kind = keyNoProbeRule
	case strings.HasPrefix(suffix, healthProbeSuffix):
		pk.param = PortParam(strings.TrimPrefix(suffix, healthProbeSuffix))
		pk.kind = keyUnknownParam
		for _, p := range portParams {
			if p == pk.param {
				pk.kind = keyProbeParam
			}
		}
	default:
		pk.kind = keyUnknownSuffix
	}
	return pk, true
}
