package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runLbctl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func TestSimulateCommand(t *testing.T) {
	example := "../../examples/scenarios/rolling-update-no-prestop.yaml"
	first, err := runLbctl(t, "simulate", "-f", example)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Requests, Succeeded, Failed int64
		Failures                    map[string]int64
	}
	if err := json.Unmarshal([]byte(first), &res); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if res.Requests != 9000 || res.Succeeded+res.Failed != res.Requests || len(res.Failures) != 4 {
		t.Errorf("result %+v", res)
	}
	for _, k := range []string{"connectionRefused", "noHealthyBackend", "reset", "timeout"} {
		if _, ok := res.Failures[k]; !ok {
			t.Errorf("failures lack %q", k)
		}
	}
	again, err := runLbctl(t, "simulate", "-f", example)
	if err != nil || again != first {
		t.Error("two runs of the same scenario differ")
	}

	page := filepath.Join(t.TempDir(), "report.html")
	text, err := runLbctl(t, "simulate", "-f", example, "-o", "text", "--html", page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "9000 requests in 90s") {
		t.Errorf("text output:\n%s", text)
	}
	html, err := os.ReadFile(page)
	if err != nil || !bytes.Contains(html, []byte(`<script type="application/json" id="timeline-data">{"scenario":"rolling-update-no-prestop"`)) || !bytes.Contains(html, []byte(`"timeline":{`)) {
		t.Errorf("HTML page (%v):\n%.400s", err, html)
	}

	if _, err := runLbctl(t, "simulate", "-f", example, "-o", "yaml"); err == nil || !strings.Contains(err.Error(), "use json or text") {
		t.Errorf("-o yaml: %v", err)
	}
	if _, err := runLbctl(t, "simulate", "-f", "../../examples/local-service.yaml"); err == nil || !strings.Contains(err.Error(), "no Scenario") {
		t.Errorf("manifests without a scenario: %v", err)
	}
}
