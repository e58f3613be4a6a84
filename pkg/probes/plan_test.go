package probes

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestForServiceShapes(t *testing.T) {
	shared := Config{ClusterMode: ModeShared}
	tests := []struct {
		name       string
		svc        *v1.Service
		cfg        Config
		wantProbes []Probe
		wantRules  []int
		wantWarn   []string // annotations that get a Warning
	}{
		{
			name:       "local: one http probe on the health check node port, defaults",
			svc:        service(local, 32000, nil, tcp(80, 30080), tcp(443, 30443)),
			wantProbes: []Probe{httpProbe(KindHealthCheckNodePort, 32000, 32000, "/healthz", 5, 2)},
			wantRules:  []int{0, 0},
		},
		{
			name: "local: interval and threshold from the service-wide annotations",
			svc: service(local, 32000, ann(AnnotationInterval, "10", AnnotationNumOfProbe, "3"),
				tcp(80, 30080)),
			wantProbes: []Probe{httpProbe(KindHealthCheckNodePort, 32000, 32000, "/healthz", 10, 3)},
			wantRules:  []int{0},
		},
		{
			name: "local: port annotations keyed by the health check node port apply to its probe (as in the reference)",
			svc: service(local, 32000, ann(AnnotationInterval, "10", PortAnnotation(32000, ParamInterval), "7", PortAnnotation(32000, ParamNumOfProbe), "4"),
				tcp(80, 30080)),
			wantProbes: []Probe{httpProbe(KindHealthCheckNodePort, 32000, 32000, "/healthz", 7, 4)},
			wantRules:  []int{0},
			wantWarn:   []string{AnnotationInterval},
		},
		{
			name:       "local: udp rules use the health check node port probe too",
			svc:        service(local, 32000, nil, udp(53, 30053), tcp(53, 30054)),
			wantProbes: []Probe{httpProbe(KindHealthCheckNodePort, 32000, 32000, "/healthz", 5, 2)},
			wantRules:  []int{0, 0},
		},
		{
			name: "local: a port override gives that port a probe of its own, built as for cluster",
			svc: service(local, 32000, ann(
				PortAnnotation(443, ParamPort), "8443",
				PortAnnotation(443, ParamProtocol), "https",
				PortAnnotation(443, ParamRequestPath), "/ready",
				PortAnnotation(443, ParamInterval), "15",
				AnnotationNumOfProbe, "3",
			), tcp(80, 30080), tcp(443, 30443)),
			wantProbes: []Probe{
				httpProbe(KindHealthCheckNodePort, 32000, 32000, "/healthz", 5, 3),
				{Kind: KindPort, KeyPort: 443, Settings: Settings{Protocol: ProtocolHTTPS, Port: 8443, RequestPath: "/ready", IntervalSeconds: 15, Threshold: 3}},
			},
			wantRules: []int{0, 1},
		},
		{
			name: "local: the override probe takes the service-wide protocol (the reference does)",
			svc: service(local, 32000, ann(PortAnnotation(80, ParamPort), "http", AnnotationProtocol, "Http"),
				named(tcp(80, 30080), "http")),
			wantProbes: []Probe{httpProbe(KindPort, 80, 30080, "/", 5, 2)},
			wantRules:  []int{0},
		},
		{
			name:       "local: no_probe_rule leaves the rule without a probe, and the unused probe is not listed",
			svc:        service(local, 32000, ann(NoProbeRuleAnnotation(80), "true"), tcp(80, 30080)),
			wantProbes: nil,
			wantRules:  []int{-1},
		},
		{
			name:       "cluster: tcp probe per tcp port on its nodePort; udp gets none",
			svc:        service(cluster, 0, nil, tcp(80, 30080), udp(53, 30053), tcp(443, 30443)),
			wantProbes: []Probe{tcpProbe(80, 30080, 5, 2), tcpProbe(443, 30443, 5, 2)},
			wantRules:  []int{0, -1, 1},
		},
		{
			name:       "cluster: empty externalTrafficPolicy is cluster; empty protocol is TCP",
			svc:        service("", 0, nil, v1.ServicePort{Port: 80, NodePort: 30080}),
			wantProbes: []Probe{tcpProbe(80, 30080, 5, 2)},
			wantRules:  []int{0},
		},
		{
			name:       "cluster: sctp gets no probe",
			svc:        service(cluster, 0, nil, v1.ServicePort{Protocol: v1.ProtocolSCTP, Port: 9, NodePort: 30009}),
			wantProbes: nil,
			wantRules:  []int{-1},
		},
		{
			name: "cluster: service-wide protocol, path, interval, threshold",
			svc: service(cluster, 0, ann(AnnotationProtocol, "http", AnnotationRequestPath, "/healthz", AnnotationInterval, "10", AnnotationNumOfProbe, "4"),
				tcp(80, 30080)),
			wantProbes: []Probe{httpProbe(KindPort, 80, 30080, "/healthz", 10, 4)},
			wantRules:  []int{0},
		},
		{
			name:       "cluster: http without a path defaults to /",
			svc:        service(cluster, 0, ann(AnnotationProtocol, "Https"), tcp(443, 30443)),
			wantProbes: []Probe{{Kind: KindPort, KeyPort: 443, Settings: Settings{Protocol: ProtocolHTTPS, Port: 30443, RequestPath: "/", IntervalSeconds: 5, Threshold: 2}}},
			wantRules:  []int{0},
		},
		{
			name: "cluster: port annotations win over service-wide ones",
			svc: service(cluster, 0, ann(
				AnnotationProtocol, "Http", AnnotationRequestPath, "/a", AnnotationInterval, "10", AnnotationNumOfProbe, "4",
				PortAnnotation(80, ParamProtocol), "Tcp", PortAnnotation(443, ParamRequestPath), "/b",
				PortAnnotation(443, ParamInterval), "6", PortAnnotation(443, ParamNumOfProbe), "3",
			), tcp(80, 30080), tcp(443, 30443)),
			wantProbes: []Probe{tcpProbe(80, 30080, 10, 4), httpProbe(KindPort, 443, 30443, "/b", 6, 3)},
			wantRules:  []int{0, 1},
			wantWarn:   []string{AnnotationRequestPath}, // no probe uses it: 80 is Tcp, 443 has its own
		},
		{
			name: "cluster: appProtocol comes before the service-wide protocol",
			svc: service(cluster, 0, ann(AnnotationProtocol, "Tcp"),
				withApp(tcp(80, 30080), "http"), tcp(81, 30081)),
			wantProbes: []Probe{httpProbe(KindPort, 80, 30080, "/", 5, 2), tcpProbe(81, 30081, 5, 2)},
			wantRules:  []int{0, 1},
		},
		{
			name: "cluster: the port annotation comes before appProtocol",
			svc: service(cluster, 0, ann(PortAnnotation(80, ParamProtocol), "Tcp"),
				withApp(tcp(80, 30080), "HTTP")),
			wantProbes: []Probe{tcpProbe(80, 30080, 5, 2)},
			wantRules:  []int{0},
		},
		{
			name: "cluster: port override by name (case-insensitive) means that port's nodePort",
			svc: service(cluster, 0, ann(PortAnnotation(80, ParamPort), "Status"),
				named(tcp(80, 30080), "http"), named(tcp(8080, 30808), "status")),
			wantProbes: []Probe{tcpProbe(80, 30808, 5, 2), tcpProbe(8080, 30808, 5, 2)},
			wantRules:  []int{0, 1},
		},
		{
			name: "cluster: port override by a service port number means its nodePort",
			svc: service(cluster, 0, ann(PortAnnotation(80, ParamPort), " 8080 "),
				tcp(80, 30080), tcp(8080, 30808)),
			wantProbes: []Probe{tcpProbe(80, 30808, 5, 2), tcpProbe(8080, 30808, 5, 2)},
			wantRules:  []int{0, 1},
		},
		{
			name:       "cluster: port override by another number is used as is",
			svc:        service(cluster, 0, ann(PortAnnotation(80, ParamPort), "10254"), tcp(80, 30080)),
			wantProbes: []Probe{tcpProbe(80, 10254, 5, 2)},
			wantRules:  []int{0},
		},
		{
			name:       "cluster: port override without a nodePort on the port itself",
			svc:        service(cluster, 0, ann(PortAnnotation(80, ParamPort), "10254"), tcp(80, 0)),
			wantProbes: []Probe{tcpProbe(80, 10254, 5, 2)},
			wantRules:  []int{0},
		},
		{
			name: "cluster: no_lb_rule removes the rule; no_probe_rule keeps it without probe (any case)",
			svc: service(cluster, 0, ann(NoLBRuleAnnotation(80), "TRUE", NoProbeRuleAnnotation(443), "True", NoLBRuleAnnotation(8080), "false"),
				tcp(80, 30080), tcp(443, 30443), tcp(8080, 30808)),
			wantProbes: []Probe{tcpProbe(8080, 30808, 5, 2)},
			wantRules:  []int{noRule, -1, 0},
		},
		{
			name:       "cluster: no_lb_rule wins over no_probe_rule",
			svc:        service(cluster, 0, ann(NoLBRuleAnnotation(80), "true", NoProbeRuleAnnotation(80), "true"), tcp(80, 30080)),
			wantProbes: nil,
			wantRules:  []int{noRule},
		},
		{
			name: "cluster: flags not exactly true/false are false, with a warning (the reference does not trim)",
			svc: service(cluster, 0, ann(NoLBRuleAnnotation(80), " true", NoProbeRuleAnnotation(80), "yes"),
				tcp(80, 30080)),
			wantProbes: []Probe{tcpProbe(80, 30080, 5, 2)},
			wantRules:  []int{0},
			wantWarn:   []string{NoLBRuleAnnotation(80), NoProbeRuleAnnotation(80)},
		},
		{
			name:       "shared: one http probe to kube-proxy for every rule, udp included",
			svc:        service(cluster, 0, nil, tcp(80, 30080), udp(53, 30053)),
			cfg:        shared,
			wantProbes: []Probe{httpProbe(KindShared, 0, 10256, "/healthz", 5, 2)},
			wantRules:  []int{0, 0},
		},
		{
			name:       "shared: custom port and path; no_lb_rule and no_probe_rule still apply",
			svc:        service(cluster, 0, ann(NoLBRuleAnnotation(80), "true", NoProbeRuleAnnotation(81), "true"), tcp(80, 30080), tcp(81, 30081), tcp(82, 30082)),
			cfg:        Config{ClusterMode: "Shared", SharedPort: 10257, SharedPath: "/livez"},
			wantProbes: []Probe{httpProbe(KindShared, 0, 10257, "/livez", 5, 2)},
			wantRules:  []int{noRule, -1, 0},
		},
		{
			name:       "shared mode does not change local services",
			svc:        service(local, 32000, nil, tcp(80, 30080)),
			cfg:        shared,
			wantProbes: []Probe{httpProbe(KindHealthCheckNodePort, 32000, 32000, "/healthz", 5, 2)},
			wantRules:  []int{0},
		},
		{
			name:       "no ports: no probes",
			svc:        service(cluster, 0, nil),
			wantProbes: nil,
			wantRules:  []int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustPlan(t, tt.svc, tt.cfg)
			if !reflect.DeepEqual(p.Probes, tt.wantProbes) {
				t.Errorf("probes:\n got %+v\nwant %+v", p.Probes, tt.wantProbes)
			}
			if got := rules(p); !reflect.DeepEqual(got, tt.wantRules) {
				t.Errorf("rules: got %v, want %v", got, tt.wantRules)
			}
			for i, pp := range p.Ports {
				if !reflect.DeepEqual(pp.Port, tt.svc.Spec.Ports[i]) {
					t.Errorf("Ports[%d].Port = %+v, want spec.ports[%d] %+v", i, pp.Port, i, tt.svc.Spec.Ports[i])
				}
			}
			if got := warningKeys(p.Warnings); !reflect.DeepEqual(got, append([]string{}, tt.wantWarn...)) {
				t.Errorf("warnings on %v, want on %v:%s", got, tt.wantWarn, formatWarnings(p.Warnings))
			}
			for _, pr := range p.Probes {
				if err := pr.Validate(); err != nil {
					t.Errorf("plan holds a probe Azure would refuse: %v", err)
				}
			}
		})
	}
}

