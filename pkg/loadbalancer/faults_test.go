package loadbalancer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/fake"
)

func (e *env) verify(t *testing.T, services []*v1.Service, userPIPs ...armnetwork.PublicIPAddress) {
	t.Helper()
	for _, p := range Verify(e.p.Settings(), services, e.nodes, e.cloud.ListLoadBalancers(""), e.cloud.ListPublicIPs(""), userPIPs) {
		t.Error(p)
	}
}

// restart is a new provider (a restarted or newly elected controller) on the same cloud: empty caches.
func (e *env) restart(t *testing.T, transport policy.Transporter, retries int32) *Provider {
	t.Helper()
	opts := e.cloud.ClientOptions()
	if transport != nil {
		opts.Transport = transport
	}
	opts.Retry = policy.RetryOptions{MaxRetries: retries, RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Second}
	p, err := New(Options{Settings: e.p.Settings(), Credential: e.cloud.TokenCredential(), ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFaultsRetriedThroughAzcore(t *testing.T) {
	tests := []struct {
		name  string
		fault fake.Fault
	}{
		{"throttled with Retry-After", fake.Fault{Method: "PUT", ResourceType: fake.TypeLoadBalancers, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 2}},
		{"another operation in progress", fake.Fault{Method: "PUT", ResourceType: fake.TypeLoadBalancers, Status: http.StatusConflict, Code: "AnotherOperationInProgress", Times: 2}},
		{"server errors on reads", fake.Fault{Method: "GET", ResourceType: fake.TypeLoadBalancers, Status: http.StatusServiceUnavailable, Times: 2}},
		{"server errors on public IPs", fake.Fault{Method: "PUT", ResourceType: fake.TypePublicIPAddresses, Status: http.StatusInternalServerError, Times: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fake.Call{Method: tt.fault.Method, ResourceType: tt.fault.ResourceType}
			svc := testService(1, local)
			clean := newEnv(t)
			clean.ensure(t, svc)
			baseline := clean.cloud.Calls()[key]

			e := newEnv(t)
			e.p = e.restart(t, nil, 3)
			e.cloud.InjectFault(tt.fault)
			start := time.Now()
			e.ensure(t, svc)
			if calls := e.cloud.Calls()[key]; calls != baseline+tt.fault.Times {
				t.Errorf("%d %s %s calls, want %d (the %d of a clean run and %d faulted): no hot loop, no give-up",
					calls, key.Method, key.ResourceType, baseline+tt.fault.Times, baseline, tt.fault.Times)
			}
			if tt.fault.RetryAfter > 0 && time.Since(start) < 2*tt.fault.RetryAfter {
				t.Errorf("Retry-After not honoured: done in %v", time.Since(start))
			}
			e.verify(t, []*v1.Service{svc})
		})
	}
}

func TestFaultConflictThatIsNotTransientIsNotRetried(t *testing.T) {
	e := newEnv(t)
	e.p = e.restart(t, nil, 3)
	e.cloud.InjectFault(fake.Fault{Method: "PUT", ResourceType: fake.TypeLoadBalancers, Status: http.StatusConflict, Code: "Conflict"})
	_, err := e.p.EnsureLoadBalancer(context.Background(), "kubernetes", testService(1), e.nodes)
	if err == nil || ErrorCode(err) != "Conflict" {
		t.Fatalf("err = %v", err)
	}
	if n := e.cloud.Calls()[fake.Call{Method: "PUT", ResourceType: fake.TypeLoadBalancers}]; n != 1 {
		t.Errorf("%d writes: a permanent conflict must not be retried", n)
	}
}

func TestFaultPartialFailureConverges(t *testing.T) {
	e := newEnv(t)
	svc := testService(1)
	// The public IP is created, then the load balancer write fails as an operation.
	remove := e.cloud.InjectFault(fake.Fault{Method: "PUT", ResourceType: fake.TypeLoadBalancers, FailOperation: true})
	if _, err := e.p.EnsureLoadBalancer(context.Background(), "kubernetes", svc, e.nodes); err == nil {
		t.Fatal("want the failed operation reported")
	}
	if pips := e.cloud.ListPublicIPs(""); len(pips) != 1 {
		t.Fatalf("%d public IPs after the partial failure", len(pips))
	}
	remove()
	e.ensure(t, svc)
	if pips := e.cloud.ListPublicIPs(""); len(pips) != 1 {
		t.Errorf("%d public IPs after convergence: the first one must be reused", len(pips))
	}
	e.verify(t, []*v1.Service{svc})

	// Deleting: the load balancer write succeeds, the public IP deletion fails; the next try finishes.
	remove = e.cloud.InjectFault(fake.Fault{Method: "DELETE", ResourceType: fake.TypePublicIPAddresses, Status: http.StatusBadRequest, Code: "SomethingElse"})
	if err := e.p.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", svc); err == nil {
		t.Fatal("want the failed public IP deletion reported")
	}
	remove()
	if err := e.p.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", svc); err != nil {
		t.Fatal(err)
	}
	e.verify(t, nil)
}

// killingTransport forwards requests to the fake until the kill step: that request reaches the fake and
// is applied, but the caller sees the connection die, and every later request fails: the process is gone.
type killingTransport struct {
	next   policy.Transporter
	killAt int64
	count  atomic.Int64
}

var errKilled = errors.New("process killed")

func (k *killingTransport) Do(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.URL.Path, "oauth2") {
		return k.next.Do(req)
	}
	n := k.count.Add(1)
	switch {
	case n < k.killAt:
		return k.next.Do(req)
	case n == k.killAt:
		if resp, err := k.next.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	return nil, errKilled
}

// requestsOf counts the ARM requests one operation makes when nothing fails.
func requestsOf(t *testing.T, e *env, op func(p *Provider) error) int64 {
	t.Helper()
	counter := &killingTransport{next: e.cloud.Transport(), killAt: 1 << 40}
	if err := op(e.restart(t, counter, 0)); err != nil {
		t.Fatal(err)
	}
	return counter.count.Load()
}

// TestKilledAtEveryStep kills the controller at every ARM request of a create, an internal/public flip
// and a delete, restarts it, and checks that the restarted one converges with nothing duplicated,
// orphaned or touched that is the user's.
func TestKilledAtEveryStep(t *testing.T) {
	userPIP := armnetwork.PublicIPAddress{
		Name: ptr.To("user-ip"), Location: ptr.To("eastus"), Tags: map[string]*string{"team": ptr.To("web")},
		SKU:        &armnetwork.PublicIPAddressSKU{Name: ptr.To(armnetwork.PublicIPAddressSKUNameStandard)},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: ptr.To(armnetwork.IPAllocationMethodStatic)},
	}
	other := testService(50, local)
	userSvc := testService(51, func(s *v1.Service) { s.Annotations = map[string]string{AnnotationPIPName: "user-ip"} })
	svc := testService(1, local)
	internalSvc := svc.DeepCopy()
	internalSvc.Annotations = map[string]string{AnnotationInternal: "true"}

	type phase struct {
		name  string
		setup []*v1.Service // ensured before the phase
		op    func(ctx context.Context, p *Provider, nodes []*v1.Node) error
		after []*v1.Service // the live Services once converged
	}
	ensure := func(s *v1.Service) func(context.Context, *Provider, []*v1.Node) error {
		return func(ctx context.Context, p *Provider, nodes []*v1.Node) error {
			_, err := p.EnsureLoadBalancer(ctx, "kubernetes", s, nodes)
			return err
		}
	}
	phases := []phase{
		{"create", []*v1.Service{other, userSvc}, ensure(svc), []*v1.Service{other, userSvc, svc}},
		{"flip to internal", []*v1.Service{other, userSvc, svc}, ensure(internalSvc), []*v1.Service{other, userSvc, internalSvc}},
		// As the service controller deletes: only what GetLoadBalancer says exists.
		{"delete", []*v1.Service{other, userSvc, svc}, func(ctx context.Context, p *Provider, _ []*v1.Node) error {
			_, exists, err := p.GetLoadBalancer(ctx, "kubernetes", svc)
			if err != nil || !exists {
				return err
			}
			return p.EnsureLoadBalancerDeleted(ctx, "kubernetes", svc)
		}, []*v1.Service{other, userSvc}},
	}
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			prepare := func() *env {
				e := newEnv(t)
				if err := e.cloud.PutPublicIP("rg", userPIP); err != nil {
					t.Fatal(err)
				}
				for _, s := range ph.setup {
					e.ensure(t, s)
				}
				return e
			}
			e := prepare()
			steps := requestsOf(t, e, func(p *Provider) error { return ph.op(context.Background(), p, e.nodes) })
			for k := int64(1); k <= steps; k++ {
				e := prepare()
				user, _ := e.cloud.GetPublicIP("rg", "user-ip")
				killed := e.restart(t, &killingTransport{next: e.cloud.Transport(), killAt: k}, 0)
				if err := ph.op(context.Background(), killed, e.nodes); err == nil && k < steps {
					t.Errorf("step %d/%d: the killed controller reported success", k, steps)
				}
				restarted := e.restart(t, nil, 0)
				if err := ph.op(context.Background(), restarted, e.nodes); err != nil {
					t.Fatalf("step %d/%d: the restarted controller failed: %v", k, steps, err)
				}
				for _, p := range Verify(e.p.Settings(), ph.after, e.nodes, e.cloud.ListLoadBalancers(""), e.cloud.ListPublicIPs(""),
					[]armnetwork.PublicIPAddress{user}) {
					t.Errorf("killed at step %d/%d: %s", k, steps, p)
				}
			}
			t.Logf("%s: killed at each of %d ARM requests; every restart converged", ph.name, steps)
		})
	}
}

