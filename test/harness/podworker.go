package harness

import (
	"context"
	"net/netip"
	"sort"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// minKillDelayAfterPreStop is the kubelet's minimum grace left for the
// container after its preStop hook: SIGKILL comes at least this long after
// preStop ends, even if the grace period is used up.
const minKillDelayAfterPreStop = 2 * time.Second

// defaultGracePeriod is terminationGracePeriodSeconds' API default.
const defaultGracePeriod = 30 * time.Second

// containerRun is one container of a pod worker. Guarded by podWorker.mu.
type containerRun struct {
	spec       v1.Container
	ports      []int32
	app        *app
	started    bool
	ready      bool
	restarts   int32
	startedAt  time.Time
	terminated bool
	exitCode   int32
	finishedAt time.Time
	waiting    string
	waitingMsg string
}

// podWorker runs one pod from start to deletion.
type podWorker struct {
	k         *kubelet
	uid       types.UID
	namespace string
	name      string
	logger    klog.Logger

	mu  sync.Mutex
	pod *v1.Pod
	// ip is where the pod's sockets are; apiIP what its status shows.
	ip          netip.Addr
	apiIP       netip.Addr
	ipIndex     int
	behaviour   AppBehaviour
	containers  []*containerRun
	startTime   time.Time
	terminating bool
	deadline    time.Time
	// deadlineCh is closed (and replaced) when a later delete shortens the
	// grace period.
	deadlineCh chan struct{}

	terminateCh chan struct{}
	goneCh      chan struct{}
	goneOnce    sync.Once

	statusMu sync.Mutex
}

func newPodWorker(k *kubelet, pod *v1.Pod) *podWorker {
	w := &podWorker{
		k: k, uid: pod.UID, namespace: pod.Namespace, name: pod.Name,
		logger:      k.logger.WithValues("pod", klog.KObj(pod)),
		pod:         pod,
		deadlineCh:  make(chan struct{}),
		terminateCh: make(chan struct{}),
		goneCh:      make(chan struct{}),
	}
	w.observeDeletion(pod)
	return w
}

// gracePeriod is the grace the kubelet gives a deleted pod.
func gracePeriod(pod *v1.Pod) time.Duration {
	switch {
	case pod.DeletionGracePeriodSeconds != nil:
		return time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	default:
		return defaultGracePeriod
	}
}

// update records a newer version of the pod.
func (w *podWorker) update(pod *v1.Pod) {
	w.mu.Lock()
	w.pod = pod
	w.mu.Unlock()
	w.observeDeletion(pod)
}

// observeDeletion starts termination when the pod got a deletionTimestamp,
// and shortens the deadline when a later delete asks for less grace.
func (w *podWorker) observeDeletion(pod *v1.Pod) {
	if pod.DeletionTimestamp == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	deadline := time.Now().Add(gracePeriod(pod))
	switch {
	case !w.terminating:
		w.terminating = true
		w.deadline = deadline
		close(w.terminateCh)
	case deadline.Before(w.deadline):
		w.deadline = deadline
		close(w.deadlineCh)
		w.deadlineCh = make(chan struct{})
	}
}

// abandon stops the pod at once without deleting it (the pod object is
// gone, or the node is).
func (w *podWorker) abandon() { w.goneOnce.Do(func() { close(w.goneCh) }) }

// run is the worker's life: start, probe, and on deletion terminate and
// delete the pod object.
func (w *podWorker) run() {
	ctx, cancel := context.WithCancel(w.k.ctx)
	defer cancel()
	defer w.releaseIP()

	select {
	case <-w.terminateCh:
		// Deleted before it ever ran: nothing to stop.
		w.deletePod(ctx)
		return
	default:
	}
	if !w.start(ctx) {
		// Could not even get an address: wait for the pod to go away.
		select {
		case <-w.goneCh:
		case <-w.terminateCh:
			w.deletePod(w.k.ctx)
		case <-ctx.Done():
		}
		return
	}
	w.syncStatus(ctx)

	var probes sync.WaitGroup
	for _, c := range w.containers {
		probes.Add(1)
		go func() {
			defer probes.Done()
			w.probeLoop(ctx, c)
		}()
	}

	graceful := false
	select {
	case <-w.terminateCh:
		w.terminate(ctx)
		graceful = true
	case <-w.goneCh:
	case <-ctx.Done():
	}
	w.killAll()
	cancel()
	probes.Wait()
	if graceful {
		select {
		case <-w.goneCh:
		default:
			// The kubelet's own context: skipped when the node stops.
			w.syncStatus(w.k.ctx)
			w.deletePod(w.k.ctx)
		}
	}
}

// appPorts are the ports a container's app listens on: its TCP container
// ports and any numeric port its probes or preStop hook use (an app serves
// its probe port whether or not the port is declared).
func appPorts(c *v1.Container) []int32 {
	set := map[int32]bool{}
	for _, p := range c.Ports {
		if p.Protocol == "" || p.Protocol == v1.ProtocolTCP {
			set[p.ContainerPort] = true
		}
	}
	addPort := func(p intstr.IntOrString) {
		if p.Type == intstr.Int && p.IntVal > 0 {
			set[p.IntVal] = true
		}
	}
	for _, pr := range []*v1.Probe{c.ReadinessProbe, c.StartupProbe, c.LivenessProbe} {
		if pr == nil {
			continue
		}
		if pr.HTTPGet != nil {
			addPort(pr.HTTPGet.Port)
		}
		if pr.TCPSocket != nil {
			addPort(pr.TCPSocket.Port)
		}
	}
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.HTTPGet != nil {
		addPort(c.Lifecycle.PreStop.HTTPGet.Port)
	}
	ports := make([]int32, 0, len(set))
	for p := range set {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	return ports
}

// start allocates the pod address and starts every container's app.
func (w *podWorker) start(ctx context.Context) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	pod := w.pod
	w.startTime = time.Now()
	if pod.Spec.HostNetwork {
		w.ip, w.apiIP = w.k.nodeIP, w.k.nodeIP
	} else {
		idx, err := w.k.allocatePodIndex()
		if err != nil {
			w.logger.Error(err, "Cannot start pod")
			return false
		}
		w.ip, w.apiIP, w.ipIndex = PodAddress(w.k.nodeIndex, idx), PodIP(w.k.nodeIndex, idx), idx
	}
	behaviour, behaviourErr := ParseAppBehaviour(pod.Annotations)
	w.behaviour = behaviour
	for i := range pod.Spec.Containers {
		c := &containerRun{spec: pod.Spec.Containers[i]}
		c.ports = appPorts(&c.spec)
		w.containers = append(w.containers, c)
		if behaviourErr != nil {
			c.waiting, c.waitingMsg = "CreateContainerConfigError", behaviourErr.Error()
			w.logger.Error(behaviourErr, "Cannot start container", "container", c.spec.Name)
			continue
		}
		w.startContainerLocked(c)
	}
	w.logger.V(2).Info("Pod started", "podIP", w.apiIP, "loopback", w.ip)
	return true
}

// startContainerLocked starts c's app; w.mu is held.
func (w *podWorker) startContainerLocked(c *containerRun) {
	a, err := startApp(appConfig{pod: w.name, node: w.k.nodeName, ip: w.ip, ports: c.ports, behaviour: w.behaviour, logger: w.logger})
	if err != nil {
		c.waiting, c.waitingMsg = "CreateContainerError", err.Error()
		w.logger.Error(err, "Cannot start container", "container", c.spec.Name)
		return
	}
	c.app, c.startedAt, c.waiting, c.waitingMsg = a, time.Now(), "", ""
}

// killAll SIGKILLs every app still running.
func (w *podWorker) killAll() {
	w.mu.Lock()
	apps := make([]*app, 0, len(w.containers))
	for _, c := range w.containers {
		if c.app != nil {
			apps = append(apps, c.app)
		}
	}
	w.mu.Unlock()
	for _, a := range apps {
		a.kill()
	}
}

func (w *podWorker) releaseIP() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ipIndex != 0 {
		w.k.podIPs.release(w.ipIndex)
		w.ipIndex = 0
	}
}

