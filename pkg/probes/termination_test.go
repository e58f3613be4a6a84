package probes

import (
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestPreStopDuration(t *testing.T) {
	tests := []struct {
		name string
		hook *v1.LifecycleHandler
		want time.Duration
		ok   bool
	}{
		{"none", nil, 0, true},
		{"sleep action", &v1.LifecycleHandler{Sleep: &v1.SleepAction{Seconds: 15}}, 15 * time.Second, true},
		{"exec sleep", &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"sleep", "10"}}}, 10 * time.Second, true},
		{"exec /bin/sleep 2.5s", &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"/bin/sleep", "2.5s"}}}, 2500 * time.Millisecond, true},
		{"sh -c", &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"/bin/sh", "-c", "sleep 20"}}}, 20 * time.Second, true},
		{"other command", &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"nginx", "-s", "quit"}}}, 0, false},
		{"httpGet", &v1.LifecycleHandler{HTTPGet: &v1.HTTPGetAction{Path: "/drain"}}, 0, false},
	}
	for _, tt := range tests {
		c := &v1.Container{}
		if tt.hook != nil {
			c.Lifecycle = &v1.Lifecycle{PreStop: tt.hook}
		}
		got, ok := PreStopDuration(c)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: got %v %v, want %v %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCheckTermination(t *testing.T) {
	probe := Settings{Protocol: ProtocolHTTP, Port: 31000, RequestPath: "/healthz", IntervalSeconds: 5, Threshold: 2}
	need := RequiredPreStop(probe, SemanticsAzure, DefaultProxySync)
	container := func(preStop int64) v1.Container {
		c := v1.Container{Name: "app", Ports: []v1.ContainerPort{{ContainerPort: 8080}}}
		if preStop > 0 {
			c.Lifecycle = &v1.Lifecycle{PreStop: &v1.LifecycleHandler{Sleep: &v1.SleepAction{Seconds: preStop}}}
		}
		return c
	}
	tests := []struct {
		name   string
		spec   v1.PodSpec
		fields []string
	}{
		{"no preStop", v1.PodSpec{Containers: []v1.Container{container(0)}}, []string{"lifecycle.preStop"}},
		{"long enough preStop", v1.PodSpec{Containers: []v1.Container{container(int64(need / time.Second))}}, nil},
		{"grace shorter than preStop", v1.PodSpec{Containers: []v1.Container{container(20)}, TerminationGracePeriodSeconds: ptr.To[int64](15)},
			[]string{"terminationGracePeriodSeconds"}},
		{"sidecar without ports is not checked", v1.PodSpec{Containers: []v1.Container{container(10), {Name: "log"}}}, nil},
	}
	for _, tt := range tests {
		got := CheckTermination(&tt.spec, probe, SemanticsAzure, DefaultProxySync)
		var fields []string
		for _, f := range got {
			fields = append(fields, f.Field)
			if !strings.Contains(f.Message, "at least") {
				t.Errorf("%s: message says no fix: %s", tt.name, f.Message)
			}
		}
		if strings.Join(fields, ",") != strings.Join(tt.fields, ",") {
			t.Errorf("%s: findings %v, want %v", tt.name, fields, tt.fields)
		}
	}
	if need != 6*time.Second {
		t.Errorf("the default probe (5 s x 2, Http) needs %v of preStop, want 6s (one interval plus 1 s of kube-proxy sync)", need)
	}
}
