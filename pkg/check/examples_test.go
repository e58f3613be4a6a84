package check

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim"
)

// TestExamples is the backing of every kind of finding by the simulator: each file of examples/check
// shows one kind. The manifests as given drop requests in the Scenario's own events (or, for uneven
// traffic, split them unevenly); Apply writes the suggestions; the fixed manifests drop none (and split
// evenly); and checking the fixed manifests finds nothing that drops requests.
func TestExamples(t *testing.T) {
	t.Parallel()
	examples := map[Kind]string{
		KindPreStop:         "preStop.yaml",
		KindGracePeriod:     "grace-period.yaml",
		KindMinReadySeconds: "minReadySeconds.yaml",
		KindSingleNode:      "singleNode.yaml",
		KindUnevenTraffic:   "unevenTraffic.yaml",
		KindMaxUnavailable:  "maxUnavailable.yaml",
		KindProbeTiming:     "probeTiming.yaml",
		KindKeepAlive:       "keepAlive.yaml",
		KindReadiness:       "readiness.yaml",
	}
	files, err := filepath.Glob("../../examples/check/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		if !slices.Contains(mapValues(examples), filepath.Base(f)) && !strings.HasPrefix(filepath.Base(f), "e2e-") {
			t.Errorf("example %s is not checked here: add it", f)
		}
	}
	for kind, file := range examples {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			set, err := manifest.ReadFiles([]string{"../../examples/check/" + file}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Run(t.Context(), set)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(rep.Findings, func(f Finding) bool { return f.Kind == kind })
			if i < 0 {
				t.Fatalf("no %s finding in %+v", kind, rep.Findings)
			}
			f := rep.Findings[i]
			e := f.Evidence
			if kind == KindUnevenTraffic {
				if f.DropsRequests || rep.DropsRequests {
					t.Errorf("uneven traffic reported as dropping requests")
				}
				if s := e.PodSharesBefore; len(s) != 3 || !near(s[0], 0.25) || !near(s[2], 0.5) {
					t.Errorf("pod shares before %v, want 25/25/50", s)
				}
				if s := e.PodSharesWithThisFix; len(s) != 4 || !near(s[0], 0.25) || !near(s[3], 0.25) {
					t.Errorf("pod shares with the fix %v, want 25 each", s)
				}
			} else {
				if !f.DropsRequests || !rep.DropsRequests {
					t.Errorf("%s not reported as dropping requests", kind)
				}
				if e.Before.Failed == 0 || e.WithThisFix.Failed >= e.Before.Failed {
					t.Errorf("evidence %+v: want failures that this fix reduces", e)
				}
			}
			if e.WithAllFixes.Failed != 0 || rep.StillFailing {
				t.Errorf("with every fix %+v (still failing %v), want no failure; notes %v", e.WithAllFixes, rep.StillFailing, rep.Notes)
			}

			// The Scenario's own events, as given (in the report) and on the manifests Apply fixes here.
			if kind != KindUnevenTraffic {
				i = slices.IndexFunc(rep.Simulations, func(s Simulation) bool { return s.Name == "scenario" })
				if i < 0 {
					t.Fatalf("no simulation of the Scenario's events in %+v", rep.Simulations)
				}
				if before := rep.Simulations[i].Before; before.Failed == 0 {
					t.Errorf("the manifests as given dropped nothing in the Scenario: %+v", before)
				}
			}
			fixed, err := Apply(set, rep.Findings)
			if err != nil {
				t.Fatal(err)
			}
			after, err := sim.Simulate(t.Context(), fixed)
			if err != nil {
				t.Fatal(err)
			}
			if after.Requests == 0 || after.Failed != 0 {
				t.Errorf("the fixed manifests dropped %d of %d (%+v)", after.Failed, after.Requests, after.Failures)
			}
			again, err := Findings(t.Context(), fixed)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != 0 {
				t.Errorf("checking the fixed manifests: %+v", wants(again))
			}
		})
	}
}

func mapValues(m map[Kind]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func near(a, b float64) bool { return a > b-0.03 && a < b+0.03 }