// sleepCtx waits d, or returns false when ctx ends or stop closes first.
func sleepCtx(ctx context.Context, d time.Duration, stop <-chan struct{}) bool {
	if d <= 0 {
		select {
		case <-ctx.Done():
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}

func seconds(s int32) time.Duration { return time.Duration(s) * time.Second }

func period(p *v1.Probe) time.Duration {
	if p.PeriodSeconds > 0 {
		return seconds(p.PeriodSeconds)
	}
	return 10 * time.Second
}

// probeLoop runs c's startup probe, then its readiness probe, until the app
// exits (readiness keeps running while the pod terminates, as the kubelet
// does). A startup probe that fails failureThreshold times restarts the
// container with the kubelet's crash-loop back-off. Liveness probes are not
// simulated.
func (w *podWorker) probeLoop(ctx context.Context, c *containerRun) {
	for {
		w.mu.Lock()
		a, startedAt := c.app, c.startedAt
		w.mu.Unlock()
		if a == nil {
			return
		}
		if sp := c.spec.StartupProbe; sp != nil {
			if !sleepCtx(ctx, time.Until(startedAt.Add(seconds(sp.InitialDelaySeconds))), a.done()) {
				return
			}
			fails := int32(0)
			restart := false
			for {
				if res := runProbe(ctx, sp, w.ip, w.k.nodeIP, &c.spec); res.ok {
					break
				}
				fails++
				if fails >= max(sp.FailureThreshold, 1) && !w.isTerminating() {
					restart = true
					break
				}
				if !sleepCtx(ctx, period(sp), a.done()) {
					return
				}
			}
			if restart {
				if !w.restartContainer(ctx, c) {
					return
				}
				continue
			}
		}
		w.setContainer(ctx, c, func(c *containerRun) { c.started = true })

		rp := c.spec.ReadinessProbe
		if rp == nil {
			w.setContainer(ctx, c, func(c *containerRun) { c.ready = !c.terminated })
			select {
			case <-ctx.Done():
			case <-a.done():
			}
			return
		}
		if !sleepCtx(ctx, time.Until(startedAt.Add(seconds(rp.InitialDelaySeconds))), a.done()) {
			return
		}
		counter := newProbeCounter(rp.SuccessThreshold, rp.FailureThreshold, false)
		for {
			res := runProbe(ctx, rp, w.ip, w.k.nodeIP, &c.spec)
			if ctx.Err() != nil {
				return
			}
			if counter.observe(res.ok) {
				ready := counter.result
				w.logger.V(3).Info("Readiness changed", "container", c.spec.Name, "ready", ready, "probe", res.detail)
				w.setContainer(ctx, c, func(c *containerRun) { c.ready = ready && !c.terminated })
			}
			if !sleepCtx(ctx, period(rp), a.done()) {
				return
			}
		}
	}
}

func (w *podWorker) isTerminating() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.terminating
}

// restartContainer kills and restarts c after the crash-loop back-off
// (10 s doubling to 5 min). It returns false when the pod is going away.
func (w *podWorker) restartContainer(ctx context.Context, c *containerRun) bool {
	w.mu.Lock()
	old := c.app
	c.restarts++
	backoff := min(10*time.Second<<min(c.restarts-1, 5), 5*time.Minute)
	w.mu.Unlock()
	old.kill()
	w.setContainer(ctx, c, func(c *containerRun) {
		c.started, c.ready, c.app = false, false, nil
		c.waiting, c.waitingMsg = "CrashLoopBackOff", "startup probe failed"
	})
	w.logger.Info("Startup probe failed; restarting container", "container", c.spec.Name, "backoff", backoff)
	if !sleepCtx(ctx, backoff, w.terminateCh) {
		return false
	}
	w.mu.Lock()
	w.startContainerLocked(c)
	w.mu.Unlock()
	w.syncStatus(ctx)
	return true
}

// setContainer changes c under the lock and reports the status if it
// changed.
func (w *podWorker) setContainer(ctx context.Context, c *containerRun, change func(*containerRun)) {
	w.mu.Lock()
	before := *c
	change(c)
	changed := before.started != c.started || before.ready != c.ready || before.terminated != c.terminated ||
		before.app != c.app || before.waiting != c.waiting
	w.mu.Unlock()
	if changed {
		w.syncStatus(ctx)
	}
}

// terminate runs the kubelet's kill sequence for every container in
// parallel: preStop (bounded by the grace period), SIGTERM, and SIGKILL when
// the grace period ends but at least 2 s after preStop.
func (w *podWorker) terminate(ctx context.Context) {
	var wg sync.WaitGroup
	w.mu.Lock()
	containers := append([]*containerRun(nil), w.containers...)
	w.mu.Unlock()
	for _, c := range containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.stopContainer(ctx, c)
		}()
	}
	wg.Wait()
}

