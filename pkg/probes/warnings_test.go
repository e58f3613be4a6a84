package probes

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestWarnings(t *testing.T) {
	shared := Config{ClusterMode: ModeShared}
	tests := []struct {
		name string
		svc  *v1.Service
		cfg  Config
		want map[string]string // annotation -> substring of its warning
	}{
		{
			name: "unknown service-wide protocol",
			svc:  service(cluster, 0, ann(AnnotationProtocol, "grpc"), tcp(80, 30080)),
			want: map[string]string{AnnotationProtocol: `unknown probe protocol "grpc": probes that use it fall back to Tcp, as in the reference provider; use Tcp, Http or Https`},
		},
		{
			name: "unknown per-port protocol",
			svc:  service(cluster, 0, ann(PortAnnotation(80, ParamProtocol), ""), tcp(80, 30080)),
			want: map[string]string{PortAnnotation(80, ParamProtocol): `unknown probe protocol "": the probe of port 80 falls back to Tcp`},
		},
		{
			name: "appProtocol that is not a probe protocol",
			svc:  service(cluster, 0, ann(AnnotationProtocol, "Http"), tcp(81, 30081), withApp(tcp(80, 30080), "kubernetes.io/h2c")),
			want: map[string]string{
				"spec.ports[1].appProtocol": `appProtocol "kubernetes.io/h2c" is not a probe protocol: the probe of port 80 falls back to Tcp`,
			},
		},
		{
			name: "local: service-wide protocol and request path do not apply",
			svc:  service(local, 32000, ann(AnnotationProtocol, "Https", AnnotationRequestPath, "/ready"), tcp(80, 30080)),
			want: map[string]string{
				AnnotationProtocol:    "ignored: externalTrafficPolicy is Local, the probe is Http /healthz on the health check node port",
				AnnotationRequestPath: "ignored: externalTrafficPolicy is Local, the probe is Http /healthz on the health check node port",
			},
		},
		{
			name: "local: per-port settings of a port without override",
			svc: service(local, 32000, ann(
				PortAnnotation(80, ParamProtocol), "Http", PortAnnotation(80, ParamRequestPath), "/x",
				PortAnnotation(80, ParamInterval), "10", PortAnnotation(80, ParamNumOfProbe), "3",
			), tcp(80, 30080)),
			want: map[string]string{
				PortAnnotation(80, ParamProtocol):    "set " + PortAnnotation(80, ParamPort) + " to give the port a probe of its own",
				PortAnnotation(80, ParamRequestPath): "externalTrafficPolicy is Local, so the rule of port 80 uses the Http /healthz probe",
				PortAnnotation(80, ParamInterval):    "externalTrafficPolicy is Local",
				PortAnnotation(80, ParamNumOfProbe):  "externalTrafficPolicy is Local",
			},
		},
		{
			name: "local: protocol keyed by the health check node port does not apply",
			svc:  service(local, 32000, ann(PortAnnotation(32000, ParamProtocol), "Tcp"), tcp(80, 30080)),
			want: map[string]string{PortAnnotation(32000, ParamProtocol): "the probe on the health check node port 32000 is always Http /healthz; only port_32000_health-probe_interval and num-of-probe apply"},
		},
		{
			name: "per-port annotations naming a port the Service does not have",
			svc: service(cluster, 0, ann(
				PortAnnotation(8080, ParamInterval), "10", NoLBRuleAnnotation(8081), "true", NoProbeRuleAnnotation(8082), "true",
			), tcp(80, 30080), udp(53, 30053)),
			want: map[string]string{
				PortAnnotation(8080, ParamInterval): "ignored: the Service has no port 8080 (its ports: 80/TCP, 53/UDP)",
				NoLBRuleAnnotation(8081):            "ignored: the Service has no port 8081",
				NoProbeRuleAnnotation(8082):         "ignored: the Service has no port 8082",
			},
		},
		{
			name: "shared mode: per-port and service-wide settings",
			svc: service(cluster, 0, ann(
				PortAnnotation(80, ParamPort), "8080", PortAnnotation(80, ParamProtocol), "Http", AnnotationInterval, "10",
			), tcp(80, 30080)),
			cfg: shared,
			want: map[string]string{
				PortAnnotation(80, ParamPort):     "clusterServiceLoadBalancerHealthProbeMode is shared, so every rule of this Cluster Service uses the shared probe (Http :10256/healthz every 5s, threshold 2)",
				PortAnnotation(80, ParamProtocol): "HealthProbeMode is shared",
				AnnotationInterval:                "HealthProbeMode is shared",
			},
		},
		{
			name: "settings of a port with no_lb_rule or no_probe_rule",
			svc: service(cluster, 0, ann(
				NoLBRuleAnnotation(80), "true", PortAnnotation(80, ParamInterval), "10",
				NoProbeRuleAnnotation(443), "true", PortAnnotation(443, ParamProtocol), "Https",
			), tcp(80, 30080), tcp(443, 30443)),
			want: map[string]string{
				PortAnnotation(80, ParamInterval):  "ignored: port 80 has no load-balancing rule (" + NoLBRuleAnnotation(80) + " is true)",
				PortAnnotation(443, ParamProtocol): "ignored: the rule of port 443 has no probe (" + NoProbeRuleAnnotation(443) + " is true)",
			},
		},
		{
			name: "settings of a udp port",
			svc:  service(cluster, 0, ann(PortAnnotation(53, ParamInterval), "10"), udp(53, 30053), tcp(80, 30080)),
			want: map[string]string{PortAnnotation(53, ParamInterval): "ignored: port 53 is UDP and Azure probes only TCP ports; its rule uses no probe"},
		},
		{
			name: "settings of a udp port on a local service",
			svc:  service(local, 32000, ann(PortAnnotation(53, ParamPort), "8053"), udp(53, 30053)),
			want: map[string]string{PortAnnotation(53, ParamPort): "its rule uses the Http /healthz probe on the health check node port"},
		},
		{
			name: "request path of a Tcp probe",
			svc:  service(cluster, 0, ann(PortAnnotation(80, ParamRequestPath), "/x", AnnotationRequestPath, "/y"), tcp(80, 30080)),
			want: map[string]string{
				PortAnnotation(80, ParamRequestPath): "the probe of port 80 is Tcp; a request path applies to Http and Https probes only",
				AnnotationRequestPath:                "no probe of this Service is Http or Https",
			},
		},
		{
			name: "service-wide settings when no port gets a probe",
			svc:  service(cluster, 0, ann(AnnotationInterval, "10"), udp(53, 30053)),
			want: map[string]string{AnnotationInterval: "ignored: no port of this Service gets a probe of its own"},
		},
		{
			name: "service-wide settings every probe overrides",
			svc: service(cluster, 0, ann(AnnotationNumOfProbe, "3", PortAnnotation(80, ParamNumOfProbe), "4",
				AnnotationProtocol, "Http", PortAnnotation(80, ParamProtocol), "Tcp"), tcp(80, 30080)),
			want: map[string]string{
				AnnotationNumOfProbe: "every probe of this Service takes this setting from a per-port annotation",
				AnnotationProtocol:   "takes its protocol from a per-port annotation or appProtocol",
			},
		},
		{
			name: "malformed and unknown per-port keys",
			svc: service(cluster, 0, ann(
				AnnotationPrefix+"port_080_health-probe_interval", "10",
				AnnotationPrefix+"port_http_health-probe_interval", "10",
				AnnotationPrefix+"port_0_no_lb_rule", "true",
				AnnotationPrefix+"port_80", "x",
				AnnotationPrefix+"port_80_health-probe_timeout", "3",
				AnnotationPrefix+"port_80_no-lb-rule", "true",
			), tcp(80, 30080)),
			want: map[string]string{
				AnnotationPrefix + "port_080_health-probe_interval":  "not a port number 1..65535",
				AnnotationPrefix + "port_http_health-probe_interval": "not a port number",
				AnnotationPrefix + "port_0_no_lb_rule":               "not a port number",
				AnnotationPrefix + "port_80":                         "not a port number",
				AnnotationPrefix + "port_80_health-probe_timeout":    `"timeout" is not a per-port probe setting; known: protocol, port, request-path, interval, num-of-probe`,
				AnnotationPrefix + "port_80_no-lb-rule":              "not a known per-port annotation",
			},
		},
		{
			name: "flag values neither true nor false",
			svc:  service(cluster, 0, ann(NoLBRuleAnnotation(80), "1", NoProbeRuleAnnotation(80), "enabled"), tcp(80, 30080)),
			want: map[string]string{
				NoLBRuleAnnotation(80):    `value "1" is neither "true" nor "false": treated as false`,
				NoProbeRuleAnnotation(80): `value "enabled" is neither "true" nor "false": treated as false`,
			},
		},
		{
			name: "annotations of other families are not ours to judge",
			svc:  service(cluster, 0, ann(AnnotationPrefix+"azure-load-balancer-internal", "true", "example.com/x", "y"), tcp(80, 30080)),
			want: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustPlan(t, tt.svc, tt.cfg)
			got := map[string]string{}
			for _, w := range p.Warnings {
				if _, dup := got[w.Annotation]; dup {
					t.Errorf("two warnings on %s:%s", w.Annotation, formatWarnings(p.Warnings))
				}
				got[w.Annotation] = w.Message
			}
			if !reflect.DeepEqual(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(tt.want))) {
				t.Fatalf("warnings on %v, want on %v:%s", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(tt.want)), formatWarnings(p.Warnings))
			}
			for k, sub := range tt.want {
				if !strings.Contains(got[k], sub) {
					t.Errorf("warning on %s = %q\nwant it to contain %q", k, got[k], sub)
				}
			}
		})
	}
}

