package schedule

import (
	"fmt"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var app = map[string]string{"app": "web"}

func nodes(n int, zones ...string) []Node {
	out := make([]Node, n)
	for i := range out {
		name := fmt.Sprintf("node-%d", i)
		out[i] = Node{Name: name, Labels: map[string]string{LabelHostname: name}}
		if len(zones) > 0 {
			out[i].Labels[LabelZone] = zones[i%len(zones)]
		}
	}
	return out
}

func spread(key string, skew int32, when v1.UnsatisfiableConstraintAction) v1.TopologySpreadConstraint {
	return v1.TopologySpreadConstraint{MaxSkew: skew, TopologyKey: key, WhenUnsatisfiable: when,
		LabelSelector: &metav1.LabelSelector{MatchLabels: app}}
}

func antiAffinity(key string) *v1.Affinity {
	return &v1.Affinity{PodAntiAffinity: &v1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []v1.PodAffinityTerm{
		{TopologyKey: key, LabelSelector: &metav1.LabelSelector{MatchLabels: app}}}}}
}

func byName(s string) uint64 { return 0 }

// placeAll places n pods one after another and returns the pods per node ("" counts pending ones).
func placeAll(t *testing.T, spec v1.PodSpec, ns []Node, existing []Pod, n int) map[string]int {
	t.Helper()
	pods := append([]Pod(nil), existing...)
	out := map[string]int{}
	for range n {
		node, err := Place(Request{Namespace: "default", Labels: app, Spec: &spec}, ns, pods, byName)
		if err != nil {
			out[""]++
			continue
		}
		out[node]++
		pods = append(pods, Pod{Namespace: "default", Labels: app, Node: node})
	}
	return out
}

func TestPlacement(t *testing.T) {
	cordoned := nodes(3)
	cordoned[2].Unschedulable = true
	tests := []struct {
		name     string
		spec     v1.PodSpec
		nodes    []Node
		existing []Pod
		n        int
		want     map[string]int
	}{
		{"default spreading over nodes", v1.PodSpec{}, nodes(3), nil, 6,
			map[string]int{"node-0": 2, "node-1": 2, "node-2": 2}},
		{"cordoned node gets nothing", v1.PodSpec{}, cordoned, nil, 4,
			map[string]int{"node-0": 2, "node-1": 2}},
		{"required anti-affinity: one per node, the rest pending", v1.PodSpec{Affinity: antiAffinity(LabelHostname)}, nodes(2), nil, 3,
			map[string]int{"node-0": 1, "node-1": 1, "": 1}},
		{"hostname spread DoNotSchedule, maxSkew 1", v1.PodSpec{TopologySpreadConstraints: []v1.TopologySpreadConstraint{spread(LabelHostname, 1, v1.DoNotSchedule)}},
			nodes(2), []Pod{{Namespace: "default", Labels: app, Node: "node-0"}, {Namespace: "default", Labels: app, Node: "node-0"}}, 2,
			map[string]int{"node-1": 2}},
		{"zone spread across 2 zones", v1.PodSpec{TopologySpreadConstraints: []v1.TopologySpreadConstraint{spread(LabelZone, 1, v1.DoNotSchedule)}},
			nodes(4, "1", "2"), nil, 4, map[string]int{"node-0": 1, "node-1": 1, "node-2": 1, "node-3": 1}},
		{"terminating pods do not count for spreading", v1.PodSpec{TopologySpreadConstraints: []v1.TopologySpreadConstraint{spread(LabelHostname, 1, v1.DoNotSchedule)}},
			nodes(2), []Pod{{Namespace: "default", Labels: app, Node: "node-0", Terminating: true}, {Namespace: "default", Labels: app, Node: "node-0", Terminating: true},
				{Namespace: "default", Labels: app, Node: "node-1"}}, 1,
			map[string]int{"node-0": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := placeAll(t, tc.spec, tc.nodes, tc.existing, tc.n)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("placed %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCordonedNodeStillCountsAsADomain reproduces a known upstream behaviour: a cordoned node is still
// a domain of a hostname spread constraint (nodeTaintsPolicy defaults to Ignore), so with maxSkew 1
// and the cordoned node at 0, the other nodes cannot take a second pod each.
func TestCordonedNodeStillCountsAsADomain(t *testing.T) {
	ns := nodes(3)
	ns[2].Unschedulable = true
	spec := v1.PodSpec{TopologySpreadConstraints: []v1.TopologySpreadConstraint{spread(LabelHostname, 1, v1.DoNotSchedule)}}
	existing := []Pod{{Namespace: "default", Labels: app, Node: "node-0"}, {Namespace: "default", Labels: app, Node: "node-1"}}
	_, err := Place(Request{Namespace: "default", Labels: app, Spec: &spec}, ns, existing, byName)
	if err == nil || !strings.Contains(err.Error(), "topology spread") || !strings.Contains(err.Error(), "unschedulable") {
		t.Fatalf("err %v, want pending because of the spread constraint and the cordoned node", err)
	}
	honor := v1.NodeInclusionPolicyHonor
	spec.TopologySpreadConstraints[0].NodeTaintsPolicy = &honor
	if _, err := Place(Request{Namespace: "default", Labels: app, Spec: &spec}, ns, existing, byName); err != nil {
		t.Errorf("with nodeTaintsPolicy Honor: %v", err)
	}
}

func TestScheduleAnywayPrefersLowSkew(t *testing.T) {
	spec := v1.PodSpec{TopologySpreadConstraints: []v1.TopologySpreadConstraint{spread(LabelZone, 1, v1.ScheduleAnyway)}}
	// zone 1 has node-0 and node-2 (2 pods), zone 2 has node-1 (0 pods): the soft constraint wins over
	// per-node spreading.
	existing := []Pod{{Namespace: "default", Labels: app, Node: "node-0"}, {Namespace: "default", Labels: app, Node: "node-2"}}
	got, err := Place(Request{Namespace: "default", Labels: app, Spec: &spec}, nodes(3, "1", "2"), existing, byName)
	if err != nil || got != "node-1" {
		t.Errorf("placed on %q (%v), want node-1 in the emptier zone", got, err)
	}
}

func TestDaemonSetPodsTolerateCordon(t *testing.T) {
	ns := nodes(1)
	ns[0].Unschedulable = true
	spec := v1.PodSpec{}
	if _, err := Place(Request{Namespace: "default", Labels: app, Spec: &spec}, ns, nil, byName); err == nil {
		t.Error("a Deployment pod was placed on a cordoned node")
	}
	if got, err := Place(Request{Namespace: "default", Labels: app, Spec: &spec, DaemonSet: true}, ns, nil, byName); err != nil || got != "node-0" {
		t.Errorf("DaemonSet pod: %q %v", got, err)
	}
}

func TestNodeSelectorAndTieBreak(t *testing.T) {
	ns := nodes(3)
	ns[1].Labels["pool"] = "web"
	ns[2].Labels["pool"] = "web"
	spec := v1.PodSpec{NodeSelector: map[string]string{"pool": "web"}}
	prefer2 := func(n string) uint64 {
		if n == "node-2" {
			return 0
		}
		return 1
	}
	got, err := Place(Request{Namespace: "default", Labels: app, Spec: &spec}, ns, nil, prefer2)
	if err != nil || got != "node-2" {
		t.Errorf("placed on %q (%v), want node-2 (selector, then tie-break)", got, err)
	}
}
