package kubeproxy

import (
	"reflect"
	"testing"
	"time"
)

func TestEndpointConditions(t *testing.T) {
	tests := []struct {
		name                     string
		ready, deleting, publish bool
		want                     Conditions
	}{
		{"ready pod", true, false, false, Conditions{Ready: true, Serving: true}},
		{"not ready pod", false, false, false, Conditions{}},
		{"terminating, still passing readiness", true, true, false, Conditions{Serving: true, Terminating: true}},
		{"terminating, failing readiness", false, true, false, Conditions{Terminating: true}},
		{"publishNotReadyAddresses: always ready", false, true, true, Conditions{Ready: true, Terminating: true}},
	}
	for _, tc := range tests {
		if got := EndpointConditions(tc.ready, tc.deleting, tc.publish); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestHealthStatus(t *testing.T) {
	ready := Endpoint{Node: "a", Conditions: Conditions{Ready: true, Serving: true}}
	terminating := Endpoint{Node: "a", Conditions: Conditions{Serving: true, Terminating: true}}
	other := Endpoint{Node: "b", Conditions: Conditions{Ready: true, Serving: true}}
	tests := []struct {
		name string
		eps  []Endpoint
		want int
	}{
		{"a local ready endpoint", []Endpoint{ready, other}, 200},
		{"only terminating local endpoints still serving", []Endpoint{terminating, other}, 503},
		{"endpoints on other nodes only", []Endpoint{other}, 503},
		{"no endpoints", nil, 503},
	}
	for _, tc := range tests {
		if got := HealthStatus(LocalReady("a", tc.eps)); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestChoose(t *testing.T) {
	e := func(node string, ready, serving, terminating bool) Endpoint {
		return Endpoint{Node: node, Conditions: Conditions{Ready: ready, Serving: serving, Terminating: terminating}}
	}
	readyA, readyB := e("a", true, true, false), e("b", true, true, false)
	termA, termB := e("a", false, true, true), e("b", false, true, true)
	goneA := e("a", false, false, true) // terminating and failing readiness
	tests := []struct {
		name   string
		policy Policy
		eps    []Endpoint
		want   []int
		route  Route
	}{
		{"local: local ready only", Local, []Endpoint{readyA, readyB, termA}, []int{0}, RouteReady},
		{"local: terminating fallback", Local, []Endpoint{termA, readyB}, []int{0}, RouteTerminating},
		{"local: not serving is no fallback: drop", Local, []Endpoint{goneA, readyB}, nil, RouteDrop},
		{"local: nothing local: drop, never forwarded", Local, []Endpoint{readyB}, nil, RouteDrop},
		{"cluster: every ready endpoint", Cluster, []Endpoint{readyA, termA, readyB}, []int{0, 2}, RouteReady},
		{"cluster: terminating fallback anywhere", Cluster, []Endpoint{goneA, termB}, []int{1}, RouteTerminating},
		{"cluster: nothing: reject", Cluster, []Endpoint{goneA}, nil, RouteReject},
	}
	for _, tc := range tests {
		got, route := Choose(tc.policy, "a", tc.eps)
		if !reflect.DeepEqual(got, tc.want) || route != tc.route {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, route, tc.want, tc.route)
		}
	}
}

func TestNextSync(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		last, now time.Time
		want      time.Time
	}{
		{"first sync runs at once", time.Time{}, t0, t0},
		{"last sync long ago: at once", t0, t0.Add(5 * time.Second), t0.Add(5 * time.Second)},
		{"last sync 300ms ago: waits for minSyncPeriod", t0, t0.Add(300 * time.Millisecond), t0.Add(time.Second)},
	}
	for _, tc := range tests {
		if got := NextSync(tc.last, tc.now, time.Second); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := NextSync(t0, t0.Add(time.Millisecond), 0); !got.Equal(t0.Add(time.Millisecond)) {
		t.Errorf("ipvs (minSyncPeriod 0): %v", got)
	}
}
