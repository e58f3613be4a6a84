package sim

import (
	"net/http"
	"time"

	"github.com/azlb/azlb/pkg/sim/kubeproxy"
)

// proxyState is one node's kube-proxy for the Service, as of its last sync (SEMANTICS.md 2): the
// health check node port's answer and the endpoints its data path uses.
type proxyState struct {
	lastSync time.Time
	syncAt   time.Time // the pending sync; zero when none
	health   int
	route    kubeproxy.Route
	cands    []*pod
	// applied local endpoint counts, for the timeline
	localReady, localServing int
}

// endpointsChanged is an EndpointSlice update (immediate, SEMANTICS.md 2): every node's kube-proxy
// syncs at its next opportunity.
func (w *world) endpointsChanged() {
	w.endpointsVersion++
	for _, n := range w.nodes {
		if !n.deleted {
			w.scheduleSync(n)
		}
	}
}

func (w *world) scheduleSync(n *node) {
	if !n.proxy.syncAt.IsZero() {
		return // the pending sync will see this change too
	}
	at := kubeproxy.NextSync(n.proxy.lastSync, w.now(), w.minSync)
	n.proxy.syncAt = at
	w.loop.At(at, func() { w.syncProxy(n) })
}

// endpoints is the Service's EndpointSlice now: every pod with an address that is not deleted.
func (w *world) endpoints() ([]kubeproxy.Endpoint, []*pod) {
	if w.endpointsAt == w.endpointsVersion && w.endpointsCache != nil {
		return w.endpointsCache, w.endpointsPods
	}
	eps := w.endpointsCache[:0]
	pods := w.endpointsPods[:0]
	for _, p := range w.pods {
		if p.gone || !p.running || p.node == nil {
			continue
		}
		eps = append(eps, kubeproxy.Endpoint{Node: p.node.name, Conditions: kubeproxy.EndpointConditions(p.ready, p.deleting, w.publish)})
		pods = append(pods, p)
	}
	if eps == nil {
		eps = []kubeproxy.Endpoint{}
	}
	w.endpointsCache, w.endpointsPods, w.endpointsAt = eps, pods, w.endpointsVersion
	return eps, pods
}

func (w *world) syncProxy(n *node) {
	n.proxy.syncAt = time.Time{}
	if n.deleted {
		return
	}
	n.proxy.lastSync = w.now()
	eps, pods := w.endpoints()
	idx, route := kubeproxy.Choose(w.policy, n.name, eps)
	cands := n.proxy.cands[:0]
	for _, i := range idx {
		cands = append(cands, pods[i])
	}
	n.proxy.cands, n.proxy.route = cands, route
	ready, serving := 0, 0
	for _, e := range eps {
		if e.Node != n.name {
			continue
		}
		if e.Ready {
			ready++
		}
		if e.Serving {
			serving++
		}
	}
	n.proxy.localReady, n.proxy.localServing = ready, serving
	health := kubeproxy.HealthStatus(kubeproxy.LocalReady(n.name, eps))
	if w.policy == kubeproxy.Cluster {
		health = http.StatusOK // no health check node port: the Cluster probe targets the node port
	}
	if health != n.proxy.health {
		n.proxy.health = health
		w.rec.healthChanged(w, n, health)
	}
}

// route picks the pod a new connection arriving at node n goes to, or the failure.
func (w *world) route(n *node) (*pod, cause) {
	switch {
	case n.deleted:
		return nil, causeTimeout
	case n.proxy.route == kubeproxy.RouteDrop:
		return nil, causeTimeout
	case n.proxy.route == kubeproxy.RouteReject || len(n.proxy.cands) == 0:
		return nil, causeRefused
	}
	p := n.proxy.cands[0]
	if len(n.proxy.cands) > 1 {
		p = n.proxy.cands[w.rngProxy.IntN(len(n.proxy.cands))]
	}
	switch {
	case p.vanished:
		return p, causeTimeout
	case !p.listening(w.now()):
		return p, causeRefused // nothing listens: the app has not started or has exited
	}
	return p, causeNone
}