func TestForServiceMissingPorts(t *testing.T) {
	tests := []struct {
		name    string
		svc     *v1.Service
		wantErr error
		wantMsg string
	}{
		{
			name:    "local without healthCheckNodePort",
			svc:     service(local, 0, nil, tcp(80, 30080)),
			wantErr: ErrNoHealthCheckNodePort,
			wantMsg: "spec.healthCheckNodePort",
		},
		{
			name:    "local with a healthCheckNodePort out of range",
			svc:     service(local, 70000, nil, tcp(80, 30080)),
			wantErr: ErrNoHealthCheckNodePort,
			wantMsg: "ns/web",
		},
		{
			name:    "cluster tcp port without nodePort",
			svc:     service(cluster, 0, nil, tcp(80, 0)),
			wantErr: ErrNoNodePort,
			wantMsg: PortAnnotation(80, ParamPort),
		},
		{
			name:    "override naming a port without nodePort",
			svc:     service(cluster, 0, ann(PortAnnotation(80, ParamPort), "metrics"), tcp(80, 30080), named(tcp(9090, 0), "metrics")),
			wantErr: ErrNoNodePort,
			wantMsg: "points at port 9090",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ForService(tt.svc, Config{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want one wrapping %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if p.Probes != nil || p.Ports != nil {
				t.Errorf("plan on error = %+v, want only warnings", p)
			}
		})
	}
}

func TestForServiceUDPNeedsNoNodePort(t *testing.T) {
	t.Parallel()
	p := mustPlan(t, service(cluster, 0, nil, udp(53, 0)), Config{})
	if got := rules(p); !reflect.DeepEqual(got, []int{-1}) {
		t.Errorf("rules = %v, want [-1]", got)
	}
}

func TestForServiceInvalidConfig(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{ClusterMode: "nodeport"}, "clusterServiceLoadBalancerHealthProbeMode"},
		{Config{SharedPort: 70000}, "clusterServiceSharedLoadBalancerHealthProbePort"},
		{Config{SharedPath: "healthz"}, "clusterServiceSharedLoadBalancerHealthProbePath"},
	}
	for _, tt := range tests {
		_, err := ForService(service(cluster, 0, nil, tcp(80, 30080)), tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ForService(cfg %+v) error = %v, want one naming %s", tt.cfg, err, tt.want)
		}
	}
	if _, err := ForService(nil, Config{}); err == nil {
		t.Error("ForService(nil) returned no error")
	}
}

