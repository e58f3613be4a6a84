package harness

import "testing"

func TestProbeCounter(t *testing.T) {
	tests := []struct {
		name             string
		success, failure int32
		initial          bool
		results          []bool
		want             []bool // result after each observation
	}{
		{name: "ready after one success", success: 1, failure: 3, results: []bool{false, true}, want: []bool{false, true}},
		{name: "unready after three failures", success: 1, failure: 3, initial: true,
			results: []bool{false, false, true, false, false, false}, want: []bool{true, true, true, true, true, false}},
		{name: "two successes needed", success: 2, failure: 1, results: []bool{true, false, true, true}, want: []bool{false, false, false, true}},
		{name: "zero thresholds act as one", results: []bool{true, false}, want: []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newProbeCounter(tt.success, tt.failure, tt.initial)
			for i, r := range tt.results {
				before := c.result
				changed := c.observe(r)
				if c.result != tt.want[i] {
					t.Fatalf("after probe %d (%v): result %v, want %v", i, r, c.result, tt.want[i])
				}
				if changed != (before != c.result) {
					t.Fatalf("after probe %d: changed = %v but result went %v -> %v", i, changed, before, c.result)
				}
			}
		})
	}
}
