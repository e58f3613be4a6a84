package probes

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	servicehelpers "k8s.io/cloud-provider/service/helpers"
)

// PortPlan says what the provider builds for one entry of spec.ports (same order as spec.ports).
type PortPlan struct {
	Port   v1.ServicePort
	NoRule bool // port_{port}_no_lb_rule: no load-balancing rule (and no probe) for this port
	Probe  int  // index into Plan.Probes of the probe the rule uses; -1: rule without probe
}

// Plan is what a Service needs in probes and which rule uses which probe.
type Plan struct {
	Probes   []Probe    // deduplicated (several rules may share one probe)
	Ports    []PortPlan // one per spec.ports entry
	Warnings []Warning  // annotations that cannot apply (become Warning events); never silently dropped
}

// ForService computes the probes of a Service of type LoadBalancer. Every invalid annotation is reported
// (errors.Join of *AnnotationError, so errors.As finds them and the message lists all of them).
// A Local Service without spec.healthCheckNodePort is an error too (wrapping ErrNoHealthCheckNodePort), and
// so is a probe that needs a nodePort the Service does not have (wrapping ErrNoNodePort).
// An invalid cfg is an error naming the cloud-config field.
//
// Probes are listed in the order the rules first use them (spec.ports order); a probe no rule uses is not
// listed. The health check node port probe and the shared probe are listed once and shared by every rule
// that uses them; a KindPort probe serves exactly one service port.
// On error the Plan holds only the Warnings.
func ForService(svc *v1.Service, cfg Config) (Plan, error) {
	if svc == nil {
		return Plan{}, errors.New("probes: no Service given")
	}
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return Plan{}, fmt.Errorf("cloud-config: %w", err)
	}
	b := newBuilder(svc, cfg)
	plan := b.build()
	plan.Warnings = b.finishWarnings()
	if err := b.err(); err != nil {
		return Plan{Warnings: plan.Warnings}, err
	}
	return plan, nil
}

// builder computes one Plan. It records which annotations it read, so that the rest can be reported.
type builder struct {
	svc    *v1.Service
	name   string
	ann    map[string]string
	cfg    Config
	local  bool // externalTrafficPolicy Local: the health check node port probe
	shared bool // Cluster in shared mode: the shared probe
	hcnp   int32

	used    map[string]bool
	annErrs map[AnnotationError]struct{}
	errs    []error
	warns   map[Warning]struct{}

	probes    []Probe
	common    *Probe // the health check node port probe or the shared probe, once built
	commonIdx int    // its index in probes, -1 until a rule uses it

	portProbes int  // KindPort probes attempted
	anyHTTP    bool // a KindPort probe resolved to Http or Https
}

func newBuilder(svc *v1.Service, cfg Config) *builder {
	local := servicehelpers.NeedsHealthCheck(svc)
	return &builder{
		svc:       svc,
		name:      svc.Namespace + "/" + svc.Name,
		ann:       svc.Annotations,
		cfg:       cfg,
		local:     local,
		shared:    cfg.ClusterMode == ModeShared && !strings.EqualFold(string(svc.Spec.ExternalTrafficPolicy), string(v1.ServiceExternalTrafficPolicyLocal)),
		hcnp:      svc.Spec.HealthCheckNodePort,
		used:      map[string]bool{},
		annErrs:   map[AnnotationError]struct{}{},
		warns:     map[Warning]struct{}{},
		commonIdx: -1,
	}
}

func (b *builder) build() Plan {
	switch {
	case b.local:
		b.buildHealthCheckNodePortProbe()
	case b.shared:
		b.common = &Probe{Kind: KindShared, Settings: b.sharedSettings()}
	}
	ports := make([]PortPlan, 0, len(b.svc.Spec.Ports))
	for i, sp := range b.svc.Spec.Ports {
		ports = append(ports, b.planPort(i, sp))
	}
	return Plan{Probes: b.probes, Ports: ports}
}

func (b *builder) sharedSettings() Settings {
	return Settings{
		Protocol:        ProtocolHTTP,
		Port:            b.cfg.SharedPort,
		RequestPath:     b.cfg.SharedPath,
		IntervalSeconds: DefaultIntervalSeconds,
		Threshold:       DefaultThreshold,
	}
}

