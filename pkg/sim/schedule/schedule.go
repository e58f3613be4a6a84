// Package schedule places pods on nodes as kube-scheduler's default profile does, as far as the
// placement of one workload's pods is concerned: node selectors and required node affinity, taints and
// cordoned nodes, topology spread constraints (maxSkew, DoNotSchedule and ScheduleAnyway, any
// topologyKey such as kubernetes.io/hostname or topology.kubernetes.io/zone, matchLabelKeys,
// minDomains, nodeTaintsPolicy), required and preferred pod anti-affinity, and otherwise spreading pods
// over nodes (the default system spread constraints and least-allocated scoring). It is pure: the
// caller passes the cluster and a tie-break.
//
// Simplifications, documented in docs/simulation.md: resources are not modelled (every node has room);
// filters and scores are applied to this workload's pods only; scores are compared in a fixed order
// (spread constraints, then anti-affinity, then spreading) instead of kube-scheduler's weighted sum;
// pod affinity (as opposed to anti-affinity) and the symmetric check of other pods' anti-affinity are
// not modelled.
package schedule

import (
	"fmt"
	"sort"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// Well-known labels and taints.
const (
	LabelHostname       = "kubernetes.io/hostname"
	LabelZone           = "topology.kubernetes.io/zone"
	TaintUnschedulable  = "node.kubernetes.io/unschedulable"
	defaultHostnameSkew = 3 // kube-scheduler's system default constraints
	defaultZoneSkew     = 5
)

// Node is a node as the scheduler sees it.
type Node struct {
	Name          string
	Labels        map[string]string
	Unschedulable bool
	Taints        []v1.Taint
}

// Pod is a pod already in the cluster.
type Pod struct {
	Namespace   string
	Labels      map[string]string
	Node        string // "" when pending
	Terminating bool
}

// Request is a pod to place.
type Request struct {
	Namespace string
	Labels    map[string]string
	Spec      *v1.PodSpec
	// DaemonSet pods tolerate unschedulable nodes (the DaemonSet controller adds the toleration).
	DaemonSet bool
}

// Fits reports whether the pod may run on the node at all: node selector, required node affinity and
// taints (what the DaemonSet controller checks before it creates a pod for a node).
func Fits(req Request, n Node) bool {
	p, err := newPlacer(req, []Node{n}, nil)
	return err == nil && p.nodeEligible(&n) && p.taintsTolerated(&n)
}

// Place returns the node for the pod, or an error saying why no node fits (the pod stays Pending).
// tieBreak orders nodes whose scores are equal (kube-scheduler picks one of them at random).
func Place(req Request, nodes []Node, pods []Pod, tieBreak func(node string) uint64) (string, error) {
	p, err := newPlacer(req, nodes, pods)
	if err != nil {
		return "", err
	}
	type cand struct {
		node  string
		score []int64
		tie   uint64
	}
	var cands []cand
	reasons := map[string]int{}
	for _, n := range p.nodes {
		if why := p.filter(n); why != "" {
			reasons[why]++
			continue
		}
		cands = append(cands, cand{node: n.Name, score: p.score(n), tie: tieBreak(n.Name)})
	}
	if len(cands) == 0 {
		return "", unschedulable(len(nodes), reasons)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		for k := range cands[i].score {
			if cands[i].score[k] != cands[j].score[k] {
				return cands[i].score[k] < cands[j].score[k]
			}
		}
		if cands[i].tie != cands[j].tie {
			return cands[i].tie < cands[j].tie
		}
		return cands[i].node < cands[j].node
	})
	return cands[0].node, nil
}

func unschedulable(total int, reasons map[string]int) error {
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msg := fmt.Sprintf("0/%d nodes are available:", total)
	for i, k := range keys {
		if i > 0 {
			msg += ","
		}
		msg += fmt.Sprintf(" %d %s", reasons[k], k)
	}
	return fmt.Errorf("%s", msg)
}

type constraint struct {
	counts      map[string]int32 // matching pods per domain, computed once per placement
	minMatch    int32
	maxSkew     int32
	key         string
	selector    labels.Selector
	hard        bool
	minDomains  int32
	honorTaints bool
	honorAff    bool
}

type antiTerm struct {
	key      string
	selector labels.Selector
	nsSet    map[string]bool
	weight   int32 // 0 for required terms
}

type placer struct {
	req         Request
	nodes       []Node
	pods        []Pod
	nodeByName  map[string]*Node
	affinity    *nodeaffinity.NodeSelector
	constraints []constraint
	required    []antiTerm
	preferred   []antiTerm
	self        labels.Set
}

