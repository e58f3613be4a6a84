package check

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// rule is one pure check over a subject; it returns the findings whose fixes Run applies before the next
// rule looks.
type rule func(s *subject) []Finding

// placementRules depend on where the pods run: Run simulates the placement again after each fix.
var placementRules = []rule{singleNodeRule, unevenTrafficRule, maxUnavailableRule}

// singleNodeRule: one node runs every pod, so a drain, a node failure or an upgrade of that node takes
// the Service down.
func singleNodeRule(s *subject) []Finding {
	if s.place.servingNodes() != 1 {
		return nil
	}
	node := s.place.busiest()
	pods := s.place.perNode[node]
	base := Finding{Kind: KindSingleNode, DropsRequests: true, Object: s.workload}
	consequence := fmt.Sprintf("draining %s (or losing it) leaves no node in rotation until a new pod is Ready elsewhere and "+
		"the load balancer has probed its node up: requests fail with no healthy backend (a drain of the node in the simulation shows it)", node)
	if s.daemonSet || s.eligible < 2 {
		f := base
		f.Field, f.Current, f.Manual = "spec.template.spec (the nodes the pods may run on)", "1 node ("+node+")",
			true
		f.Suggested = "let the pods run on 2 or more nodes (node selector, affinity, tolerations), or add nodes"
		f.Why = fmt.Sprintf("the pods can only run on %s: %s", node, consequence)
		return []Finding{f}
	}
	if s.replicas == 1 {
		f := base
		f.Field, f.Current, f.Suggested = fieldReplicas, "1", "2"
		f.Why = fmt.Sprintf("one replica serves every request from %s: %s. Two replicas on different nodes keep one node "+
			"in rotation (add a PodDisruptionBudget with minAvailable: 1 so that drains take them one at a time)", node, consequence)
		return []Finding{f}
	}
	f := base
	f.Field, f.Current, f.Suggested = fieldHostnameSpread, spreadText(s.template), "1"
	f.Why = fmt.Sprintf("all %d pods run on %s: %s. A topology spread constraint over kubernetes.io/hostname "+
		"(maxSkew 1, ScheduleAnyway) puts them on different nodes", pods, node, consequence)
	return []Finding{f}
}

