package sim

import (
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/azlb/azlb/pkg/sim/rollout"
	"github.com/azlb/azlb/pkg/sim/schedule"
)

// revision is a pod template revision: a ReplicaSet of the Deployment, or a ControllerRevision of the
// DaemonSet.
type revision struct {
	num      int
	hash     string
	labels   map[string]string
	replicas int32 // ReplicaSet spec.replicas (Deployment)
}

// controllers are the Deployment (with its ReplicaSets) or DaemonSet controller, kube-scheduler and
// the drains in progress. They react at once: reconcile runs after every change at the same instant,
// until nothing changes.
type controllers struct {
	w         *world
	revisions []*revision
	current   *revision
	replicas  int32 // Deployment spec.replicas
	pending   bool

	rollouts       []*rolloutRun
	queuedRollouts int
	drains         []*drainRun
}

type rolloutRun struct {
	rev        *revision
	start, end float64 // scenario seconds; end < 0 while running
	done       bool
	superseded bool
}

type drainRun struct {
	node       *node
	start, end float64
	done       bool
	pods       []*pod
}

func newControllers(w *world) *controllers {
	c := &controllers{w: w}
	if d := w.in.Workload.Deployment; d != nil {
		c.replicas = 1
		if d.Spec.Replicas != nil {
			c.replicas = *d.Spec.Replicas
		}
	}
	c.newRevision()
	c.current.replicas = c.replicas
	return c
}

// newRevision makes the next template revision current.
func (c *controllers) newRevision() *revision {
	num := len(c.revisions) + 1
	r := &revision{num: num, hash: templateHash(c.w.in.Workload.Meta().Name, num), labels: map[string]string{}}
	for k, v := range c.w.podTemplate.Labels {
		r.labels[k] = v
	}
	if c.w.in.Workload.DaemonSet != nil {
		r.labels[appsv1.ControllerRevisionHashLabelKey] = r.hash
	} else {
		r.labels[appsv1.DefaultDeploymentUniqueLabelKey] = r.hash
	}
	c.revisions = append(c.revisions, r)
	c.current = r
	return r
}

// markDirty schedules a reconcile at the current instant (after the running event).
func (c *controllers) markDirty() {
	if c.pending {
		return
	}
	c.pending = true
	c.w.loop.At(c.w.now(), c.reconcile)
}

func (c *controllers) reconcile() {
	c.pending = false
	for range 1000 {
		changed := false
		if c.w.in.Workload.DaemonSet != nil {
			changed = c.syncDaemonSet() || changed
		} else {
			changed = c.syncDeployment() || changed
		}
		changed = c.schedulePending() || changed
		if !changed {
			break
		}
	}
	c.checkRollouts()
	c.checkDrains()
}

// podsOf lists the workload's pods of a revision that are active (not being deleted).
func (c *controllers) podsOf(r *revision) []*pod {
	var out []*pod
	for _, p := range c.w.pods {
		if p.rev == r && p.active() {
			out = append(out, p)
		}
	}
	return out
}

func (c *controllers) availableOf(r *revision) int32 {
	n := int32(0)
	now := c.w.now()
	for _, p := range c.w.pods {
		if p.rev == r && p.available(c.w, now) {
			n++
		}
	}
	return n
}

// syncDeployment: the Deployment controller's rolling step, then each ReplicaSet's replica count.
func (c *controllers) syncDeployment() bool {
	d := c.w.in.Workload.Deployment
	changed := false
	var old []rollout.ReplicaSet
	var oldRevs []*revision
	for _, r := range c.revisions {
		if r != c.current {
			old = append(old, rollout.ReplicaSet{Replicas: r.replicas, Available: c.availableOf(r), Order: r.num})
			oldRevs = append(oldRevs, r)
		}
	}
	newRS := rollout.ReplicaSet{Replicas: c.current.replicas, Available: c.availableOf(c.current), Order: c.current.num}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		// Recreate: scale every old ReplicaSet to 0, wait for their pods to be gone, then scale up.
		oldLeft := false
		for _, r := range oldRevs {
			if r.replicas != 0 {
				r.replicas, changed = 0, true
			}
			if c.anyPodOf(r) {
				oldLeft = true
			}
		}
		if !oldLeft && c.current.replicas != c.replicas {
			c.current.replicas, changed = c.replicas, true
		}
	} else {
		surge, unavailable, err := rollout.DeploymentBounds(c.replicas, d.Spec.Strategy)
		if err != nil {
			surge, unavailable = 0, 1
		}
		newReplicas, oldReplicas, stepped := rollout.RollingStep(c.replicas, surge, unavailable, newRS, old)
		if stepped {
			changed = true
			c.current.replicas = newReplicas
			for i, r := range oldRevs {
				r.replicas = oldReplicas[i]
			}
		}
	}
	for _, r := range c.revisions {
		changed = c.syncReplicaSet(r) || changed
	}
	return changed
}

