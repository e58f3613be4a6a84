package sim

import (
	"fmt"
	"net/netip"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/azlb/azlb/pkg/azureprovider"
	"github.com/azlb/azlb/pkg/fake/dataplane"
	"github.com/azlb/azlb/pkg/loadbalancer"
	"github.com/azlb/azlb/pkg/plan"
	"github.com/azlb/azlb/pkg/probes"
)

// clusterName is the simulated cluster's --cluster-name.
const clusterName = "kubernetes"

// Service controller node rules (SEMANTICS.md 4).
const (
	labelExcludeLB       = "node.kubernetes.io/exclude-from-external-load-balancers"
	taintToBeDeletedByCA = "ToBeDeletedByClusterAutoscaler"
	kubeProxyHealthzPort = 10256
)

// lbState is the load balancer: the real provider writing to the in-memory fake Azure, and the fake's
// data plane reading what it wrote, driven on the virtual clock.
type lbState struct {
	w        *world
	cloud    *azureprovider.Cloud
	provider *loadbalancer.Provider
	machine  *dataplane.Machine
	driver   *dataplane.SyncDriver

	frontend netip.AddrPort
	probe    *dataplane.Probe // the probe of the Service's rule (nil without)
	rule     dataplane.Rule
	pool     map[netip.Addr]bool // backend addresses in force
	pending  bool                // an UpdateLoadBalancer is on its way
	up       map[netip.Addr]bool // probe state per backend, for the timeline
}

// setupLB runs EnsureLoadBalancer for the Service with the current nodes, exactly as the service
// controller would on Service creation, and loads what the provider wrote into the data plane.
func (w *world) setupLB() error {
	cloud, err := azureprovider.New(plan.DefaultCloudConfig(), azureprovider.Options{ClusterName: clusterName})
	if err != nil {
		return fmt.Errorf("building the provider against the fake cloud: %w", err)
	}
	lb := &lbState{w: w, cloud: cloud, provider: cloud.LoadBalancerProvider(), up: map[netip.Addr]bool{}}
	w.lb = lb
	status, err := lb.provider.EnsureLoadBalancer(w.ctx, clusterName, w.svc, w.serviceNodes())
	if err != nil {
		return err
	}
	if len(status.Ingress) == 0 {
		return fmt.Errorf("service %s/%s: the provider returned no ingress address", w.svc.Namespace, w.svc.Name)
	}
	ip, err := netip.ParseAddr(status.Ingress[0].IP)
	if err != nil {
		return fmt.Errorf("service %s/%s: ingress address %q: %w", w.svc.Namespace, w.svc.Name, status.Ingress[0].IP, err)
	}
	lb.frontend = netip.AddrPortFrom(ip, uint16(w.svcPort))
	lb.machine = dataplane.New(dataplane.Options{Seed: w.seed, Semantics: w.semantics})
	lb.driver = dataplane.NewSyncDriver(lb.machine, w.loop, lb.answer)
	lb.driver.OnTransition = lb.transition
	return lb.load()
}

// load applies the fake cloud's current load balancers to the data plane.
func (lb *lbState) load() error {
	cfg := dataplane.ConfigFromSnapshot(lb.cloud.Fake().Snapshot())
	lb.driver.Apply(cfg)
	found := false
	for _, r := range cfg.Rules {
		if r.Frontend == lb.frontend.Addr() && (r.FrontendPort == lb.frontend.Port() || r.FrontendPort == 0) &&
			(r.Protocol == dataplane.ProtocolTCP || r.Protocol == dataplane.ProtocolAll) {
			lb.rule, found = r, true
			break
		}
	}
	if !found {
		return fmt.Errorf("service %s/%s: the provider wrote no load-balancing rule for %s (is port %d excluded by a no_lb_rule annotation?)",
			lb.w.svc.Namespace, lb.w.svc.Name, lb.frontend, lb.frontend.Port())
	}
	lb.probe = nil
	for i := range cfg.Probes {
		if cfg.Probes[i].ID == lb.rule.ProbeID {
			lb.probe = &cfg.Probes[i]
		}
	}
	lb.pool = map[netip.Addr]bool{}
	for _, b := range lb.rule.Backends {
		lb.pool[b.Addr] = true
	}
	return nil
}

