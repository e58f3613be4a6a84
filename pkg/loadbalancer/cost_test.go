package loadbalancer

import (
	"context"
	"fmt"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/azlb/azlb/pkg/fake"
	"github.com/azlb/azlb/pkg/probes"
)

// The cost tests count ARM calls exactly (from the fake's counters). Lines starting with "BENCH" are
// collected into docs/benchmarks.md by hack/bench.sh.

func benchLine(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("BENCH "+format, args...)
}

func (e *env) counts() (reads, writes int) { return e.cloud.Reads(), e.cloud.Writes() }

func TestCostOfOneService(t *testing.T) {
	e := newEnv(t)
	svc := testService(1, local)
	e.cloud.ResetCalls()
	e.ensure(t, svc)
	r, w := e.counts()
	benchLine(t, "one Service: create: %d reads, %d writes (%v)", r, w, e.cloud.Calls())
	if w != 2 {
		t.Errorf("create: %d writes, want 2 (public IP, load balancer)", w)
	}
	e.cloud.ResetCalls()
	svc.Annotations = map[string]string{probes.AnnotationInterval: "10"}
	e.ensure(t, svc)
	r, w = e.counts()
	benchLine(t, "one Service: change one annotation: %d reads, %d writes", r, w)
	if w != 1 || r > 1 {
		t.Errorf("change: %d reads, %d writes, want at most 1 read (the final GET of the write) and 1 write", r, w)
	}
	e.cloud.ResetCalls()
	if err := e.p.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", svc); err != nil {
		t.Fatal(err)
	}
	r, w = e.counts()
	benchLine(t, "one Service: delete: %d reads, %d writes", r, w)
	if w != 2 {
		t.Errorf("delete: %d writes, want 2 (load balancer, public IP)", w)
	}
}

// concurrently runs fn for every Service with 10 workers, as the service controller would with
// --concurrent-service-syncs=10.
func concurrently(t *testing.T, services []*v1.Service, fn func(*v1.Service) error) {
	t.Helper()
	work := make(chan *v1.Service)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for svc := range work {
				if err := fn(svc); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for _, s := range services {
		work <- s
	}
	close(work)
	wg.Wait()
}

// createConcurrently ensures the Services with 10 workers.
func (e *env) createConcurrently(t *testing.T, services []*v1.Service) {
	t.Helper()
	concurrently(t, services, func(svc *v1.Service) error {
		_, err := e.p.EnsureLoadBalancer(context.Background(), "kubernetes", svc, e.nodes)
		return err
	})
}

func manyServices(n int) []*v1.Service {
	out := make([]*v1.Service, n)
	for i := range out {
		out[i] = testService(10000+i, func(s *v1.Service) {
			if i%2 == 0 {
				local(s)
				s.Spec.HealthCheckNodePort = int32(31000 + i)
			}
		})
	}
	return out
}

func TestCostOfResync(t *testing.T) {
	sizes := []int{1, 100, 500}
	if testing.Short() || raceEnabled {
		sizes = []int{1, 100}
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnv(t)
			services := manyServices(n)
			e.createConcurrently(t, services)
			e.cloud.ResetCalls()
			e.createConcurrently(t, services)
			r, w := e.counts()
			benchLine(t, "resync, nothing changed, %d Services, warm cache: %d reads, %d writes", n, r, w)
			if r != 0 || w != 0 {
				t.Errorf("warm resync of %d Services: %d reads, %d writes, want 0 and 0", n, r, w)
			}
			e.p = e.restart(t, nil, 0)
			e.cloud.ResetCalls()
			e.createConcurrently(t, services)
			r, w = e.counts()
			lbReads := e.cloud.Calls()[fake.Call{Method: "GET", ResourceType: fake.TypeLoadBalancers}]
			pipReads := e.cloud.Calls()[fake.Call{Method: "GET", ResourceType: fake.TypePublicIPAddresses}]
			benchLine(t, "resync, nothing changed, %d Services, after a restart: %d reads (%d load balancer GETs for 2 load balancers, %d public IP list pages), %d writes",
				n, r, lbReads, pipReads, w)
			if w != 0 || lbReads > 2 {
				t.Errorf("cold resync of %d Services: %d load balancer reads, %d writes, want at most 2 and 0", n, lbReads, w)
			}
		})
	}
}

func TestCostOfOneNodeAdded(t *testing.T) {
	e := newEnv(t)
	n := 200
	if raceEnabled {
		n = 50
	}
	services := manyServices(n)
	e.createConcurrently(t, services)
	e.cloud.ResetCalls()
	nodes := testNodes(4)
	// The service controller calls UpdateLoadBalancer for every Service.
	concurrently(t, services, func(svc *v1.Service) error {
		return e.p.UpdateLoadBalancer(context.Background(), "kubernetes", svc, nodes)
	})
	r, w := e.counts()
	benchLine(t, "one node added, %d Services on one load balancer: %d writes, %d reads", n, w, r)
	if w != 1 {
		t.Errorf("%d writes, want 1", w)
	}
}
