package sim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/azlb/azlb/pkg/manifest"
)

// service is a LoadBalancer Service selecting app=web on port 80 (targetPort 8080).
func service(policy string, annotations ...string) string {
	ann := ""
	if len(annotations) > 0 {
		ann = "  annotations:\n"
		for i := 0; i+1 < len(annotations); i += 2 {
			ann += fmt.Sprintf("    %s: %q\n", annotations[i], annotations[i+1])
		}
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
%sspec:
  type: LoadBalancer
  externalTrafficPolicy: %s
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
`, ann, policy)
}

// podSpec options for the test workloads.
type podOpts struct {
	preStop   int    // preStop sleep seconds (0: none)
	grace     int    // terminationGracePeriodSeconds (0: default)
	readiness string // readinessProbe block (YAML, indented for the container) or ""
	spread    bool   // hostname topology spread maxSkew 1 DoNotSchedule
	strategy  string // deployment strategy block or ""
}

func (o podOpts) template() string {
	var b strings.Builder
	b.WriteString("  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n")
	if o.grace > 0 {
		fmt.Fprintf(&b, "      terminationGracePeriodSeconds: %d\n", o.grace)
	}
	if o.spread {
		b.WriteString(`      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: DoNotSchedule
          labelSelector:
            matchLabels:
              app: web
`)
	}
	b.WriteString("      containers:\n        - name: web\n          image: app\n          ports:\n            - containerPort: 8080\n")
	if o.readiness != "" {
		b.WriteString(o.readiness)
	}
	if o.preStop > 0 {
		fmt.Fprintf(&b, "          lifecycle:\n            preStop:\n              sleep:\n                seconds: %d\n", o.preStop)
	}
	return b.String()
}

const readinessEverySecond = `          readinessProbe:
            httpGet:
              path: /readyz
              port: 8080
            periodSeconds: 1
            failureThreshold: 1
`

func deployment(replicas int, o podOpts) string {
	s := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: %d
  selector:
    matchLabels:
      app: web
`, replicas)
	if o.strategy != "" {
		s += o.strategy
	}
	return s + o.template()
}

func daemonSet(maxUnavailable string, o podOpts) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: web
  namespace: default
spec:
  selector:
    matchLabels:
      app: web
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: %s
`, maxUnavailable) + o.template()
}

// scenarioDoc wraps a spec body (indented by two spaces) in a Scenario document.
func scenarioDoc(name, spec string) string {
	return "apiVersion: lbctl.azlb.io/v1alpha1\nkind: Scenario\nmetadata:\n  name: " + name + "\nspec:\n" + spec
}

func simulate(t testing.TB, docs ...string) *Result {
	t.Helper()
	set, err := manifest.Read(strings.NewReader(strings.Join(docs, "\n---\n")))
	if err != nil {
		t.Fatalf("reading manifests: %v", err)
	}
	res, err := Simulate(t.Context(), set)
	if err != nil {
		t.Fatalf("simulating: %v", err)
	}
	return res
}

func jsonOf(t testing.TB, r *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
