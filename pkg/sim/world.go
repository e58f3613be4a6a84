package sim

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/azlb/azlb/pkg/probes"
	"github.com/azlb/azlb/pkg/sim/kubeproxy"
	"github.com/azlb/azlb/pkg/sim/scenario"
	"github.com/azlb/azlb/pkg/sim/vclock"
)

// world is one simulation: the cluster, the load balancer and the clients on one virtual clock.
// Everything runs on the loop's single thread, in time order.
type world struct {
	ctx  context.Context
	loop *vclock.Loop
	in   *Input
	spec *scenario.Spec
	seed uint64

	// t0 is the virtual instant of scenario time 0 (clients start); set when the warm-up ends.
	t0      time.Time
	running bool // after warm-up

	rngProxy   *rand.Rand // kube-proxy's choice of endpoint
	rngClients *rand.Rand // arrivals and client choice

	svc         *v1.Service
	svcPort     int32
	policy      kubeproxy.Policy
	publish     bool // publishNotReadyAddresses
	minSync     time.Duration
	semantics   probes.Semantics
	app         appBehaviour
	podTemplate *v1.PodTemplateSpec

	nodes      []*node // every node ever, in creation order
	nodeByName map[string]*node
	nodeByIP   map[netip.Addr]*node
	nameTaken  map[string]bool
	nextNode   int

	pods      []*pod // every pod ever, in creation order
	podByName map[string]*pod
	podSeq    int

	ctrl *controllers
	lb   *lbState
	cl   *clients
	rec  *recorder

	notes []string

	endpointsVersion uint64
	endpointsCache   []kubeproxy.Endpoint
	endpointsPods    []*pod
	endpointsAt      uint64
}

// appBehaviour is what the app does, from the scenario and the pod template.
type appBehaviour struct {
	startup        time.Duration
	containerStart time.Duration
	response       time.Duration
	exitAtSigterm  bool
	serveFor       time.Duration
	failReadiness  bool
	gracefulClose  bool
	preStop        time.Duration
	preStopText    string
	grace          time.Duration
	readiness      *v1.Probe // nil: Ready as soon as the container runs
	timeout        time.Duration
}

// node is one node: its VM, its kube-proxy and its place in the load balancer's pool.
type node struct {
	idx           int
	name          string
	zone          string
	ip            netip.Addr
	labels        map[string]string
	taints        []v1.Taint
	unschedulable bool
	excluded      bool // node.kubernetes.io/exclude-from-external-load-balancers
	deleted       bool // node object and VM gone
	created       time.Time

	proxy proxyState
}

// rel is a virtual instant as scenario time (seconds from t0).
func (w *world) rel(t time.Time) time.Duration { return t.Sub(w.t0) }

// now is the virtual time.
func (w *world) now() time.Time { return w.loop.Now() }
