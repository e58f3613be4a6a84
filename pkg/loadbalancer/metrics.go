package loadbalancer

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	v1 "k8s.io/api/core/v1"
	k8smetrics "k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

const metricsSubsystem = "azlb"

// metrics are exported on the cloud-controller-manager's /metrics endpoint (legacyregistry).
type metrics struct {
	armRequests    *k8smetrics.CounterVec
	reconcileTime  *k8smetrics.HistogramVec
	reconcileError *k8smetrics.CounterVec
	lbWrites       *k8smetrics.CounterVec
	pipWrites      *k8smetrics.CounterVec
	probeInterval  *k8smetrics.GaugeVec
	probeThreshold *k8smetrics.GaugeVec
}

var defaultMetrics = newMetrics()

var registerOnce sync.Once

func newMetrics() *metrics {
	m := &metrics{
		armRequests: k8smetrics.NewCounterVec(&k8smetrics.CounterOpts{
			Subsystem: metricsSubsystem, Name: "arm_requests_total",
			Help: "ARM requests by method, resource type and HTTP status code (each retry counts; 429 is throttling).",
		}, []string{"method", "resource_type", "code"}),
		reconcileTime: k8smetrics.NewHistogramVec(&k8smetrics.HistogramOpts{
			Subsystem: metricsSubsystem, Name: "reconcile_duration_seconds",
			Help:    "Duration of EnsureLoadBalancer (ensure), UpdateLoadBalancer (update) and EnsureLoadBalancerDeleted (delete).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300},
		}, []string{"operation"}),
		reconcileError: k8smetrics.NewCounterVec(&k8smetrics.CounterOpts{
			Subsystem: metricsSubsystem, Name: "reconcile_errors_total",
			Help: "Failed reconciles by operation and Service (namespace/name).",
		}, []string{"operation", "service"}),
		lbWrites: k8smetrics.NewCounterVec(&k8smetrics.CounterOpts{
			Subsystem: metricsSubsystem, Name: "load_balancer_writes_total",
			Help: "Load balancer writes (put, delete) by load balancer and result (ok, stale, error).",
		}, []string{"load_balancer", "operation", "result"}),
		pipWrites: k8smetrics.NewCounterVec(&k8smetrics.CounterOpts{
			Subsystem: metricsSubsystem, Name: "public_ip_writes_total",
			Help: "Public IP writes by result (ok, stale, error).",
		}, []string{"result"}),
		probeInterval: k8smetrics.NewGaugeVec(&k8smetrics.GaugeOpts{
			Subsystem: metricsSubsystem, Name: "probe_interval_seconds",
			Help: "Interval of each health probe in force, by Service and probe port.",
		}, []string{"service", "port", "protocol"}),
		probeThreshold: k8smetrics.NewGaugeVec(&k8smetrics.GaugeOpts{
			Subsystem: metricsSubsystem, Name: "probe_threshold",
			Help: "probeThreshold of each health probe in force, by Service and probe port.",
		}, []string{"service", "port", "protocol"}),
	}
	return m
}

// RegisterMetrics adds the provider's metrics to the legacy registry served at /metrics.
func RegisterMetrics() {
	registerOnce.Do(func() {
		m := defaultMetrics
		legacyregistry.MustRegister(m.armRequests, m.reconcileTime, m.reconcileError, m.lbWrites, m.pipWrites,
			m.probeInterval, m.probeThreshold)
	})
}

func result(err error) string {
	switch {
	case err == nil:
		return "ok"
	case isStale(err):
		return "stale"
	}
	return "error"
}

func (m *metrics) observeLBWrite(lb, op string, _ time.Duration, err error) {
	m.lbWrites.WithLabelValues(lb, op, result(err)).Inc()
}

func (m *metrics) observePIPWrite(err error) { m.pipWrites.WithLabelValues(result(err)).Inc() }

func (m *metrics) observeReconcile(svc *v1.Service, op string, d time.Duration, err error) {
	m.reconcileTime.WithLabelValues(op).Observe(d.Seconds())
	if err != nil {
		m.reconcileError.WithLabelValues(op, svc.Namespace+"/"+svc.Name).Inc()
	}
	if op == "delete" && err == nil {
		m.probeInterval.DeletePartialMatch(map[string]string{"service": svc.Namespace + "/" + svc.Name})
		m.probeThreshold.DeletePartialMatch(map[string]string{"service": svc.Namespace + "/" + svc.Name})
	}
}

func (m *metrics) observeProbes(svc *v1.Service, spec *ServiceSpec) {
	key := svc.Namespace + "/" + svc.Name
	m.probeInterval.DeletePartialMatch(map[string]string{"service": key})
	m.probeThreshold.DeletePartialMatch(map[string]string{"service": key})
	for _, p := range spec.ProbePlan.Probes {
		port := strconv.Itoa(int(p.Port))
		m.probeInterval.WithLabelValues(key, port, string(p.Protocol)).Set(float64(p.IntervalSeconds))
		m.probeThreshold.WithLabelValues(key, port, string(p.Protocol)).Set(float64(p.Threshold))
	}
}

// ARMMetricsPolicy counts every ARM request attempt by method, resource type and status; add it to the
// client options' PerRetryPolicies.
type ARMMetricsPolicy struct{}

// Do implements policy.Policy.
func (ARMMetricsPolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	code := "error"
	if resp != nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	defaultMetrics.armRequests.WithLabelValues(req.Raw().Method, ResourceType(req.Raw().URL.Path), code).Inc()
	return resp, err
}

// ResourceType is the Microsoft.Network resource type an ARM path addresses, e.g. "loadBalancers",
// "loadBalancers/probes", "publicIPAddresses", "operations".
func ResourceType(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, part := range parts {
		if !strings.EqualFold(part, "Microsoft.Network") {
			continue
		}
		var types []string
		for j := i + 1; j < len(parts); j += 2 {
			types = append(types, parts[j])
		}
		if len(types) > 1 && strings.EqualFold(types[0], "locations") {
			return types[1]
		}
		return strings.Join(types, "/")
	}
	return "other"
}
