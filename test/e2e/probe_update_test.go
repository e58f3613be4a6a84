package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/fake"
)

// TestProbeAnnotationChange: changing the probe annotations of a Local Service changes its probe and
// nothing else, in exactly one load balancer write and no other write to Azure.
func TestProbeAnnotationChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.startController("a", controllerOptions{})
	e.createDeployment("shop", 2)
	e.createService("shop", local)
	svc := e.waitIngress("shop")
	e.waitFor("the first EnsuredLoadBalancer event", reconcileTimeout, func() (bool, error) {
		return e.eventCount(svc, "EnsuredLoadBalancer") >= 1, e.lastEventOf(svc)
	})
	ensured := e.eventCount(svc, "EnsuredLoadBalancer")
	before := e.loadBalancer()
	probeName := ownedProbeName(t, e, before, svc)
	cloud := e.azure.Cloud
	lbPuts, writes := cloud.Calls()[fake.Call{Method: http.MethodPut, ResourceType: fake.TypeLoadBalancers}], cloud.Writes()
	e.step("service shop ensured; probe %s before the change: %s", probeName, probeSummary(before, probeName))

	e.updateService("shop", func(s *v1.Service) {
		s.Annotations = map[string]string{annotationProbeInterval: "10", annotationProbeNumOfProbe: "3"}
	})
	e.waitFor("the service's next EnsuredLoadBalancer event", reconcileTimeout, func() (bool, error) {
		return e.eventCount(svc, "EnsuredLoadBalancer") > ensured, e.lastEventOf(svc)
	})
	after := e.loadBalancer()
	e.step("probe after the change: %s", probeSummary(after, probeName))

	if got := cloud.Calls()[fake.Call{Method: http.MethodPut, ResourceType: fake.TypeLoadBalancers}] - lbPuts; got != 1 {
		t.Errorf("load balancer PUTs for the change: %d, want exactly 1", got)
	}
	if got := cloud.Writes() - writes; got != 1 {
		t.Errorf("writes to Azure for the change: %d, want exactly 1 (the load balancer); calls now %v", got, cloud.Calls())
	}
	want := withProbe(t, before, probeName, func(p *armnetwork.ProbePropertiesFormat) {
		p.IntervalInSeconds = ptr.To[int32](10)
		p.ProbeThreshold = ptr.To[int32](3)
	})
	if diff := cmp.Diff(withoutEtags(want), withoutEtags(after)); diff != "" {
		t.Errorf("load balancer after the annotation change, beyond the probe's interval and threshold (-want +got):\n%s", diff)
	}
}

// updateService changes a Service with retries on conflicts.
func (e *env) updateService(name string, change func(*v1.Service)) {
	e.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := e.client.CoreV1().Services(e.ns).Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(s)
		_, err = e.client.CoreV1().Services(e.ns).Update(context.WithoutCancel(e.ctx), s, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		e.t.Fatalf("updating service %s: %v", name, err)
	}
}

// ownedProbeName is the name of the Service's single probe.
func ownedProbeName(t *testing.T, e *env, lb *armnetwork.LoadBalancer, svc *v1.Service) string {
	t.Helper()
	probes := ownedBy(lb, baseName(svc)).probes
	if len(probes) != 1 {
		t.Fatalf("service %s has %d probes, want 1\n%s", svc.Name, len(probes), e.describeAzure())
	}
	return ptr.Deref(probes[0].Name, "")
}

// probeSummary is the named probe's properties as JSON, for the log.
func probeSummary(lb *armnetwork.LoadBalancer, name string) string {
	for _, p := range lb.Properties.Probes {
		if ptr.Deref(p.Name, "") == name && p.Properties != nil {
			data, _ := json.Marshal(p.Properties)
			return string(data)
		}
	}
	return "absent"
}

// withProbe returns a deep copy of lb with the named probe's properties changed.
func withProbe(t *testing.T, lb *armnetwork.LoadBalancer, name string, change func(*armnetwork.ProbePropertiesFormat)) *armnetwork.LoadBalancer {
	t.Helper()
	data, err := json.Marshal(lb)
	if err != nil {
		t.Fatal(err)
	}
	var out armnetwork.LoadBalancer
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	for _, p := range out.Properties.Probes {
		if ptr.Deref(p.Name, "") == name {
			change(p.Properties)
			return &out
		}
	}
	t.Fatalf("no probe %s", name)
	return nil
}

// withoutEtags is the load balancer as generic JSON without its etags, which every write changes.
func withoutEtags(lb *armnetwork.LoadBalancer) any { return withoutKeys(jsonValue(lb), "etag") }
