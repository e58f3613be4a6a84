package loadbalancer

import (
	"net/http"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/azlb/azlb/pkg/fake"
	"github.com/azlb/azlb/pkg/probes"
)

// metricValue sums the samples of a metric family whose labels include want.
func metricValue(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	families, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue next
				}
			}
			switch {
			case m.GetCounter() != nil:
				total += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				total += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return total
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.p = e.restart(t, nil, 3)
	throttledLabels := map[string]string{"code": "429", "method": "PUT", "resource_type": "loadBalancers"}
	throttled := metricValue(t, "azlb_arm_requests_total", throttledLabels)
	e.cloud.InjectFault(fake.Fault{Method: "PUT", ResourceType: fake.TypeLoadBalancers, Status: http.StatusTooManyRequests, Times: 1})
	svc := testService(7, local, func(s *v1.Service) {
		s.Annotations = map[string]string{probes.AnnotationInterval: "9"}
	})
	e.ensure(t, svc)
	if got := metricValue(t, "azlb_arm_requests_total", throttledLabels); got != throttled+1 {
		t.Errorf("throttled requests %v, want %v", got, throttled+1)
	}
	if got := metricValue(t, "azlb_probe_interval_seconds", map[string]string{"service": "default/svc7", "port": "32000"}); got != 9 {
		t.Errorf("probe interval in force %v, want 9", got)
	}
	if got := metricValue(t, "azlb_load_balancer_writes_total", map[string]string{"load_balancer": "kubernetes", "result": "ok"}); got < 1 {
		t.Errorf("load balancer writes %v", got)
	}
	if got := metricValue(t, "azlb_reconcile_duration_seconds", map[string]string{"operation": "ensure"}); got < 1 {
		t.Errorf("reconciles observed %v", got)
	}
}