// buildHealthCheckNodePortProbe builds the probe of a Local Service. Like the reference provider it is
// built (and its annotations validated) whether or not a rule uses it, and its interval and threshold come
// from port_{healthCheckNodePort}_health-probe_{interval,num-of-probe}, then the service-wide annotations.
func (b *builder) buildHealthCheckNodePortProbe() {
	valid := b.hcnp >= 1 && b.hcnp <= 65535
	iv, th, ok := b.timing(b.hcnp, valid)
	if !valid {
		b.errs = append(b.errs, fmt.Errorf("service %s: %w: the API server allocates it for type LoadBalancer; in manifests given to lbctl, set spec.healthCheckNodePort", b.name, ErrNoHealthCheckNodePort))
		return
	}
	if !ok {
		return
	}
	b.common = &Probe{Kind: KindHealthCheckNodePort, KeyPort: b.hcnp, Settings: Settings{
		Protocol:        ProtocolHTTP,
		Port:            b.hcnp,
		RequestPath:     HealthCheckPath,
		IntervalSeconds: iv,
		Threshold:       th,
	}}
}

// planPort follows the reference provider's getExpectedLBRules for one entry of spec.ports.
func (b *builder) planPort(i int, sp v1.ServicePort) PortPlan {
	pp := PortPlan{Port: sp, Probe: -1}
	noRule := b.flag(NoLBRuleAnnotation(sp.Port))
	noProbe := b.flag(NoProbeRuleAnnotation(sp.Port))
	switch {
	case noRule:
		pp.NoRule = true
	case noProbe:
	case b.shared:
		pp.Probe = b.useCommon()
	case !probedProtocol(sp.Protocol):
		// Azure does not probe UDP or SCTP: a Local Service's rule still uses the health check node port
		// probe, a Cluster Service's rule has none.
		if b.local {
			pp.Probe = b.useCommon()
		}
	default:
		pp.Probe = b.portProbe(i, sp)
	}
	return pp
}

// probedProtocol: the reference provider builds no probe for UDP and SCTP ports; anything else is TCP.
func probedProtocol(p v1.Protocol) bool {
	return p != v1.ProtocolUDP && p != v1.ProtocolSCTP
}

// useCommon returns the index of the health check node port or shared probe, listing it on first use.
func (b *builder) useCommon() int {
	if b.common == nil {
		return -1
	}
	if b.commonIdx < 0 {
		b.probes = append(b.probes, *b.common)
		b.commonIdx = len(b.probes) - 1
	}
	return b.commonIdx
}

// portProbe builds the probe of one TCP port (reference: buildHealthProbeRulesForPort). A Local Service
// gets one only with a port override; otherwise its rule uses the health check node port probe.
func (b *builder) portProbe(i int, sp v1.ServicePort) int {
	overrideKey := PortAnnotation(sp.Port, ParamPort)
	override, hasOverride := b.lookup(overrideKey)
	if !hasOverride && b.local {
		return b.useCommon()
	}
	b.portProbes++
	var port int32
	portOK := false
	if hasOverride {
		port, portOK = b.overridePort(overrideKey, override)
	} else {
		port, portOK = b.nodePort(sp, "")
	}
	proto := b.protocol(i, sp)
	path, pathOK := "", true
	if proto != ProtocolTCP {
		b.anyHTTP = true
		path, pathOK = b.requestPath(sp.Port)
	}
	iv, th, timingOK := b.timing(sp.Port, true)
	if !portOK || !pathOK || !timingOK {
		return -1
	}
	b.probes = append(b.probes, Probe{Kind: KindPort, KeyPort: sp.Port, Settings: Settings{
		Protocol:        proto,
		Port:            port,
		RequestPath:     path,
		IntervalSeconds: iv,
		Threshold:       th,
	}})
	return len(b.probes) - 1
}

// lookup reads an annotation and records that it was read.
func (b *builder) lookup(key string) (string, bool) {
	v, found := b.ann[key]
	if found {
		b.used[key] = true
	}
	return v, found
}