func newPlacer(req Request, nodes []Node, pods []Pod) (*placer, error) {
	p := &placer{req: req, nodes: nodes, pods: pods, nodeByName: map[string]*Node{}, self: labels.Set(req.Labels)}
	for i := range nodes {
		p.nodeByName[nodes[i].Name] = &nodes[i]
	}
	spec := req.Spec
	if a := spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		sel, err := nodeaffinity.NewNodeSelector(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
		if err != nil {
			return nil, fmt.Errorf("spec.affinity.nodeAffinity: %w", err)
		}
		p.affinity = sel
	}
	for i, c := range spec.TopologySpreadConstraints {
		sel, err := spreadSelector(c, req.Labels)
		if err != nil {
			return nil, fmt.Errorf("spec.topologySpreadConstraints[%d]: %w", i, err)
		}
		k := constraint{maxSkew: c.MaxSkew, key: c.TopologyKey, selector: sel, hard: c.WhenUnsatisfiable == v1.DoNotSchedule,
			honorTaints: c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == v1.NodeInclusionPolicyHonor,
			honorAff:    c.NodeAffinityPolicy == nil || *c.NodeAffinityPolicy == v1.NodeInclusionPolicyHonor}
		if c.MinDomains != nil {
			k.minDomains = *c.MinDomains
		}
		p.constraints = append(p.constraints, k)
	}
	if len(spec.TopologySpreadConstraints) == 0 {
		// kube-scheduler's system default constraints, built from the pod's own labels (the Service,
		// ReplicaSet or DaemonSet that selects it).
		sel := labels.SelectorFromSet(labels.Set(req.Labels))
		p.constraints = append(p.constraints,
			constraint{maxSkew: defaultHostnameSkew, key: LabelHostname, selector: sel, honorAff: true},
			constraint{maxSkew: defaultZoneSkew, key: LabelZone, selector: sel, honorAff: true})
	}
	if a := spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		for i, t := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
			at, err := newAntiTerm(t, req.Namespace, 0)
			if err != nil {
				return nil, fmt.Errorf("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[%d]: %w", i, err)
			}
			p.required = append(p.required, at)
		}
		for i, w := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			at, err := newAntiTerm(w.PodAffinityTerm, req.Namespace, w.Weight)
			if err != nil {
				return nil, fmt.Errorf("spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[%d]: %w", i, err)
			}
			p.preferred = append(p.preferred, at)
		}
	}
	return p, nil
}

// spreadSelector is the constraint's selector plus matchLabelKeys taken from the incoming pod.
func spreadSelector(c v1.TopologySpreadConstraint, podLabels map[string]string) (labels.Selector, error) {
	ls := c.LabelSelector
	if ls == nil {
		ls = &metav1.LabelSelector{}
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil, err
	}
	for _, k := range c.MatchLabelKeys {
		if v, ok := podLabels[k]; ok {
			r, err := labels.NewRequirement(k, "=", []string{v})
			if err != nil {
				return nil, err
			}
			sel = sel.Add(*r)
		}
	}
	if c.LabelSelector == nil {
		return labels.Nothing(), nil
	}
	return sel, nil
}

func newAntiTerm(t v1.PodAffinityTerm, ns string, weight int32) (antiTerm, error) {
	sel := labels.Nothing()
	if t.LabelSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(t.LabelSelector)
		if err != nil {
			return antiTerm{}, err
		}
		sel = s
	}
	nsSet := map[string]bool{}
	for _, n := range t.Namespaces {
		nsSet[n] = true
	}
	if len(nsSet) == 0 && t.NamespaceSelector == nil {
		nsSet[ns] = true
	}
	if t.NamespaceSelector != nil {
		nsSet = nil // any namespace (the simulated cluster has one workload)
	}
	return antiTerm{key: t.TopologyKey, selector: sel, nsSet: nsSet, weight: weight}, nil
}

func (t antiTerm) matches(p Pod) bool {
	return (t.nsSet == nil || t.nsSet[p.Namespace]) && t.selector.Matches(labels.Set(p.Labels))
}

// nodeEligible: node selector and required node affinity.
func (p *placer) nodeEligible(n *Node) bool {
	for k, v := range p.req.Spec.NodeSelector {
		if n.Labels[k] != v {
			return false
		}
	}
	if p.affinity != nil && !p.affinity.Match(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels}}) {
		return false
	}
	return true
}

