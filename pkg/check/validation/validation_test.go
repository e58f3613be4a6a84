package validation

import (
	"bytes"
	"os"
	"testing"
)

// TestValidation runs the table: every claim must pass, and docs/validation.md must be what the command
// writes now (regenerate it with `go run ./hack/validation -o docs/validation.md`).
func TestValidation(t *testing.T) {
	t.Parallel()
	table, err := Run(t.Context(), "../../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != len(claims) {
		t.Fatalf("%d rows for %d claims", len(table.Rows), len(claims))
	}
	for _, r := range table.Failed() {
		t.Errorf("FAIL: %s\n  scenario %s\n  expected %s\n  simulated %s", r.Claim, r.Scenario, r.Expected, r.Simulated)
	}
	committed, err := os.ReadFile("../../../docs/validation.md")
	if err != nil {
		t.Fatalf("docs/validation.md: %v (write it with %s)", err, Command)
	}
	if fresh := table.Markdown(); !bytes.Equal(committed, fresh) {
		t.Errorf("docs/validation.md is out of date: run %s", Command)
	}
}

// TestMarkdownMarksFailures: a failing claim shows as FAIL and is counted.
func TestMarkdownMarksFailures(t *testing.T) {
	t.Parallel()
	table := &Table{Rows: []Row{
		{Claim: "a | b", Expected: "x", Simulated: "y", Pass: true},
		{Claim: "c", Expected: "x", Simulated: "z", Pass: false},
	}}
	md := string(table.Markdown())
	for _, want := range []string{"**1 of 2 claims pass.**", `| 1 | a \| b |`, "| **FAIL** |"} {
		if !bytes.Contains([]byte(md), []byte(want)) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if len(table.Failed()) != 1 {
		t.Errorf("failed rows %d, want 1", len(table.Failed()))
	}
}
