package sim

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/plan"
	"github.com/azlb/azlb/pkg/sim/scenario"
)

// Input is what a simulation runs on: the manifests' objects, checked and completed.
type Input struct {
	Scenario *scenario.Scenario
	Service  *v1.Service // prepared as the API server would (node ports, healthCheckNodePort, UID)
	Workload Workload
	PDBs     []*policyv1.PodDisruptionBudget // those selecting the workload's pods
	Nodes    []*v1.Node                      // from the manifests, or made from spec.nodes
}

// Workload is the Deployment or DaemonSet behind the Service.
type Workload struct {
	Deployment *appsv1.Deployment
	DaemonSet  *appsv1.DaemonSet
}

// Kind is "Deployment" or "DaemonSet".
func (w Workload) Kind() string {
	if w.DaemonSet != nil {
		return "DaemonSet"
	}
	return "Deployment"
}

// Meta is the workload's object metadata.
func (w Workload) Meta() *metav1.ObjectMeta {
	if w.DaemonSet != nil {
		return &w.DaemonSet.ObjectMeta
	}
	return &w.Deployment.ObjectMeta
}

// Template is the workload's pod template.
func (w Workload) Template() *v1.PodTemplateSpec {
	if w.DaemonSet != nil {
		return &w.DaemonSet.Spec.Template
	}
	return &w.Deployment.Spec.Template
}

// MinReadySeconds is the workload's spec.minReadySeconds.
func (w Workload) MinReadySeconds() time.Duration {
	if w.DaemonSet != nil {
		return time.Duration(w.DaemonSet.Spec.MinReadySeconds) * time.Second
	}
	return time.Duration(w.Deployment.Spec.MinReadySeconds) * time.Second
}

// NewInput picks the Scenario, the LoadBalancer Service, its workload and budgets from the manifests
// and checks that they fit together; each problem names the object and field and what to change.
func NewInput(set *manifest.Set) (*Input, error) {
	docs := set.Other[scenario.Kind]
	switch len(docs) {
	case 0:
		return nil, errors.New("no Scenario: add one document `apiVersion: " + scenario.APIVersion + "`, `kind: Scenario` (see docs/simulation.md)")
	case 1:
	default:
		return nil, fmt.Errorf("%d Scenario documents: simulate one at a time", len(docs))
	}
	sc, err := scenario.Parse(docs[0])
	if err != nil {
		return nil, err
	}
	in := &Input{Scenario: sc}
	var lbServices []*v1.Service
	for _, svc := range set.Services {
		if svc.Spec.Type == v1.ServiceTypeLoadBalancer {
			lbServices = append(lbServices, svc)
		}
	}
	switch len(lbServices) {
	case 0:
		return nil, errors.New("no Service of type LoadBalancer in the manifests: the simulation needs one")
	case 1:
	default:
		return nil, fmt.Errorf("%d Services of type LoadBalancer: simulate one at a time", len(lbServices))
	}
	in.Service = plan.PrepareServices(lbServices)[0]
	svc := in.Service
	key := svc.Namespace + "/" + svc.Name
	if len(svc.Spec.Selector) == 0 {
		return nil, fmt.Errorf("the Service %s has no spec.selector: the simulation needs the pods it selects", key)
	}
	if firstTCPPort(svc) == nil {
		return nil, fmt.Errorf("the Service %s has no TCP port: the simulated clients speak HTTP over TCP", key)
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var candidates []Workload
	for _, d := range set.Deployments {
		if d.Namespace == svc.Namespace && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			candidates = append(candidates, Workload{Deployment: d})
		}
	}
	for _, ds := range set.DaemonSets {
		if ds.Namespace == svc.Namespace && sel.Matches(labels.Set(ds.Spec.Template.Labels)) {
			candidates = append(candidates, Workload{DaemonSet: ds})
		}
	}
	switch len(candidates) {
	case 0:
		return nil, fmt.Errorf("no Deployment or DaemonSet in namespace %s has pod template labels matching Service %s's selector %s",
			svc.Namespace, key, sel)
	case 1:
	default:
		return nil, fmt.Errorf("%d workloads match Service %s's selector: keep one Deployment or DaemonSet", len(candidates), key)
	}
	in.Workload = candidates[0]
	if err := checkWorkload(in.Workload); err != nil {
		return nil, err
	}
	podLabels := labels.Set(in.Workload.Template().Labels)
	for _, pdb := range set.PDBs {
		if pdb.Namespace != svc.Namespace || pdb.Spec.Selector == nil {
			continue
		}
		s, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			return nil, fmt.Errorf("PodDisruptionBudget %s/%s spec.selector: %w", pdb.Namespace, pdb.Name, err)
		}
		if s.Matches(podLabels) {
			in.PDBs = append(in.PDBs, pdb)
		}
	}
	nodes, err := inputNodes(set.Nodes, sc)
	if err != nil {
		return nil, err
	}
	in.Nodes = nodes
	if err := checkEventTargets(in); err != nil {
		return nil, err
	}
	return in, nil
}

