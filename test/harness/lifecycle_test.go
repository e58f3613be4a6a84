package harness

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

func TestParseSleepCommand(t *testing.T) {
	tests := []struct {
		cmd    []string
		want   time.Duration
		wantOK bool
	}{
		{cmd: []string{"sleep", "5"}, want: 5 * time.Second, wantOK: true},
		{cmd: []string{"/bin/sleep", "0.5"}, want: 500 * time.Millisecond, wantOK: true},
		{cmd: []string{"sleep", "1m", "30s"}, want: 90 * time.Second, wantOK: true},
		{cmd: []string{"/bin/sh", "-c", "sleep 15"}, want: 15 * time.Second, wantOK: true},
		{cmd: []string{"sh", "-c", "  sleep   2s "}, want: 2 * time.Second, wantOK: true},
		{cmd: []string{"sleep", "1h"}, want: time.Hour, wantOK: true},
		{cmd: []string{"sleep"}},
		{cmd: []string{"sleep", "-1"}},
		{cmd: []string{"sleep", "inf"}},
		{cmd: []string{"sleep", "1e3"}},
		{cmd: []string{"sh", "-c", "nginx -s quit"}},
		{cmd: []string{"sh", "-c", "sleep 5 && nginx -s quit"}},
		{cmd: []string{"nginx", "-s", "quit"}},
		{cmd: nil},
	}
	for _, tt := range tests {
		got, ok := parseSleepCommand(tt.cmd)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("parseSleepCommand(%q) = %v, %v; want %v, %v", tt.cmd, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseHook(t *testing.T) {
	tests := []struct {
		name string
		h    *v1.LifecycleHandler
		kind hookKind
		d    time.Duration
	}{
		{name: "none", kind: hookNone},
		{name: "sleep action", h: &v1.LifecycleHandler{Sleep: &v1.SleepAction{Seconds: 7}}, kind: hookSleep, d: 7 * time.Second},
		{name: "exec sleep", h: &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"sleep", "3"}}}, kind: hookSleep, d: 3 * time.Second},
		{name: "exec other", h: &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"kill", "1"}}}, kind: hookUnsupported},
		{name: "httpGet", h: &v1.LifecycleHandler{HTTPGet: &v1.HTTPGetAction{Path: "/drain"}}, kind: hookHTTP},
	}
	for _, tt := range tests {
		got := parseHook(tt.h)
		if got.kind != tt.kind || got.sleep != tt.d {
			t.Errorf("%s: parseHook = kind %v sleep %v, want %v %v", tt.name, got.kind, got.sleep, tt.kind, tt.d)
		}
	}
}

func FuzzParseSleepCommand(f *testing.F) {
	f.Add("sleep", "5", "")
	f.Add("/bin/sh", "-c", "sleep 1.5s")
	f.Add("sleep", "1d", "2m")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		cmd := []string{a, b}
		if c != "" {
			cmd = append(cmd, c)
		}
		d, ok := parseSleepCommand(cmd)
		if !ok {
			if d != 0 {
				t.Fatalf("%q: not a sleep but duration %v", cmd, d)
			}
			return
		}
		if d < 0 {
			t.Fatalf("%q: negative sleep %v", cmd, d)
		}
	})
}
