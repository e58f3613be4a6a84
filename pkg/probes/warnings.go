package probes

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// finishWarnings adds a Warning for every probe annotation of the Service that no probe used, saying why,
// and returns all warnings sorted by annotation, then message.
func (b *builder) finishWarnings() []Warning {
	keys := make([]string, 0, len(b.ann))
	for k := range b.ann {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if b.used[k] {
			continue
		}
		switch k {
		case AnnotationProtocol, AnnotationRequestPath, AnnotationInterval, AnnotationNumOfProbe:
			b.warn(k, b.serviceWideReason(k))
			continue
		}
		pk, ok := parsePortKey(k)
		if !ok {
			continue
		}
		switch pk.kind {
		case keyBadPort:
			b.warn(k, "ignored: the text after port_ is not a port number 1..65535 as written in spec.ports[].port (e.g. port_80_health-probe_interval)")
		case keyUnknownSuffix:
			b.warn(k, "ignored: not a known per-port annotation; known: port_{port}_"+knownPortSuffixes)
		case keyUnknownParam:
			b.warn(k, fmt.Sprintf("ignored: %q is not a per-port probe setting; known: %s", pk.param, knownProbeSettings))
		case keyNoLBRule, keyNoProbeRule:
			// Read for every port of the Service, so unused only when the port does not exist.
			b.warn(k, b.missingPortReason(pk.port))
		case keyProbeParam:
			b.warn(k, b.portReason(pk))
		}
	}
	out := make([]Warning, 0, len(b.warns))
	for w := range b.warns {
		out = append(out, w)
	}
	slices.SortFunc(out, func(x, y Warning) int {
		return cmp.Or(cmp.Compare(x.Annotation, y.Annotation), cmp.Compare(x.Message, y.Message))
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

func (b *builder) sharedReason() string {
	return fmt.Sprintf("ignored: clusterServiceLoadBalancerHealthProbeMode is shared, so every rule of this Cluster Service uses the shared probe (%s); use externalTrafficPolicy Local or the servicenodeport mode for probes of its own", b.sharedSettings())
}

const localReason = "ignored: externalTrafficPolicy is Local, the probe is Http /healthz on the health check node port"

// serviceWideReason says why a service-wide annotation applies to no probe.
func (b *builder) serviceWideReason(key string) string {
	switch {
	case b.shared:
		return b.sharedReason()
	case b.local && b.portProbes == 0 && (key == AnnotationProtocol || key == AnnotationRequestPath):
		return localReason + " (only ports with a port_{port}_health-probe_port annotation get probes of their own)"
	case !b.local && b.portProbes == 0:
		return "ignored: no port of this Service gets a probe of its own (UDP ports, no_lb_rule, no_probe_rule)"
	case key == AnnotationRequestPath && !b.anyHTTP:
		return "ignored: no probe of this Service is Http or Https; a request path applies to those only"
	case key == AnnotationRequestPath:
		return "ignored: every Http or Https probe of this Service takes its request path from a per-port annotation"
	case key == AnnotationProtocol:
		return "ignored: every probe of this Service takes its protocol from a per-port annotation or appProtocol"
	}
	return "ignored: every probe of this Service takes this setting from a per-port annotation"
}

// missingPortReason: a per-port annotation names a port the Service does not have.
func (b *builder) missingPortReason(port int32) string {
	ports := make([]string, 0, len(b.svc.Spec.Ports))
	for _, sp := range b.svc.Spec.Ports {
		ports = append(ports, strconv.Itoa(int(sp.Port))+"/"+string(cmp.Or(sp.Protocol, v1.ProtocolTCP)))
	}
	if len(ports) == 0 {
		return fmt.Sprintf("ignored: the Service has no port %d (it has no ports)", port)
	}
	return fmt.Sprintf("ignored: the Service has no port %d (its ports: %s)", port, strings.Join(ports, ", "))
}

// portReason says why a per-port probe setting of an existing (or missing) port applies to no probe.
func (b *builder) portReason(pk portKey) string {
	var entries []v1.ServicePort
	for _, sp := range b.svc.Spec.Ports {
		if sp.Port == pk.port {
			entries = append(entries, sp)
		}
	}
	if len(entries) == 0 {
		if b.local && pk.port == b.hcnp {
			return fmt.Sprintf("ignored: the probe on the health check node port %d is always Http %s; only port_%d_health-probe_interval and num-of-probe apply to it", pk.port, HealthCheckPath, pk.port)
		}
		return b.missingPortReason(pk.port)
	}
	if b.shared {
		return b.sharedReason()
	}
	noRule, _ := parseFlag(b.ann[NoLBRuleAnnotation(pk.port)])
	noProbe, _ := parseFlag(b.ann[NoProbeRuleAnnotation(pk.port)])
	var probed []string
	for _, sp := range entries {
		if probedProtocol(sp.Protocol) {
			probed = append(probed, string(sp.Protocol))
		}
	}
	_, overridden := b.ann[PortAnnotation(pk.port, ParamPort)]
	switch {
	case noRule:
		return fmt.Sprintf("ignored: port %d has no load-balancing rule (%s is true)", pk.port, NoLBRuleAnnotation(pk.port))
	case noProbe:
		return fmt.Sprintf("ignored: the rule of port %d has no probe (%s is true)", pk.port, NoProbeRuleAnnotation(pk.port))
	case len(probed) == 0:
		uses := "no probe"
		if b.local {
			uses = "the Http /healthz probe on the health check node port"
		}
		return fmt.Sprintf("ignored: port %d is %s and Azure probes only TCP ports; its rule uses %s", pk.port, entries[0].Protocol, uses)
	case b.local && !overridden:
		return fmt.Sprintf("ignored: externalTrafficPolicy is Local, so the rule of port %d uses the Http /healthz probe on the health check node port; set %s to give the port a probe of its own", pk.port, PortAnnotation(pk.port, ParamPort))
	case pk.param == ParamRequestPath:
		return fmt.Sprintf("ignored: the probe of port %d is Tcp; a request path applies to Http and Https probes only", pk.port)
	}
	return "ignored: no probe of this Service uses it"
}