func firstTCPPort(svc *v1.Service) *v1.ServicePort {
	for i := range svc.Spec.Ports {
		if p := &svc.Spec.Ports[i]; p.Protocol == "" || p.Protocol == v1.ProtocolTCP {
			return p
		}
	}
	return nil
}

func checkWorkload(w Workload) error {
	m := w.Meta()
	what := fmt.Sprintf("%s %s/%s", w.Kind(), m.Namespace, m.Name)
	if len(w.Template().Spec.Containers) == 0 {
		return fmt.Errorf("%s has no containers", what)
	}
	if g := w.Template().Spec.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		return fmt.Errorf("%s spec.template.spec.terminationGracePeriodSeconds is negative", what)
	}
	if w.Deployment != nil {
		if r := w.Deployment.Spec.Replicas; r != nil && *r < 0 {
			return fmt.Errorf("%s spec.replicas is negative", what)
		}
		if w.Deployment.Spec.Paused {
			return fmt.Errorf("%s is paused: a paused Deployment does not roll out; set spec.paused: false", what)
		}
	}
	return nil
}

// inputNodes are the manifests' Nodes, or nodes made from spec.nodes (names, zones).
func inputNodes(manifestNodes []*v1.Node, sc *scenario.Scenario) ([]*v1.Node, error) {
	if len(manifestNodes) > 0 {
		if len(manifestNodes) > scenario.MaxNodes {
			return nil, fmt.Errorf("%d Nodes in the manifests, more than the %d the simulator accepts", len(manifestNodes), scenario.MaxNodes)
		}
		out := make([]*v1.Node, len(manifestNodes))
		seen := map[string]bool{}
		for i, n := range manifestNodes {
			c := n.DeepCopy()
			if seen[c.Name] {
				return nil, fmt.Errorf("the Node %s appears twice in the manifests", c.Name)
			}
			seen[c.Name] = true
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			if _, ok := c.Labels[v1.LabelHostname]; !ok {
				c.Labels[v1.LabelHostname] = c.Name
			}
			if nodeIPv4(c) == "" {
				c.Status.Addresses = append(c.Status.Addresses, v1.NodeAddress{Type: v1.NodeInternalIP, Address: nodeAddress(i)})
			}
			out[i] = c
		}
		return out, nil
	}
	n := sc.Spec.Nodes
	nodes := plan.MakeNodes(n.Count)
	for i, node := range nodes {
		if i < len(n.Names) {
			node.Name = n.Names[i]
			node.Labels[v1.LabelHostname] = node.Name
		}
		if len(n.Zones) > 0 {
			node.Labels[v1.LabelTopologyZone] = n.Zones[i%len(n.Zones)]
		}
	}
	return nodes, nil
}

// nodeAddress is the InternalIP of the i-th node: plan.MakeNodes' plan (10.224.0.4 and up).
func nodeAddress(i int) string { return fmt.Sprintf("10.224.%d.%d", (4+i)/256, (4+i)%256) }

func nodeIPv4(n *v1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == v1.NodeInternalIP && !strings.Contains(a.Address, ":") {
			return a.Address
		}
	}
	return ""
}