func (c *controllers) anyPodOf(r *revision) bool {
	for _, p := range c.w.pods {
		if p.rev == r && !p.gone {
			return true
		}
	}
	return false
}

// syncReplicaSet creates or deletes pods so that the revision has replicas active pods, deleting in
// the ReplicaSet controller's order.
func (c *controllers) syncReplicaSet(r *revision) bool {
	pods := c.podsOf(r)
	diff := int(r.replicas) - len(pods)
	switch {
	case diff > 0:
		for range diff {
			c.w.newPod(r, nil)
		}
		return true
	case diff < 0:
		now := c.w.now()
		colocated := map[*node]int{}
		for _, p := range c.w.pods {
			if p.active() && p.node != nil {
				colocated[p.node]++
			}
		}
		ranked := make([]rollout.RankedPod, len(pods))
		byName := map[string]*pod{}
		for i, p := range pods {
			rp := rollout.RankedPod{Name: p.name, Phase: rollout.PhasePending, Ready: p.ready, ReadySince: p.readySince, Created: p.created}
			if p.node != nil {
				rp.Node = p.node.name
				rp.Colocated = colocated[p.node]
			}
			if p.running {
				rp.Phase = rollout.PhaseRunning
			}
			if v, err := strconv.ParseInt(c.w.podTemplate.Annotations["controller.kubernetes.io/pod-deletion-cost"], 10, 32); err == nil {
				rp.DeletionCost = int32(v)
			}
			ranked[i] = rp
			byName[p.name] = p
		}
		for _, rp := range rollout.DeletionOrder(ranked, now)[:-diff] {
			c.w.deletePod(byName[rp.Name], "scaled down")
		}
		return true
	}
	return false
}

// eligible is whether a DaemonSet pod should run on the node (nodeShouldRunDaemonPod: selector,
// affinity, taints with the DaemonSet tolerations; unschedulable is tolerated).
func (c *controllers) eligible(n *node) bool {
	if n.deleted {
		return false
	}
	return schedule.Fits(c.request(true), c.w.scheduleNode(n))
}

func (c *controllers) request(daemon bool) schedule.Request {
	return schedule.Request{Namespace: c.w.svc.Namespace, Labels: c.current.labels, Spec: &c.w.podTemplate.Spec, DaemonSet: daemon}
}

// desiredDaemonPods is the DaemonSet's desiredNumberScheduled.
func (c *controllers) desiredDaemonPods() int {
	n := 0
	for _, nd := range c.w.nodes {
		if c.eligible(nd) {
			n++
		}
	}
	return n
}

