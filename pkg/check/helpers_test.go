package check

import (
	"fmt"
	"strings"
	"testing"

	"github.com/azlb/azlb/pkg/manifest"
)

// fixture describes a Service, its workload and a Scenario; yaml() writes them as manifests.
type fixture struct {
	cluster     bool              // externalTrafficPolicy Cluster (default Local)
	annotations map[string]string // on the Service
	targetPort  string            // default 8080
	daemonSet   bool
	replicas    int // Deployment (default 3)
	minReady    int
	grace       int    // terminationGracePeriodSeconds; 0: unset
	lifecycle   string // YAML under the container's lifecycle: (e.g. "preStop: {sleep: {seconds: 7}}")
	noReadiness bool
	readiness   string // YAML of the readinessProbe (default httpGet /readyz every 1s)
	strategy    string // YAML under spec: (strategy: ... / updateStrategy: ...)
	podSpec     string // extra YAML under the pod spec (nodeSelector, topologySpreadConstraints)
	nodes       int    // scenario nodes (default 4)
	app         string // YAML under spec.app (default startupTime: 2s)
	clients     string // extra YAML under spec.clients
	spec        string // extra YAML under the Scenario's spec (kubeProxy, loadBalancer, events)
	noScenario  bool
}

func (f fixture) yaml() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	policy := "Local"
	if f.cluster {
		policy = "Cluster"
	}
	target := f.targetPort
	if target == "" {
		target = "8080"
	}
	p("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default")
	if len(f.annotations) > 0 {
		p("  annotations:")
		for k, v := range f.annotations {
			p("    %s: %q", k, v)
		}
	}
	p("spec:\n  type: LoadBalancer\n  externalTrafficPolicy: %s\n  selector: {app: web}", policy)
	p("  ports: [{name: http, port: 80, targetPort: %s}]", target)
	p("---")
	if f.daemonSet {
		p("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: web, namespace: default}\nspec:")
	} else {
		replicas := f.replicas
		if replicas == 0 {
			replicas = 3
		}
		p("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: %d", replicas)
	}
	p("  minReadySeconds: %d", f.minReady)
	if f.strategy != "" {
		p("  %s", f.strategy)
	}
	p("  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:")
	if f.grace > 0 {
		p("      terminationGracePeriodSeconds: %d", f.grace)
	}
	if f.podSpec != "" {
		p("      %s", f.podSpec)
	}
	p("      containers:\n        - name: web\n          image: agnhost\n          ports: [{name: http, containerPort: 8080}]")
	switch {
	case f.noReadiness:
	case f.readiness != "":
		p("          readinessProbe: %s", f.readiness)
	default:
		p("          readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}")
	}
	if f.lifecycle != "" {
		p("          lifecycle: {%s}", f.lifecycle)
	}
	if f.noScenario {
		return b.String()
	}
	nodes := f.nodes
	if nodes == 0 {
		nodes = 4
	}
	app := f.app
	if app == "" {
		app = "{startupTime: 2s}"
	}
	p("---\napiVersion: lbctl.azlb.io/v1alpha1\nkind: Scenario\nmetadata: {name: test}\nspec:\n  duration: 60s")
	p("  nodes: {count: %d}", nodes)
	p("  clients: {requestsPerSecond: 100, count: 20%s}", f.clients)
	p("  app: %s", app)
	if f.spec != "" {
		p("  %s", f.spec)
	}
	return b.String()
}

func (f fixture) set(t testing.TB) *manifest.Set {
	t.Helper()
	set, err := manifest.Read(strings.NewReader(f.yaml()))
	if err != nil {
		t.Fatalf("manifests: %v\n%s", err, f.yaml())
	}
	return set
}

// subject derives the subject with the given pods per node (node-0, node-1, ...).
func (f fixture) subject(t testing.TB, podsPerNode ...int) *subject {
	t.Helper()
	set, given, _, err := withScenario(f.set(t))
	if err != nil {
		t.Fatal(err)
	}
	nodes := f.nodes
	if nodes == 0 {
		nodes = 4
	}
	if podsPerNode == nil {
		podsPerNode = []int{1, 1, 1}
	}
	pl := placement{perNode: map[string]int{}}
	for i := range nodes {
		name := fmt.Sprintf("node-%d", i)
		pl.nodes = append(pl.nodes, name)
		if i < len(podsPerNode) && podsPerNode[i] > 0 {
			pl.perNode[name] = podsPerNode[i]
		}
	}
	s, err := newSubject(set, given, pl)
	if err != nil {
		t.Fatalf("subject: %v\n%s", err, f.yaml())
	}
	return s
}

// want is the part of a finding a test compares.
type want struct {
	kind      Kind
	field     string
	current   string
	suggested string
	drops     bool
	manual    bool
}

func wantOf(f Finding) want {
	return want{kind: f.Kind, field: f.Field, current: f.Current, suggested: f.Suggested, drops: f.DropsRequests, manual: f.Manual}
}

func wants(fs []Finding) []want {
	var out []want
	for _, f := range fs {
		out = append(out, wantOf(f))
	}
	return out
}