// unevenTrafficRule: with Local, the load balancer splits connections evenly between the nodes in
// rotation and each node uses only its own pods, so pods on a crowded node get less (seed 001: 2+1
// pods on two nodes give 25/25/50).
func unevenTrafficRule(s *subject) []Finding {
	if !s.local || s.daemonSet || s.place.servingNodes() < 2 {
		return nil
	}
	lo, hi := 0, 0
	counts := make([]int, 0, len(s.place.perNode))
	for _, name := range s.place.nodes {
		n := s.place.perNode[name]
		if n == 0 {
			continue
		}
		counts = append(counts, n)
		if lo == 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	if lo == hi {
		return nil
	}
	k := len(counts)
	split := splitText(counts)
	base := Finding{Kind: KindUnevenTraffic, Object: s.workload}
	eligible := max(s.eligible, k)
	r := int(s.replicas)
	if r > eligible && r%eligible != 0 {
		up := (r + eligible - 1) / eligible * eligible
		f := base
		f.Field, f.Current, f.Suggested = fieldReplicas, strconv.Itoa(r), strconv.Itoa(up)
		f.Why = fmt.Sprintf("with externalTrafficPolicy Local the load balancer splits new connections evenly between the %d nodes "+
			"with a pod and each node uses only its own pods: %d replicas on %d nodes (%s) give the pods %s of the requests. "+
			"A multiple of the %d nodes they may run on, spread evenly over them, gives each pod the same share: %d replicas (or %d)",
			k, r, k, joinInts(counts, "+"), split, eligible, up, up-eligible)
		return []Finding{f}
	}
	f := base
	f.Field, f.Current, f.Suggested = fieldHostnameSpread, spreadText(s.template), "1"
	f.Why = fmt.Sprintf("with externalTrafficPolicy Local the load balancer splits new connections evenly between the %d nodes "+
		"with a pod and each node uses only its own pods: the scheduler put %d pods as %s, which gives them %s of the requests. "+
		"A topology spread constraint over kubernetes.io/hostname (maxSkew 1) evens them out", k, r, joinInts(counts, "+"), split)
	return []Finding{f}
}

// maxUnavailableRule: a rollout that may take every pod (every node) out of rotation at once.
func maxUnavailableRule(s *subject) []Finding {
	base := Finding{Kind: KindMaxUnavailable, DropsRequests: true, Object: s.workload, Suggested: "25%"}
	if s.in.Workload.Deployment != nil {
		if s.recreate() {
			f := base
			f.Field, f.Current, f.Suggested = fieldStrategyType, string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)
			f.Why = "the Recreate strategy deletes every pod before it creates new ones: every node leaves rotation and requests fail " +
				"until new pods are Ready and probed up; RollingUpdate (maxSurge 25%, maxUnavailable 25% by default) replaces them a few at a time"
			return []Finding{f}
		}
		_, unavailable, _ := s.bounds()
		if s.replicas < 2 || unavailable < int(s.replicas) {
			return nil
		}
		f := base
		f.Field, f.Current = fieldDeployMaxUnavail, maxUnavailableText(s)
		f.Why = fmt.Sprintf("maxUnavailable lets the rollout delete all %d old pods at once: every node leaves rotation and requests "+
			"fail until new pods are Ready and probed up; 25%% keeps most pods serving", s.replicas)
		return []Finding{f}
	}
	surge, unavailable, rolling := s.bounds()
	k := s.place.servingNodes()
	if !rolling || surge > 0 || k < 2 || unavailable < k {
		return nil
	}
	f := base
	f.Field, f.Current = fieldDSMaxUnavail, maxUnavailableText(s)
	f.Why = fmt.Sprintf("maxUnavailable lets the rollout replace the pods of all %d nodes at once: every node leaves rotation and "+
		"requests fail until the new pods are Ready and probed up; 25%% (rounded up) replaces a quarter of the nodes at a time "+
		"(or set maxSurge: the new pod then starts before the old one stops and the node never leaves rotation)", k)
	return []Finding{f}
}

func maxUnavailableText(s *subject) string {
	var v *intstr.IntOrString
	def := "25% (default)"
	if d := s.in.Workload.Deployment; d != nil {
		if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
			v = ru.MaxUnavailable
		}
	} else {
		def = "1 (default)"
		if ru := s.in.Workload.DaemonSet.Spec.UpdateStrategy.RollingUpdate; ru != nil {
			v = ru.MaxUnavailable
		}
	}
	if v == nil {
		return def
	}
	return v.String()
}

// spreadText describes the template's hostname spread constraint.
func spreadText(t *v1.PodTemplateSpec) string {
	for _, c := range t.Spec.TopologySpreadConstraints {
		if c.TopologyKey == v1.LabelHostname {
			return fmt.Sprintf("%d (%s)", c.MaxSkew, c.WhenUnsatisfiable)
		}
	}
	return "none"
}

// splitText gives each pod's share for nodes with the given pod counts, e.g. "25%, 25%, 50%".
func splitText(counts []int) string {
	var shares []float64
	for _, c := range counts {
		for range c {
			shares = append(shares, 100/float64(len(counts))/float64(c))
		}
	}
	sort.Float64s(shares)
	parts := make([]string, len(shares))
	for i, v := range shares {
		parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
		if len(parts[i]) > 5 {
			parts[i] = strconv.FormatFloat(v, 'f', 1, 64)
		}
		parts[i] += "%"
	}
	if len(parts) > 6 {
		return parts[0] + " to " + parts[len(parts)-1]
	}
	return strings.Join(parts, ", ")
}

func joinInts(v []int, sep string) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, sep)
}
