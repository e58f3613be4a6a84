package harness

import (
	"net/netip"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func condition(st v1.PodStatus, typ v1.PodConditionType) *v1.PodCondition {
	return findCondition(st.Conditions, typ)
}

func TestBuildPodStatus(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	base := podSnapshot{uid: "u", podIP: netip.MustParseAddr("127.1.1.1"), hostIP: netip.MustParseAddr("127.0.1.1"), startTime: t0}
	running := func(name string, ready bool) containerSnapshot {
		return containerSnapshot{name: name, image: "app", ready: ready, started: true, running: true, startedAt: t0}
	}
	prev := v1.PodStatus{
		QOSClass:   v1.PodQOSBestEffort,
		Conditions: []v1.PodCondition{{Type: v1.PodScheduled, Status: v1.ConditionTrue}, {Type: "example.com/gate", Status: v1.ConditionFalse}},
	}
	tests := []struct {
		name      string
		prev      v1.PodStatus
		gates     []v1.PodReadinessGate
		snap      func(podSnapshot) podSnapshot
		wantReady v1.ConditionStatus
		wantCR    v1.ConditionStatus
		wantPhase v1.PodPhase
	}{
		{name: "all ready", prev: prev, snap: func(s podSnapshot) podSnapshot {
			s.containers = []containerSnapshot{running("a", true), running("b", true)}
			return s
		}, wantReady: v1.ConditionTrue, wantCR: v1.ConditionTrue, wantPhase: v1.PodRunning},
		{name: "one container not ready", prev: prev, snap: func(s podSnapshot) podSnapshot {
			s.containers = []containerSnapshot{running("a", true), running("b", false)}
			return s
		}, wantReady: v1.ConditionFalse, wantCR: v1.ConditionFalse, wantPhase: v1.PodRunning},
		{name: "readiness gate false keeps Ready false", prev: prev, gates: []v1.PodReadinessGate{{ConditionType: "example.com/gate"}},
			snap: func(s podSnapshot) podSnapshot {
				s.containers = []containerSnapshot{running("a", true)}
				return s
			}, wantReady: v1.ConditionFalse, wantCR: v1.ConditionTrue, wantPhase: v1.PodRunning},
		{name: "killed container", prev: prev, snap: func(s podSnapshot) podSnapshot {
			s.containers = []containerSnapshot{{name: "a", terminated: true, exitCode: 137, startedAt: t0, finishedAt: t0.Add(time.Minute)}}
			return s
		}, wantReady: v1.ConditionFalse, wantCR: v1.ConditionFalse, wantPhase: v1.PodFailed},
		{name: "clean exit", prev: prev, snap: func(s podSnapshot) podSnapshot {
			s.containers = []containerSnapshot{{name: "a", terminated: true, startedAt: t0, finishedAt: t0}}
			return s
		}, wantReady: v1.ConditionFalse, wantCR: v1.ConditionFalse, wantPhase: v1.PodSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := buildPodStatus(tt.prev, tt.gates, tt.snap(base), t0)
			if st.PodIP != "127.1.1.1" || st.HostIP != "127.0.1.1" || len(st.PodIPs) != 1 {
				t.Errorf("addresses: podIP %q hostIP %q podIPs %v", st.PodIP, st.HostIP, st.PodIPs)
			}
			if st.QOSClass != v1.PodQOSBestEffort || condition(st, v1.PodScheduled) == nil {
				t.Errorf("fields the kubelet does not own were lost: %+v", st)
			}
			if c := condition(st, v1.PodReady); c == nil || c.Status != tt.wantReady {
				t.Errorf("Ready = %v, want %s", c, tt.wantReady)
			}
			if c := condition(st, v1.ContainersReady); c == nil || c.Status != tt.wantCR {
				t.Errorf("ContainersReady = %v, want %s", c, tt.wantCR)
			}
			if st.Phase != tt.wantPhase {
				t.Errorf("phase %s, want %s", st.Phase, tt.wantPhase)
			}
		})
	}
}

func TestBuildPodStatusTransitionTimes(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	snap := podSnapshot{podIP: netip.MustParseAddr("127.1.1.1"), hostIP: netip.MustParseAddr("127.0.1.1"), startTime: t0,
		containers: []containerSnapshot{{name: "a", ready: true, started: true, running: true, startedAt: t0}}}
	first := buildPodStatus(v1.PodStatus{}, nil, snap, t0)
	// Same state later: nothing moves, so no write is needed.
	same := buildPodStatus(first, nil, snap, t0.Add(time.Minute))
	if c := condition(same, v1.PodReady); !c.LastTransitionTime.Equal(&metav1.Time{Time: t0}) {
		t.Errorf("unchanged Ready moved its transition time to %v", c.LastTransitionTime)
	}
	// Readiness lost: the transition time moves.
	snap.containers[0].ready = false
	later := buildPodStatus(first, nil, snap, t0.Add(time.Minute))
	if c := condition(later, v1.PodReady); c.Status != v1.ConditionFalse || !c.LastTransitionTime.Equal(&metav1.Time{Time: t0.Add(time.Minute)}) {
		t.Errorf("Ready after losing readiness = %+v", c)
	}
}
