package check

import (
	"fmt"
	"strconv"
	"time"

	"github.com/azlb/azlb/pkg/probes"
)

// timingRules compare the workload's termination and rollout timing with the load balancer's probe. They
// run in this order, each on the manifests with the previous rules' fixes applied: a readiness probe
// changes what the pod serves after SIGTERM, the probe changes the preStop it needs, the preStop the
// grace period.
var timingRules = []rule{readinessRule, probeTimingRule, preStopRule, gracePeriodRule, minReadySecondsRule, keepAliveRule}

// readinessRule: without a readiness probe a pod is Ready as soon as its container runs, before the app
// listens (the Scenario's startupTime): the connections it gets meanwhile are refused.
func readinessRule(s *subject) []Finding {
	startup := s.app.StartupTime.Duration
	if s.container.ReadinessProbe != nil || startup <= 0 {
		return nil
	}
	return []Finding{{
		Kind: KindReadiness, DropsRequests: true, Object: s.workload, Container: s.container.Name,
		Field:   containerField(s.container.Name, suffixReadinessTCPPort),
		Current: "none", Suggested: s.servingPort.String(),
		Why: fmt.Sprintf("container %s has no readinessProbe, so each new pod is Ready, and gets connections, as soon as its container "+
			"runs, but the app listens only %s later (spec.app.startupTime): those connections are refused. Add a readinessProbe: "+
			"an httpGet on the app's own readiness endpoint, or at least a tcpSocket on port %s (what Apply writes, every %ds)",
			s.container.Name, startup, s.servingPort.String(), readinessPeriodSeconds),
	}}
}

// probeTimingRule: a probe so slow that the preStop it requires, plus the app's drain, does not fit in
// the grace period. It suggests the largest interval (and, under threshold semantics, threshold) that
// fits; the preStop and grace period rules then size those for the new probe.
func probeTimingRule(s *subject) []Finding {
	if !s.local || s.probe == nil {
		return nil
	}
	fits := func(p *probes.Settings) bool {
		return s.graceNeed(max(s.preStop, s.preStopNeed(p))) <= s.grace
	}
	if fits(s.probe) || s.graceNeed(s.preStop) > s.grace {
		return nil // fine, or the preStop alone already overflows the grace period: raise the grace period
	}
	best := (*probes.Settings)(nil)
	thresholds := []int32{s.probe.Threshold}
	if s.sem == probes.SemanticsThreshold && s.probe.Threshold > probes.MinThreshold {
		thresholds = append(thresholds, probes.MinThreshold)
	}
search:
	for _, n := range thresholds {
		for iv := s.probe.IntervalSeconds; iv >= probes.MinIntervalSeconds; iv-- {
			p := *s.probe
			p.IntervalSeconds, p.Threshold = iv, n
			if fits(&p) {
				best = &p
				break search
			}
		}
	}
	if best == nil {
		return nil
	}
	now := s.detection(s.probe)
	needPreStop := max(s.preStop, s.preStopNeed(s.probe))
	why := fmt.Sprintf("the load balancer may keep sending new connections to a draining node for up to %ss (probe %s, %s semantics, "+
		"plus %ss of kube-proxy sync), so the pod needs a preStop of %ss and then %ss for the app: %ss, more than its grace period of %ss. "+
		"%s cuts that to %ss, which fits (or keep the probe and raise terminationGracePeriodSeconds to %s)",
		secs(now), s.probe, s.sem, secs(s.proxySync), secs(needPreStop), secs(s.appDrain()),
		secs(s.graceNeed(needPreStop)), secs(s.grace), probeText(best), secs(s.detection(best)), secs(s.graceNeed(needPreStop)))
	var out []Finding
	svc := s.in.Service
	if best.IntervalSeconds != s.probe.IntervalSeconds {
		out = append(out, Finding{
			Kind: KindProbeTiming, DropsRequests: true, Object: s.service, Field: annotationField(s.intervalKey),
			Current: annotationText(svc.Annotations, s.intervalKey, s.probe.IntervalSeconds), Suggested: strconv.Itoa(int(best.IntervalSeconds)),
			Why: why,
		})
	}
	if best.Threshold != s.probe.Threshold {
		out = append(out, Finding{
			Kind: KindProbeTiming, DropsRequests: true, Object: s.service, Field: annotationField(s.thresholdKey),
			Current: annotationText(svc.Annotations, s.thresholdKey, s.probe.Threshold), Suggested: strconv.Itoa(int(best.Threshold)),
			Why: why,
		})
	}
	return out
}

func probeText(p *probes.Settings) string {
	return fmt.Sprintf("an interval of %ds with threshold %d", p.IntervalSeconds, p.Threshold)
}

