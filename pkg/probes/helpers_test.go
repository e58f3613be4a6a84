package probes

import (
	"fmt"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Test helpers building Services.

const (
	local   = v1.ServiceExternalTrafficPolicyLocal
	cluster = v1.ServiceExternalTrafficPolicyCluster
)

func service(etp v1.ServiceExternalTrafficPolicy, hcnp int32, ann map[string]string, ports ...v1.ServicePort) *v1.Service {
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", Annotations: ann},
		Spec: v1.ServiceSpec{
			Type:                  v1.ServiceTypeLoadBalancer,
			ExternalTrafficPolicy: etp,
			HealthCheckNodePort:   hcnp,
			Ports:                 ports,
		},
	}
}

func tcp(port, nodePort int32) v1.ServicePort {
	return v1.ServicePort{Protocol: v1.ProtocolTCP, Port: port, NodePort: nodePort}
}

func udp(port, nodePort int32) v1.ServicePort {
	return v1.ServicePort{Protocol: v1.ProtocolUDP, Port: port, NodePort: nodePort}
}

func named(p v1.ServicePort, name string) v1.ServicePort { p.Name = name; return p }

func withApp(p v1.ServicePort, appProtocol string) v1.ServicePort {
	p.AppProtocol = &appProtocol
	return p
}

// noRule in an expected rule list means PortPlan.NoRule.
const noRule = -2

// rules summarises Plan.Ports: the probe index of each port, noRule for ports without a rule.
func rules(p Plan) []int {
	out := make([]int, len(p.Ports))
	for i, pp := range p.Ports {
		out[i] = pp.Probe
		if pp.NoRule {
			out[i] = noRule
		}
	}
	return out
}

func warningKeys(ws []Warning) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.Annotation)
	}
	return out
}

func formatWarnings(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "\n  %s", w)
	}
	return b.String()
}

func mustPlan(t *testing.T, svc *v1.Service, cfg Config) Plan {
	t.Helper()
	p, err := ForService(svc, cfg)
	if err != nil {
		t.Fatalf("ForService: unexpected error: %v", err)
	}
	return p
}

func httpProbe(kind Kind, key, port int32, path string, iv, th int32) Probe {
	return Probe{Kind: kind, KeyPort: key, Settings: Settings{Protocol: ProtocolHTTP, Port: port, RequestPath: path, IntervalSeconds: iv, Threshold: th}}
}

func tcpProbe(key, port int32, iv, th int32) Probe {
	return Probe{Kind: KindPort, KeyPort: key, Settings: Settings{Protocol: ProtocolTCP, Port: port, IntervalSeconds: iv, Threshold: th}}
}

func ann(kv ...string) map[string]string {
	if len(kv)%2 != 0 {
		panic("ann: odd number of arguments")
	}
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
