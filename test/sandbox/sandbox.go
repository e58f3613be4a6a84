package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/azlb/azlb/pkg/fake/dataplane"
	"github.com/azlb/azlb/pkg/sim"
	"github.com/azlb/azlb/pkg/timeline"
	"github.com/azlb/azlb/test/harness"
)

// Options configure Run. CloudController is required; the rest have defaults.
type Options struct {
	// CloudController is the path of a built cmd/cloud-controller.
	CloudController string
	// Manifests are files of Services, Deployments, DaemonSets and PodDisruptionBudgets to create
	// once the cluster runs (examples/local-service.yaml in `make run`).
	Manifests []string
	// Nodes is how many nodes the cluster starts with (default 3).
	Nodes int
	// RequestsPerSecond is the client load on each load-balancer frontend (default 20).
	RequestsPerSecond float64
	// Clients is how many client addresses (127.0.3.1, ...) the load comes from, in turn (default
	// 10), so that the pods' /debug/ip shows whether the client address was kept.
	Clients int
	// ClientTimeout bounds each request (default 5 s, as the simulator's clients).
	ClientTimeout time.Duration
	// UIAddress is where the live page is served; default 127.0.0.1:8080, or a free port of
	// 127.0.0.1 when that one is taken. It must be a loopback address.
	UIAddress string
	// Service is the namespace/name of the Service the live page follows; default the first Service
	// of type LoadBalancer in Manifests, else the first one with a frontend.
	Service string
	// LogDir receives the cloud-controller's log (required: the caller decides whether it stays).
	LogDir string
	// Verbosity is the cloud-controller's -v (default 2).
	Verbosity int
	// Out receives the report (default standard output).
	Out io.Writer
}

// readyInfo is what a user needs to reach the sandbox, printed when it is ready.
type readyInfo struct {
	Kubeconfig string
	// Frontends are the frontends of the Services of type LoadBalancer that had one when the
	// sandbox became ready, by namespace/name.
	Frontends map[string]netip.AddrPort
	// UIURL is the live page.
	UIURL string
	// ControllerPid and ControllerLog identify the cloud-controller process.
	ControllerPid int
	ControllerLog string
	// Nodes are the node addresses (on lo while the sandbox runs).
	Nodes []harness.Node
	// Dirs are the directories the sandbox works in: the fake Azure's, the cluster's (removed when
	// it stops) and LogDir.
	Dirs []string
}

