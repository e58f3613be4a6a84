package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckCommand(t *testing.T) {
	t.Parallel()
	const example = "../../examples/check/preStop.yaml"

	text, err := runLbctl(t, "check", "-f", example)
	if exitCode(err) != 1 {
		t.Fatalf("exit status %d (%v), want 1: requests are dropped", exitCode(err), err)
	}
	for _, want := range []string{
		"Service default/web (externalTrafficPolicy Local), Deployment default/web",
		"spec.template.spec.containers[web].lifecycle.preStop.sleep.seconds: none -> 7",
		"Verdict: requests will be dropped",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}

	out, err := runLbctl(t, "check", "-f", example, "-o", "json")
	if exitCode(err) != 1 {
		t.Fatalf("-o json: exit status %d (%v)", exitCode(err), err)
	}
	var rep struct {
		DropsRequests bool
		Findings      []struct {
			Kind, Object, Field, Current, Suggested, Why string
			Evidence                                     struct {
				Before, WithThisFix, WithAllFixes struct{ Requests, Failed int64 }
			}
		}
	}
	if err := json.Unmarshal([]byte(strings.TrimSuffix(out, "lbctl: "+errDrops.Error()+"\n")), &rep); err != nil {
		t.Fatalf("-o json output is not JSON: %v\n%s", err, out)
	}
	if !rep.DropsRequests || len(rep.Findings) == 0 {
		t.Fatalf("report %+v", rep)
	}
	f := rep.Findings[0]
	if f.Kind != "preStop" || f.Object != "Deployment default/web" || f.Suggested != "7" || f.Why == "" ||
		f.Evidence.Before.Failed == 0 || f.Evidence.WithAllFixes.Failed != 0 {
		t.Errorf("first finding %+v", f)
	}

	// --fix prints manifests that check clean.
	fixed, err := runLbctl(t, "check", "-f", example, "--fix")
	if err != nil {
		t.Fatalf("--fix: %v\n%s", err, fixed)
	}
	if !strings.Contains(fixed, "kind: Scenario") || !strings.Contains(fixed, "seconds: 7") {
		t.Errorf("--fix output:\n%s", fixed)
	}
	path := filepath.Join(t.TempDir(), "fixed.yaml")
	if err := os.WriteFile(path, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := runLbctl(t, "check", "-f", path)
	if err != nil || !strings.Contains(again, "No setting drops requests.") {
		t.Errorf("checking the fixed manifests: %v\n%s", err, again)
	}
}

func TestCheckExitStatus(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte(`apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    service.beta.kubernetes.io/azure-load-balancer-health-probe-interval: "2"
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: x}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"settings that drop nothing", []string{"-f", "../../examples/local-service.yaml"}, 0, "Verdict: no request dropped."},
		{"no file", []string{"-f", "missing.yaml"}, 2, "missing.yaml"},
		{"no manifests", nil, 2, "no manifests"},
		{"an invalid annotation", []string{"-f", bad}, 2, "azure-load-balancer-health-probe-interval"},
		{"no workload", []string{"-f", "../../examples/scenarios/../../go.mod"}, 2, ""},
		{"yaml without --fix", []string{"-f", "../../examples/local-service.yaml", "-o", "yaml"}, 2, "use text or json"},
		{"json with --fix", []string{"-f", "../../examples/local-service.yaml", "--fix", "-o", "json"}, 2, "printed as yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := runLbctl(t, append([]string{"check"}, tc.args...)...)
			if got := exitCode(err); (err == nil && tc.code != 0) || (err != nil && got != tc.code) {
				t.Errorf("exit status %d (%v), want %d", got, err, tc.code)
			}
			msg := out
			if err != nil {
				msg += err.Error()
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("output %q lacks %q", msg, tc.want)
			}
		})
	}
}
