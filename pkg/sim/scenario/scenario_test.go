package scenario

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

func parseYAML(t *testing.T, doc string) (*Scenario, error) {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("test YAML: %v", err)
	}
	return Parse(data)
}

const head = "apiVersion: lbctl.azlb.io/v1alpha1\nkind: Scenario\nmetadata:\n  name: t\n"

func TestParseDefaults(t *testing.T) {
	s, err := parseYAML(t, head+"spec:\n  duration: 2m\n  clients:\n    requestsPerSecond: 50\n")
	if err != nil {
		t.Fatal(err)
	}
	sp := s.Spec
	checks := []struct {
		name string
		ok   bool
	}{
		{"seed 1", *sp.Seed == 1},
		{"3 nodes", sp.Nodes.Count == 3},
		{"10 clients", sp.Clients.Count == 10},
		{"client timeout 5s", sp.Clients.Timeout.Duration == 5*time.Second},
		{"uniform arrivals", sp.Clients.Arrival == ArrivalUniform},
		{"container start 1s", sp.App.ContainerStartDelay.Duration == time.Second},
		{"response 10ms", sp.App.ResponseTime.Duration == 10*time.Millisecond},
		{"exit at SIGTERM", sp.App.OnSigterm.ExitImmediately},
		{"minSyncPeriod 1s", sp.KubeProxy.MinSyncPeriod.Duration == time.Second},
		{"azure semantics", sp.LoadBalancer.ProbeSemantics == SemanticsAzure},
		{"update delay 5s", sp.LoadBalancer.UpdateDelay.Duration == 5*time.Second},
		{"duration 2m", sp.Duration.Duration == 2*time.Minute},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("default: %s", c.name)
		}
	}
}

func TestParseFull(t *testing.T) {
	s, err := parseYAML(t, head+`spec:
  duration: 300
  seed: 42
  nodes: {names: [a, b], zones: ["1", "2"]}
  clients: {requestsPerSecond: 100, count: 3, keepAlive: true, timeout: 2.5, arrival: poisson}
  app:
    startupTime: 500ms
    onSigterm: {serveFor: 20s, failReadiness: true, gracefulClose: true}
  kubeProxy: {minSyncPeriod: "0"}
  loadBalancer: {probeSemantics: Threshold, updateDelay: 10s}
  events:
    - {at: 10s, rollout: {times: 3}}
    - {at: 20s, drainNode: {node: a, excludeFromLoadBalancer: true}}
    - {at: 30s, scale: {replicas: 0}}
    - {at: 40s, deletePod: {node: b}}
    - {at: 50s, addNode: {zone: "2"}}
    - {at: 60s, removeNode: {node: b}}
`)
	if err != nil {
		t.Fatal(err)
	}
	sp := s.Spec
	if sp.Duration.Duration != 300*time.Second || sp.Nodes.Count != 2 || sp.Clients.Timeout.Duration != 2500*time.Millisecond ||
		sp.App.OnSigterm.ExitImmediately || sp.KubeProxy.MinSyncPeriod.Duration != 0 || sp.LoadBalancer.ProbeSemantics != SemanticsThreshold ||
		sp.Events[0].Rollout.Times != 3 || sp.Events[2].Action() != "scale" || *sp.Events[2].Scale.Replicas != 0 {
		t.Errorf("parsed %+v", sp)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"wrong kind and version", "apiVersion: v1\nkind: Pod\nspec:\n  duration: 1s\n  clients: {requestsPerSecond: 1}\n",
			[]string{"apiVersion: \"v1\" is not supported; use lbctl.azlb.io/v1alpha1", "kind: \"Pod\""}},
		{"unknown field with a suggestion", head + "spec:\n  duration: 1s\n  clients: {requestsPerSecond: 1, keepalive: true}\n",
			[]string{"spec.clients.keepalive: unknown field; did you mean spec.clients.keepAlive?"}},
		{"unknown field in an event", head + "spec:\n  duration: 1s\n  clients: {requestsPerSecond: 1}\n  events:\n    - {at: 1s, drain: {node: a}}\n",
			[]string{"spec.events[0].drain: unknown field"}},
		{"missing duration and rate", head + "spec: {}\n",
			[]string{"spec.duration: must be set", "spec.clients.requestsPerSecond: must be set above 0"}},
		{"bad duration", head + "spec:\n  duration: soon\n", []string{`"soon" is not a duration`}},
		{"conflicting sigterm", head + "spec:\n  duration: 1s\n  clients: {requestsPerSecond: 1}\n  app: {onSigterm: {exitImmediately: true, serveFor: 5s}}\n",
			[]string{"spec.app.onSigterm: exitImmediately and serveFor exclude each other"}},
		{"bad semantics", head + "spec:\n  duration: 1s\n  clients: {requestsPerSecond: 1}\n  loadBalancer: {probeSemantics: fast}\n",
			[]string{"spec.loadBalancer.probeSemantics", `"azure"`}},
		{"bad arrival", head + "spec:\n  duration: 1s\n  clients: {requestsPerSecond: 1, arrival: bursty}\n", []string{"spec.clients.arrival"}},
		{"two actions", head + "spec:\n  duration: 10s\n  clients: {requestsPerSecond: 1}\n  events:\n    - {at: 1s, rollout: {}, scale: {replicas: 1}}\n",
			[]string{"spec.events[0]: set exactly one of"}},
		{"event after the end", head + "spec:\n  duration: 10s\n  clients: {requestsPerSecond: 1}\n  events:\n    - {at: 11s, rollout: {}}\n",
			[]string{"spec.events[0].at: 11s is outside the run"}},
		{"scale without replicas", head + "spec:\n  duration: 10s\n  clients: {requestsPerSecond: 1}\n  events:\n    - {at: 1s, scale: {}}\n",
			[]string{"spec.events[0].scale.replicas"}},
		{"drain without node", head + "spec:\n  duration: 10s\n  clients: {requestsPerSecond: 1}\n  events:\n    - {at: 1s, drainNode: {}}\n",
			[]string{"spec.events[0].drainNode.node"}},
		{"node names and count disagree", head + "spec:\n  duration: 10s\n  clients: {requestsPerSecond: 1}\n  nodes: {count: 3, names: [a]}\n",
			[]string{"spec.nodes.names: 1 names for count 3"}},
		{"too many nodes", head + "spec:\n  duration: 10s\n  clients: {requestsPerSecond: 1}\n  nodes: {count: 1000}\n",
			[]string{"spec.nodes.count: 1000 is not in 1..250"}},
		{"negative time", head + "spec:\n  duration: 10s\n  clients: {requestsPerSecond: 1}\n  app: {startupTime: -1s}\n",
			[]string{"spec.app.startupTime: -1s is negative"}},
		{"type error", head + "spec:\n  duration: 10s\n  clients: {requestsPerSecond: many}\n", []string{"spec.clients.requestsPerSecond"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseYAML(t, tc.doc)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{`"20s"`, 20 * time.Second, true}, {`20`, 20 * time.Second, true}, {`0.5`, 500 * time.Millisecond, true},
		{`"1m30s"`, 90 * time.Second, true}, {`"1.5"`, 1500 * time.Millisecond, true}, {`"x"`, 0, false}, {`true`, 0, false},
		{`1e300`, 0, false},
	}
	for _, tc := range tests {
		var d Duration
		err := d.UnmarshalJSON([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && d.Duration != tc.want) {
			t.Errorf("%s: %v %v, want %v ok=%v", tc.in, d.Duration, err, tc.want, tc.ok)
		}
	}
}