func (o Options) withDefaults() Options {
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	if o.RequestsPerSecond <= 0 {
		o.RequestsPerSecond = 20
	}
	if o.Clients <= 0 {
		o.Clients = 10
	}
	if o.ClientTimeout <= 0 {
		o.ClientTimeout = 5 * time.Second
	}
	if o.UIAddress == "" {
		o.UIAddress = DefaultUIAddress
	}
	if o.Verbosity <= 0 {
		o.Verbosity = 2
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	return o
}

// DefaultUIAddress is where the live page is served unless Options.UIAddress says otherwise.
const DefaultUIAddress = "127.0.0.1:8080"

// readyTimeout bounds the wait for the first Service's frontend to carry traffic.
const readyTimeout = 2 * time.Minute

// sandbox is one running sandbox.
type sandbox struct {
	opts   Options
	clk    clock.WithTicker
	out    io.Writer
	cancel context.CancelFunc // ends everything Run started with its context

	azure      *harness.FakeAzure
	cluster    *harness.Cluster
	dp         *harness.DataPlane
	controller *harness.CloudController
	factory    informers.SharedInformerFactory
	services   corelisters.ServiceLister
	slices     discoverylisters.EndpointSliceLister
	ui         *http.Server
	uiURL      string
	loads      *loads
	tally      tally

	t0 time.Time
	// followed is the Service the live page follows and its recorder.
	followed  atomic.Pointer[followed]
	prev      []serviceView
	problems  string
	lastTrans time.Time
	health    map[string]int
	// refusedPrev is each frontend's NoHealthyBackend counter at the last second.
	refusedPrev map[netip.AddrPort]uint64
}

type followed struct {
	key      string
	selector labels.Selector
	rec      *recorder
}

// Run starts the sandbox (the fake Azure over HTTPS, a cluster, the data plane, the cloud-controller
// binary as its own process, the manifests, a client load and the live page), prints what it needs
// to be used, then a line per second of what the load balancer sees until ctx ends, and stops
// everything: processes, addresses on lo, temporary directories. It returns an error when something
// cannot start; what to change is in the message.
func Run(ctx context.Context, opts Options) (err error) {
	opts = opts.withDefaults()
	if opts.CloudController == "" {
		return errors.New("sandbox: no cloud-controller binary: build cmd/cloud-controller and pass its path")
	}
	if opts.LogDir == "" {
		return errors.New("sandbox: no log directory")
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	s := &sandbox{opts: opts, clk: clock.RealClock{}, out: opts.Out, health: map[string]int{}, cancel: cancel}
	defer func() {
		if stopErr := s.stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
	}()
	begin := s.clk.Now()
	info, err := s.start(ctx)
	if err != nil {
		if parent.Err() != nil {
			return nil // stopped during the start: what failed was the interruption
		}
		return err
	}
	s.printHeader(info, s.clk.Since(begin))
	return s.report(ctx)
}

func (s *sandbox) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(s.out, format+"\n", args...)
}

// start brings every part up, in dependency order; stop takes down whatever started.
func (s *sandbox) start(ctx context.Context) (readyInfo, error) {
	var info readyInfo
	s.printf("Starting the fake Azure (HTTPS on loopback) ...")
	var err error
	if s.azure, err = harness.StartFakeAzure(harness.FakeAzureOptions{}); err != nil {
		return info, err
	}
	info.Dirs = append(info.Dirs, s.azure.Dir, s.opts.LogDir)
	s.printf("Starting the cluster: etcd, kube-apiserver, controllers, scheduler, %d nodes with kube-proxy ...", s.opts.Nodes)
	if s.cluster, err = harness.Start(ctx, harness.Options{Nodes: s.opts.Nodes}); err != nil {
		if errors.Is(err, harness.ErrNeedRoot) {
			return info, fmt.Errorf("%w (run `sudo make run`)", err)
		}
		return info, fmt.Errorf("starting the cluster: %w", err)
	}
	info.Kubeconfig, info.Nodes = s.cluster.Kubeconfig, s.cluster.Nodes()
	info.Dirs = append(info.Dirs, s.cluster.Dir)
	if s.dp, err = harness.StartDataPlane(s.azure, harness.DataPlaneOptions{}); err != nil {
		return info, err
	}
	cfg, err := s.azure.WriteCloudConfig("azure.json", "", nil)
	if err != nil {
		return info, err
	}
	s.printf("Starting the cloud-controller (%s) ...", s.opts.CloudController)
	s.controller, err = harness.StartCloudController(ctx, harness.CloudControllerOptions{
		Binary: s.opts.CloudController, Kubeconfig: s.cluster.Kubeconfig, CloudConfig: cfg,
		LogFile: filepath.Join(s.opts.LogDir, "cloud-controller.log"), Verbosity: s.opts.Verbosity,
	})
	if err != nil {
		return info, err
	}
	info.ControllerPid, info.ControllerLog = s.controller.Pid(), s.controller.LogFile

	s.factory = informers.NewSharedInformerFactory(s.cluster.Client, 0)
	s.services = s.factory.Core().V1().Services().Lister()
	s.slices = s.factory.Discovery().V1().EndpointSlices().Lister()
	podInformer := s.factory.Core().V1().Pods().Informer()
	if _, err := podInformer.AddEventHandler(s.podEvents()); err != nil {
		return info, err
	}
	s.factory.Start(ctx.Done())
	for typ, ok := range s.factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return info, fmt.Errorf("the %v cache did not sync", typ)
		}
	}

	created, skipped, firstLB, err := applyManifests(ctx, s.cluster, s.opts.Manifests)
	if err != nil {
		return info, fmt.Errorf("applying %s: %w", strings.Join(s.opts.Manifests, ", "), err)
	}
	if len(created) > 0 {
		s.printf("Created %s", strings.Join(created, ", "))
	}
	if len(skipped) > 0 {
		s.printf("Left out %s", strings.Join(skipped, ", "))
	}
	if s.opts.Service == "" {
		s.opts.Service = firstLB
	}

	clients := make([]netip.Addr, s.opts.Clients)
	for i := range clients {
		clients[i] = harness.ClientAddress(i + 1)
	}
	s.loads = newLoads(s.opts.RequestsPerSecond, s.opts.ClientTimeout, clients, s.onRequest)
	if err := s.serveUI(); err != nil {
		return info, err
	}
	info.UIURL = s.uiURL

	if firstLB != "" {
		s.printf("Waiting for %s: pods ready, load balancer written, nodes probed ...", firstLB)
		if err := s.waitServing(ctx, firstLB); err != nil {
			return info, err
		}
	}
	info.Frontends = map[string]netip.AddrPort{}
	for _, v := range s.views() {
		if v.Waiting == "" {
			info.Frontends[v.Key] = v.Frontend
		}
	}
	return info, nil
}

