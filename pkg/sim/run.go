package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/probes"
	"github.com/azlb/azlb/pkg/sim/kubeproxy"
	"github.com/azlb/azlb/pkg/sim/vclock"
)

// Epoch is the virtual instant every simulation starts at (the warm-up begins here).
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// maxWarmUp bounds the warm-up: the cluster runs until the workload is available and the load
// balancer agrees with every node's health check, or this long.
const maxWarmUp = 10 * time.Minute

// Simulate reads the scenario and objects from the manifests and runs it.
func Simulate(ctx context.Context, set *manifest.Set) (*Result, error) {
	in, err := NewInput(set)
	if err != nil {
		return nil, err
	}
	return Run(ctx, in)
}

// Run simulates the scenario on a virtual clock and returns what the clients saw. The same input gives
// the same result, byte for byte once marshalled.
func Run(ctx context.Context, in *Input) (*Result, error) {
	w, err := newWorld(ctx, in)
	if err != nil {
		return nil, err
	}
	w.warmUp()
	if err := w.runScenario(); err != nil {
		return nil, err
	}
	return w.result(), nil
}

func newWorld(ctx context.Context, in *Input) (*world, error) {
	sp := &in.Scenario.Spec
	seed := uint64(*sp.Seed)
	w := &world{
		ctx:        ctx,
		loop:       vclock.New(Epoch),
		in:         in,
		spec:       sp,
		seed:       seed,
		t0:         Epoch,
		rngProxy:   rand.New(rand.NewPCG(seed, 0x6b7072)), //nolint:gosec // a simulation must repeat for a seed; nothing secret
		rngClients: rand.New(rand.NewPCG(seed, 0x636c69)), //nolint:gosec // a simulation must repeat for a seed; nothing secret
		svc:        in.Service,
		svcPort:    firstTCPPort(in.Service).Port,
		publish:    in.Service.Spec.PublishNotReadyAddresses,
		minSync:    sp.KubeProxy.MinSyncPeriod.Duration,
		semantics:  probes.Semantics(sp.LoadBalancer.ProbeSemantics),
		nodeByName: map[string]*node{},
		nodeByIP:   map[netip.Addr]*node{},
		nameTaken:  map[string]bool{},
		podByName:  map[string]*pod{},
	}
	if in.Service.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal {
		w.policy = kubeproxy.Local
	}
	w.podTemplate = in.Workload.Template()
	w.app = appFrom(sp, w.podTemplate, firstTCPPort(in.Service).TargetPort)
	w.rec = newRecorder(w, sp.Duration.Duration)
	for _, n := range in.Nodes {
		if _, err := w.addNode(n); err != nil {
			return nil, err
		}
	}
	w.nextNode = len(in.Nodes)
	w.ctrl = newControllers(w)
	w.cl = newClients(w)
	if err := w.setupLB(); err != nil {
		return nil, err
	}
	w.endpointsChanged()
	w.ctrl.markDirty()
	return w, nil
}

func appFrom(sp *scenarioSpec, tmpl *v1.PodTemplateSpec, target intstr.IntOrString) appBehaviour {
	c := servingContainer(&tmpl.Spec, target)
	a := appBehaviour{
		startup:        sp.App.StartupTime.Duration,
		containerStart: sp.App.ContainerStartDelay.Duration,
		response:       sp.App.ResponseTime.Duration,
		exitAtSigterm:  sp.App.OnSigterm.ServeFor.Duration == 0,
		serveFor:       sp.App.OnSigterm.ServeFor.Duration,
		failReadiness:  sp.App.OnSigterm.FailReadiness,
		gracefulClose:  sp.App.OnSigterm.GracefulClose,
		grace:          graceSeconds(&tmpl.Spec),
		readiness:      c.ReadinessProbe,
		timeout:        sp.Clients.Timeout.Duration,
	}
	a.preStop, a.preStopText = preStopDuration(c, sp.App.PreStopHTTPGetDuration.Duration)
	return a
}

