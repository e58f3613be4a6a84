package check

import (
	"fmt"
	"math"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/azlb/azlb/pkg/azureprovider"
	"github.com/azlb/azlb/pkg/loadbalancer"
	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/plan"
	"github.com/azlb/azlb/pkg/probes"
	"github.com/azlb/azlb/pkg/sim"
	"github.com/azlb/azlb/pkg/sim/rollout"
	"github.com/azlb/azlb/pkg/sim/scenario"
	"github.com/azlb/azlb/pkg/sim/schedule"
)

// minAppDrain is the least time the app gets after its preStop: the kubelet sends SIGKILL at least 2 s
// after the preStop hook (SEMANTICS.md 3), and without a Scenario the app is assumed to need that long
// to finish the requests in flight.
const minAppDrain = 2 * time.Second

// subject is everything the rules read: the Service as the API server completes it, the probe the
// provider writes for it, the workload, the app's behaviour and where the pods run. It is derived from
// manifests (with a Scenario document) and a placement, without I/O.
type subject struct {
	in       *sim.Input
	scenario *scenario.Scenario // defaulted
	given    bool               // the Scenario came from the user

	service string // "Service ns/name"
	local   bool
	// probe is the probe of the rule of the Service's first TCP port, as the provider writes it; nil
	// when the rule has none (the load balancer then never takes a node out of rotation).
	probe        *probes.Settings
	intervalKey  string // the annotation that sets probe's interval (the one in effect, else service-wide)
	thresholdKey string
	sem          probes.Semantics
	proxySync    time.Duration

	workload    string // "Deployment ns/name"
	daemonSet   bool
	template    *v1.PodTemplateSpec
	container   *v1.Container // the container serving the Service's target port
	servingPort intstr.IntOrString
	replicas    int32 // Deployment replicas; DaemonSets: nodes running a pod
	minReady    int32
	grace       time.Duration
	graceSet    bool

	preStop     time.Duration // how long the preStop hook delays SIGTERM, as the simulator runs it
	preStopText string
	// preStopFixable: no hook, a sleep, or an exec of sleep: Apply can set a sleep instead.
	preStopFixable bool

	app scenario.App

	place    placement
	eligible int // nodes the pods may run on (node selector, affinity, taints)
}

// placement is where the pods run once the workload is steady, from the simulator.
type placement struct {
	perNode map[string]int // node -> pods
	nodes   []string       // every node, in order
	pending int
	shares  []float64 // per pod share of the requests in the steady run, sorted
}

// servingNodes is how many nodes run a pod.
func (p placement) servingNodes() int { return len(p.perNode) }

// busiest is the node with the most pods (the first in node order on a tie), or "".
func (p placement) busiest() string {
	best, n := "", 0
	for _, name := range p.nodes {
		if p.perNode[name] > n {
			best, n = name, p.perNode[name]
		}
	}
	return best
}

func placementOf(r *sim.Result) placement {
	p := placement{perNode: map[string]int{}}
	for _, n := range r.Nodes {
		p.nodes = append(p.nodes, n.Name)
	}
	for _, pod := range r.Pods {
		if pod.Deleted != nil {
			continue
		}
		if pod.Node == "" {
			p.pending++
			continue
		}
		p.perNode[pod.Node]++
		p.shares = append(p.shares, pod.Share)
	}
	slices.Sort(p.shares)
	return p
}

// probeSettings builds the Service's load balancer spec with the provider's own code and returns the
// probe of the rule of its first TCP port (nil when the rule has no probe).
func probeSettings(svc *v1.Service) (*probes.Settings, []probes.Warning, error) {
	cfg := plan.DefaultCloudConfig()
	mode, err := probes.ParseMode(cfg.ClusterServiceLoadBalancerHealthProbeMode)
	if err != nil {
		return nil, nil, err
	}
	settings := azureprovider.SettingsFrom(cfg, "kubernetes", mode)
	spec, err := loadbalancer.BuildServiceSpec(svc, &settings)
	if err != nil {
		return nil, nil, err
	}
	for _, pp := range spec.ProbePlan.Ports {
		if pp.Port.Protocol != v1.ProtocolTCP && pp.Port.Protocol != "" {
			continue
		}
		if pp.NoRule || pp.Probe < 0 {
			return nil, spec.Warnings, nil
		}
		s := spec.ProbePlan.Probes[pp.Probe].Settings
		return &s, spec.Warnings, nil
	}
	return nil, spec.Warnings, nil
}

