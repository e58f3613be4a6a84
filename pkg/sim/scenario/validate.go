package scenario

import (
	"fmt"
	"strings"
	"time"

	"github.com/azlb/azlb/pkg/probes"
)

// Limits of what the simulator accepts.
const (
	MaxNodes             = 250
	MaxClients           = 100000
	MaxRequestsPerSecond = 100000
	MaxDuration          = 24 * time.Hour
	MaxRolloutTimes      = 100
)

// Validate reports every problem, each as "field.path: what is wrong; what to change".
func (s *Scenario) Validate() []string {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if s.APIVersion != APIVersion {
		add("apiVersion: %q is not supported; use %s", s.APIVersion, APIVersion)
	}
	if s.Kind != Kind {
		add("kind: %q; want %s", s.Kind, Kind)
	}
	sp := &s.Spec
	switch {
	case sp.Duration.Duration <= 0:
		add("spec.duration: must be set to how long clients send requests, e.g. \"120s\"")
	case sp.Duration.Duration > MaxDuration:
		add("spec.duration: %s is longer than the %s the simulator accepts", sp.Duration, MaxDuration)
	}
	if n := sp.Nodes; n != nil {
		switch {
		case n.Count < 0 || n.Count > MaxNodes:
			add("spec.nodes.count: %d is not in 1..%d", n.Count, MaxNodes)
		case n.Count == 0 && len(n.Names) == 0:
			add("spec.nodes.count: must be at least 1 (or list spec.nodes.names)")
		case len(n.Names) > 0 && n.Count != 0 && n.Count != len(n.Names):
			add("spec.nodes.names: %d names for count %d; give one name per node or drop count", len(n.Names), n.Count)
		case len(n.Names) > MaxNodes:
			add("spec.nodes.names: %d nodes, more than %d", len(n.Names), MaxNodes)
		}
		seen := map[string]bool{}
		for i, name := range n.Names {
			if !validName(name) {
				add("spec.nodes.names[%d]: %q is not a valid node name (lower-case letters, digits, '-' and '.')", i, name)
			}
			if seen[name] {
				add("spec.nodes.names[%d]: %q appears twice", i, name)
			}
			seen[name] = true
		}
		for i, z := range n.Zones {
			if strings.TrimSpace(z) == "" {
				add("spec.nodes.zones[%d]: empty zone", i)
			}
		}
	}
	c := &sp.Clients
	switch {
	case c.RequestsPerSecond <= 0:
		add("spec.clients.requestsPerSecond: must be set above 0, e.g. 100")
	case c.RequestsPerSecond > MaxRequestsPerSecond:
		add("spec.clients.requestsPerSecond: %g is above the %d the simulator accepts", c.RequestsPerSecond, MaxRequestsPerSecond)
	}
	if c.Count < 0 || c.Count > MaxClients {
		add("spec.clients.count: %d is not in 1..%d", c.Count, MaxClients)
	}
	if c.Timeout != nil && c.Timeout.Duration <= 0 {
		add("spec.clients.timeout: must be above 0 (default 5s)")
	}
	if c.Arrival != "" && c.Arrival != ArrivalUniform && c.Arrival != ArrivalPoisson {
		add("spec.clients.arrival: %q; use %s (default) or %s", c.Arrival, ArrivalUniform, ArrivalPoisson)
	}
	a := &sp.App
	nonNegative(&errs, "spec.app.startupTime", a.StartupTime)
	nonNegative(&errs, "spec.app.preStopHTTPGetDuration", a.PreStopHTTPGetDuration)
	if a.ContainerStartDelay != nil {
		nonNegative(&errs, "spec.app.containerStartDelay", *a.ContainerStartDelay)
	}
	if a.ResponseTime != nil {
		nonNegative(&errs, "spec.app.responseTime", *a.ResponseTime)
	}
	nonNegative(&errs, "spec.app.onSigterm.serveFor", a.OnSigterm.ServeFor)
	if a.OnSigterm.ExitImmediately && a.OnSigterm.ServeFor.Duration > 0 {
		add("spec.app.onSigterm: exitImmediately and serveFor exclude each other; keep one")
	}
	if p := sp.KubeProxy.MinSyncPeriod; p != nil {
		nonNegative(&errs, "spec.kubeProxy.minSyncPeriod", *p)
	}
	if _, err := probes.ParseSemantics(sp.LoadBalancer.ProbeSemantics); err != nil {
		add("spec.loadBalancer.probeSemantics: %v", err)
	}
	if d := sp.LoadBalancer.UpdateDelay; d != nil {
		nonNegative(&errs, "spec.loadBalancer.updateDelay", *d)
	}
	for i, ev := range sp.Events {
		p := fmt.Sprintf("spec.events[%d]", i)
		if ev.At.Duration < 0 || (sp.Duration.Duration > 0 && ev.At.Duration > sp.Duration.Duration) {
			add("%s.at: %s is outside the run (0 to spec.duration %s)", p, ev.At, sp.Duration)
		}
		actions := ev.actions()
		if len(actions) != 1 {
			add("%s: set exactly one of rollout, drainNode, scale, deletePod, addNode, removeNode (found %d)", p, len(actions))
			continue
		}
		switch {
		case ev.Rollout != nil:
			if ev.Rollout.Times < 0 || ev.Rollout.Times > MaxRolloutTimes {
				add("%s.rollout.times: %d is not in 1..%d", p, ev.Rollout.Times, MaxRolloutTimes)
			}
		case ev.DrainNode != nil:
			if ev.DrainNode.Node == "" {
				add("%s.drainNode.node: name the node to drain", p)
			}
		case ev.Scale != nil:
			if ev.Scale.Replicas == nil || *ev.Scale.Replicas < 0 {
				add("%s.scale.replicas: set the new replica count (0 or more)", p)
			}
		case ev.AddNode != nil:
			if ev.AddNode.Name != "" && !validName(ev.AddNode.Name) {
				add("%s.addNode.name: %q is not a valid node name", p, ev.AddNode.Name)
			}
		case ev.RemoveNode != nil:
			if ev.RemoveNode.Node == "" {
				add("%s.removeNode.node: name the node to remove", p)
			}
		}
	}
	return errs
}

