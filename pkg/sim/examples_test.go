package sim

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/azlb/azlb/pkg/manifest"
)

// TestExamples runs every scenario in examples/scenarios and checks the claim its comment makes.
func TestExamples(t *testing.T) {
	t.Parallel()
	claims := map[string]func(t *testing.T, r *Result){
		"rolling-update-no-prestop.yaml": func(t *testing.T, r *Result) {
			if r.Failures.ConnectionRefused == 0 || r.Failures.Timeout == 0 {
				t.Errorf("failures %+v, want refused (kube-proxy sync) and timeouts (load balancer window)", r.Failures)
			}
		},
		"rolling-update-prestop.yaml": noFailures,
		"keepalive-no-graceful-close.yaml": func(t *testing.T, r *Result) {
			if r.Failures.Reset == 0 || r.Failed != r.Failures.Reset {
				t.Errorf("failures %+v, want resets only", r.Failures)
			}
		},
		"keepalive-graceful-close.yaml": noFailures,
		"two-nodes-three-pods.yaml": func(t *testing.T, r *Result) {
			if s := podShares(r); len(s) != 3 || !near(s[0], 0.25, 0.02) || !near(s[1], 0.25, 0.02) || !near(s[2], 0.5, 0.02) {
				t.Errorf("pod shares %v, want 25/25/50", s)
			}
		},
		"source-ip-cluster.yaml": func(t *testing.T, r *Result) {
			if r.Sources.SNATed != r.Succeeded || r.Sources.DistinctSeen != 2 {
				t.Errorf("sources %+v, want every request SNATed to 2 node addresses", r.Sources)
			}
		},
		"e2e-rolling-update-local.yaml": func(t *testing.T, r *Result) {
			if len(r.Rollouts) != 5 {
				t.Fatalf("%d rollouts, want 5", len(r.Rollouts))
			}
			for _, ro := range r.Rollouts {
				if ro.End == nil || ro.SuccessRate < 0.95 {
					t.Errorf("rollout %+v, want completed with >= 95%% success", ro)
				}
			}
		},
		"drain-node.yaml": func(t *testing.T, r *Result) {
			noFailures(t, r)
			if len(r.Drains) != 1 || r.Drains[0].End == nil {
				t.Errorf("drains %+v, want one that finishes", r.Drains)
			}
		},
		"scale-down.yaml": func(t *testing.T, r *Result) {
			if r.Failed == 0 {
				t.Error("no failure, want requests dropped on the emptied nodes")
			}
		},
	}
	files, err := filepath.Glob("../../examples/scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	sort.Strings(files)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			claim, ok := claims[name]
			if !ok {
				t.Fatalf("example %s has no claim checked here: add one", name)
			}
			set, err := manifest.ReadFiles([]string{f}, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Simulate(t.Context(), set)
			if err != nil {
				t.Fatal(err)
			}
			claim(t, r)
		})
	}
}

func noFailures(t *testing.T, r *Result) {
	t.Helper()
	if r.Failed != 0 {
		t.Errorf("%d failed (%+v) in %+v, want none", r.Failed, r.Failures, r.FailureWindows)
	}
}