// serviceNodes are the nodes the service controller passes to the provider (SEMANTICS.md 4): not
// being deleted, not labelled exclude-from-external-load-balancers (any value but "false" excludes),
// not tainted ToBeDeletedByClusterAutoscaler. Readiness and cordons do not matter.
func (w *world) serviceNodes() []*v1.Node {
	var out []*v1.Node
	for _, n := range w.nodes {
		if !w.inServiceNodes(n) {
			continue
		}
		out = append(out, &v1.Node{
			ObjectMeta: metaWithName(n.name, n.labels),
			Spec:       v1.NodeSpec{Unschedulable: n.unschedulable, Taints: n.taints},
			Status: v1.NodeStatus{
				Addresses:  []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: n.ip.String()}},
				Conditions: []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue}},
			},
		})
	}
	return out
}

func (w *world) inServiceNodes(n *node) bool {
	if n.deleted || n.excluded {
		return false
	}
	if v, ok := n.labels[labelExcludeLB]; ok && !strings.EqualFold(strings.TrimSpace(v), "false") {
		return false
	}
	for _, t := range n.taints {
		if t.Key == taintToBeDeletedByCA {
			return false
		}
	}
	return true
}

// nodeSetChanged: the service controller calls UpdateLoadBalancer with the new node set; the new
// pool is in force spec.loadBalancer.updateDelay later.
func (w *world) nodeSetChanged() {
	lb := w.lb
	if lb.pending {
		return
	}
	lb.pending = true
	w.loop.After(w.spec.LoadBalancer.UpdateDelay.Duration, func() {
		lb.pending = false
		if err := lb.provider.UpdateLoadBalancer(w.ctx, clusterName, w.svc, w.serviceNodes()); err != nil {
			w.rec.event(w, "UpdateLoadBalancerFailed", "", "", err.Error())
			return
		}
		if err := lb.load(); err != nil {
			w.rec.event(w, "UpdateLoadBalancerFailed", "", "", err.Error())
			return
		}
		w.rec.event(w, "UpdatedLoadBalancer", "", "", fmt.Sprintf("backend pool: %d nodes", len(lb.pool)))
	})
}

// answer is how a node answers one of the load balancer's probes now.
func (lb *lbState) answer(req dataplane.ProbeRequest) dataplane.Outcome {
	w := lb.w
	n := w.nodeByIP[req.Backend]
	if n == nil || n.deleted {
		return dataplane.Outcome{Kind: dataplane.TimedOut}
	}
	port := req.Settings.Port
	switch {
	case w.svc.Spec.HealthCheckNodePort != 0 && port == w.svc.Spec.HealthCheckNodePort:
		return dataplane.Outcome{Kind: dataplane.Answered, Status: n.proxy.health}
	case port == kubeProxyHealthzPort:
		return dataplane.Outcome{Kind: dataplane.Answered, Status: 200}
	case lb.isServicePort(port):
		p, c := w.route(n)
		switch c {
		case causeNone:
			return dataplane.Outcome{Kind: dataplane.Answered, Status: 200}
		case causeTimeout:
			return dataplane.Outcome{Kind: dataplane.TimedOut}
		}
		_ = p
		return dataplane.Outcome{Kind: dataplane.Refused}
	}
	return dataplane.Outcome{Kind: dataplane.Refused}
}

// isServicePort: a node port or (floating IP) service port kube-proxy serves for the Service.
func (lb *lbState) isServicePort(port int32) bool {
	for _, p := range lb.w.svc.Spec.Ports {
		if p.NodePort == port || p.Port == port {
			return true
		}
	}
	return false
}

func (lb *lbState) transition(tr dataplane.Transition) {
	if tr.ProbeID != lb.rule.ProbeID {
		return
	}
	lb.up[tr.Backend] = tr.Up
	if n := lb.w.nodeByIP[tr.Backend]; n != nil {
		lb.w.rec.lbChanged(lb.w, n, tr.Up, tr.Outcome.String())
	}
}

// probeUp is the load balancer's view of node n for the Service's rule: up, down, or out of the pool.
func (lb *lbState) probeUp(n *node) (inPool, up bool) {
	if !lb.pool[n.ip] {
		return false, false
	}
	if lb.probe == nil {
		return true, true
	}
	return true, lb.machine.Up(lb.probe.ID, n.ip)
}

// settings of the Service's probe (zero when the rule has none).
func (lb *lbState) settings() (probes.Settings, bool) {
	if lb.probe == nil {
		return probes.Settings{}, false
	}
	return lb.probe.Settings, true
}