func annotationText(ann map[string]string, key string, effective int32) string {
	if v, ok := ann[key]; ok {
		return v
	}
	return fmt.Sprintf("%d (default)", effective)
}

// preStopRule: the pod stops taking connections before they stop coming.
func preStopRule(s *subject) []Finding {
	if s.local && s.probe == nil {
		return nil // the load balancer never takes a node out of rotation: no preStop helps (reported as a note)
	}
	need := s.preStopNeed(s.probe)
	if s.preStop >= need {
		return nil
	}
	usable := s.usableAfterSigterm()
	serve := s.app.OnSigterm.ServeFor.Duration
	var stops string
	switch {
	case !s.given:
		stops = "the app is assumed to stop accepting connections at SIGTERM"
	case serve == 0:
		stops = "the app exits at SIGTERM (spec.app.onSigterm)"
	case usable < serve:
		stops = fmt.Sprintf("the app keeps serving %s after SIGTERM but fails readiness from then on, and its readinessProbe marks "+
			"the pod not serving after %d failed probe(s), and kube-proxy stops using it", serve, max(s.container.ReadinessProbe.FailureThreshold, 1))
	default:
		stops = fmt.Sprintf("the app takes connections for %s after SIGTERM (spec.app.onSigterm.serveFor)", serve)
	}
	hook := "no preStop"
	if s.preStopText != "none" {
		hook = "a preStop of " + s.preStopText
	}
	answer := ""
	if d := s.inFlight(); d > 0 {
		answer = fmt.Sprintf(", and answering the last of them (%s: the app does not wait for requests in flight when it exits)", d)
	}
	var why string
	if s.local {
		why = fmt.Sprintf("when this pod is the last ready one on its node, the node's health check answers 503 from kube-proxy's next sync "+
			"(up to %ss) and the load balancer keeps sending it new connections until a probe sees that (up to %ss more: probe %s, %s semantics): "+
			"%ss in all, during which kube-proxy hands them to the terminating pod. With %s, %s: %s. "+
			"A preStop of %ss keeps it serving until the load balancer has stopped%s. (AKS's guidance of about 10s covers the "+
			"stricter reading in which every probe result counts toward the threshold.)",
			secs(s.proxySync), secs(s.detection(s.probe)-s.proxySync), s.probe, s.sem, secs(s.detection(s.probe)), hook, stops,
			stopsAt(s.preStop+usable), secs(need), answer)
	} else {
		why = fmt.Sprintf("kube-proxy on every node keeps sending new connections to a deleted pod until its next sync (up to %ss). "+
			"With %s, %s: they are refused. A preStop of %ss keeps it serving until then%s",
			secs(s.proxySync), hook, stops, secs(need), answer)
	}
	f := Finding{
		Kind: KindPreStop, DropsRequests: true, Object: s.workload, Container: s.container.Name,
		Field:   containerField(s.container.Name, suffixPreStopSleep),
		Current: preStopCurrent(s), Suggested: secs(need), Why: why,
	}
	if !s.preStopFixable {
		f.Manual = true
		f.Field = containersPrefix + s.container.Name + "].lifecycle.preStop"
		f.Suggested = fmt.Sprintf("a hook that lasts at least %ss", secs(need))
	}
	return []Finding{f}
}

func stopsAt(d time.Duration) string {
	if d == 0 {
		return "the pod takes no connection after its deletion"
	}
	return fmt.Sprintf("the pod stops taking them %ss after its deletion", secs(d))
}

// preStopCurrent is the current value of the preStop sleep field: its seconds for a sleep action, else
// the hook.
func preStopCurrent(s *subject) string {
	if h := s.container.Lifecycle; h != nil && h.PreStop != nil && h.PreStop.Sleep != nil {
		return strconv.FormatInt(h.PreStop.Sleep.Seconds, 10)
	}
	if s.preStopText == "none" {
		return "none"
	}
	return "none (" + s.preStopText + ")"
}

