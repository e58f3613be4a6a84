package loadbalancer

import (
	"fmt"
	"sort"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/azlb/azlb/pkg/probes"
)

// ReasonProbeTimingTooSlow is the event reason when a Local Service's workload drains faster than its
// load balancer can notice.
const ReasonProbeTimingTooSlow = "ProbeTimingTooSlow"

// Workload is a pod template that may back a Service (a Deployment's, a DaemonSet's...).
type Workload struct {
	Kind, Namespace, Name string
	Template              *v1.PodTemplateSpec
}

// WorkloadLister lists the workloads of a namespace (from informers; may be incomplete until synced).
type WorkloadLister interface {
	Workloads(namespace string) []Workload
}

// SetWorkloads lets the provider check the workloads behind Local Services against their probe timing.
func (p *Provider) SetWorkloads(l WorkloadLister) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.workloads = l
}

// timingFindings are the messages of the workloads behind svc that drain faster than the load
// balancer's health check probe notices (Local Services only; pure).
func timingFindings(svc *v1.Service, plan probes.Plan, workloads []Workload) []string {
	var hc *probes.Probe
	for i := range plan.Probes {
		if plan.Probes[i].Kind == probes.KindHealthCheckNodePort {
			hc = &plan.Probes[i]
		}
	}
	if hc == nil || len(svc.Spec.Selector) == 0 {
		return nil
	}
	selector := labels.SelectorFromSet(svc.Spec.Selector)
	var out []string
	for _, w := range workloads {
		if w.Template == nil || !selector.Matches(labels.Set(w.Template.Labels)) {
			continue
		}
		for _, f := range probes.CheckTermination(&w.Template.Spec, hc.Settings, probes.SemanticsAzure, probes.DefaultProxySync) {
			out = append(out, fmt.Sprintf("%s %s/%s: %s", w.Kind, w.Namespace, w.Name, f.Message))
		}
	}
	sort.Strings(out)
	return out
}
