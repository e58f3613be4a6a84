package scenario

import (
	"testing"

	"sigs.k8s.io/yaml"
)

// FuzzParse: any input either parses into a scenario that passes its own validation with every
// default filled in, or is refused with an error; it never panics.
func FuzzParse(f *testing.F) {
	seeds := []string{
		head + "spec:\n  duration: 2m\n  clients:\n    requestsPerSecond: 50\n",
		head + "spec:\n  duration: 300\n  seed: 42\n  nodes: {names: [a, b], zones: [\"1\"]}\n  clients: {requestsPerSecond: 100, keepAlive: true, arrival: poisson}\n  app: {onSigterm: {serveFor: 20s, gracefulClose: true}}\n  events:\n    - {at: 10s, rollout: {times: 3}}\n    - {at: 20s, drainNode: {node: a}}\n",
		head + "spec:\n  duration: -5s\n  events: [{at: 1s}]\n",
		head + "spec:\n  clients: {requestsPerSecond: 1, keepalive: true}\n",
		`{"apiVersion":"lbctl.azlb.io/v1alpha1","kind":"Scenario","spec":{"duration":"1h","clients":{"requestsPerSecond":1e9}}}`,
		`[]`, `{"spec": {"events": [null]}}`,
	}
	for _, s := range seeds {
		data, err := yaml.YAMLToJSON([]byte(s))
		if err != nil {
			data = []byte(s)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		if errs := s.Validate(); len(errs) > 0 {
			t.Fatalf("parsed scenario fails validation: %v", errs)
		}
		sp := s.Spec
		if sp.Seed == nil || sp.Nodes == nil || sp.Clients.Timeout == nil || sp.App.ContainerStartDelay == nil ||
			sp.App.ResponseTime == nil || sp.KubeProxy.MinSyncPeriod == nil || sp.LoadBalancer.UpdateDelay == nil {
			t.Fatalf("defaults missing: %+v", sp)
		}
		for _, ev := range sp.Events {
			if ev.Action() == "" {
				t.Fatalf("event without exactly one action: %+v", ev)
			}
		}
	})
}