// gracePeriodRule: SIGKILL before the preStop and the app's drain are over.
func gracePeriodRule(s *subject) []Finding {
	need := s.graceNeed(s.preStop)
	if s.grace >= need {
		return nil
	}
	current := secs(s.grace)
	if !s.graceSet {
		current += " (default)"
	}
	var drain string
	switch {
	case !s.given:
		drain = "the app is assumed to need 2s after SIGTERM to finish the requests in flight (a Scenario's spec.app.onSigterm says otherwise)"
	case s.app.OnSigterm.ServeFor.Duration > minAppDrain:
		drain = fmt.Sprintf("the app then serves %ss more (spec.app.onSigterm.serveFor)", secs(s.app.OnSigterm.ServeFor.Duration))
	default:
		drain = "the app then gets at least the kubelet's 2s to finish the requests in flight"
	}
	// Dropped requests: a preStop cut short before the load balancer has stopped sending connections, or
	// an app killed while it may still have requests in flight or kept-alive connections.
	preStopCut := s.grace < s.preStopNeed(s.probe)
	inFlight := s.scenario.Spec.Clients.KeepAlive || s.app.ResponseTime.Duration >= s.grace-min(s.preStop, s.grace)
	var effect string
	switch {
	case preStopCut:
		effect = fmt.Sprintf("the preStop is cut short at %ss: SIGTERM comes before the load balancer has stopped sending new connections", secs(s.grace))
	case s.grace < s.preStop:
		effect = fmt.Sprintf("the preStop is cut short at %ss, and the app is killed 2s later", secs(s.grace))
	default:
		effect = fmt.Sprintf("the app is killed %ss into its drain", secs(s.grace-s.preStop))
	}
	switch {
	case preStopCut:
	case inFlight:
		effect += ": its requests in flight and kept-alive connections are cut"
	default:
		effect += "; by then no new connection reaches it, so these clients lose nothing, but the app's own shutdown is cut short"
	}
	return []Finding{{
		Kind: KindGracePeriod, DropsRequests: preStopCut || inFlight, Object: s.workload,
		Field: fieldGracePeriod, Current: current, Suggested: secs(need),
		Why: fmt.Sprintf("the grace period counts from the deletion and includes the preStop (%s); %s: %ss in all. With %ss %s",
			s.preStopText, drain, secs(need), secs(s.grace), effect),
	}}
}

// minReadySecondsRule: a rollout that deletes old pods as soon as new ones are Ready, before the load
// balancer sends connections to the new pods' nodes.
func minReadySecondsRule(s *subject) []Finding {
	if !s.local || s.probe == nil {
		return nil
	}
	surge, unavailable, rolling := s.bounds()
	if s.daemonSet && (!rolling || surge > 0) {
		return nil // OnDelete, or surge: the node keeps a ready pod throughout
	}
	need := probes.RequiredMinReadySeconds(*s.probe, s.sem, s.proxySync)
	if s.minReady >= need {
		return nil
	}
	perStep := unavailable
	if !s.daemonSet {
		perStep = surge + unavailable
	}
	k := s.place.servingNodes()
	drops := k <= perStep+1
	effect := fmt.Sprintf("with %d nodes serving and up to %d replaced at a time, the other nodes carry the traffic meanwhile "+
		"(no request is dropped, but capacity thins out)", k, perStep)
	if drops {
		effect = fmt.Sprintf("with %d nodes serving and up to %d replaced at a time, the nodes being replaced can be all of them: "+
			"requests fail with no healthy backend", k, perStep)
	}
	up := probes.MarkUp(*s.probe, s.sem).Max
	return []Finding{{
		Kind: KindMinReadySeconds, DropsRequests: drops, Object: s.workload,
		Field: fieldMinReadySeconds, Current: strconv.Itoa(int(s.minReady)), Suggested: strconv.Itoa(int(need)),
		Why: fmt.Sprintf("a node that gets a new pod after having none (every node, with a DaemonSet) passes its health check at "+
			"kube-proxy's next sync (up to %ss) and the load balancer sends it connections only after its next probe (up to %ss): %ss. "+
			"With minReadySeconds %d the rollout moves on, deleting more old pods, as soon as the new ones are Ready; %s. "+
			"minReadySeconds %d waits for the load balancer (AKS's guidance: about 10)",
			secs(s.proxySync), secs(up), secs(s.proxySync+up), s.minReady, effect, need),
	}}
}

// keepAliveRule: kept-alive connections that the app cuts at exit instead of closing them.
func keepAliveRule(s *subject) []Finding {
	if !s.scenario.Spec.Clients.KeepAlive || s.app.OnSigterm.GracefulClose {
		return nil
	}
	return []Finding{{
		Kind: KindKeepAlive, DropsRequests: true, Object: "Scenario " + s.scenario.Metadata.Name,
		Field: fieldGracefulClose, Current: "false", Suggested: "true",
		Why: "the clients keep connections alive, and a kept-alive connection stays on its pod (the load balancer and kube-proxy keep " +
			"established flows) until the app closes it; this app cuts them when it exits, so the next request on each fails with a " +
			"reset, whatever the preStop. Change the app: after SIGTERM answer with `Connection: close` (HTTP/2: send GOAWAY), close idle " +
			"connections, and exit once the requests in flight are done (the Scenario's gracefulClose: true describes that app)",
	}}
}

// requiredMinReady is RequiredMinReadySeconds as a duration (0 without a probe).
func requiredMinReady(s *subject) time.Duration {
	if s.probe == nil {
		return 0
	}
	return time.Duration(probes.RequiredMinReadySeconds(*s.probe, s.sem, s.proxySync)) * time.Second
}