// TestConcurrentWritersNeverLoseChanges runs two controllers (as during a leader hand-over) writing
// different Services to the same load balancer at once: etags make the later writer re-read and re-apply.
func TestConcurrentWritersNeverLoseChanges(t *testing.T) {
	e := newEnv(t)
	p2 := e.restart(t, nil, 3)
	var services []*v1.Service
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		svc := testService(200+i, local)
		svc.Spec.HealthCheckNodePort = int32(31000 + i)
		services = append(services, svc)
		p := e.p
		if i%2 == 1 {
			p = p2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.EnsureLoadBalancer(context.Background(), "kubernetes", svc, e.nodes)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.verify(t, services)
	stale := 0
	for c, n := range e.cloud.CallsByStatus() {
		if c.Method == "PUT" && c.ResourceType == fake.TypeLoadBalancers && c.Class == 4 {
			stale += n
		}
	}
	t.Logf("two writers, 20 Services: %d load balancer writes refused as stale and re-applied", stale)
}

// TestInterruptedDeletionStillExists: the frontend is gone but the public IP deletion failed; the
// service controller asks GetLoadBalancer before calling EnsureLoadBalancerDeleted, so the Service must
// still "exist" until its public IP is gone too.
func TestInterruptedDeletionStillExists(t *testing.T) {
	e := newEnv(t)
	svc := testService(1)
	e.ensure(t, svc)
	remove := e.cloud.InjectFault(fake.Fault{Method: "DELETE", ResourceType: fake.TypePublicIPAddresses, Status: http.StatusBadRequest, Code: "Failed"})
	if err := e.p.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", svc); err == nil {
		t.Fatal("want the public IP deletion to fail")
	}
	remove()
	restarted := e.restart(t, nil, 0)
	_, exists, err := restarted.GetLoadBalancer(context.Background(), "kubernetes", svc)
	if err != nil || !exists {
		t.Fatalf("GetLoadBalancer = %v, %v: the leftover public IP would be orphaned", exists, err)
	}
	if err := restarted.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", svc); err != nil {
		t.Fatal(err)
	}
	if _, exists, _ := restarted.GetLoadBalancer(context.Background(), "kubernetes", svc); exists {
		t.Error("still exists after the deletion finished")
	}
	e.verify(t, nil)
}