// newSubject derives the subject from manifests that hold a Scenario.
func newSubject(set *manifest.Set, given bool, place placement) (*subject, error) {
	in, err := sim.NewInput(set)
	if err != nil {
		return nil, err
	}
	svc := in.Service
	s := &subject{
		in: in, scenario: in.Scenario, given: given,
		service: "Service " + svc.Namespace + "/" + svc.Name,
		local:   svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal,
		sem:     probes.Semantics(in.Scenario.Spec.LoadBalancer.ProbeSemantics),
		app:     in.Scenario.Spec.App,
		place:   place,
	}
	s.proxySync = in.Scenario.Spec.KubeProxy.MinSyncPeriod.Duration
	if s.probe, _, err = probeSettings(svc); err != nil {
		return nil, err
	}
	s.intervalKey, s.thresholdKey = probes.AnnotationInterval, probes.AnnotationNumOfProbe
	if s.local {
		for _, k := range []*string{&s.intervalKey, &s.thresholdKey} {
			param := probes.ParamInterval
			if k == &s.thresholdKey {
				param = probes.ParamNumOfProbe
			}
			if key := probes.PortAnnotation(svc.Spec.HealthCheckNodePort, param); hasAnnotation(svc, key) {
				*k = key
			}
		}
	}

	wl := in.Workload
	meta := wl.Meta()
	s.workload = fmt.Sprintf("%s %s/%s", wl.Kind(), meta.Namespace, meta.Name)
	s.daemonSet = wl.DaemonSet != nil
	s.template = wl.Template()
	s.minReady = int32(wl.MinReadySeconds() / time.Second)
	if wl.Deployment != nil {
		s.replicas = 1
		if r := wl.Deployment.Spec.Replicas; r != nil {
			s.replicas = *r
		}
	} else {
		s.replicas = int32(place.servingNodes())
	}
	s.grace = probes.DefaultTerminationGracePeriod
	if g := s.template.Spec.TerminationGracePeriodSeconds; g != nil {
		s.grace, s.graceSet = time.Duration(*g)*time.Second, true
	}
	s.container, s.servingPort = servingContainer(&s.template.Spec, firstTCPPort(svc))
	s.preStop, s.preStopText, s.preStopFixable = preStopOf(s.container, s.app.PreStopHTTPGetDuration.Duration)

	req := schedule.Request{Namespace: meta.Namespace, Labels: s.template.Labels, Spec: &s.template.Spec, DaemonSet: s.daemonSet}
	for _, n := range in.Nodes {
		if schedule.Fits(req, schedule.Node{Name: n.Name, Labels: n.Labels, Unschedulable: n.Spec.Unschedulable, Taints: n.Spec.Taints}) {
			s.eligible++
		}
	}
	return s, nil
}

func hasAnnotation(svc *v1.Service, key string) bool {
	_, ok := svc.Annotations[key]
	return ok
}

func firstTCPPort(svc *v1.Service) v1.ServicePort {
	for _, p := range svc.Spec.Ports {
		if p.Protocol == "" || p.Protocol == v1.ProtocolTCP {
			return p
		}
	}
	return v1.ServicePort{}
}

// servingContainer is the container that serves the Service port's target port (by number or name),
// else the first one (as the simulator picks it), and the port it serves on.
func servingContainer(spec *v1.PodSpec, sp v1.ServicePort) (*v1.Container, intstr.IntOrString) {
	target := sp.TargetPort
	if target.Type == intstr.Int && target.IntVal == 0 {
		target = intstr.FromInt32(sp.Port)
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		for _, p := range c.Ports {
			if (target.Type == intstr.Int && p.ContainerPort == target.IntVal) ||
				(target.Type == intstr.String && p.Name == target.StrVal && target.StrVal != "") {
				return c, intstr.FromInt32(p.ContainerPort)
			}
		}
	}
	return &spec.Containers[0], target
}