func TestWarningsDoNotChangeProbes(t *testing.T) {
	t.Parallel()
	// An unknown protocol keeps the reference's Tcp probe: the plan is the one without the annotation.
	with := mustPlan(t, service(cluster, 0, ann(AnnotationProtocol, "grpc"), withApp(tcp(80, 30080), "h2c"), tcp(81, 30081)), Config{})
	without := mustPlan(t, service(cluster, 0, nil, tcp(80, 30080), tcp(81, 30081)), Config{})
	if !reflect.DeepEqual(with.Probes, without.Probes) || !reflect.DeepEqual(rules(with), rules(without)) {
		t.Errorf("probes differ:\n%+v\n%+v", with.Probes, without.Probes)
	}
	if len(with.Warnings) != 2 {
		t.Errorf("want 2 warnings (appProtocol, service-wide protocol):%s", formatWarnings(with.Warnings))
	}
}

func TestWarningsSortedAndDeterministic(t *testing.T) {
	t.Parallel()
	a := map[string]string{AnnotationProtocol: "x", AnnotationRequestPath: "/p"}
	var ports []v1.ServicePort
	for i := range 8 {
		port := int32(1000 + i)
		a[PortAnnotation(port+100, ParamInterval)] = "10" // ports the Service does not have
		a[NoLBRuleAnnotation(port)] = "maybe"
		ports = append(ports, withApp(tcp(port, 31000+int32(i)), "grpc"))
	}
	svc := service(local, 32000, a, ports...)
	first := mustPlan(t, svc, Config{})
	if !slices.IsSortedFunc(first.Warnings, func(x, y Warning) int {
		if c := strings.Compare(x.Annotation, y.Annotation); c != 0 {
			return c
		}
		return strings.Compare(x.Message, y.Message)
	}) {
		t.Errorf("warnings not sorted:%s", formatWarnings(first.Warnings))
	}
	for range 20 {
		if p := mustPlan(t, svc, Config{}); !reflect.DeepEqual(p.Warnings, first.Warnings) {
			t.Fatalf("warnings changed between calls")
		}
	}
}

func TestNoWarningsForAPlainService(t *testing.T) {
	t.Parallel()
	for _, svc := range []*v1.Service{
		service(local, 32000, ann(AnnotationInterval, "10", AnnotationNumOfProbe, "3"), tcp(80, 30080), udp(53, 30053)),
		service(cluster, 0, ann(AnnotationProtocol, "Http", AnnotationRequestPath, "/healthz"), tcp(80, 30080), udp(53, 30053)),
	} {
		if p := mustPlan(t, svc, Config{}); len(p.Warnings) != 0 {
			t.Errorf("unexpected warnings:%s", formatWarnings(p.Warnings))
		}
	}
}
