package harness

import (
	"strings"
	"testing"
	"time"
)

func TestParseAppBehaviour(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        AppBehaviour
		wantErrName string
	}{
		{name: "defaults: exit at once, graceful keep-alive", want: AppBehaviour{KeepAlive: KeepAliveClose}},
		{name: "whole seconds", annotations: map[string]string{AnnotationShutdownDelay: "10"}, want: AppBehaviour{ShutdownDelay: 10 * time.Second, KeepAlive: KeepAliveClose}},
		{name: "duration and keep", annotations: map[string]string{AnnotationShutdownDelay: "1.5s", AnnotationKeepAliveOnShutdown: "keep", AnnotationStartupDelay: "2s"},
			want: AppBehaviour{ShutdownDelay: 1500 * time.Millisecond, KeepAlive: KeepAliveKeep, StartupDelay: 2 * time.Second}},
		{name: "unrelated annotations ignored", annotations: map[string]string{"harness.azlb.io/other": "x"}, want: AppBehaviour{KeepAlive: KeepAliveClose}},
		{name: "bad delay names the annotation", annotations: map[string]string{AnnotationShutdownDelay: "ten"}, wantErrName: AnnotationShutdownDelay},
		{name: "negative delay", annotations: map[string]string{AnnotationStartupDelay: "-1s"}, wantErrName: AnnotationStartupDelay},
		{name: "too long", annotations: map[string]string{AnnotationShutdownDelay: "2h"}, wantErrName: AnnotationShutdownDelay},
		{name: "bad keep-alive mode", annotations: map[string]string{AnnotationKeepAliveOnShutdown: "linger"}, wantErrName: AnnotationKeepAliveOnShutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAppBehaviour(tt.annotations)
			if tt.wantErrName != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrName) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErrName)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			back, err := ParseAppBehaviour(got.Annotations())
			if err != nil || back != got {
				t.Errorf("Annotations() does not round-trip: %+v, %v", back, err)
			}
		})
	}
}

func FuzzParseAppBehaviour(f *testing.F) {
	f.Add("10", "close", "0")
	f.Add("1.5s", "keep", "250ms")
	f.Add("-1", "", "1h1s")
	f.Fuzz(func(t *testing.T, shutdown, keepalive, startup string) {
		b, err := ParseAppBehaviour(map[string]string{
			AnnotationShutdownDelay: shutdown, AnnotationKeepAliveOnShutdown: keepalive, AnnotationStartupDelay: startup,
		})
		if err != nil {
			return
		}
		if b.ShutdownDelay < 0 || b.ShutdownDelay > maxAppDelay || b.StartupDelay < 0 || b.StartupDelay > maxAppDelay {
			t.Fatalf("accepted out-of-range delays: %+v", b)
		}
		if b.KeepAlive != KeepAliveClose && b.KeepAlive != KeepAliveKeep {
			t.Fatalf("accepted keep-alive mode %q", b.KeepAlive)
		}
		back, err := ParseAppBehaviour(b.Annotations())
		if err != nil || back != b {
			t.Fatalf("%+v does not round-trip: %+v, %v", b, back, err)
		}
	})
}