// checkEventTargets checks that the events name nodes that exist by then and fit the workload.
func checkEventTargets(in *Input) error {
	names := map[string]bool{}
	for _, n := range in.Nodes {
		names[n.Name] = true
	}
	evs := in.Scenario.Spec.Events
	order := make([]int, len(evs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return evs[order[a]].At.Duration < evs[order[b]].At.Duration })
	var problems []string
	next := len(in.Nodes)
	for _, i := range order {
		ev := evs[i]
		p := "spec.events[" + strconv.Itoa(i) + "]"
		known := func(field, node string) {
			if node != "" && !names[node] {
				problems = append(problems, fmt.Sprintf("%s.%s: no node %q at %s (nodes: %s)", p, field, node, ev.At, strings.Join(sortedKeys(names), ", ")))
			}
		}
		switch {
		case ev.DrainNode != nil:
			known("drainNode.node", ev.DrainNode.Node)
		case ev.DeletePod != nil:
			known("deletePod.node", ev.DeletePod.Node)
		case ev.RemoveNode != nil:
			known("removeNode.node", ev.RemoveNode.Node)
		case ev.Scale != nil && in.Workload.DaemonSet != nil:
			problems = append(problems, fmt.Sprintf("%s.scale: the workload is a DaemonSet, which has no replicas to scale", p))
		case ev.AddNode != nil:
			name := ev.AddNode.Name
			if name == "" {
				for names[fmt.Sprintf("node-%d", next)] {
					next++
				}
				name = fmt.Sprintf("node-%d", next)
			}
			if names[name] {
				problems = append(problems, fmt.Sprintf("%s.addNode.name: node %q already exists", p, name))
			}
			names[name] = true
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("scenario events:\n  - %s", strings.Join(problems, "\n  - "))
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// graceSeconds is the pod's terminationGracePeriodSeconds (default 30, SEMANTICS.md 3).
func graceSeconds(spec *v1.PodSpec) time.Duration {
	if g := spec.TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return 30 * time.Second
}

// servingContainer is the container that serves the Service's target port (by number or name), else
// the first one.
func servingContainer(spec *v1.PodSpec, target intstr.IntOrString) *v1.Container {
	for i := range spec.Containers {
		c := &spec.Containers[i]
		for _, p := range c.Ports {
			if (target.Type == intstr.Int && p.ContainerPort == target.IntVal && target.IntVal != 0) ||
				(target.Type == intstr.String && p.Name == target.StrVal && target.StrVal != "") {
				return c
			}
		}
	}
	return &spec.Containers[0]
}

// preStopDuration is how long the container's preStop hook runs: sleep.seconds, an exec of
// `sleep N` (directly or through a shell), an httpGet taking httpGetTime; other hooks take no time.
func preStopDuration(c *v1.Container, httpGetTime time.Duration) (time.Duration, string) {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return 0, "none"
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		return time.Duration(h.Sleep.Seconds) * time.Second, fmt.Sprintf("sleep %ds", h.Sleep.Seconds)
	case h.Exec != nil:
		if d, ok := sleepCommand(h.Exec.Command); ok {
			return d, fmt.Sprintf("exec sleep %s", d)
		}
		return 0, "exec (not a sleep: taken as instantaneous)"
	case h.HTTPGet != nil:
		return httpGetTime, fmt.Sprintf("httpGet %s (spec.app.preStopHTTPGetDuration)", httpGetTime)
	}
	return 0, "none"
}

// sleepCommand recognises ["sleep", "N"], ["/bin/sleep", "N"] and ["sh", "-c", "sleep N"].
func sleepCommand(cmd []string) (time.Duration, bool) {
	if len(cmd) >= 3 && (strings.HasSuffix(cmd[0], "sh")) && cmd[1] == "-c" {
		return sleepCommand(strings.Fields(cmd[2]))
	}
	if len(cmd) == 2 && (cmd[0] == "sleep" || strings.HasSuffix(cmd[0], "/sleep")) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(cmd[1], "s"), 64)
		if err == nil && v >= 0 && v < 1e6 {
			return time.Duration(v * float64(time.Second)), true
		}
	}
	return 0, false
}