func TestForServiceDoesNotModifyService(t *testing.T) {
	t.Parallel()
	svc := service(cluster, 0, ann(AnnotationProtocol, "bogus", PortAnnotation(99, ParamInterval), "1"), withApp(tcp(80, 30080), "grpc"))
	before := svc.DeepCopy()
	if _, err := ForService(svc, Config{}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(svc, before) {
		t.Errorf("ForService modified the Service")
	}
}

func TestSettingsString(t *testing.T) {
	tests := []struct {
		s    Settings
		want string
	}{
		{Settings{Protocol: ProtocolHTTP, Port: 31234, RequestPath: "/healthz", IntervalSeconds: 5, Threshold: 2}, "Http :31234/healthz every 5s, threshold 2"},
		{Settings{Protocol: ProtocolTCP, Port: 30080, IntervalSeconds: 10, Threshold: 3}, "Tcp :30080 every 10s, threshold 3"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	ok := Settings{Protocol: ProtocolHTTP, Port: 80, RequestPath: "/", IntervalSeconds: 5, Threshold: 2}
	tests := []struct {
		name  string
		edit  func(*Settings)
		valid bool
	}{
		{"valid", func(*Settings) {}, true},
		{"tcp with path", func(s *Settings) { s.Protocol = ProtocolTCP }, false},
		{"tcp without path", func(s *Settings) { s.Protocol, s.RequestPath = ProtocolTCP, "" }, true},
		{"http without path", func(s *Settings) { s.RequestPath = "" }, false},
		{"path with space", func(s *Settings) { s.RequestPath = "/a b" }, false},
		{"unknown protocol", func(s *Settings) { s.Protocol = "Udp" }, false},
		{"port 0", func(s *Settings) { s.Port = 0 }, false},
		{"port 65536", func(s *Settings) { s.Port = 65536 }, false},
		{"interval 4", func(s *Settings) { s.IntervalSeconds = 4 }, false},
		{"threshold 1", func(s *Settings) { s.Threshold = 1 }, false},
		{"product 120", func(s *Settings) { s.IntervalSeconds, s.Threshold = 60, 2 }, false},
		{"product 118", func(s *Settings) { s.IntervalSeconds, s.Threshold = 59, 2 }, true},
	}
	for _, tt := range tests {
		s := ok
		tt.edit(&s)
		if err := s.Validate(); (err == nil) != tt.valid {
			t.Errorf("%s: Validate(%v) = %v, want valid=%v", tt.name, s, err, tt.valid)
		}
	}
}