// waitServing waits until the Service's frontend answers a request.
func (s *sandbox) waitServing(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		var last string
		for _, v := range s.views() {
			if v.Key != key {
				continue
			}
			last = v.Waiting
			if v.Waiting == "" {
				r := harness.GetDebugIP(ctx, harness.ClientAddress(254), v.Frontend, time.Second)
				if r.Outcome == harness.Served {
					return nil
				}
				last = fmt.Sprintf("%s: %s, in rotation %v", v.Frontend, r.Outcome, v.InRotation)
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return ctx.Err()
			}
			tail, _ := s.controller.LogTail(20)
			return fmt.Errorf("%s did not carry traffic within %s (last: %s); last lines of %s:\n%s", key, readyTimeout, last, s.controller.LogFile, tail)
		case <-s.controller.Done():
			tail, _ := s.controller.LogTail(20)
			return fmt.Errorf("the cloud-controller exited (%v); last lines of %s:\n%s", s.controller.Err(), s.controller.LogFile, tail)
		case <-s.clk.After(200 * time.Millisecond):
		}
	}
}

// serveUI serves the live page (pkg/timeline) and the data plane's observations.
func (s *sandbox) serveUI() error {
	host, _, err := net.SplitHostPort(s.opts.UIAddress)
	if err != nil {
		return fmt.Errorf("UI address %q: %w", s.opts.UIAddress, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("UI address %q: use a loopback address such as %s", s.opts.UIAddress, DefaultUIAddress)
	}
	l, err := net.Listen("tcp", s.opts.UIAddress)
	if errors.Is(err, syscall.EADDRINUSE) && s.opts.UIAddress == DefaultUIAddress {
		s.printf("%s is taken; serving the live page on another port", DefaultUIAddress)
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return fmt.Errorf("serving the live page: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /dataplane.json", s.dp.Live.Handler())
	mux.Handle("/", timeline.LiveHandler("azlb sandbox", s.timeline))
	s.ui = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.uiURL = "http://" + l.Addr().String() + "/"
	go func() { _ = s.ui.Serve(l) }()
	return nil
}

// timeline is the live page's source: the followed Service's last ten minutes.
func (s *sandbox) timeline() (*sim.Result, error) {
	f := s.followed.Load()
	if f == nil {
		return nil, nil
	}
	return f.rec.result(s.clk.Now()), nil
}

func (s *sandbox) printHeader(info readyInfo, took time.Duration) {
	s.printf("")
	s.printf("Sandbox ready in %s.", took.Round(100*time.Millisecond))
	s.printf("  kubeconfig   %s", info.Kubeconfig)
	s.printf("               export KUBECONFIG=%s; kubectl get services,pods -A -o wide", info.Kubeconfig)
	for key, fe := range info.Frontends {
		s.printf("  frontend     %s  http://%s/", key, fe)
		s.printf("               curl --interface %s http://%s/debug/ip", harness.ClientAddress(200), fe)
	}
	s.printf("  live page    %s", info.UIURL)
	s.printf("  data plane   %sdataplane.json", info.UIURL)
	s.printf("  controller   pid %d, log %s", info.ControllerPid, info.ControllerLog)
	var nodes []string
	for _, n := range info.Nodes {
		nodes = append(nodes, n.Name+" "+n.Address.String())
	}
	s.printf("  nodes        %s (addresses on lo while the sandbox runs)", strings.Join(nodes, ", "))
	s.printf("  directories  %s", strings.Join(info.Dirs, " "))
	s.printf("  client load  %g requests/s on each frontend, from %s-%d, a new connection each, timeout %s",
		s.opts.RequestsPerSecond, harness.ClientAddress(1), s.opts.Clients, s.opts.ClientTimeout)
	s.printf("Apply your own Services with kubectl and watch the load balancer follow. Ctrl-C stops everything.")
	s.printf("")
	s.printf("%s", headerLine())
}

// views reads the load balancer's state for every Service of type LoadBalancer.
func (s *sandbox) views() []serviceView {
	svcs, _ := s.services.List(labels.Everything())
	return buildViews(lbInput{
		Services: svcs,
		Config:   dataplane.ConfigFromSnapshot(s.azure.Cloud.Snapshot()),
		Backends: s.dp.Observe().Backends,
		Nodes:    s.cluster.Nodes(),
	})
}

// report prints the load balancer's view once a second until ctx ends.
func (s *sandbox) report(ctx context.Context) error {
	s.t0 = s.clk.Now()
	s.prev = s.views()
	s.refusedSince(s.dp.Observe()) // count from now on
	for i := 1; ; i++ {
		timer := s.clk.NewTimer(s.t0.Add(time.Duration(i) * time.Second).Sub(s.clk.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-s.controller.Done():
			timer.Stop()
			tail, _ := s.controller.LogTail(20)
			return fmt.Errorf("the cloud-controller exited (%v); last lines of %s:\n%s", s.controller.Err(), s.controller.LogFile, tail)
		case <-timer.C():
		}
		s.tick(ctx, i)
		// After a stall, skip the seconds that passed meanwhile.
		i = max(i, int(s.clk.Since(s.t0)/time.Second))
	}
}

// tick is one second: changes, the per-Service lines, the client load, the live page's sample.
func (s *sandbox) tick(ctx context.Context, second int) {
	obs := s.dp.Observe()
	svcs, _ := s.services.List(labels.Everything())
	cfg := dataplane.ConfigFromSnapshot(s.azure.Cloud.Snapshot())
	nodes := s.cluster.Nodes()
	views := buildViews(lbInput{Services: svcs, Config: cfg, Backends: obs.Backends, Nodes: nodes})
	for _, line := range diffViews(s.prev, views) {
		s.printf("%5ds  %s", second, line)
	}
	if p := strings.Join(obs.Problems, "; "); p != s.problems {
		s.problems = p
		if p != "" {
			s.printf("%5ds  ! data plane: %s", second, p)
		}
	}
	s.prev = views
	s.loads.sync(views)
	counts := s.tally.take()
	if len(views) == 0 {
		s.printf("%5ds  no Service of type LoadBalancer: create one with kubectl", second)
	}
	refused := s.refusedSince(obs)
	for _, v := range views {
		s.printf("%s", formatLine(time.Duration(second)*time.Second, v, counts[v.Key], refused[v.Frontend]))
	}
	s.follow(ctx, second-1, views, svcs, obs, nodes, refused)
}

// refusedSince returns, per frontend, the new connections the data plane admitted nowhere (no
// healthy backend) since the last call.
func (s *sandbox) refusedSince(obs dataplane.Observations) map[netip.AddrPort]int64 {
	out := map[netip.AddrPort]int64{}
	now := map[netip.AddrPort]uint64{}
	for _, fs := range obs.Frontends {
		now[fs.Frontend] = fs.NoHealthyBackend
		if prev, ok := s.refusedPrev[fs.Frontend]; ok && fs.NoHealthyBackend >= prev {
			out[fs.Frontend] = int64(fs.NoHealthyBackend - prev)
		} else if !ok {
			out[fs.Frontend] = int64(fs.NoHealthyBackend)
		}
	}
	s.refusedPrev = now
	return out
}

// follow samples the followed Service for the live page's second i.
func (s *sandbox) follow(ctx context.Context, i int, views []serviceView, svcs []*v1.Service, obs dataplane.Observations, nodes []harness.Node, refused map[netip.AddrPort]int64) {
	v, svc, ok := s.pickFollowed(views, svcs)
	if !ok {
		return
	}
	f := s.followed.Load()
	if f == nil || f.key != v.Key {
		f = &followed{key: v.Key, selector: labels.SelectorFromSet(svc.Spec.Selector), rec: newRecorder(s.t0)}
		s.followed.Store(f)
		s.health = map[string]int{}
		s.lastTrans = s.clk.Now()
	}
	rec := f.rec
	now := s.clk.Now()
	port := harness.ProxyHealthPort
	if svc.Spec.HealthCheckNodePort != 0 {
		port = int(svc.Spec.HealthCheckNodePort)
	}
	rec.setSetup(sim.Setup{
		Service: v.Key, ExternalTrafficPolicy: policy(v.Local), Frontend: v.Frontend.String(), Nodes: len(nodes),
		Probe: v.Probe, ProbeSemantics: "azure", KubeProxyMinSync: 1,
		RequestsPerSecond: s.opts.RequestsPerSecond, Clients: s.opts.Clients, ClientTimeout: sim.Seconds(s.opts.ClientTimeout.Seconds()),
	})

	// The load balancer's transitions for this Service's probe, since the last second.
	nodeName := map[netip.Addr]string{}
	for _, n := range nodes {
		nodeName[n.Address] = n.Name
	}
	for _, tr := range obs.Transitions {
		if !tr.At.After(s.lastTrans) {
			continue
		}
		s.lastTrans = tr.At
		if tr.Probe != v.ProbeName {
			continue
		}
		kind := "LBMarkedDown"
		if tr.Up {
			kind = "LBMarkedUp"
		}
		rec.event(tr.At, kind, nodeName[tr.Backend], "", "probe saw "+tr.Outcome)
	}

	// Health checks and endpoints, as a node's kube-proxy and the EndpointSlices show them.
	health := healthOf(ctx, nodes, port, 500*time.Millisecond)
	eps, _ := s.slices.EndpointSlices(svc.Namespace).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name}))
	ready, serving := localEndpoints(eps)
	states := map[string]nodeState{}
	for _, n := range nodes {
		st := nodeState{Probe: "out", Health: health[n.Name], LocalReady: ready[n.Name], LocalServing: serving[n.Name]}
		switch {
		case slices.Contains(v.InRotation, n.Name):
			st.Probe = "up"
		case slices.Contains(v.Pool, n.Name):
			st.Probe = "down"
		}
		states[n.Name] = st
		if old, seen := s.health[n.Name]; (!seen || old != st.Health) && (st.Health == 200 || st.Health == 503) {
			kind := "HealthCheckFailing"
			if st.Health == 200 {
				kind = "HealthCheckPassing"
			}
			rec.event(now, kind, n.Name, "", "")
		}
		s.health[n.Name] = st.Health
	}

	rec.sample(i, states, refused[v.Frontend])
}

