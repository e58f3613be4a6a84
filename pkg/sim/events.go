package sim

import (
	"fmt"
	"sort"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/azlb/azlb/pkg/sim/rollout"
	"github.com/azlb/azlb/pkg/sim/scenario"
)

type scenarioSpec = scenario.Spec

// evictionRetry is how long kubectl drain waits before retrying an eviction a budget refused.
const evictionRetry = 5 * time.Second

// apply runs the i-th scenario event now.
func (w *world) apply(i int, ev scenario.Event) {
	switch {
	case ev.Rollout != nil:
		w.rec.event(w, "Rollout", "", "", fmt.Sprintf("spec.events[%d]: %d time(s)", i, ev.Rollout.Times))
		// A new template while a rollout runs supersedes it, as with kubectl; the repeats follow the
		// newest one.
		w.ctrl.queuedRollouts += ev.Rollout.Times - 1
		w.ctrl.startRollout()
	case ev.Scale != nil:
		w.rec.event(w, "Scale", "", "", fmt.Sprintf("replicas %d", *ev.Scale.Replicas))
		w.ctrl.scale(*ev.Scale.Replicas)
	case ev.DeletePod != nil:
		p := w.podToDelete(ev.DeletePod)
		if p == nil {
			w.rec.event(w, "DeletePod", ev.DeletePod.Node, ev.DeletePod.Pod, "no such pod: nothing deleted")
			return
		}
		w.deletePod(p, "kubectl delete pod")
	case ev.DrainNode != nil:
		w.drain(w.nodeByName[ev.DrainNode.Node], ev.DrainNode.ExcludeFromLoadBalancer)
	case ev.AddNode != nil:
		w.addNodeEvent(ev.AddNode)
	case ev.RemoveNode != nil:
		w.removeNode(w.nodeByName[ev.RemoveNode.Node])
	}
}

// podToDelete: the named pod, else the first pod (by name) on the named node, else the first pod.
func (w *world) podToDelete(ev *scenario.DeletePodEvent) *pod {
	var cands []*pod
	for _, p := range w.pods {
		if !p.active() || (ev.Node != "" && (p.node == nil || p.node.name != ev.Node)) {
			continue
		}
		if ev.Pod != "" && p.name != ev.Pod {
			continue
		}
		cands = append(cands, p)
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].name < cands[j].name })
	if len(cands) == 0 {
		return nil
	}
	return cands[0]
}

// drain is `kubectl drain --ignore-daemonsets`: cordon, then evict the workload's pods on the node
// (DaemonSet pods stay), retrying evictions the PodDisruptionBudgets refuse. The node stays in the
// backend pool unless it is also labelled exclude-from-external-load-balancers (SEMANTICS.md 4).
func (w *world) drain(n *node, exclude bool) {
	if n == nil || n.deleted {
		return
	}
	n.unschedulable = true
	w.rec.event(w, "Cordon", n.name, "", "")
	if exclude {
		n.labels[labelExcludeLB] = "true"
		w.rec.event(w, "ExcludeFromLoadBalancer", n.name, "", labelExcludeLB+"=true")
		w.nodeSetChanged()
	}
	d := &drainRun{node: n, start: w.rel(w.now()).Seconds(), end: -1}
	w.ctrl.drains = append(w.ctrl.drains, d)
	if w.in.Workload.DaemonSet == nil {
		for _, p := range w.pods {
			if p.node == n && p.active() {
				d.pods = append(d.pods, p)
			}
		}
	}
	sort.Slice(d.pods, func(i, j int) bool { return d.pods[i].name < d.pods[j].name })
	for _, p := range d.pods {
		w.evict(p)
	}
	w.ctrl.markDirty()
}

// evict deletes the pod if every budget that selects it allows one more disruption, else retries.
func (w *world) evict(p *pod) {
	if !p.active() {
		return
	}
	for _, pdb := range w.in.PDBs {
		healthy := int32(0)
		for _, q := range w.pods {
			if q.active() && q.ready {
				healthy++
			}
		}
		allowed, err := rollout.DisruptionsAllowed(pdb, w.ctrl.expectedPods(), healthy)
		if err == nil && allowed <= 0 {
			w.rec.podEvent(w, p, "EvictionRefused", "PodDisruptionBudget "+pdb.Name)
			w.loop.After(evictionRetry, func() { w.evict(p) })
			return
		}
	}
	p.evicted = true
	w.deletePod(p, "evicted")
}

func (c *controllers) checkDrains() {
	for _, d := range c.drains {
		if d.done {
			continue
		}
		left := false
		for _, p := range d.pods {
			if !p.gone {
				left = true
			}
		}
		if !left {
			d.done = true
			d.end = c.w.rel(c.w.now()).Seconds()
			c.w.rec.event(c.w, "Drained", d.node.name, "", fmt.Sprintf("after %.1fs", d.end-d.start))
		}
	}
}

func (w *world) addNodeEvent(ev *scenario.AddNodeEvent) {
	name := ev.Name
	if name == "" {
		for w.nameTaken[fmt.Sprintf("node-%d", w.nextNode)] {
			w.nextNode++
		}
		name = fmt.Sprintf("node-%d", w.nextNode)
	}
	obj := &v1.Node{}
	obj.Name = name
	obj.Labels = map[string]string{v1.LabelHostname: name}
	if ev.Zone != "" {
		obj.Labels[v1.LabelTopologyZone] = ev.Zone
	}
	obj.Status.Addresses = []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: nodeAddress(len(w.nodes))}}
	n, err := w.addNode(obj)
	if err != nil {
		w.rec.event(w, "AddNodeFailed", name, "", err.Error())
		return
	}
	w.rec.event(w, "NodeAdded", n.name, "", n.ip.String())
	w.syncProxy(n)
	w.nodeSetChanged()
	w.ctrl.markDirty()
}

// removeNode deletes the node and its VM at once: its pods vanish (the pod garbage collector deletes
// them), it stops answering probes and connections, and the service controller takes it out of the
// backend pool.
func (w *world) removeNode(n *node) {
	if n == nil || n.deleted {
		return
	}
	n.deleted = true
	w.rec.event(w, "NodeRemoved", n.name, "", "")
	for _, p := range w.pods {
		if p.node == n && !p.gone {
			w.vanish(p)
		}
	}
	w.nodeSetChanged()
	w.ctrl.markDirty()
}
