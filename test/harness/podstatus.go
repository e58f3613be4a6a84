package harness

import (
	"fmt"
	"net/netip"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// containerSnapshot is what the kubelet stand-in knows about one container.
type containerSnapshot struct {
	name, image    string
	ready, started bool
	restarts       int32
	startedAt      time.Time
	running        bool
	terminated     bool
	exitCode       int32
	finishedAt     time.Time
	waitingReason  string
	waitingMessage string
}

// podSnapshot is what the kubelet stand-in knows about one pod.
type podSnapshot struct {
	uid        string
	podIP      netip.Addr
	hostIP     netip.Addr
	startTime  time.Time
	containers []containerSnapshot
}

// kubeletConditions are the pod conditions the kubelet owns; others (such as
// PodScheduled or DisruptionTarget) are kept as they are.
var kubeletConditions = []v1.PodConditionType{v1.PodReadyToStartContainers, v1.PodInitialized, v1.ContainersReady, v1.PodReady}

func apiTime(t time.Time) metav1.Time { return metav1.NewTime(t.UTC().Truncate(time.Second)) }

// buildPodStatus computes the status the kubelet reports for snap, starting
// from the pod's current status prev (whose QOS class, scheduling conditions
// and transition times it keeps). readinessGates are the pod's
// spec.readinessGates: Ready also needs each of them True.
func buildPodStatus(prev v1.PodStatus, readinessGates []v1.PodReadinessGate, snap podSnapshot, now time.Time) v1.PodStatus {
	st := *prev.DeepCopy()
	st.HostIP = snap.hostIP.String()
	st.HostIPs = []v1.HostIP{{IP: snap.hostIP.String()}}
	if snap.podIP.IsValid() {
		st.PodIP = snap.podIP.String()
		st.PodIPs = []v1.PodIP{{IP: snap.podIP.String()}}
	}
	if st.StartTime == nil {
		t := apiTime(snap.startTime)
		st.StartTime = &t
	}

	allReady, allTerminated, allSucceeded := len(snap.containers) > 0, len(snap.containers) > 0, true
	st.ContainerStatuses = make([]v1.ContainerStatus, 0, len(snap.containers))
	for i, c := range snap.containers {
		cs := v1.ContainerStatus{
			Name:         c.name,
			Image:        c.image,
			ImageID:      "sim://" + c.image,
			ContainerID:  fmt.Sprintf("sim://%s/%d/%d", snap.uid, i, c.restarts),
			Ready:        c.ready,
			Started:      &c.started,
			RestartCount: c.restarts,
		}
		switch {
		case c.terminated:
			reason := "Completed"
			if c.exitCode != 0 {
				reason = "Error"
			}
			cs.State.Terminated = &v1.ContainerStateTerminated{ExitCode: c.exitCode, Reason: reason, StartedAt: apiTime(c.startedAt), FinishedAt: apiTime(c.finishedAt), ContainerID: cs.ContainerID}
		case c.running:
			cs.State.Running = &v1.ContainerStateRunning{StartedAt: apiTime(c.startedAt)}
		default:
			cs.State.Waiting = &v1.ContainerStateWaiting{Reason: c.waitingReason, Message: c.waitingMessage}
			cs.ContainerID = ""
		}
		// Keep the API's timestamps when nothing changed, so that a status
		// without news compares equal to the stored one.
		for _, old := range prev.ContainerStatuses {
			if old.Name == cs.Name && old.RestartCount == cs.RestartCount {
				if old.State.Running != nil && cs.State.Running != nil {
					cs.State.Running.StartedAt = old.State.Running.StartedAt
				}
				if old.State.Terminated != nil && cs.State.Terminated != nil {
					cs.State.Terminated.StartedAt = old.State.Terminated.StartedAt
					cs.State.Terminated.FinishedAt = old.State.Terminated.FinishedAt
				}
			}
		}
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		allReady = allReady && c.ready
		allTerminated = allTerminated && c.terminated
		allSucceeded = allSucceeded && c.terminated && c.exitCode == 0
	}

	switch {
	case allTerminated && allSucceeded:
		st.Phase = v1.PodSucceeded
	case allTerminated:
		st.Phase = v1.PodFailed
	default:
		st.Phase = v1.PodRunning
	}

	podReady := allReady
	for _, g := range readinessGates {
		if c := findCondition(st.Conditions, g.ConditionType); c == nil || c.Status != v1.ConditionTrue {
			podReady = false
		}
	}
	want := map[v1.PodConditionType]bool{
		v1.PodReadyToStartContainers: !allTerminated,
		v1.PodInitialized:            true,
		v1.ContainersReady:           allReady,
		v1.PodReady:                  podReady,
	}
	for _, typ := range kubeletConditions {
		setCondition(&st.Conditions, typ, want[typ], now)
	}
	return st
}

func findCondition(conds []v1.PodCondition, typ v1.PodConditionType) *v1.PodCondition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

// setCondition sets a condition, moving its transition time only when its
// status changes.
func setCondition(conds *[]v1.PodCondition, typ v1.PodConditionType, value bool, now time.Time) {
	status := v1.ConditionFalse
	if value {
		status = v1.ConditionTrue
	}
	if c := findCondition(*conds, typ); c != nil {
		if c.Status != status {
			c.Status = status
			c.LastTransitionTime = apiTime(now)
		}
		return
	}
	*conds = append(*conds, v1.PodCondition{Type: typ, Status: status, LastTransitionTime: apiTime(now)})
}