// preStopOf is how long the container's preStop hook delays SIGTERM, as the simulator runs it: a sleep
// or an exec of sleep as written, an httpGet as the Scenario's preStopHTTPGetDuration, other hooks no
// time. fixable: Apply may replace the hook by a sleep (none, a sleep, or an exec of sleep).
func preStopOf(c *v1.Container, httpGet time.Duration) (d time.Duration, text string, fixable bool) {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return 0, "none", true
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.HTTPGet != nil:
		return httpGet, fmt.Sprintf("httpGet (%s, spec.app.preStopHTTPGetDuration)", httpGet), false
	case h.Sleep != nil || h.Exec != nil:
		if d, ok := probes.PreStopDuration(c); ok {
			if h.Sleep != nil {
				return d, fmt.Sprintf("sleep %s", d), true
			}
			return d, fmt.Sprintf("exec sleep %s", d), true
		}
		return 0, "exec (not a sleep: taken as instantaneous)", false
	}
	return 0, "a hook that takes no time", false
}

// usableAfterSigterm is how long after SIGTERM the pod still takes new connections when kube-proxy
// sends them: 0 for an app that exits at once; serveFor for an app that keeps serving, cut short when it
// fails readiness from SIGTERM on and has a readiness probe (the kubelet then marks it not serving after
// failureThreshold failed probes, the first of which may come right away).
func (s *subject) usableAfterSigterm() time.Duration {
	serve := s.app.OnSigterm.ServeFor.Duration
	if serve == 0 {
		return 0
	}
	if rp := s.container.ReadinessProbe; rp != nil && s.app.OnSigterm.FailReadiness {
		period := time.Duration(max(rp.PeriodSeconds, 1)) * time.Second
		serve = min(serve, time.Duration(max(rp.FailureThreshold, 1)-1)*period)
	}
	return serve
}

// appDrain is how long the app needs after SIGTERM before it has exited cleanly: serveFor, at least
// the kubelet's 2 s.
func (s *subject) appDrain() time.Duration {
	return max(s.app.OnSigterm.ServeFor.Duration, minAppDrain)
}

// detection is how long after a pod's deletion new connections may still reach it: kube-proxy's sync
// plus, with Local, the load balancer's worst mark-down (probes.RequiredPreStop) when the pod is its
// node's last ready one.
func (s *subject) detection(p *probes.Settings) time.Duration {
	if !s.local || p == nil {
		return s.proxySync
	}
	return probes.RequiredPreStop(*p, s.sem, s.proxySync)
}

// inFlight is how long the last connection the pod takes may still be answered after it: the app's
// response time, unless it waits for requests in flight before exiting (gracefulClose).
func (s *subject) inFlight() time.Duration {
	if s.app.OnSigterm.GracefulClose {
		return 0
	}
	return s.app.ResponseTime.Duration
}

// preStopNeed is the smallest preStop that keeps the pod serving through detection, and answering the
// last connections it takes.
func (s *subject) preStopNeed(p *probes.Settings) time.Duration {
	return ceilSeconds(max(s.detection(p)+s.inFlight()-s.usableAfterSigterm(), 0))
}

// graceNeed is the smallest grace period for a preStop of preStop: the preStop, then the app's drain.
func (s *subject) graceNeed(preStop time.Duration) time.Duration {
	return ceilSeconds(preStop + s.appDrain())
}

// bounds are the rollout's maxSurge and maxUnavailable, resolved.
func (s *subject) bounds() (surge, unavailable int, rolling bool) {
	wl := s.in.Workload
	if wl.Deployment != nil {
		su, un, err := rollout.DeploymentBounds(s.replicas, wl.Deployment.Spec.Strategy)
		if err != nil {
			return 0, int(s.replicas), true
		}
		return int(su), int(un), true
	}
	su, un, rolling, err := rollout.DaemonSetBounds(s.place.servingNodes(), wl.DaemonSet.Spec.UpdateStrategy)
	if err != nil {
		return 0, 1, true
	}
	return su, un, rolling
}

func (s *subject) recreate() bool {
	d := s.in.Workload.Deployment
	return d != nil && d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType
}

func ceilSeconds(d time.Duration) time.Duration {
	return (d + time.Second - 1) / time.Second * time.Second
}

// secs formats a duration as whole seconds when it is one ("6"), else with decimals ("1.5").
func secs(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprint(int64(d / time.Second))
	}
	return fmt.Sprint(math.Round(d.Seconds()*1000) / 1000)
}
