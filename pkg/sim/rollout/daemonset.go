package rollout

// DaemonPod is one pod of a DaemonSet that is not being deleted.
type DaemonPod struct {
	Name      string
	Available bool // Ready for minReadySeconds
	Ready     bool
	Order     int // creation order (lower is older)
}

// DaemonNode is one node as the DaemonSet controller sees it.
type DaemonNode struct {
	Name string
	// ShouldRun: the node is eligible (it exists; DaemonSet pods tolerate unschedulable nodes).
	ShouldRun bool
	Old, New  []DaemonPod // pods not being deleted, of older revisions and of the current one
	// Deleting counts pods being deleted that have not exited yet: they still occupy the node.
	Deleting int
}

// DaemonSetStep is one pass of the DaemonSet controller (manage, then rollingUpdate) over nodes in
// the given order (upstream iterates a map; the simulator sorts by name): which nodes get a new pod
// and which pods are deleted.
//
// Without surge (daemon update.go rollingUpdate, maxSurge == 0): a node whose old pod is unavailable
// is replaced at once; available old pods are deleted while fewer than maxUnavailable nodes are
// unavailable (a node with no pod, a deleted-but-running pod, or an unavailable new pod counts as
// unavailable). The replacement is created only once the node has no pod left at all: a pod that is
// still terminating keeps the node occupied (podsShouldBeOnNode creates when the node has no daemon
// pod, and otherwise only with surge).
//
// With surge: a new pod is created next to an old available one on up to maxSurge nodes at a time
// (at once where the old one is unavailable), and the old pod is deleted once the new one is
// available.
func DaemonSetStep(nodes []DaemonNode, surge, unavailable int) (createOn, deletePods []string) {
	// manage: nodes without a pod, pods on nodes that should not run them, excess pods.
	for _, n := range nodes {
		pods := len(n.Old) + len(n.New)
		switch {
		case !n.ShouldRun:
			for _, p := range append(append([]DaemonPod(nil), n.Old...), n.New...) {
				deletePods = append(deletePods, p.Name)
			}
		case pods == 0 && (n.Deleting == 0 || surge > 0):
			createOn = append(createOn, n.Name)
		case surge == 0 && pods > 1:
			// keep the oldest
			all := append(append([]DaemonPod(nil), n.Old...), n.New...)
			oldest := 0
			for i, p := range all {
				if p.Order < all[oldest].Order {
					oldest = i
				}
			}
			for i, p := range all {
				if i != oldest {
					deletePods = append(deletePods, p.Name)
				}
			}
		}
	}
	if surge == 0 {
		numUnavailable := 0
		var replace, candidates []string
		for _, n := range nodes {
			if !n.ShouldRun {
				continue
			}
			var oldPod, newPod *DaemonPod
			if len(n.Old) > 1 || len(n.New) > 1 {
				numUnavailable++
				continue
			}
			if len(n.Old) == 1 {
				oldPod = &n.Old[0]
			}
			if len(n.New) == 1 {
				newPod = &n.New[0]
			}
			switch {
			case oldPod == nil && newPod == nil, oldPod != nil && newPod != nil:
				numUnavailable++
			case newPod != nil:
				if !newPod.Available {
					numUnavailable++
				}
			default:
				switch {
				case !oldPod.Available:
					replace = append(replace, oldPod.Name)
					numUnavailable++
				case numUnavailable >= unavailable:
				default:
					candidates = append(candidates, oldPod.Name)
				}
			}
		}
		remaining := max(0, min(unavailable-numUnavailable, len(candidates)))
		deletePods = append(deletePods, replace...)
		deletePods = append(deletePods, candidates[:remaining]...)
		return createOn, deletePods
	}
	numSurge := 0
	var allowed, candidates []string
	for _, n := range nodes {
		if !n.ShouldRun {
			continue
		}
		if len(n.Old) > 1 || len(n.New) > 1 {
			numSurge++
			continue
		}
		switch {
		case len(n.Old) == 0:
		case len(n.New) == 0:
			switch {
			case !n.Old[0].Available:
				allowed = append(allowed, n.Name)
			case numSurge >= surge:
			default:
				candidates = append(candidates, n.Name)
			}
		default:
			if !n.New[0].Available {
				numSurge++
				continue
			}
			deletePods = append(deletePods, n.Old[0].Name)
		}
	}
	remaining := max(0, min(surge-numSurge, len(candidates)))
	createOn = append(createOn, allowed...)
	createOn = append(createOn, candidates[:remaining]...)
	return createOn, deletePods
}
