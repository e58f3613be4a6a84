package probes

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// TestAnnotationValues covers each annotation's default, valid forms and invalid forms, service-wide and
// per port, on the probe it reaches (a Cluster Service with one TCP port 80, nodePort 30080).
func TestAnnotationValues(t *testing.T) {
	p80 := func(p PortParam) string { return PortAnnotation(80, p) }
	tests := []struct {
		name string
		ann  map[string]string
		want Settings // when wantErr is empty
		// wantErr: the annotation each AnnotationError names; wantReason: a substring of each message.
		wantErr    []string
		wantReason string
	}{
		{name: "defaults", want: Settings{ProtocolTCP, 30080, "", 5, 2}},

		// interval
		{name: "interval", ann: ann(AnnotationInterval, "10"), want: Settings{ProtocolTCP, 30080, "", 10, 2}},
		{name: "interval trimmed", ann: ann(AnnotationInterval, " 7\t"), want: Settings{ProtocolTCP, 30080, "", 7, 2}},
		{name: "interval with plus sign", ann: ann(AnnotationInterval, "+6"), want: Settings{ProtocolTCP, 30080, "", 6, 2}},
		{name: "interval minimum", ann: ann(AnnotationInterval, "5"), want: Settings{ProtocolTCP, 30080, "", 5, 2}},
		{name: "interval 59 with threshold 2", ann: ann(AnnotationInterval, "59"), want: Settings{ProtocolTCP, 30080, "", 59, 2}},
		{name: "interval below minimum", ann: ann(AnnotationInterval, "3"), wantErr: []string{AnnotationInterval}, wantReason: "whole number of seconds >= 5"},
		{name: "interval zero", ann: ann(AnnotationInterval, "0"), wantErr: []string{AnnotationInterval}, wantReason: ">= 5"},
		{name: "interval negative", ann: ann(AnnotationInterval, "-10"), wantErr: []string{AnnotationInterval}, wantReason: ">= 5"},
		{name: "interval not a number", ann: ann(AnnotationInterval, "10s"), wantErr: []string{AnnotationInterval}, wantReason: "whole number"},
		{name: "interval fraction", ann: ann(AnnotationInterval, "5.5"), wantErr: []string{AnnotationInterval}, wantReason: "whole number"},
		{name: "interval empty", ann: ann(AnnotationInterval, ""), wantErr: []string{AnnotationInterval}, wantReason: "whole number"},
		{name: "interval beyond int32", ann: ann(AnnotationInterval, "4294967301"), wantErr: []string{AnnotationInterval}, wantReason: "whole number"},
		{name: "port interval", ann: ann(p80(ParamInterval), "8", AnnotationInterval, "20"), want: Settings{ProtocolTCP, 30080, "", 8, 2}},
		{name: "port interval invalid", ann: ann(p80(ParamInterval), "four"), wantErr: []string{p80(ParamInterval)}, wantReason: "whole number of seconds >= 5"},

		// num-of-probe
		{name: "threshold", ann: ann(AnnotationNumOfProbe, "3"), want: Settings{ProtocolTCP, 30080, "", 5, 3}},
		{name: "threshold trimmed", ann: ann(AnnotationNumOfProbe, " 4 "), want: Settings{ProtocolTCP, 30080, "", 5, 4}},
		{name: "threshold 23 with interval 5", ann: ann(AnnotationNumOfProbe, "23"), want: Settings{ProtocolTCP, 30080, "", 5, 23}},
		{name: "threshold below minimum", ann: ann(AnnotationNumOfProbe, "1"), wantErr: []string{AnnotationNumOfProbe}, wantReason: "whole number >= 2"},
		{name: "threshold not a number", ann: ann(AnnotationNumOfProbe, "two"), wantErr: []string{AnnotationNumOfProbe}, wantReason: "whole number >= 2"},
		{name: "port threshold", ann: ann(p80(ParamNumOfProbe), "6", AnnotationNumOfProbe, "3"), want: Settings{ProtocolTCP, 30080, "", 5, 6}},
		{name: "port threshold invalid", ann: ann(p80(ParamNumOfProbe), "0"), wantErr: []string{p80(ParamNumOfProbe)}, wantReason: "whole number >= 2"},

		// interval x num-of-probe
		{name: "product 120 names both annotations", ann: ann(AnnotationInterval, "20", AnnotationNumOfProbe, "6"),
			wantErr: []string{AnnotationInterval}, wantReason: AnnotationNumOfProbe + `="6" it is 20 x 6 = 120`},
		{name: "product with default threshold", ann: ann(AnnotationInterval, "60"),
			wantErr: []string{AnnotationInterval}, wantReason: "the default num-of-probe 2 (" + AnnotationNumOfProbe + " not set)"},
		{name: "product with default interval", ann: ann(AnnotationNumOfProbe, "24"),
			wantErr: []string{AnnotationNumOfProbe}, wantReason: "the default interval 5 (" + AnnotationInterval + " not set)"},
		{name: "product of port interval and service-wide threshold", ann: ann(p80(ParamInterval), "30", AnnotationNumOfProbe, "4"),
			wantErr: []string{p80(ParamInterval)}, wantReason: "less than 120 seconds"},
		{name: "product would wrap in int32", ann: ann(AnnotationInterval, "65536", AnnotationNumOfProbe, "65536"),
			wantErr: []string{AnnotationInterval}, wantReason: "= 4294967296"},

		// protocol
		{name: "protocol Http", ann: ann(AnnotationProtocol, "Http"), want: Settings{ProtocolHTTP, 30080, "/", 5, 2}},
		{name: "protocol any case, trimmed", ann: ann(AnnotationProtocol, " hTTpS "), want: Settings{ProtocolHTTPS, 30080, "/", 5, 2}},
		{name: "protocol tcp", ann: ann(AnnotationProtocol, "TCP"), want: Settings{ProtocolTCP, 30080, "", 5, 2}},
		{name: "protocol unknown falls back to Tcp", ann: ann(AnnotationProtocol, "grpc"), want: Settings{ProtocolTCP, 30080, "", 5, 2}},
		{name: "port protocol", ann: ann(p80(ParamProtocol), "http", AnnotationProtocol, "https"), want: Settings{ProtocolHTTP, 30080, "/", 5, 2}},
		{name: "port protocol unknown falls back to Tcp", ann: ann(p80(ParamProtocol), "udp", AnnotationProtocol, "https"), want: Settings{ProtocolTCP, 30080, "", 5, 2}},

		// request path
		{name: "request path", ann: ann(AnnotationProtocol, "Http", AnnotationRequestPath, "/ready?full=1"), want: Settings{ProtocolHTTP, 30080, "/ready?full=1", 5, 2}},
		{name: "port request path", ann: ann(AnnotationProtocol, "Http", p80(ParamRequestPath), "/p", AnnotationRequestPath, "/s"), want: Settings{ProtocolHTTP, 30080, "/p", 5, 2}},
		{name: "request path without slash", ann: ann(AnnotationProtocol, "Http", AnnotationRequestPath, "healthz"),
			wantErr: []string{AnnotationRequestPath}, wantReason: `must start with "/"`},
		{name: "request path with whitespace", ann: ann(AnnotationProtocol, "Http", AnnotationRequestPath, "/health z"),
			wantErr: []string{AnnotationRequestPath}, wantReason: "no whitespace"},
		{name: "request path not trimmed", ann: ann(AnnotationProtocol, "Http", AnnotationRequestPath, " /healthz"),
			wantErr: []string{AnnotationRequestPath}, wantReason: `must start with "/"`},
		{name: "request path empty", ann: ann(AnnotationProtocol, "Http", p80(ParamRequestPath), ""),
			wantErr: []string{p80(ParamRequestPath)}, wantReason: `must start with "/"`},
		{name: "invalid request path of a Tcp probe is not used, so not an error", ann: ann(AnnotationRequestPath, "bad"),
			want: Settings{ProtocolTCP, 30080, "", 5, 2}},

		// port override
		{name: "port override number", ann: ann(p80(ParamPort), "10254"), want: Settings{ProtocolTCP, 10254, "", 5, 2}},
		{name: "port override 65535", ann: ann(p80(ParamPort), "65535"), want: Settings{ProtocolTCP, 65535, "", 5, 2}},
		{name: "port override own number means own nodePort", ann: ann(p80(ParamPort), "80"), want: Settings{ProtocolTCP, 30080, "", 5, 2}},
		{name: "port override own name", ann: ann(p80(ParamPort), "WEB"), want: Settings{ProtocolTCP, 30080, "", 5, 2}},
		{name: "port override 0", ann: ann(p80(ParamPort), "0"), wantErr: []string{p80(ParamPort)}, wantReason: "port number 1..65535"},
		{name: "port override 65536", ann: ann(p80(ParamPort), "65536"), wantErr: []string{p80(ParamPort)}, wantReason: "service port name (web) or a port number 1..65535"},
		{name: "port override unknown name", ann: ann(p80(ParamPort), "metrics"), wantErr: []string{p80(ParamPort)}, wantReason: "service port name (web)"},
		{name: "port override empty", ann: ann(p80(ParamPort), ""), wantErr: []string{p80(ParamPort)}, wantReason: "port number 1..65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := service(cluster, 0, tt.ann, named(tcp(80, 30080), "web"))
			p, err := ForService(svc, Config{})
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if len(p.Probes) != 1 {
					t.Fatalf("got %d probes, want 1: %+v", len(p.Probes), p.Probes)
				}
				if p.Probes[0].Settings != tt.want {
					t.Errorf("settings = %v, want %v", p.Probes[0].Settings, tt.want)
				}
				return
			}
			got := annotationErrors(t, err)
			var keys []string
			for _, e := range got {
				keys = append(keys, e.Annotation)
				if !strings.Contains(e.Error(), tt.wantReason) {
					t.Errorf("error %q does not say %q", e.Error(), tt.wantReason)
				}
				if !strings.Contains(e.Error(), e.Annotation) || !strings.Contains(e.Error(), "is invalid: ") {
					t.Errorf("error %q does not name its annotation", e.Error())
				}
			}
			if !reflect.DeepEqual(keys, tt.wantErr) {
				t.Errorf("errors name %v, want %v (%v)", keys, tt.wantErr, err)
			}
		})
	}
}

