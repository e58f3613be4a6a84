package rollout

import (
	"math"
	"sort"
	"time"
)

// Phase orders pod phases for deletion: pending before unknown before running.
type Phase int

// Pod phases, in deletion order.
const (
	PhasePending Phase = iota
	PhaseUnknown
	PhaseRunning
)

// RankedPod is what the ReplicaSet controller compares when it chooses pods to delete.
type RankedPod struct {
	Name         string
	Node         string // "" when not scheduled
	Phase        Phase
	Ready        bool
	ReadySince   time.Time
	Created      time.Time
	DeletionCost int32 // controller.kubernetes.io/pod-deletion-cost
	Restarts     int32
	// Colocated is the number of active pods of the workload on the same node (the rank).
	Colocated int
}

// DeletionOrder sorts pods in the order the ReplicaSet controller deletes them (controller
// ActivePodsWithRanks): unscheduled first; pending, unknown, then running; not ready before ready;
// lower pod-deletion-cost first; more pods of the workload on the same node first; ready for less
// time first and younger first, both compared on a logarithmic scale of age at now; more restarts
// first; the name breaks the remaining ties (upstream uses the UID).
func DeletionOrder(pods []RankedPod, now time.Time) []RankedPod {
	out := append([]RankedPod(nil), pods...)
	sort.SliceStable(out, func(i, j int) bool { return lessForDeletion(out[i], out[j], now) })
	return out
}

func lessForDeletion(a, b RankedPod, now time.Time) bool {
	if (a.Node == "") != (b.Node == "") {
		return a.Node == ""
	}
	if a.Phase != b.Phase {
		return a.Phase < b.Phase
	}
	if a.Ready != b.Ready {
		return !a.Ready
	}
	if a.DeletionCost != b.DeletionCost {
		return a.DeletionCost < b.DeletionCost
	}
	if a.Colocated != b.Colocated {
		return a.Colocated > b.Colocated
	}
	if a.Ready && b.Ready && !a.ReadySince.Equal(b.ReadySince) {
		if d := logRankDiff(a.ReadySince, b.ReadySince, now); d != 0 {
			return d < 0
		}
		return a.Name < b.Name
	}
	if a.Restarts != b.Restarts {
		return a.Restarts > b.Restarts
	}
	if !a.Created.Equal(b.Created) {
		if d := logRankDiff(a.Created, b.Created, now); d != 0 {
			return d < 0
		}
	}
	return a.Name < b.Name
}

// logRankDiff compares two instants by the power-of-two bucket of their age at now (controller
// logarithmicRankDiff): negative when t1 is in a younger bucket than t2.
func logRankDiff(t1, t2, now time.Time) int64 {
	d1, d2 := now.Sub(t1), now.Sub(t2)
	r1, r2 := int64(-1), int64(-1)
	if d1 > 0 {
		r1 = int64(math.Log2(float64(d1)))
	}
	if d2 > 0 {
		r2 = int64(math.Log2(float64(d2)))
	}
	return r1 - r2
}