func (w *podWorker) stopContainer(ctx context.Context, c *containerRun) {
	w.mu.Lock()
	a, deadline := c.app, w.deadline
	w.mu.Unlock()
	if a == nil {
		w.setContainer(ctx, c, func(c *containerRun) { c.terminated, c.ready, c.finishedAt = true, false, time.Now() })
		return
	}
	if c.spec.Lifecycle != nil {
		if h := parseHook(c.spec.Lifecycle.PreStop); h.kind != hookNone {
			hookCtx, cancel := context.WithDeadline(ctx, deadline)
			w.runPreStop(hookCtx, h, c)
			cancel()
		}
	}
	preStopDone := time.Now()
	a.terminate()
	killed := false
	for waiting := true; waiting; {
		w.mu.Lock()
		deadline, changed := w.deadline, w.deadlineCh
		w.mu.Unlock()
		killAt := deadline
		if floor := preStopDone.Add(minKillDelayAfterPreStop); killAt.Before(floor) {
			killAt = floor
		}
		t := time.NewTimer(time.Until(killAt))
		select {
		case <-a.done():
			waiting = false
		case <-t.C:
			killed, waiting = true, false
		case <-w.goneCh:
			killed, waiting = true, false
		case <-ctx.Done():
			killed, waiting = true, false
		case <-changed:
		}
		t.Stop()
	}
	if killed {
		w.logger.V(2).Info("Grace period over; killing container", "container", c.spec.Name)
		a.kill()
	}
	w.setContainer(ctx, c, func(c *containerRun) {
		c.terminated, c.ready, c.finishedAt = true, false, time.Now()
		if killed {
			c.exitCode = 137
		}
	})
}