// annotationErrors unwraps errors.Join and requires every error to be an *AnnotationError.
func annotationErrors(t *testing.T, err error) []*AnnotationError {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var first *AnnotationError
	if !errors.As(err, &first) {
		t.Fatalf("errors.As finds no *AnnotationError in %v", err)
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %T is not a join", err)
	}
	var out []*AnnotationError
	for _, e := range joined.Unwrap() {
		var ae *AnnotationError
		if !errors.As(e, &ae) {
			t.Fatalf("error %v is not an *AnnotationError", e)
		}
		out = append(out, ae)
	}
	return out
}

func TestAnnotationErrorMessage(t *testing.T) {
	e := &AnnotationError{Annotation: AnnotationInterval, Value: "3", Reason: reasonInterval}
	want := `annotation service.beta.kubernetes.io/azure-load-balancer-health-probe-interval="3" is invalid: must be a whole number of seconds >= 5`
	if e.Error() != want {
		t.Errorf("Error() = %q\nwant %q", e.Error(), want)
	}
}

func TestSeveralInvalidAnnotationsReportedTogether(t *testing.T) {
	t.Parallel()
	svc := service(cluster, 0, ann(
		AnnotationInterval, "2",
		AnnotationNumOfProbe, "x",
		PortAnnotation(443, ParamRequestPath), "no-slash",
		PortAnnotation(443, ParamProtocol), "Https",
		PortAnnotation(8080, ParamPort), "nope",
		PortAnnotation(8080, ParamInterval), "40",
		PortAnnotation(8080, ParamNumOfProbe), "3",
	), tcp(80, 30080), tcp(443, 30443), tcp(8080, 30808), tcp(9090, 0))
	p, err := ForService(svc, Config{})
	if !errors.Is(err, ErrNoNodePort) {
		t.Errorf("error does not report the missing nodePort of port 9090: %v", err)
	}
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ae *AnnotationError
		if errors.As(e, &ae) {
			keys = append(keys, ae.Annotation)
		}
	}
	want := []string{
		AnnotationInterval,
		AnnotationNumOfProbe,
		PortAnnotation(443, ParamRequestPath),
		PortAnnotation(8080, ParamInterval), // 40 x 3 = 120
		PortAnnotation(8080, ParamPort),
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("errors name\n %v\nwant (sorted, each once)\n %v\nerror: %v", keys, want, err)
	}
	for _, k := range want {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("message does not list %s", k)
		}
	}
	if p.Probes != nil || p.Ports != nil {
		t.Errorf("plan on error holds probes or ports: %+v", p)
	}
}