func (b *builder) warn(annotation, message string) {
	b.warns[Warning{Annotation: annotation, Message: message}] = struct{}{}
}

func (b *builder) fail(e *AnnotationError) { b.annErrs[*e] = struct{}{} }

// flag reads port_N_no_lb_rule or port_N_no_probe_rule.
func (b *builder) flag(key string) bool {
	v, found := b.lookup(key)
	if !found {
		return false
	}
	set, valid := parseFlag(v)
	if !valid {
		b.warn(key, fmt.Sprintf(`value %q is neither "true" nor "false": treated as false, as the reference provider does; set "true" or "false"`, v))
	}
	return set
}

// protocol: the port annotation, then appProtocol, then the service-wide annotation, then Tcp.
func (b *builder) protocol(i int, sp v1.ServicePort) Protocol {
	key := PortAnnotation(sp.Port, ParamProtocol)
	if v, found := b.lookup(key); found {
		p, known := parseProtocol(v)
		if !known {
			b.warn(key, fmt.Sprintf("unknown probe protocol %q: the probe of port %d falls back to Tcp, as in the reference provider; use Tcp, Http or Https", v, sp.Port))
		}
		return p
	}
	if sp.AppProtocol != nil {
		p, known := parseProtocol(*sp.AppProtocol)
		if !known {
			b.warn(fmt.Sprintf("spec.ports[%d].appProtocol", i), fmt.Sprintf(
				"appProtocol %q is not a probe protocol: the probe of port %d falls back to Tcp, as in the reference provider (the service-wide protocol annotation is not consulted); to choose, set %s to Tcp, Http or Https",
				*sp.AppProtocol, sp.Port, key))
		}
		return p
	}
	if v, found := b.lookup(AnnotationProtocol); found {
		p, known := parseProtocol(v)
		if !known {
			b.warn(AnnotationProtocol, fmt.Sprintf("unknown probe protocol %q: probes that use it fall back to Tcp, as in the reference provider; use Tcp, Http or Https", v))
		}
		return p
	}
	return ProtocolTCP
}

// requestPath of an Http/Https probe: the port annotation, then the service-wide one, then "/".
func (b *builder) requestPath(port int32) (string, bool) {
	for _, key := range []string{PortAnnotation(port, ParamRequestPath), AnnotationRequestPath} {
		if v, found := b.lookup(key); found {
			p, aerr := parseRequestPath(key, v)
			if aerr != nil {
				b.fail(aerr)
				return "", false
			}
			return p, true
		}
	}
	return DefaultRequestPath, true
}

// source is where a number came from: an annotation, or the default when key is "".
type source struct{ key, value, defaultOf string }

// timing resolves interval and threshold for a probe: port annotations (when perPort), then the
// service-wide ones, then the defaults; and checks interval x threshold < 120.
func (b *builder) timing(port int32, perPort bool) (interval, threshold int32, ok bool) {
	iv, ivSrc, ivOK := b.number(port, perPort, ParamInterval, AnnotationInterval, DefaultIntervalSeconds, parseInterval)
	th, thSrc, thOK := b.number(port, perPort, ParamNumOfProbe, AnnotationNumOfProbe, DefaultThreshold, parseThreshold)
	if !ivOK || !thOK {
		return 0, 0, false
	}
	if int64(iv)*int64(th) >= MaxTotalSeconds {
		b.fail(productError(ivSrc, thSrc, iv, th))
		return 0, 0, false
	}
	return iv, th, true
}

func (b *builder) number(port int32, perPort bool, p PortParam, wide string, def int32,
	parse func(key, v string) (int32, *AnnotationError)) (int32, source, bool) {
	keys := []string{wide}
	if perPort {
		keys = []string{PortAnnotation(port, p), wide}
	}
	for _, key := range keys {
		if v, found := b.lookup(key); found {
			n, aerr := parse(key, v)
			if aerr != nil {
				b.fail(aerr)
				return 0, source{}, false
			}
			return n, source{key: key, value: v}, true
		}
	}
	return def, source{defaultOf: wide}, true
}

