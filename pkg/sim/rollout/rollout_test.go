package rollout

import (
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func ip(v intstr.IntOrString) *intstr.IntOrString { return &v }

func TestDeploymentBounds(t *testing.T) {
	rolling := func(surge, unavail *intstr.IntOrString) appsv1.DeploymentStrategy {
		return appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: surge, MaxUnavailable: unavail}}
	}
	tests := []struct {
		name               string
		replicas           int32
		strategy           appsv1.DeploymentStrategy
		surge, unavailable int32
	}{
		{"defaults 25%/25% of 4", 4, appsv1.DeploymentStrategy{}, 1, 1},
		{"defaults of 3: surge rounds up, unavailable down", 3, appsv1.DeploymentStrategy{}, 1, 0},
		{"defaults of 10", 10, appsv1.DeploymentStrategy{}, 3, 2},
		{"defaults of 1", 1, appsv1.DeploymentStrategy{}, 1, 0},
		{"both zero means unavailable 1", 5, rolling(ip(intstr.FromInt32(0)), ip(intstr.FromInt32(0))), 0, 1},
		{"percent zero from rounding: 10% of 3", 3, rolling(ip(intstr.FromString("0%")), ip(intstr.FromString("10%"))), 0, 1},
		{"absolute values", 6, rolling(ip(intstr.FromInt32(2)), ip(intstr.FromInt32(1))), 2, 1},
		{"recreate", 4, appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}, 0, 4},
	}
	for _, tc := range tests {
		s, u, err := DeploymentBounds(tc.replicas, tc.strategy)
		if err != nil || s != tc.surge || u != tc.unavailable {
			t.Errorf("%s: surge %d unavailable %d (%v), want %d %d", tc.name, s, u, err, tc.surge, tc.unavailable)
		}
	}
	if _, _, err := DeploymentBounds(3, rolling(ip(intstr.FromString("x%")), nil)); err == nil {
		t.Error("a malformed percentage is accepted")
	}
}

func TestDaemonSetBounds(t *testing.T) {
	rolling := func(surge, unavail *intstr.IntOrString) appsv1.DaemonSetUpdateStrategy {
		return appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxSurge: surge, MaxUnavailable: unavail}}
	}
	tests := []struct {
		name               string
		desired            int
		strategy           appsv1.DaemonSetUpdateStrategy
		surge, unavailable int
	}{
		{"default maxUnavailable 1", 10, appsv1.DaemonSetUpdateStrategy{}, 0, 1},
		{"10% of 10 (the e2e recipe)", 10, rolling(nil, ip(intstr.FromString("10%"))), 0, 1},
		{"10% of 25 rounds up", 25, rolling(nil, ip(intstr.FromString("10%"))), 0, 3},
		{"10% of 3 rounds up to 1", 3, rolling(nil, ip(intstr.FromString("10%"))), 0, 1},
		{"surge 1, unavailable 0", 5, rolling(ip(intstr.FromInt32(1)), ip(intstr.FromInt32(0))), 1, 0},
		{"both zero", 5, rolling(ip(intstr.FromInt32(0)), ip(intstr.FromInt32(0))), 0, 1},
	}
	for _, tc := range tests {
		s, u, ok, err := DaemonSetBounds(tc.desired, tc.strategy)
		if err != nil || !ok || s != tc.surge || u != tc.unavailable {
			t.Errorf("%s: surge %d unavailable %d (%v %v), want %d %d", tc.name, s, u, ok, err, tc.surge, tc.unavailable)
		}
	}
	if _, _, ok, _ := DaemonSetBounds(3, appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}); ok {
		t.Error("OnDelete rolls")
	}
}