func TestServiceWideErrorReportedOnce(t *testing.T) {
	t.Parallel()
	svc := service(cluster, 0, ann(AnnotationInterval, "1"), tcp(80, 30080), tcp(81, 30081), tcp(82, 30082))
	_, err := ForService(svc, Config{})
	if got := annotationErrors(t, err); len(got) != 1 {
		t.Errorf("got %d errors, want the service-wide one once: %v", len(got), err)
	}
}

func TestLocalValidatesTimingEvenWithoutRules(t *testing.T) {
	t.Parallel()
	// The reference builds (and validates) the health check node port probe before looking at the ports.
	svc := service(local, 32000, ann(AnnotationInterval, "4", NoLBRuleAnnotation(80), "true"), tcp(80, 30080))
	_, err := ForService(svc, Config{})
	got := annotationErrors(t, err)
	if len(got) != 1 || got[0].Annotation != AnnotationInterval {
		t.Errorf("errors = %v, want the interval annotation", err)
	}
}

func TestLocalIgnoresInvalidUnusedAnnotations(t *testing.T) {
	t.Parallel()
	// Protocol and request path do not apply to a Local probe: invalid values are warnings, not errors.
	svc := service(local, 32000, ann(AnnotationRequestPath, "bad path", PortAnnotation(80, ParamInterval), "1"), tcp(80, 30080))
	p := mustPlan(t, svc, Config{})
	want := []string{AnnotationRequestPath, PortAnnotation(80, ParamInterval)}
	slices.Sort(want)
	if got := warningKeys(p.Warnings); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings on %v, want %v", got, want)
	}
}

func TestErrorsAreDeterministic(t *testing.T) {
	t.Parallel()
	a := ann(AnnotationInterval, "a", AnnotationNumOfProbe, "b")
	for i := range 6 {
		a[PortAnnotation(int32(100+i), ParamInterval)] = "1"
	}
	var ports []v1.ServicePort
	for i := range 6 {
		ports = append(ports, tcp(int32(100+i), int32(30100+i)))
	}
	svc := service(cluster, 0, a, ports...)
	_, first := ForService(svc, Config{})
	for range 20 {
		if _, err := ForService(svc, Config{}); err.Error() != first.Error() {
			t.Fatalf("error text changed between calls:\n%v\n%v", first, err)
		}
	}
}
