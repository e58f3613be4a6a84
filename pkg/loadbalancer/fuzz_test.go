package loadbalancer

import (
	"errors"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/probes"
)

// fuzzKeys are the annotations a fuzz input may set, by index.
var fuzzKeys = []string{
	AnnotationInternal, AnnotationInternalSubnet, AnnotationIPv4, AnnotationPIPName, AnnotationPIPTags,
	AnnotationDNSLabel, AnnotationPIPResourceGroup, AnnotationIdleTimeout, AnnotationDisableTCPReset,
	AnnotationDisableFloatingIP, probes.AnnotationProtocol, probes.AnnotationRequestPath, probes.AnnotationInterval,
	probes.AnnotationNumOfProbe, probes.PortAnnotation(80, probes.ParamInterval), probes.PortAnnotation(80, probes.ParamProtocol),
	probes.NoLBRuleAnnotation(80), probes.NoProbeRuleAnnotation(53), probes.AnnotationPrefix + "azure-load-balancer-mode",
}

// FuzzBuildServiceSpec: whatever the annotations say, building a Service's desired state never panics,
// fails only with errors that name what to change, and when it succeeds yields children Azure accepts:
// names within 80 characters, every rule's probe among the Service's probes.
func FuzzBuildServiceSpec(f *testing.F) {
	f.Add(uint8(0), "true", uint8(5), "apps", uint8(12), "7", true)
	f.Add(uint8(2), "10.0.0.300", uint8(7), "101", uint8(13), "1", false)
	f.Add(uint8(4), "a=b,,c,k8s-azure-service=x", uint8(5), strings.Repeat("s", 90), uint8(16), "TRUE", true)
	f.Add(uint8(10), "grpc", uint8(11), "healthz", uint8(14), "60", false)
	f.Fuzz(func(t *testing.T, k1 uint8, v1s string, k2 uint8, v2 string, k3 uint8, v3 string, isLocal bool) {
		svc := testService(1, func(s *v1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, v1.ServicePort{Name: "dns", Port: 53, Protocol: v1.ProtocolUDP, NodePort: 30053})
			s.Annotations = map[string]string{
				fuzzKeys[int(k1)%len(fuzzKeys)]: v1s,
				fuzzKeys[int(k2)%len(fuzzKeys)]: v2,
				fuzzKeys[int(k3)%len(fuzzKeys)]: v3,
			}
		})
		if isLocal {
			local(svc)
		}
		spec, err := BuildServiceSpec(svc, testSettings())
		if err != nil {
			var ae *probes.AnnotationError
			if !errors.As(err, &ae) && !strings.Contains(err.Error(), "spec.") && !strings.Contains(err.Error(), "subnet") {
				t.Fatalf("error names no annotation or field: %v", err)
			}
			if errors.As(err, &ae) {
				if _, ok := svc.Annotations[ae.Annotation]; !ok {
					t.Fatalf("error names annotation %q, which is not set: %v", ae.Annotation, err)
				}
			}
			return
		}
		probeNames := map[string]bool{SharedProbeName: spec.SharedProbe != nil}
		for _, p := range spec.Probes {
			probeNames[strings.ToLower(*p.Name)] = true
			if len(*p.Name) > 80 {
				t.Fatalf("probe name %q too long", *p.Name)
			}
			if err := (probes.Settings{IntervalSeconds: *p.Properties.IntervalInSeconds, Threshold: *p.Properties.ProbeThreshold,
				Port: *p.Properties.Port, Protocol: probes.Protocol(*p.Properties.Protocol), RequestPath: ptr.Deref(p.Properties.RequestPath, "")}).Validate(); err != nil {
				t.Fatalf("probe outside Azure's limits: %v", err)
			}
		}
		for _, r := range spec.Rules {
			if len(*r.Name) > 80 {
				t.Fatalf("rule name %q too long", *r.Name)
			}
			if r.Properties.Probe != nil && !probeNames[strings.ToLower(lastSegment(*r.Properties.Probe.ID))] {
				t.Fatalf("rule %s uses probe %s, which the Service does not have", *r.Name, *r.Properties.Probe.ID)
			}
			if it := r.Properties.IdleTimeoutInMinutes; it != nil && (*it < 4 || *it > 100) {
				t.Fatalf("idle timeout %d", *it)
			}
		}
		if len(spec.FrontendName) > 80 {
			t.Fatalf("frontend name %q too long", spec.FrontendName)
		}
	})
}