// TestRollingUpdateSequence drives RollingStep as the controller would, with pods becoming available
// at once, and checks the pod counts a user would see at each step: 4 replicas, 25%/25% (surge 1,
// unavailable 1) never exceed 5 pods nor drop below 3 available.
func TestRollingUpdateSequence(t *testing.T) {
	const replicas = 4
	surge, unavail, _ := DeploymentBounds(replicas, appsv1.DeploymentStrategy{})
	newRS := ReplicaSet{Order: 1}
	old := []ReplicaSet{{Replicas: 4, Available: 4, Order: 0}}
	var trace [][2]int32
	for step := 0; step < 20 && !Complete(replicas, newRS, old); step++ {
		n, o, changed := RollingStep(replicas, surge, unavail, newRS, old)
		newRS.Replicas, old[0].Replicas = n, o[0]
		old[0].Available = min(old[0].Available, old[0].Replicas)
		if total := newRS.Replicas + old[0].Replicas; total > replicas+surge {
			t.Fatalf("step %d: %d pods, above %d", step, total, replicas+surge)
		}
		if avail := newRS.Available + old[0].Available; avail < replicas-unavail {
			t.Fatalf("step %d: %d available, below %d", step, avail, replicas-unavail)
		}
		trace = append(trace, [2]int32{newRS.Replicas, old[0].Replicas})
		if !changed {
			newRS.Available = newRS.Replicas // the new pods become available
		}
	}
	if !Complete(replicas, newRS, old) {
		t.Fatalf("rollout did not complete: %v", trace)
	}
	// Surge one new pod; take one old pod down (4 available > 3 required); surge again; wait until the
	// new pods are available; take two old pods down; scale the new ReplicaSet to 4; wait; finish.
	want := [][2]int32{{1, 4}, {1, 3}, {2, 3}, {2, 3}, {2, 1}, {4, 1}, {4, 1}, {4, 0}}
	if !reflect.DeepEqual(trace[:len(want)], want) {
		t.Errorf("new/old replicas per step %v, want %v", trace, want)
	}
}

func TestRollingStepRemovesUnhealthyOldPodsFirst(t *testing.T) {
	// maxSurge 0, maxUnavailable 1: the old ReplicaSet has 3 replicas of which 1 is not available.
	n, o, changed := RollingStep(3, 0, 1, ReplicaSet{Order: 2}, []ReplicaSet{{Replicas: 3, Available: 2, Order: 1}})
	if n != 0 || o[0] != 2 || !changed {
		t.Errorf("new %d old %v changed %v, want the unavailable old pod removed (old 2)", n, o, changed)
	}
}

func TestScale(t *testing.T) {
	tests := []struct {
		replicas int32
		sizes    []int32
		want     []int32
	}{
		{5, []int32{3}, []int32{5}},
		{1, []int32{3}, []int32{1}},
		{8, []int32{2, 2}, []int32{4, 4}},
		{3, []int32{2, 2}, []int32{1, 2}},
	}
	for _, tc := range tests {
		if got := Scale(tc.replicas, tc.sizes); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Scale(%d, %v) = %v, want %v", tc.replicas, tc.sizes, got, tc.want)
		}
	}
}

func TestDaemonSetStep(t *testing.T) {
	avail := func(name string, order int) DaemonPod {
		return DaemonPod{Name: name, Available: true, Ready: true, Order: order}
	}
	tests := []struct {
		name               string
		nodes              []DaemonNode
		surge, unavailable int
		create, delete     []string
	}{
		{
			name: "maxUnavailable 1: one old pod at a time",
			nodes: []DaemonNode{
				{Name: "a", ShouldRun: true, Old: []DaemonPod{avail("a-old", 0)}},
				{Name: "b", ShouldRun: true, Old: []DaemonPod{avail("b-old", 1)}},
			},
			unavailable: 1, delete: []string{"a-old"},
		},
		{
			name: "a terminating pod occupies its node: no replacement yet, and it counts unavailable",
			nodes: []DaemonNode{
				{Name: "a", ShouldRun: true, Deleting: 1},
				{Name: "b", ShouldRun: true, Old: []DaemonPod{avail("b-old", 1)}},
			},
			unavailable: 1,
		},
		{
			name: "the old pod has exited: create the new one",
			nodes: []DaemonNode{
				{Name: "a", ShouldRun: true},
				{Name: "b", ShouldRun: true, Old: []DaemonPod{avail("b-old", 1)}},
			},
			unavailable: 1, create: []string{"a"},
		},
		{
			name: "a new pod not yet available holds the budget",
			nodes: []DaemonNode{
				{Name: "a", ShouldRun: true, New: []DaemonPod{{Name: "a-new", Order: 2}}},
				{Name: "b", ShouldRun: true, Old: []DaemonPod{avail("b-old", 1)}},
			},
			unavailable: 1,
		},
		{
			name: "an unavailable old pod is replaced regardless of the budget",
			nodes: []DaemonNode{
				{Name: "a", ShouldRun: true, New: []DaemonPod{{Name: "a-new", Order: 2}}},
				{Name: "b", ShouldRun: true, Old: []DaemonPod{{Name: "b-old", Order: 1}}},
			},
			unavailable: 1, delete: []string{"b-old"},
		},
		{
			name: "surge: new pod beside the old one, old deleted once the new is available",
			nodes: []DaemonNode{
				{Name: "a", ShouldRun: true, Old: []DaemonPod{avail("a-old", 0)}, New: []DaemonPod{avail("a-new", 3)}},
				{Name: "b", ShouldRun: true, Old: []DaemonPod{avail("b-old", 1)}},
				{Name: "c", ShouldRun: true, Old: []DaemonPod{avail("c-old", 2)}},
			},
			surge: 1, create: []string{"b"}, delete: []string{"a-old"},
		},
		{
			name:        "a node that should not run its pod loses it",
			nodes:       []DaemonNode{{Name: "a", ShouldRun: false, New: []DaemonPod{avail("a-new", 0)}}},
			unavailable: 1, delete: []string{"a-new"},
		},
	}
	for _, tc := range tests {
		create, del := DaemonSetStep(tc.nodes, tc.surge, tc.unavailable)
		if !reflect.DeepEqual(create, tc.create) || !reflect.DeepEqual(del, tc.delete) {
			t.Errorf("%s: create %v delete %v, want %v %v", tc.name, create, del, tc.create, tc.delete)
		}
	}
}

