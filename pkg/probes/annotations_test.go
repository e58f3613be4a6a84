package probes

import (
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

func TestAnnotationKeys(t *testing.T) {
	tests := []struct{ got, want string }{
		{AnnotationProtocol, "service.beta.kubernetes.io/azure-load-balancer-health-probe-protocol"},
		{AnnotationRequestPath, "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path"},
		{AnnotationInterval, "service.beta.kubernetes.io/azure-load-balancer-health-probe-interval"},
		{AnnotationNumOfProbe, "service.beta.kubernetes.io/azure-load-balancer-health-probe-num-of-probe"},
		{PortAnnotation(80, ParamInterval), "service.beta.kubernetes.io/port_80_health-probe_interval"},
		{PortAnnotation(443, ParamProtocol), "service.beta.kubernetes.io/port_443_health-probe_protocol"},
		{PortAnnotation(8080, ParamPort), "service.beta.kubernetes.io/port_8080_health-probe_port"},
		{PortAnnotation(1, ParamRequestPath), "service.beta.kubernetes.io/port_1_health-probe_request-path"},
		{PortAnnotation(65535, ParamNumOfProbe), "service.beta.kubernetes.io/port_65535_health-probe_num-of-probe"},
		{NoLBRuleAnnotation(80), "service.beta.kubernetes.io/port_80_no_lb_rule"},
		{NoProbeRuleAnnotation(80), "service.beta.kubernetes.io/port_80_no_probe_rule"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestParsePortKey(t *testing.T) {
	tests := []struct {
		key    string
		isPort bool
		want   portKey
	}{
		{PortAnnotation(80, ParamInterval), true, portKey{kind: keyProbeParam, port: 80, param: ParamInterval}},
		{PortAnnotation(65535, ParamPort), true, portKey{kind: keyProbeParam, port: 65535, param: ParamPort}},
		{NoLBRuleAnnotation(1), true, portKey{kind: keyNoLBRule, port: 1}},
		{NoProbeRuleAnnotation(22), true, portKey{kind: keyNoProbeRule, port: 22}},
		{AnnotationPrefix + "port_80_health-probe_timeout", true, portKey{kind: keyUnknownParam, port: 80, param: "timeout"}},
		{AnnotationPrefix + "port_80_health-probe_", true, portKey{kind: keyUnknownParam, port: 80, param: ""}},
		{AnnotationPrefix + "port_80_whatever", true, portKey{kind: keyUnknownSuffix, port: 80}},
		{AnnotationPrefix + "port_80", true, portKey{kind: keyBadPort}},
		{AnnotationPrefix + "port_0_no_lb_rule", true, portKey{kind: keyBadPort}},
		{AnnotationPrefix + "port_65536_no_lb_rule", true, portKey{kind: keyBadPort}},
		{AnnotationPrefix + "port_080_no_lb_rule", true, portKey{kind: keyBadPort}},
		{AnnotationPrefix + "port_+80_no_lb_rule", true, portKey{kind: keyBadPort}},
		{AnnotationPrefix + "port_-1_no_lb_rule", true, portKey{kind: keyBadPort}},
		{AnnotationPrefix + "port__no_lb_rule", true, portKey{kind: keyBadPort}},
		{AnnotationInterval, false, portKey{}},
		{"example.com/port_80_no_lb_rule", false, portKey{}},
		{AnnotationPrefix + "Port_80_no_lb_rule", false, portKey{}},
	}
	for _, tt := range tests {
		got, ok := parsePortKey(tt.key)
		if ok != tt.isPort || got != tt.want {
			t.Errorf("parsePortKey(%q) = %+v, %v; want %+v, %v", tt.key, got, ok, tt.want, tt.isPort)
		}
	}
}

func TestProtocolsAreArmnetworkValues(t *testing.T) {
	pairs := []struct {
		ours Protocol
		arm  armnetwork.ProbeProtocol
	}{
		{ProtocolTCP, armnetwork.ProbeProtocolTCP},
		{ProtocolHTTP, armnetwork.ProbeProtocolHTTP},
		{ProtocolHTTPS, armnetwork.ProbeProtocolHTTPS},
	}
	for _, p := range pairs {
		if string(p.ours) != string(p.arm) {
			t.Errorf("Protocol %q differs from armnetwork's %q", p.ours, p.arm)
		}
	}
	if len(armnetwork.PossibleProbeProtocolValues()) != len(pairs) {
		t.Errorf("armnetwork has probe protocols %v; this package knows %d", armnetwork.PossibleProbeProtocolValues(), len(pairs))
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want Mode
		err  bool
	}{
		{"", ModeServiceNodePort, false},
		{"servicenodeport", ModeServiceNodePort, false},
		{"ServiceNodePort", ModeServiceNodePort, false},
		{"shared", ModeShared, false},
		{"Shared", ModeShared, false},
		{" shared ", ModeShared, false},
		{"nodeport", "", true},
		{"share", "", true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !(strings.Contains(err.Error(), `"servicenodeport"`) && strings.Contains(err.Error(), `"shared"`)) {
			t.Errorf("ParseMode(%q) error %q does not name the allowed values", tt.in, err)
		}
	}
}

func TestConfigWithDefaults(t *testing.T) {
	got, err := Config{}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if want := (Config{ClusterMode: ModeServiceNodePort, SharedPort: 10256, SharedPath: "/healthz"}); got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	got, err = Config{ClusterMode: "SHARED", SharedPort: 10257, SharedPath: "/livez"}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if want := (Config{ClusterMode: ModeShared, SharedPort: 10257, SharedPath: "/livez"}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []Config{{ClusterMode: "x"}, {SharedPort: -1}, {SharedPort: 65536}, {SharedPath: "livez"}, {SharedPath: "/a b"}} {
		if _, err := bad.WithDefaults(); err == nil {
			t.Errorf("%+v.WithDefaults() accepted an invalid config", bad)
		}
	}
}

func TestParseSemantics(t *testing.T) {
	tests := []struct {
		in   string
		want Semantics
		err  bool
	}{
		{"", SemanticsAzure, false},
		{"azure", SemanticsAzure, false},
		{"Azure", SemanticsAzure, false},
		{"threshold", SemanticsThreshold, false},
		{"THRESHOLD", SemanticsThreshold, false},
		{"aks", "", true},
	}
	for _, tt := range tests {
		got, err := ParseSemantics(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSemantics(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !(strings.Contains(err.Error(), `"azure"`) && strings.Contains(err.Error(), `"threshold"`)) {
			t.Errorf("ParseSemantics(%q) error %q does not name the allowed values", tt.in, err)
		}
	}
}