// addNode adds a Ready node; its kube-proxy starts synced.
func (w *world) addNode(obj *v1.Node) (*node, error) {
	ip, err := netip.ParseAddr(nodeIPv4(obj))
	if err != nil {
		return nil, fmt.Errorf("node %s: InternalIP %q: %w", obj.Name, nodeIPv4(obj), err)
	}
	if w.nodeByIP[ip] != nil {
		return nil, fmt.Errorf("node %s: InternalIP %s is also node %s's", obj.Name, ip, w.nodeByIP[ip].name)
	}
	n := &node{
		idx: len(w.nodes), name: obj.Name, ip: ip, labels: map[string]string{},
		taints: obj.Spec.Taints, unschedulable: obj.Spec.Unschedulable, created: w.now(),
	}
	for k, v := range obj.Labels {
		n.labels[k] = v
	}
	n.zone = n.labels[v1.LabelTopologyZone]
	n.proxy.health = http.StatusServiceUnavailable
	if w.policy == kubeproxy.Cluster {
		n.proxy.health = http.StatusOK
	}
	n.proxy.route = kubeproxy.RouteDrop
	if w.policy == kubeproxy.Cluster {
		n.proxy.route = kubeproxy.RouteReject
	}
	w.nodes = append(w.nodes, n)
	w.nodeByName[n.name] = n
	w.nodeByIP[ip] = n
	w.nameTaken[n.name] = true
	w.rec.addNode(n)
	return n, nil
}

// warmUp runs the cluster before the clients start: the pods start, become ready, and the load
// balancer probes the nodes, until everything is steady (or maxWarmUp).
func (w *world) warmUp() {
	for w.loop.Since(Epoch) < maxWarmUp {
		w.loop.RunUntil(w.now().Add(time.Second))
		if w.steady() {
			break
		}
	}
	w.t0 = w.now()
	if !w.steady() {
		w.notes = append(w.notes, fmt.Sprintf("the cluster was not steady after a %s warm-up (pods pending or not ready, or the load balancer not agreeing with the health checks); clients started anyway", maxWarmUp))
	}
}

// steady: the workload has every pod available, every kube-proxy has applied the endpoints, and the
// load balancer marks exactly the nodes whose health check passes.
func (w *world) steady() bool {
	if !w.ctrl.rolloutComplete(w.ctrl.current) {
		return false
	}
	for _, n := range w.nodes {
		if !n.deleted && !n.proxy.syncAt.IsZero() {
			return false
		}
		inPool, up := w.lb.probeUp(n)
		if !inPool {
			continue
		}
		want := n.proxy.health == http.StatusOK
		if w.policy == kubeproxy.Cluster {
			want = n.proxy.route == kubeproxy.RouteReady || n.proxy.route == kubeproxy.RouteTerminating
		}
		if up != want {
			return false
		}
	}
	return true
}

// runScenario runs from t0 for spec.duration: the scenario's events at their times, the clients'
// requests in between.
func (w *world) runScenario() error {
	w.running = true
	end := w.t0.Add(w.spec.Duration.Duration)
	w.rec.event(w, "ClientsStarted", "", "", "")
	for i := range w.spec.Events {
		ev := w.spec.Events[i]
		w.loop.At(w.t0.Add(ev.At.Duration), func() { w.apply(i, ev) })
	}
	w.sampleAt(1)
	w.cl.start(w.t0, end)
	for iter := 0; ; iter++ {
		if iter&0xffff == 0 && w.ctx.Err() != nil {
			return fmt.Errorf("simulation cancelled: %w", w.ctx.Err())
		}
		next, ok := w.loop.Next()
		arrival := w.cl.next
		if arrival.After(end) || !arrival.Before(end) {
			arrival = time.Time{}
		}
		switch {
		case ok && !next.After(end) && (arrival.IsZero() || !next.After(arrival)):
			w.loop.Step()
		case !arrival.IsZero():
			w.loop.AdvanceTo(arrival)
			w.cl.send()
		default:
			w.loop.AdvanceTo(end)
			w.finish()
			return nil
		}
	}
}

// sampleAt records every node's state at the end of timeline bucket k-1 and schedules bucket k+1.
func (w *world) sampleAt(k int) {
	if k > w.rec.buckets {
		return
	}
	w.loop.At(w.t0.Add(time.Duration(k)*w.rec.bucket), func() {
		w.rec.sample(w)
		w.sampleAt(k + 1)
	})
}

func metaWithName(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: labels}
}