// runPreStop runs one preStop hook until it finishes or ctx ends.
func (w *podWorker) runPreStop(ctx context.Context, h hook, c *containerRun) {
	w.logger.V(2).Info("Running preStop hook", "container", c.spec.Name, "hook", h.what)
	switch h.kind {
	case hookSleep:
		sleepCtx(ctx, h.sleep, w.goneCh)
	case hookHTTP:
		timeout := time.Until(deadlineOr(ctx, time.Now().Add(defaultGracePeriod)))
		if ok, detail := runHandlerHTTP(ctx, h.http, timeout, w.ip, w.k.nodeIP, &c.spec); !ok {
			w.logger.Info("PreStop hook failed", "container", c.spec.Name, "detail", detail)
		}
	case hookUnsupported:
		w.logger.Info("PreStop hook not simulated (only sleep, exec of sleep and httpGet are); skipping", "container", c.spec.Name, "hook", h.what)
	}
}

func deadlineOr(ctx context.Context, def time.Time) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return def
}

// snapshot captures the worker's state for buildPodStatus; w.mu is held.
func (w *podWorker) snapshotLocked() podSnapshot {
	s := podSnapshot{uid: string(w.uid), podIP: w.apiIP, hostIP: w.k.nodeIP, startTime: w.startTime}
	for _, c := range w.containers {
		s.containers = append(s.containers, containerSnapshot{
			name: c.spec.Name, image: c.spec.Image,
			ready: c.ready, started: c.started, restarts: c.restarts,
			startedAt: c.startedAt, running: c.app != nil && !c.terminated,
			terminated: c.terminated, exitCode: c.exitCode, finishedAt: c.finishedAt,
			waitingReason: c.waiting, waitingMessage: c.waitingMsg,
		})
	}
	return s
}

// syncStatus writes the pod's status through the status subresource,
// retrying on conflicts. Writes are serialised so that a newer status is
// never overwritten by an older one.
func (w *podWorker) syncStatus(ctx context.Context) {
	w.statusMu.Lock()
	defer w.statusMu.Unlock()
	pods := w.k.client.CoreV1().Pods(w.namespace)
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := pods.Get(ctx, w.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && cur.UID != w.uid) {
			return
		}
		if err != nil {
			if ctx.Err() == nil {
				w.logger.Error(err, "Reading pod for status update")
			}
			return
		}
		w.mu.Lock()
		st := buildPodStatus(cur.Status, cur.Spec.ReadinessGates, w.snapshotLocked(), time.Now())
		w.mu.Unlock()
		if equality.Semantic.DeepEqual(st, cur.Status) {
			return
		}
		cur.Status = st
		_, err = pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		switch {
		case err == nil, apierrors.IsNotFound(err):
			return
		case apierrors.IsConflict(err):
			continue
		default:
			if ctx.Err() == nil {
				w.logger.Error(err, "Updating pod status")
			}
			return
		}
	}
}

// deletePod removes the pod object once its containers stopped, as the
// kubelet does (grace period 0, only this incarnation of the pod).
func (w *podWorker) deletePod(ctx context.Context) {
	err := w.k.client.CoreV1().Pods(w.namespace).Delete(ctx, w.name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      &metav1.Preconditions{UID: &w.uid},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) && ctx.Err() == nil {
		w.logger.Error(err, "Deleting terminated pod")
		return
	}
	w.logger.V(2).Info("Pod terminated and deleted")
}
