package fake

import (
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// Probe limits Azure documents.
const (
	defaultProbeInterval  = 15  // seconds, when intervalInSeconds is omitted
	minProbeInterval      = 5   // seconds
	maxProbeTotalDuration = 120 // seconds: interval x threshold "cannot exceed 120 seconds"
)

// probes validates the health probes: protocol Tcp, Http or Https; port 1..65535; requestPath
// required for Http(s) and forbidden for Tcp; intervalInSeconds >= 5 (15 when omitted);
// probeThreshold and numberOfProbes >= 1; interval x threshold <= 120 s.
func (b *lbBuilder) probes(in []*armnetwork.Probe) ([]*armnetwork.Probe, *Error) {
	names, err := childNames("Probe", "properties.probes", in, func(v *armnetwork.Probe) *string { return v.Name })
	if err != nil {
		return nil, err
	}
	out := make([]*armnetwork.Probe, len(in))
	for i, probe := range in {
		id := b.childID("probes", names[i])
		props, err := b.probeProperties(deref(probe.Properties), id, fmt.Sprintf("properties.probes[%d].properties", i))
		if err != nil {
			return nil, err
		}
		out[i] = &armnetwork.Probe{ID: &id, Name: ptr(names[i]), Type: b.childType("probes"), Etag: ptr(b.etag), Properties: props}
	}
	return out, nil
}

func (b *lbBuilder) probeProperties(p armnetwork.ProbePropertiesFormat, id, path string) (*armnetwork.ProbePropertiesFormat, *Error) {
	if p.Protocol == nil {
		return nil, missingProperty(path + ".protocol")
	}
	protocol, ok := canonicalEnum(*p.Protocol, armnetwork.ProbeProtocolTCP, armnetwork.ProbeProtocolHTTP, armnetwork.ProbeProtocolHTTPS)
	if !ok {
		return nil, invalidEnum(path+".protocol", *p.Protocol,
			armnetwork.ProbeProtocolTCP, armnetwork.ProbeProtocolHTTP, armnetwork.ProbeProtocolHTTPS)
	}
	if p.Port == nil {
		return nil, missingProperty(path + ".port")
	}
	if port := *p.Port; port < 1 || port > 65535 {
		return nil, badRequest(CodeInvalidProbe, "Probe %s has port %d; the port must be between 1 and 65535.", id, port)
	}
	requestPath := deref(p.RequestPath)
	switch {
	case protocol == armnetwork.ProbeProtocolTCP && requestPath != "":
		return nil, badRequest(CodeProbeRequestPathNotNull, "Request path for probe %s must be null when its protocol is Tcp.", id)
	case protocol != armnetwork.ProbeProtocolTCP && requestPath == "":
		return nil, badRequest(CodeProbeRequestPathRequired, "Probe %s uses protocol %s and must have a requestPath.", id, protocol)
	}
	interval := int32(defaultProbeInterval)
	if p.IntervalInSeconds != nil {
		interval = *p.IntervalInSeconds
	}
	if interval < minProbeInterval {
		return nil, badRequest(CodeInvalidProbe, "Probe %s has intervalInSeconds %d; the minimum is %d.", id, interval, minProbeInterval)
	}
	for _, f := range []struct {
		name  string
		value *int32
	}{{"probeThreshold", p.ProbeThreshold}, {"numberOfProbes", p.NumberOfProbes}} {
		if f.value != nil && *f.value < 1 {
			return nil, badRequest(CodeInvalidProbe, "Probe %s has %s %d; the minimum is 1.", id, f.name, *f.value)
		}
	}
	threshold := int32(1)
	switch {
	case p.ProbeThreshold != nil:
		threshold = *p.ProbeThreshold
	case p.NumberOfProbes != nil:
		threshold = *p.NumberOfProbes
	}
	if int64(interval)*int64(threshold) > maxProbeTotalDuration {
		return nil, badRequest(CodeProbeTotalDurationTooLong,
			"Probe %s: intervalInSeconds (%d) times the probe threshold (%d) must not exceed %d seconds.",
			id, interval, threshold, maxProbeTotalDuration)
	}
	out := &armnetwork.ProbePropertiesFormat{
		Protocol:          ptr(protocol),
		Port:              p.Port,
		IntervalInSeconds: ptr(interval),
		ProbeThreshold:    p.ProbeThreshold,
		NumberOfProbes:    p.NumberOfProbes,
		ProvisioningState: ptr(b.state),
	}
	if requestPath != "" {
		out.RequestPath = ptr(requestPath)
	}
	if v := p.NoHealthyBackendsBehavior; v != nil {
		behavior, ok := canonicalEnum(*v, armnetwork.ProbeNoHealthyBackendsBehaviorAllProbedDown, armnetwork.ProbeNoHealthyBackendsBehaviorAllProbedUp)
		if !ok {
			return nil, invalidEnum(path+".noHealthyBackendsBehavior", *v,
				armnetwork.ProbeNoHealthyBackendsBehaviorAllProbedDown, armnetwork.ProbeNoHealthyBackendsBehaviorAllProbedUp)
		}
		out.NoHealthyBackendsBehavior = ptr(behavior)
	}
	return out, nil
}
