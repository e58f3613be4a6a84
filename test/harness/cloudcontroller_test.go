package harness

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCloudControllerArgs(t *testing.T) {
	base := CloudControllerOptions{Binary: "cc", Kubeconfig: "/k", CloudConfig: "/c.json", LogFile: "/l"}
	for _, tt := range []struct {
		name    string
		opts    func(o *CloudControllerOptions)
		want    []string
		notWant []string
	}{
		{
			name: "defaults: no leader election, one sync, loopback serving",
			opts: func(*CloudControllerOptions) {},
			want: []string{"--kubeconfig=/k", "--cloud-config=/c.json", "--cloud-provider=azure", "--cluster-name=kubernetes",
				"--bind-address=127.0.0.1", "--secure-port=4321", "--concurrent-service-syncs=1", "--leader-elect=false", "--v=2"},
			notWant: []string{"--leader-elect-lease-duration=6s"},
		},
		{
			name: "leader election with quick defaults",
			opts: func(o *CloudControllerOptions) { o.LeaderElect = true },
			want: []string{"--leader-elect=true", "--leader-elect-lease-duration=6s", "--leader-elect-renew-deadline=4s", "--leader-elect-retry-period=1s"},
		},
		{
			name: "settings and extra arguments",
			opts: func(o *CloudControllerOptions) {
				o.ClusterName, o.ConcurrentServiceSyncs, o.Verbosity = "blue", 5, 4
				o.ExtraArgs = []string{"--kube-api-qps=50"}
			},
			want: []string{"--cluster-name=blue", "--concurrent-service-syncs=5", "--v=4", "--kube-api-qps=50"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.opts(&o)
			args := o.withDefaults().args(4321)
			for _, w := range tt.want {
				if !slices.Contains(args, w) {
					t.Errorf("args %v lack %s", args, w)
				}
			}
			for _, w := range tt.notWant {
				if slices.Contains(args, w) {
					t.Errorf("args %v have %s", args, w)
				}
			}
		})
	}
}

func TestLastLines(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\nc", 5, "a\nb\nc"},
		{"", 3, ""},
		{"only\n", 1, "only"},
	} {
		if got := lastLines(tt.in, tt.n); got != tt.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// TestStartCloudControllerReportsEarlyExit: a process that dies before serving /healthz fails the
// start at once, with the tail of its log.
func TestStartCloudControllerReportsEarlyExit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "fails")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho 'cloud config: missing required field(s) \"vnetName\"' >&2\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := StartCloudController(t.Context(), CloudControllerOptions{
		Binary: bin, Kubeconfig: "/k", CloudConfig: "/c.json", LogFile: filepath.Join(dir, "log"), StartTimeout: time.Minute,
	})
	if err == nil {
		t.Fatal("a process that exits at once started")
	}
	if !strings.Contains(err.Error(), "exited before it was healthy") || !strings.Contains(err.Error(), `missing required field(s) "vnetName"`) {
		t.Errorf("error %q does not say the process exited and why", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s to notice the exit", d)
	}
}
