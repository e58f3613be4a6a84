// Package kubeproxy holds kube-proxy's decisions for one Service, as pure functions: the EndpointSlice
// conditions of a pod, the health check node port's answer, which endpoints a node's data path uses
// for external traffic, and when a change takes effect (the sync delay). SEMANTICS.md 2 is the
// source of every rule; the simulator applies them per node.
package kubeproxy

import (
	"net/http"
	"time"
)

// Conditions are an endpoint's EndpointSlice conditions.
type Conditions struct {
	Ready, Serving, Terminating bool
}

// EndpointConditions derives the conditions from the pod (SEMANTICS.md 2): serving = pod Ready;
// terminating = the pod has a deletionTimestamp; ready = serving && !terminating, always true with
// publishNotReadyAddresses.
func EndpointConditions(podReady, deleting, publishNotReadyAddresses bool) Conditions {
	return Conditions{
		Serving:     podReady,
		Terminating: deleting,
		Ready:       publishNotReadyAddresses || (podReady && !deleting),
	}
}

// HealthStatus is the health check node port's answer for a node with localReady local ready
// endpoints: 200 when there is at least one, else 503 (SEMANTICS.md 2). kube-proxy answers on any
// path.
func HealthStatus(localReady int) int {
	if localReady > 0 {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// Policy is the Service's externalTrafficPolicy.
type Policy int

// Policies.
const (
	Cluster Policy = iota
	Local
)

// Route says which endpoints a node's data path uses for external traffic, or what happens when
// there are none.
type Route int

// Routes.
const (
	// RouteReady: ready endpoints (Local: on this node; Cluster: anywhere).
	RouteReady Route = iota
	// RouteTerminating: none ready, so serving-and-terminating ones (the terminating fallback).
	RouteTerminating
	// RouteDrop: Local with no usable local endpoint: the packet is dropped (the client times out). A
	// node never forwards Local traffic to another node.
	RouteDrop
	// RouteReject: Cluster with no usable endpoint anywhere: kube-proxy rejects (connection refused).
	RouteReject
)

// String names the route.
func (r Route) String() string {
	switch r {
	case RouteReady:
		return "ready"
	case RouteTerminating:
		return "terminating"
	case RouteDrop:
		return "drop"
	case RouteReject:
		return "reject"
	}
	return "unknown"
}

// Endpoint is one endpoint as a node's kube-proxy last synced it.
type Endpoint struct {
	Node string
	Conditions
}

// Choose returns the indexes (into eps) of the endpoints node uses for external traffic under
// policy, and the route (SEMANTICS.md 2): Local uses the node's ready endpoints, else its
// serving-terminating ones, else drops; Cluster uses every ready endpoint, else every
// serving-terminating one, else rejects. Cluster traffic is SNATed to the node address; Local keeps
// the client address.
func Choose(policy Policy, node string, eps []Endpoint) ([]int, Route) {
	var ready, terminating []int
	for i, e := range eps {
		if policy == Local && e.Node != node {
			continue
		}
		switch {
		case e.Ready:
			ready = append(ready, i)
		case e.Serving && e.Terminating:
			terminating = append(terminating, i)
		}
	}
	switch {
	case len(ready) > 0:
		return ready, RouteReady
	case len(terminating) > 0:
		return terminating, RouteTerminating
	case policy == Local:
		return nil, RouteDrop
	}
	return nil, RouteReject
}

// LocalReady counts node's local ready endpoints (what the health check node port reports).
func LocalReady(node string, eps []Endpoint) int {
	n := 0
	for _, e := range eps {
		if e.Node == node && e.Ready {
			n++
		}
	}
	return n
}

// NextSync is when a change seen at now takes effect on a node whose previous sync ran at last:
// kube-proxy's BoundedFrequencyRunner runs at once unless the last sync was less than minSyncPeriod
// ago, in which case it runs minSyncPeriod after the last one (SEMANTICS.md 2: at most minSyncPeriod
// later). The sync itself is taken as instantaneous.
func NextSync(last, now time.Time, minSyncPeriod time.Duration) time.Time {
	if last.IsZero() {
		return now
	}
	if earliest := last.Add(minSyncPeriod); earliest.After(now) {
		return earliest
	}
	return now
}
