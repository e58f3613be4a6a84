package probes

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// FuzzForService feeds random annotations and ports to ForService. Inputs:
//   - ports: entries separated by ",", each "PROTO/port/nodePort/name/appProtocol" (missing parts are
//     empty; appProtocol is set only when not empty, as the API server requires);
//   - annotations: lines "key=value"; a key without "/" gets the service.beta.kubernetes.io/ prefix.
//
// Properties: no panic; every error is an *AnnotationError, or wraps ErrNoHealthCheckNodePort or
// ErrNoNodePort; every Plan has one PortPlan per spec.ports entry, valid probe indexes, only probes some
// rule uses, and Settings within Azure's limits; results and warnings are deterministic and sorted.
func FuzzForService(f *testing.F) {
	f.Add(true, false, int32(32000), "TCP/80/30080/http/,UDP/53/30053//", "azure-load-balancer-health-probe-interval=10")
	f.Add(false, false, int32(0), "TCP/80/30080/http/http,TCP/443/30443/https/", "port_443_health-probe_protocol=Https\nport_443_health-probe_request-path=/ready")
	f.Add(false, true, int32(0), "TCP/80/30080//", "port_80_health-probe_port=8080")
	f.Fuzz(func(t *testing.T, isLocal, shared bool, hcnp int32, ports, annotations string) {
		etp := cluster
		if isLocal {
			etp = local
		}
		svc := service(etp, hcnp, fuzzAnnotations(annotations), fuzzPorts(ports)...)
		cfg := Config{}
		if shared {
			cfg.ClusterMode = ModeShared
		}
		p, err := ForService(svc, cfg)
		again, err2 := ForService(svc, cfg)
		if !reflect.DeepEqual(p, again) || errText(err) != errText(err2) {
			t.Fatalf("not deterministic:\n%+v %v\n%+v %v", p, err, again, err2)
		}
		checkWarnings(t, p.Warnings)
		if err != nil {
			checkErrors(t, err)
			if p.Probes != nil || p.Ports != nil {
				t.Fatalf("plan on error holds probes or ports: %+v", p)
			}
			return
		}
		checkPlan(t, svc, p)
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func checkErrors(t *testing.T, err error) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ae *AnnotationError
		switch {
		case errors.As(e, &ae):
			if ae.Annotation == "" || !strings.Contains(e.Error(), ae.Annotation) {
				t.Fatalf("annotation error without its annotation: %q", e)
			}
		case errors.Is(e, ErrNoHealthCheckNodePort), errors.Is(e, ErrNoNodePort):
		default:
			t.Fatalf("unexpected kind of error %T: %v", e, e)
		}
	}
}

func checkWarnings(t *testing.T, ws []Warning) {
	t.Helper()
	sorted := slices.IsSortedFunc(ws, func(x, y Warning) int {
		if c := strings.Compare(x.Annotation, y.Annotation); c != 0 {
			return c
		}
		return strings.Compare(x.Message, y.Message)
	})
	if !sorted {
		t.Fatalf("warnings not sorted:%s", formatWarnings(ws))
	}
	for _, w := range ws {
		if w.Annotation == "" || w.Message == "" {
			t.Fatalf("empty warning field: %+v", w)
		}
	}
}

func checkPlan(t *testing.T, svc *v1.Service, p Plan) {
	t.Helper()
	if len(p.Ports) != len(svc.Spec.Ports) {
		t.Fatalf("%d port plans for %d ports", len(p.Ports), len(svc.Spec.Ports))
	}
	usedProbes := make([]bool, len(p.Probes))
	for i, pp := range p.Ports {
		if !reflect.DeepEqual(pp.Port, svc.Spec.Ports[i]) {
			t.Fatalf("Ports[%d].Port = %+v, spec has %+v", i, pp.Port, svc.Spec.Ports[i])
		}
		if pp.Probe < -1 || pp.Probe >= len(p.Probes) {
			t.Fatalf("Ports[%d].Probe = %d with %d probes", i, pp.Probe, len(p.Probes))
		}
		if pp.NoRule && pp.Probe != -1 {
			t.Fatalf("Ports[%d] has no rule but probe %d", i, pp.Probe)
		}
		if pp.Probe >= 0 {
			usedProbes[pp.Probe] = true
			if pr := p.Probes[pp.Probe]; pr.Kind == KindPort && pr.KeyPort != pp.Port.Port {
				t.Fatalf("Ports[%d] (port %d) uses the probe built for port %d", i, pp.Port.Port, pr.KeyPort)
			}
		}
	}
	for i, pr := range p.Probes {
		if !usedProbes[i] {
			t.Fatalf("probe %d (%v) is used by no rule", i, pr)
		}
		if err := pr.Validate(); err != nil {
			t.Fatalf("probe outside Azure's limits: %v", err)
		}
		switch pr.Kind {
		case KindHealthCheckNodePort:
			if pr.KeyPort != svc.Spec.HealthCheckNodePort || pr.Port != pr.KeyPort || pr.Protocol != ProtocolHTTP || pr.RequestPath != HealthCheckPath {
				t.Fatalf("health check node port probe %+v (hcnp %d)", pr, svc.Spec.HealthCheckNodePort)
			}
		case KindShared:
			if pr.KeyPort != 0 || pr.Settings != (Settings{ProtocolHTTP, DefaultSharedPort, DefaultSharedPath, DefaultIntervalSeconds, DefaultThreshold}) {
				t.Fatalf("shared probe %+v", pr)
			}
		case KindPort:
		default:
			t.Fatalf("unknown kind %v", pr.Kind)
		}
	}
}

func fuzzAnnotations(s string) map[string]string {
	if s == "" {
		return nil
	}
	m := map[string]string{}
	for line := range strings.SplitSeq(s, "\n") {
		k, v, _ := strings.Cut(line, "=")
		if !strings.Contains(k, "/") {
			k = AnnotationPrefix + k
		}
		m[k] = v
	}
	return m
}

func fuzzPorts(s string) []v1.ServicePort {
	if s == "" {
		return nil
	}
	var out []v1.ServicePort
	for entry := range strings.SplitSeq(s, ",") {
		parts := strings.Split(entry, "/")
		for len(parts) < 4 {
			parts = append(parts, "")
		}
		port, _ := strconv.ParseInt(parts[1], 10, 32)
		nodePort, _ := strconv.ParseInt(parts[2], 10, 32)
		sp := v1.ServicePort{
			Protocol: v1.Protocol(parts[0]),
			Port:     int32(port),
			NodePort: int32(nodePort),
			Name:     parts[3],
		}
		if app := strings.Join(parts[4:], "/"); app != "" {
			sp.AppProtocol = &app
		}
		out = append(out, sp)
	}
	return out
}