// pickFollowed is the Service the live page follows: Options.Service while it exists, else the
// first one with a frontend.
func (s *sandbox) pickFollowed(views []serviceView, svcs []*v1.Service) (serviceView, *v1.Service, bool) {
	byKey := map[string]*v1.Service{}
	for _, svc := range svcs {
		byKey[svc.Namespace+"/"+svc.Name] = svc
	}
	for _, want := range []string{s.opts.Service, ""} {
		for _, v := range views {
			if v.Waiting != "" || (want != "" && v.Key != want) {
				continue
			}
			if svc := byKey[v.Key]; svc != nil {
				return v, svc, true
			}
		}
	}
	return serviceView{}, nil, false
}

// onRequest counts a finished request of the client load.
func (s *sandbox) onRequest(service string, r harness.Request) {
	s.tally.add(service, r.Outcome)
	f := s.followed.Load()
	if f == nil || f.key != service {
		return
	}
	node := ""
	if r.Outcome == harness.Served {
		// Local: the pod's node is where the load balancer sent the connection. Cluster: the pod
		// sees the address of the node that received it (SNAT).
		node = r.Answer.Node
		for _, n := range s.cluster.Nodes() {
			if n.Address.String() == r.Answer.ClientHost {
				node = n.Name
			}
		}
	}
	f.rec.request(r, node)
}

