package loadbalancer

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/azlb/azlb/pkg/probes"
)

// Service annotations other than the probe ones (those live in pkg/probes). Same keys and meanings as
// the reference provider.
const (
	AnnotationInternal          = probes.AnnotationPrefix + "azure-load-balancer-internal"
	AnnotationInternalSubnet    = probes.AnnotationPrefix + "azure-load-balancer-internal-subnet"
	AnnotationIPv4              = probes.AnnotationPrefix + "azure-load-balancer-ipv4"
	AnnotationIPv6              = probes.AnnotationPrefix + "azure-load-balancer-ipv6"
	AnnotationPIPName           = probes.AnnotationPrefix + "azure-pip-name"
	AnnotationPIPTags           = probes.AnnotationPrefix + "azure-pip-tags"
	AnnotationDNSLabel          = probes.AnnotationPrefix + "azure-dns-label-name"
	AnnotationPIPResourceGroup  = probes.AnnotationPrefix + "azure-load-balancer-resource-group"
	AnnotationIdleTimeout       = probes.AnnotationPrefix + "azure-load-balancer-tcp-idle-timeout"
	AnnotationDisableTCPReset   = probes.AnnotationPrefix + "azure-load-balancer-disable-tcp-reset"
	AnnotationDisableFloatingIP = probes.AnnotationPrefix + "azure-disable-load-balancer-floating-ip"
)

// Tags the provider puts on the public IPs it creates (reference provider names).
const (
	TagService      = "k8s-azure-service"
	TagClusterName  = "k8s-azure-cluster-name"
	TagDNSLabelName = "k8s-azure-dns-label-service"
)

// Limits of the annotations above.
const (
	MinIdleTimeoutMinutes     = 4
	MaxIdleTimeoutMinutes     = 100
	DefaultIdleTimeoutMinutes = 4
)

var dnsLabelPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,61}[a-z0-9]$`)

// serviceOptions are the parsed non-probe annotations of a Service.
type serviceOptions struct {
	internal          bool
	subnet            string // annotated internal subnet ("" = the cloud-config subnet)
	requestedIP       string // IPv4 from the annotation or spec.loadBalancerIP
	pipName           string // a user's existing public IP
	pipTags           map[string]string
	pipResourceGroup  string
	dnsLabel          string
	idleTimeout       int32
	tcpReset          bool
	floatingIP        bool
	sourceIPAffinitiy bool
}

// parseServiceOptions reads the non-probe annotations. Invalid values are AnnotationErrors; annotations
// that cannot apply are Warnings.
func parseServiceOptions(svc *v1.Service) (serviceOptions, []probes.Warning, []error) {
	a := svc.Annotations
	o := serviceOptions{idleTimeout: DefaultIdleTimeoutMinutes, tcpReset: true, floatingIP: true}
	var warns []probes.Warning
	var errs []error
	warn := func(key, msg string) { warns = append(warns, probes.Warning{Annotation: key, Message: msg}) }
	invalid := func(key, reason string) {
		errs = append(errs, &probes.AnnotationError{Annotation: key, Value: a[key], Reason: reason})
	}

	o.internal = boolAnnotation(a, AnnotationInternal, warn)
	o.tcpReset = !boolAnnotation(a, AnnotationDisableTCPReset, warn)
	o.floatingIP = !boolAnnotation(a, AnnotationDisableFloatingIP, warn)
	o.sourceIPAffinitiy = svc.Spec.SessionAffinity == v1.ServiceAffinityClientIP

	if v, ok := a[AnnotationInternalSubnet]; ok {
		v = strings.TrimSpace(v)
		switch {
		case !o.internal:
			warn(AnnotationInternalSubnet, "ignored: the Service is not internal (set "+AnnotationInternal+": \"true\" to use it)")
		case v == "":
			warn(AnnotationInternalSubnet, "ignored: empty value; the cloud-config subnetName is used")
		default:
			o.subnet = v
		}
	}

	if v, ok := a[AnnotationIPv4]; ok {
		ip, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil || !ip.Is4() {
			invalid(AnnotationIPv4, "must be an IPv4 address such as 10.240.0.25")
		} else {
			o.requestedIP = ip.String()
			if lb := svc.Spec.LoadBalancerIP; lb != "" && lb != o.requestedIP {
				warn(AnnotationIPv4, fmt.Sprintf("overrides spec.loadBalancerIP %q (deprecated); remove one of them", lb))
			}
		}
	} else if lb := strings.TrimSpace(svc.Spec.LoadBalancerIP); lb != "" {
		ip, err := netip.ParseAddr(lb)
		if err != nil || !ip.Is4() {
			errs = append(errs, fmt.Errorf("spec.loadBalancerIP %q is not an IPv4 address: set a valid one or use the %s annotation", lb, AnnotationIPv4))
		} else {
			o.requestedIP = ip.String()
		}
	}
	if _, ok := a[AnnotationIPv6]; ok {
		warn(AnnotationIPv6, "ignored: this provider serves IPv4 frontends only")
	}

	if v, ok := a[AnnotationPIPName]; ok {
		v = strings.TrimSpace(v)
		switch {
		case o.internal:
			warn(AnnotationPIPName, "ignored: internal Services have no public IP")
		case v == "":
			warn(AnnotationPIPName, "ignored: empty value")
		case o.requestedIP != "":
			invalid(AnnotationPIPName, "conflicts with "+AnnotationIPv4+" / spec.loadBalancerIP: name the public IP or its address, not both")
		default:
			o.pipName = v
		}
	}
	if v, ok := a[AnnotationPIPResourceGroup]; ok {
		if o.internal {
			warn(AnnotationPIPResourceGroup, "ignored: internal Services have no public IP")
		} else {
			o.pipResourceGroup = strings.TrimSpace(v)
		}
	}
	if v, ok := a[AnnotationPIPTags]; ok {
		if o.internal {
			warn(AnnotationPIPTags, "ignored: internal Services have no public IP")
		} else {
			o.pipTags = parseTags(v, func(msg string) { warn(AnnotationPIPTags, msg) })
		}
	}
	if v, ok := a[AnnotationDNSLabel]; ok {
		v = strings.TrimSpace(v)
		switch {
		case o.internal:
			warn(AnnotationDNSLabel, "ignored: internal Services have no public IP")
		case v == "":
		case !dnsLabelPattern.MatchString(v):
			invalid(AnnotationDNSLabel, "must be 3 to 63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen")
		default:
			o.dnsLabel = v
		}
	}
	if v, ok := a[AnnotationIdleTimeout]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n < MinIdleTimeoutMinutes || n > MaxIdleTimeoutMinutes {
			invalid(AnnotationIdleTimeout, fmt.Sprintf("must be a whole number of minutes from %d to %d", MinIdleTimeoutMinutes, MaxIdleTimeoutMinutes))
		} else {
			o.idleTimeout = int32(n)
		}
	}
	warns = append(warns, unknownAnnotations(a)...)
	return o, warns, errs
}

// boolAnnotation reads a "true"/"false" annotation (case-insensitive); another value counts as false and
// is reported.
func boolAnnotation(a map[string]string, key string, warn func(key, msg string)) bool {
	v, ok := a[key]
	if !ok {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true
	case "false", "":
		return false
	}
	warn(key, fmt.Sprintf("value %q is neither \"true\" nor \"false\"; treated as \"false\"", v))
	return false
}

// parseTags reads "key1=value1,key2=value2". Malformed entries and the provider's own tag keys are
// reported and skipped.
func parseTags(v string, warn func(string)) map[string]string {
	tags := map[string]string{}
	for _, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, value, ok := strings.Cut(entry, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			warn(fmt.Sprintf("entry %q skipped: tags are written key=value, separated by commas", entry))
			continue
		}
		switch strings.ToLower(key) {
		case TagService, TagClusterName, TagDNSLabelName:
			warn(fmt.Sprintf("tag %q skipped: it is set by the provider", key))
			continue
		}
		tags[key] = strings.TrimSpace(value)
	}
	return tags
}

// knownAnnotations are the reference provider's annotation names this provider implements.
var knownAnnotations = map[string]bool{
	AnnotationInternal: true, AnnotationInternalSubnet: true, AnnotationIPv4: true, AnnotationIPv6: true,
	AnnotationPIPName: true, AnnotationPIPTags: true, AnnotationDNSLabel: true, AnnotationPIPResourceGroup: true,
	AnnotationIdleTimeout: true, AnnotationDisableTCPReset: true, AnnotationDisableFloatingIP: true,
	probes.AnnotationProtocol: true, probes.AnnotationRequestPath: true, probes.AnnotationInterval: true,
	probes.AnnotationNumOfProbe: true,
}

var portAnnotationPattern = regexp.MustCompile(`^port_(\d+)_(health-probe_(protocol|port|request-path|interval|num-of-probe)|no_lb_rule|no_probe_rule)$`)

// unknownAnnotations reports Azure annotations this provider does not implement, so that a migrating
// user learns what is not applied instead of finding out in production.
func unknownAnnotations(a map[string]string) []probes.Warning {
	var warns []probes.Warning
	for key := range a {
		name, ok := strings.CutPrefix(key, probes.AnnotationPrefix)
		if !ok || knownAnnotations[key] {
			continue
		}
		switch {
		case strings.HasPrefix(name, "port_"):
			if !portAnnotationPattern.MatchString(name) {
				warns = append(warns, probes.Warning{Annotation: key, Message: "ignored: unknown per-port annotation (known: port_{port}_health-probe_{protocol,port,request-path,interval,num-of-probe}, port_{port}_no_lb_rule, port_{port}_no_probe_rule)"})
			}
		case strings.HasPrefix(name, "azure-"):
			warns = append(warns, probes.Warning{Annotation: key, Message: "ignored: not supported by this provider (see the README for the supported annotations)"})
		}
	}
	sort.Slice(warns, func(i, j int) bool { return warns[i].Annotation < warns[j].Annotation })
	return warns
}