func (ev Event) actions() []string {
	var out []string
	if ev.Rollout != nil {
		out = append(out, "rollout")
	}
	if ev.DrainNode != nil {
		out = append(out, "drainNode")
	}
	if ev.Scale != nil {
		out = append(out, "scale")
	}
	if ev.DeletePod != nil {
		out = append(out, "deletePod")
	}
	if ev.AddNode != nil {
		out = append(out, "addNode")
	}
	if ev.RemoveNode != nil {
		out = append(out, "removeNode")
	}
	return out
}

// Action names the event's action ("rollout", "drainNode", ...).
func (ev Event) Action() string {
	if a := ev.actions(); len(a) == 1 {
		return a[0]
	}
	return ""
}

func nonNegative(errs *[]string, path string, d Duration) {
	if d.Duration < 0 {
		*errs = append(*errs, fmt.Sprintf("%s: %s is negative", path, d))
	}
}

func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// Default fills in every default; Parse calls it after Validate.
func (s *Scenario) Default() {
	sp := &s.Spec
	if sp.Seed == nil {
		v := int64(DefaultSeed)
		sp.Seed = &v
	}
	if sp.Nodes == nil {
		sp.Nodes = &Nodes{Count: DefaultNodes}
	}
	if sp.Nodes.Count == 0 {
		sp.Nodes.Count = len(sp.Nodes.Names)
	}
	if sp.Clients.Count == 0 {
		sp.Clients.Count = DefaultClients
	}
	if sp.Clients.Timeout == nil {
		sp.Clients.Timeout = &Duration{DefaultClientTimeout}
	}
	if sp.Clients.Arrival == "" {
		sp.Clients.Arrival = ArrivalUniform
	}
	if sp.App.ContainerStartDelay == nil {
		sp.App.ContainerStartDelay = &Duration{DefaultContainerStartDelay}
	}
	if sp.App.ResponseTime == nil {
		sp.App.ResponseTime = &Duration{DefaultResponseTime}
	}
	if sp.App.OnSigterm.ServeFor.Duration == 0 {
		sp.App.OnSigterm.ExitImmediately = true
	}
	if sp.KubeProxy.MinSyncPeriod == nil {
		sp.KubeProxy.MinSyncPeriod = &Duration{DefaultMinSyncPeriod}
	}
	sem, _ := probes.ParseSemantics(sp.LoadBalancer.ProbeSemantics)
	sp.LoadBalancer.ProbeSemantics = string(sem)
	if sp.LoadBalancer.UpdateDelay == nil {
		sp.LoadBalancer.UpdateDelay = &Duration{DefaultUpdateDelay}
	}
	for i := range sp.Events {
		if r := sp.Events[i].Rollout; r != nil && r.Times == 0 {
			r.Times = 1
		}
	}
}