func (p *placer) taintsTolerated(n *Node) bool {
	taints := append([]v1.Taint(nil), n.Taints...)
	if n.Unschedulable {
		taints = append(taints, v1.Taint{Key: TaintUnschedulable, Effect: v1.TaintEffectNoSchedule})
	}
	tolerations := p.req.Spec.Tolerations
	if p.req.DaemonSet {
		tolerations = append(append([]v1.Toleration(nil), tolerations...),
			v1.Toleration{Key: TaintUnschedulable, Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule})
	}
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), taints, tolerations, func(t *v1.Taint) bool {
		return t.Effect == v1.TaintEffectNoSchedule || t.Effect == v1.TaintEffectNoExecute
	}, false)
	return !untolerated
}

func (p *placer) filter(n Node) string {
	switch {
	case !p.nodeEligible(&n):
		return "node(s) didn't match Pod's node affinity/selector"
	case !p.taintsTolerated(&n):
		if n.Unschedulable {
			return "node(s) were unschedulable"
		}
		return "node(s) had untolerated taint(s)"
	}
	for _, t := range p.required {
		val, ok := n.Labels[t.key]
		if !ok {
			continue
		}
		for _, q := range p.pods {
			if q.Node == "" || !t.matches(q) {
				continue
			}
			if qn := p.nodeByName[q.Node]; qn != nil && qn.Labels[t.key] == val {
				return "node(s) didn't match pod anti-affinity rules"
			}
		}
	}
	for i := range p.constraints {
		c := &p.constraints[i]
		if !c.hard {
			continue
		}
		if _, ok := n.Labels[c.key]; !ok {
			return "node(s) didn't match pod topology spread constraints (missing required label)"
		}
		counts, minMatch := p.domainCounts(c)
		self := int32(0)
		if c.selector.Matches(p.self) {
			self = 1
		}
		if counts[n.Labels[c.key]]+self-minMatch > c.maxSkew {
			return "node(s) didn't match pod topology spread constraints"
		}
	}
	return ""
}

// domainCounts counts the matching, non-terminating pods per topology domain over the nodes the
// constraint considers, and the minimum (0 when fewer domains than minDomains). The counts do not
// depend on the candidate node, so they are computed once.
func (p *placer) domainCounts(c *constraint) (map[string]int32, int32) {
	if c.counts != nil {
		return c.counts, c.minMatch
	}
	counts := map[string]int32{}
	for i := range p.nodes {
		n := &p.nodes[i]
		v, ok := n.Labels[c.key]
		if !ok || (c.honorAff && !p.nodeEligible(n)) || (c.honorTaints && !p.taintsTolerated(n)) {
			continue
		}
		if _, seen := counts[v]; !seen {
			counts[v] = 0
		}
	}
	for _, q := range p.pods {
		if q.Node == "" || q.Terminating || q.Namespace != p.req.Namespace || !c.selector.Matches(labels.Set(q.Labels)) {
			continue
		}
		n := p.nodeByName[q.Node]
		if n == nil {
			continue
		}
		if v, ok := n.Labels[c.key]; ok {
			if _, counted := counts[v]; counted {
				counts[v]++
			}
		}
	}
	minMatch := int32(-1)
	for _, v := range counts {
		if minMatch < 0 || v < minMatch {
			minMatch = v
		}
	}
	if minMatch < 0 || int32(len(counts)) < c.minDomains {
		minMatch = 0
	}
	c.counts, c.minMatch = counts, minMatch
	return counts, minMatch
}

// score is lower-is-better, compared in order: soft spread constraints (skew after placing),
// preferred anti-affinity (weighted matching pods in the domain), pods on the node that are not
// terminating, all pods on the node (least allocated: every pod is taken to request the same).
func (p *placer) score(n Node) []int64 {
	var spread, anti, workload, total int64
	for i := range p.constraints {
		c := &p.constraints[i]
		if c.hard {
			continue
		}
		if v, ok := n.Labels[c.key]; ok {
			counts, _ := p.domainCounts(c)
			spread += int64(counts[v])
		}
	}
	for _, t := range p.preferred {
		val, ok := n.Labels[t.key]
		if !ok {
			continue
		}
		for _, q := range p.pods {
			if q.Node == "" || !t.matches(q) {
				continue
			}
			if qn := p.nodeByName[q.Node]; qn != nil && qn.Labels[t.key] == val {
				anti += int64(t.weight)
			}
		}
	}
	for _, q := range p.pods {
		if q.Node != n.Name {
			continue
		}
		total++
		if !q.Terminating {
			workload++
		}
	}
	return []int64{spread, anti, workload, total}
}