func (c *controllers) syncDaemonSet() bool {
	ds := c.w.in.Workload.DaemonSet
	now := c.w.now()
	nodes := make([]rollout.DaemonNode, 0, len(c.w.nodes))
	byName := map[string]*pod{}
	for _, n := range c.w.nodes {
		if n.deleted {
			continue
		}
		dn := rollout.DaemonNode{Name: n.name, ShouldRun: c.eligible(n)}
		for _, p := range c.w.pods {
			if p.node != n || p.gone {
				continue
			}
			if p.deleting {
				dn.Deleting++
				continue
			}
			dp := rollout.DaemonPod{Name: p.name, Available: p.available(c.w, now), Ready: p.ready, Order: p.order}
			byName[p.name] = p
			if p.rev == c.current {
				dn.New = append(dn.New, dp)
			} else {
				dn.Old = append(dn.Old, dp)
			}
		}
		nodes = append(nodes, dn)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	desired := 0
	for _, n := range nodes {
		if n.ShouldRun {
			desired++
		}
	}
	surge, unavailable, rolling, err := rollout.DaemonSetBounds(desired, ds.Spec.UpdateStrategy)
	if err != nil || !rolling {
		surge, unavailable = 0, 0
	}
	create, del := rollout.DaemonSetStep(nodes, surge, unavailable)
	if !rolling {
		// OnDelete: only the manage loop (create where missing); old pods stay until deleted by hand.
		del = nil
	}
	for _, name := range create {
		c.w.newPod(c.current, c.w.nodeByName[name])
	}
	for _, name := range del {
		c.w.deletePod(byName[name], "replaced by the DaemonSet controller")
	}
	return len(create) > 0 || len(del) > 0
}

// schedulePending places pending pods, oldest first.
func (c *controllers) schedulePending() bool {
	changed := false
	for _, p := range c.w.pods {
		if p.node != nil || p.gone {
			continue
		}
		nodes := make([]schedule.Node, 0, len(c.w.nodes))
		for _, n := range c.w.nodes {
			if !n.deleted {
				nodes = append(nodes, c.w.scheduleNode(n))
			}
		}
		var others []schedule.Pod
		for _, q := range c.w.pods {
			if q.gone || q.node == nil {
				continue
			}
			others = append(others, schedule.Pod{Namespace: c.w.svc.Namespace, Labels: q.labels, Node: q.node.name, Terminating: q.deleting})
		}
		req := schedule.Request{Namespace: c.w.svc.Namespace, Labels: p.labels, Spec: &c.w.podTemplate.Spec}
		name, err := schedule.Place(req, nodes, others, func(node string) uint64 { return tieBreak(c.w.seed, p.name, node) })
		if err != nil {
			c.w.rec.pending(c.w, p, err.Error())
			continue
		}
		c.w.bind(p, c.w.nodeByName[name])
		changed = true
	}
	return changed
}

// scheduleNode is the node as the scheduler sees it.
func (w *world) scheduleNode(n *node) schedule.Node {
	return schedule.Node{Name: n.name, Labels: n.labels, Unschedulable: n.unschedulable, Taints: n.taints}
}

// newPod creates a pod of revision r, bound to n when given (DaemonSet pods), else pending.
func (w *world) newPod(r *revision, n *node) {
	w.podSeq++
	p := &pod{idx: len(w.pods), rev: r, order: w.podSeq, labels: r.labels, created: w.now()}
	base := w.in.Workload.Meta().Name
	if w.in.Workload.DaemonSet != nil {
		p.name = fmt.Sprintf("%s-%s", base, podSuffix(w.seed, w.podSeq))
	} else {
		p.name = fmt.Sprintf("%s-%s-%s", base, r.hash, podSuffix(w.seed, w.podSeq))
	}
	w.pods = append(w.pods, p)
	w.podByName[p.name] = p
	w.rec.addPod(p)
	w.rec.podEvent(w, p, "Created", "revision "+strconv.Itoa(r.num))
	if n != nil {
		w.bind(p, n)
	}
}

// checkRollouts ends rollouts that completed and starts queued ones.
func (c *controllers) checkRollouts() {
	for _, ro := range c.rollouts {
		if ro.done || !c.rolloutComplete(ro.rev) {
			continue
		}
		ro.done = true
		ro.end = c.w.rel(c.w.now()).Seconds()
		if ro.rev != c.current {
			ro.superseded = true
			c.w.rec.event(c.w, "RolloutSuperseded", "", "", fmt.Sprintf("revision %d", ro.rev.num))
			continue
		}
		c.w.rec.event(c.w, "RolloutComplete", "", "", fmt.Sprintf("revision %d after %.1fs", ro.rev.num, ro.end-ro.start))
		if c.queuedRollouts > 0 {
			c.queuedRollouts--
			c.startRollout()
		}
	}
}

func (c *controllers) rolloutComplete(r *revision) bool {
	if r != c.current {
		return true // superseded
	}
	now := c.w.now()
	if c.w.in.Workload.DaemonSet != nil {
		for _, n := range c.w.nodes {
			if !c.eligible(n) {
				continue
			}
			ok := false
			for _, p := range c.w.pods {
				if p.node != n || !p.active() {
					continue
				}
				if p.rev != r {
					return false
				}
				ok = ok || p.available(c.w, now)
			}
			if !ok {
				return false
			}
		}
		return true
	}
	var old []rollout.ReplicaSet
	for _, rv := range c.revisions {
		if rv != r {
			old = append(old, rollout.ReplicaSet{Replicas: rv.replicas})
		}
	}
	return rollout.Complete(c.replicas, rollout.ReplicaSet{Replicas: r.replicas, Available: c.availableOf(r)}, old)
}

// startRollout makes a new template revision, as a change of the pod template does.
func (c *controllers) startRollout() {
	r := c.newRevision()
	run := &rolloutRun{rev: r, start: c.w.rel(c.w.now()).Seconds(), end: -1}
	c.rollouts = append(c.rollouts, run)
	c.w.rec.rollouts = append(c.w.rec.rollouts, &rolloutCount{run: run})
	c.w.rec.event(c.w, "RolloutStarted", "", "", fmt.Sprintf("revision %d", r.num))
	c.markDirty()
}

// scale sets the Deployment's replicas, spreading the change over the ReplicaSets of a rollout in
// progress.
func (c *controllers) scale(replicas int32) {
	c.replicas = replicas
	var sizes []int32
	var revs []*revision
	for _, r := range c.revisions {
		if r.replicas > 0 || r == c.current {
			sizes = append(sizes, r.replicas)
			revs = append(revs, r)
		}
	}
	for i, v := range rollout.Scale(replicas, sizes) {
		revs[i].replicas = v
	}
	c.markDirty()
}

// expectedPods is the workload's desired pod count (for PodDisruptionBudgets).
func (c *controllers) expectedPods() int32 {
	if c.w.in.Workload.DaemonSet != nil {
		return int32(c.desiredDaemonPods())
	}
	return c.replicas
}
