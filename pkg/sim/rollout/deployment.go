package rollout

import "sort"

// ReplicaSet is what the Deployment controller reads of one ReplicaSet.
type ReplicaSet struct {
	Replicas  int32 // spec.replicas
	Available int32 // status.availableReplicas: active pods Ready for minReadySeconds
	Order     int   // creation order (lower is older)
}

// RollingStep is one pass of the Deployment controller's rolling update (rolloutRolling): it first
// scales the new ReplicaSet up within replicas+surge, and only when that changes nothing scales old
// ReplicaSets down while keeping replicas-unavailable pods available — unhealthy old pods first
// (cleanupUnhealthyReplicas), then the oldest ReplicaSets (scaleDownOldReplicaSetsForRollingUpdate).
// It returns the new spec.replicas of the new ReplicaSet and of each old one (same order as old),
// and whether anything changed.
func RollingStep(replicas, surge, unavailable int32, newRS ReplicaSet, old []ReplicaSet) (newReplicas int32, oldReplicas []int32, changed bool) {
	oldReplicas = make([]int32, len(old))
	for i, rs := range old {
		oldReplicas[i] = rs.Replicas
	}
	// reconcileNewReplicaSet
	switch {
	case newRS.Replicas > replicas:
		return replicas, oldReplicas, true
	case newRS.Replicas < replicas:
		total := newRS.Replicas
		for _, rs := range old {
			total += rs.Replicas
		}
		if maxTotal := replicas + surge; total < maxTotal {
			up := min(maxTotal-total, replicas-newRS.Replicas)
			return newRS.Replicas + up, oldReplicas, true
		}
	}
	// reconcileOldReplicaSets
	oldCount, all := int32(0), newRS.Replicas
	for _, rs := range old {
		oldCount += rs.Replicas
		all += rs.Replicas
	}
	if oldCount == 0 {
		return newRS.Replicas, oldReplicas, false
	}
	minAvailable := replicas - unavailable
	newUnavailable := newRS.Replicas - newRS.Available
	maxScaledDown := all - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return newRS.Replicas, oldReplicas, false
	}
	order := make([]int, len(old))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return old[order[a]].Order < old[order[b]].Order })
	// cleanupUnhealthyReplicas
	avail := make([]int32, len(old))
	cleaned := int32(0)
	for _, i := range order {
		avail[i] = min(old[i].Available, oldReplicas[i])
		if cleaned >= maxScaledDown {
			break
		}
		if oldReplicas[i] == 0 || oldReplicas[i] == avail[i] {
			continue
		}
		down := min(maxScaledDown-cleaned, oldReplicas[i]-avail[i])
		oldReplicas[i] -= down
		cleaned += down
		changed = true
	}
	// scaleDownOldReplicaSetsForRollingUpdate
	available := newRS.Available
	for i := range old {
		available += min(old[i].Available, oldReplicas[i])
	}
	if available > minAvailable {
		total := available - minAvailable
		done := int32(0)
		for _, i := range order {
			if done >= total {
				break
			}
			if oldReplicas[i] == 0 {
				continue
			}
			down := min(oldReplicas[i], total-done)
			oldReplicas[i] -= down
			done += down
			changed = true
		}
	}
	return newRS.Replicas, oldReplicas, changed
}

// Complete reports whether a rollout is done (DeploymentComplete): the new ReplicaSet has every
// replica and all are available, and no old ReplicaSet keeps a replica.
func Complete(replicas int32, newRS ReplicaSet, old []ReplicaSet) bool {
	for _, rs := range old {
		if rs.Replicas > 0 {
			return false
		}
	}
	return newRS.Replicas == replicas && newRS.Available >= replicas
}

// Scale distributes a change of spec.replicas over the active ReplicaSets when a rollout is in
// progress, after the controller's proportional scaling (dc.scale): each ReplicaSet changes by its
// share of the change by size; what rounding leaves goes to the largest ReplicaSet, the newest one on
// a tie when scaling up and the oldest when scaling down. With one active ReplicaSet it simply takes
// replicas. sizes are spec.replicas in creation order; the result has the same order.
func Scale(replicas int32, sizes []int32) []int32 {
	out := append([]int32(nil), sizes...)
	if len(out) == 0 {
		return out
	}
	total := int32(0)
	for _, s := range sizes {
		total += s
	}
	if total == 0 || len(out) == 1 {
		for i := range out {
			out[i] = 0
		}
		out[len(out)-1] = replicas
		return out
	}
	delta := replicas - total
	given := int32(0)
	largest := -1
	for i, s := range sizes {
		share := int32(int64(delta) * int64(s) / int64(total))
		out[i] = max(0, s+share)
		given += out[i] - s
		if largest < 0 || s > sizes[largest] || (s == sizes[largest] && delta > 0) {
			largest = i
		}
	}
	out[largest] = max(0, out[largest]+delta-given)
	return out
}