// productError names the annotation(s) behind interval x threshold >= 120.
func productError(iv, th source, interval, threshold int32) *AnnotationError {
	primary, other, otherName, otherValue := iv, th, "num-of-probe", threshold
	if primary.key == "" {
		primary, other, otherName, otherValue = th, iv, "interval", interval
	}
	otherDesc := fmt.Sprintf("%s=%q", other.key, other.value)
	if other.key == "" {
		otherDesc = fmt.Sprintf("the default %s %d (%s not set)", otherName, otherValue, other.defaultOf)
	}
	return &AnnotationError{Annotation: primary.key, Value: primary.value, Reason: fmt.Sprintf(
		"interval x num-of-probe must be less than %d seconds, but with %s it is %d x %d = %d: lower one of them",
		MaxTotalSeconds, otherDesc, interval, threshold, int64(interval)*int64(threshold))}
}

// overridePort resolves port_N_health-probe_port: a number equal to a service port means that port's
// nodePort, another number 1..65535 is used as is, a service port name (case-insensitive) means that
// port's nodePort. The value is trimmed.
func (b *builder) overridePort(key, v string) (int32, bool) {
	s := strings.TrimSpace(v)
	if n, ok := parseWholeNumber(s); ok {
		if n < 1 || n > 65535 {
			b.fail(&AnnotationError{Annotation: key, Value: v, Reason: b.overrideReason()})
			return 0, false
		}
		for _, sp := range b.svc.Spec.Ports {
			if sp.Port == n {
				return b.nodePort(sp, key)
			}
		}
		return n, true
	}
	if s != "" {
		for _, sp := range b.svc.Spec.Ports {
			if strings.EqualFold(sp.Name, s) {
				return b.nodePort(sp, key)
			}
		}
	}
	b.fail(&AnnotationError{Annotation: key, Value: v, Reason: b.overrideReason()})
	return 0, false
}

func (b *builder) overrideReason() string {
	var names []string
	for _, sp := range b.svc.Spec.Ports {
		if sp.Name != "" {
			names = append(names, sp.Name)
		}
	}
	if len(names) == 0 {
		return "must be a port number 1..65535 (a service port number means its nodePort)"
	}
	return fmt.Sprintf("must be a service port name (%s) or a port number 1..65535 (a service port number means its nodePort)", strings.Join(names, ", "))
}

// nodePort returns a service port's nodePort, or records an error wrapping ErrNoNodePort.
func (b *builder) nodePort(sp v1.ServicePort, via string) (int32, bool) {
	if sp.NodePort >= 1 && sp.NodePort <= 65535 {
		return sp.NodePort, true
	}
	if via != "" {
		b.errs = append(b.errs, fmt.Errorf("service %s: %s points at port %d, whose probe target is its nodePort: %w; set spec.ports[].nodePort or point the annotation at a port number", b.name, via, sp.Port, ErrNoNodePort))
	} else {
		b.errs = append(b.errs, fmt.Errorf("service %s: port %d/%s: %w: a Cluster Service probes each TCP port on its nodePort; set spec.ports[].nodePort (or allocateLoadBalancerNodePorts), or %s", b.name, sp.Port, cmp.Or(sp.Protocol, v1.ProtocolTCP), ErrNoNodePort, PortAnnotation(sp.Port, ParamPort)))
	}
	return 0, false
}

// err joins the errors: missing ports first (in spec order), then annotation errors sorted.
func (b *builder) err() error {
	if len(b.errs) == 0 && len(b.annErrs) == 0 {
		return nil
	}
	aerrs := make([]AnnotationError, 0, len(b.annErrs))
	for e := range b.annErrs {
		aerrs = append(aerrs, e)
	}
	slices.SortFunc(aerrs, func(x, y AnnotationError) int {
		return cmp.Or(cmp.Compare(x.Annotation, y.Annotation), cmp.Compare(x.Value, y.Value), cmp.Compare(x.Reason, y.Reason))
	})
	all := slices.Clone(b.errs)
	for i := range aerrs {
		all = append(all, &aerrs[i])
	}
	return errors.Join(all...)
}