// podEvents records the followed Service's pods' lifecycle on the live page.
func (s *sandbox) podEvents() cache.ResourceEventHandler {
	record := func(p *v1.Pod, kind, detail string) {
		f := s.followed.Load()
		if f == nil {
			return
		}
		if ns, _, _ := strings.Cut(f.key, "/"); ns != p.Namespace || !f.selector.Matches(labels.Set(p.Labels)) {
			return
		}
		f.rec.event(s.clk.Now(), kind, p.Spec.NodeName, p.Name, detail)
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if p, ok := obj.(*v1.Pod); ok {
				record(p, "PodCreated", "")
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			old, ok1 := oldObj.(*v1.Pod)
			p, ok2 := newObj.(*v1.Pod)
			if !ok1 || !ok2 {
				return
			}
			if old.Spec.NodeName == "" && p.Spec.NodeName != "" {
				record(p, "PodScheduled", "on "+p.Spec.NodeName)
			}
			if wasReady, ready := podReady(old), podReady(p); wasReady != ready {
				if ready {
					record(p, "PodReady", "")
				} else {
					record(p, "PodNotReady", "")
				}
			}
			if old.DeletionTimestamp == nil && p.DeletionTimestamp != nil {
				record(p, "PodDeleting", "")
			}
		},
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if p, ok := obj.(*v1.Pod); ok {
				record(p, "PodDeleted", "")
			}
		},
	}
}

func podReady(p *v1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == v1.PodReady {
			return c.Status == v1.ConditionTrue
		}
	}
	return false
}

// stop takes down what started, in reverse order: the client load (its requests in flight end when
// the data plane closes), the live page, the informers, the cloud-controller (SIGTERM, then SIGKILL
// after 10 s), the cluster (nodes, their addresses on lo, the control plane, its directory) and the
// fake Azure (its directory). It reports what could not be stopped.
func (s *sandbox) stop() error {
	var errs []error
	s.cancel() // informers, waits
	if s.loads != nil {
		s.loads.stop()
	}
	if s.dp != nil {
		s.dp.Stop()
	}
	if s.loads != nil {
		s.loads.wait()
	}
	if s.ui != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.ui.Shutdown(ctx)
		cancel()
	}
	if s.factory != nil {
		s.factory.Shutdown()
	}
	if s.controller != nil {
		if err := s.controller.Stop(10 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if s.cluster != nil {
		s.cluster.Stop()
	}
	if s.azure != nil {
		if err := s.azure.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