func TestDeletionOrder(t *testing.T) {
	now := time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)
	pods := []RankedPod{
		{Name: "old-ready-alone", Node: "a", Phase: PhaseRunning, Ready: true, ReadySince: now.Add(-time.Hour), Created: now.Add(-time.Hour), Colocated: 1},
		{Name: "doubled-1", Node: "b", Phase: PhaseRunning, Ready: true, ReadySince: now.Add(-time.Hour), Created: now.Add(-time.Hour), Colocated: 2},
		{Name: "young-ready", Node: "c", Phase: PhaseRunning, Ready: true, ReadySince: now.Add(-10 * time.Second), Created: now.Add(-20 * time.Second), Colocated: 1},
		{Name: "not-ready", Node: "d", Phase: PhaseRunning, Created: now.Add(-time.Hour), Colocated: 1},
		{Name: "pending", Node: "e", Phase: PhasePending, Created: now.Add(-time.Hour), Colocated: 1},
		{Name: "unscheduled", Phase: PhasePending, Created: now.Add(-time.Hour)},
		{Name: "cheap", Node: "f", Phase: PhaseRunning, Ready: true, ReadySince: now.Add(-time.Hour), Created: now.Add(-time.Hour), DeletionCost: -10, Colocated: 1},
	}
	var got []string
	for _, p := range DeletionOrder(pods, now) {
		got = append(got, p.Name)
	}
	want := []string{"unscheduled", "pending", "not-ready", "cheap", "doubled-1", "young-ready", "old-ready-alone"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deletion order %v, want %v", got, want)
	}
}

func TestDisruptionsAllowed(t *testing.T) {
	pdb := func(minA, maxU *intstr.IntOrString) *policyv1.PodDisruptionBudget {
		return &policyv1.PodDisruptionBudget{Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: minA, MaxUnavailable: maxU}}
	}
	tests := []struct {
		name              string
		pdb               *policyv1.PodDisruptionBudget
		expected, healthy int32
		want              int32
	}{
		{"minAvailable 2 of 3 healthy", pdb(ip(intstr.FromInt32(2)), nil), 3, 3, 1},
		{"minAvailable 2, one already down", pdb(ip(intstr.FromInt32(2)), nil), 3, 2, 0},
		{"minAvailable 50% of 3 rounds up to 2", pdb(ip(intstr.FromString("50%")), nil), 3, 3, 1},
		{"maxUnavailable 1", pdb(nil, ip(intstr.FromInt32(1))), 4, 4, 1},
		{"maxUnavailable 30% of 4 rounds up to 2", pdb(nil, ip(intstr.FromString("30%"))), 4, 4, 2},
		{"neither", pdb(nil, nil), 3, 3, 3},
	}
	for _, tc := range tests {
		got, err := DisruptionsAllowed(tc.pdb, tc.expected, tc.healthy)
		if err != nil || got != tc.want {
			t.Errorf("%s: %d (%v), want %d", tc.name, got, err, tc.want)
		}
	}
}
