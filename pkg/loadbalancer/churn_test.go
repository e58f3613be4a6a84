package loadbalancer

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"net/http"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/azlb/azlb/pkg/fake"
	"github.com/azlb/azlb/pkg/probes"
)

// churnResult are the figures of a churn run (docs/benchmarks.md).
type churnResult struct {
	operations, attempts, failedAttempts int
	requests, faulted, writes            int
	elapsed                              time.Duration
	problems                             []string
}

// runChurn creates, changes and deletes services Services with workers workers (each Service on one
// worker, as the service controller's queue guarantees) for ops operations, while a fraction
// faultRate of ARM requests fail (throttling, conflicts, server errors, failed operations). A failed
// operation is retried, as the service controller requeues it, until it succeeds.
func runChurn(t *testing.T, services, workers, ops int, faultRate float64) churnResult {
	e := newEnv(t)
	e.p = e.restart(t, nil, 2)
	per := faultRate / 4
	for _, f := range []fake.Fault{
		{Status: http.StatusTooManyRequests, RetryAfter: 20 * time.Millisecond, Probability: per},
		{Status: http.StatusConflict, Code: "AnotherOperationInProgress", Probability: per},
		{Status: http.StatusInternalServerError, Probability: per},
		{FailOperation: true, Probability: per},
	} {
		f.ResourceType = fake.TypeLoadBalancers
		e.cloud.InjectFault(f)
		f.ResourceType = fake.TypePublicIPAddresses
		e.cloud.InjectFault(f)
	}

	rng := rand.New(rand.NewSource(1))
	state := make([]*v1.Service, services) // nil: deleted or never created
	type op struct {
		index int
		svc   *v1.Service // nil: delete
	}
	queues := make([][]op, workers)
	for range ops {
		i := rng.Intn(services)
		var next *v1.Service
		switch cur := state[i]; {
		case cur == nil:
			next = testService(1000+i, func(s *v1.Service) {
				if i%2 == 0 {
					local(s)
					s.Spec.HealthCheckNodePort = int32(31000 + i)
				}
			})
		case rng.Intn(5) == 0:
			next = nil
		default:
			next = cur.DeepCopy()
			if next.Annotations == nil {
				next.Annotations = map[string]string{}
			}
			switch rng.Intn(4) {
			case 0:
				next.Annotations[probes.AnnotationInterval] = fmt.Sprint(5 + rng.Intn(10))
			case 1:
				next.Spec.Ports[0].Port = int32(80 + rng.Intn(5))
			case 2:
				next.Annotations[AnnotationInternal] = fmt.Sprint(rng.Intn(2) == 0)
			case 3:
				next.Annotations[AnnotationIdleTimeout] = fmt.Sprint(4 + rng.Intn(20))
			}
		}
		state[i] = next
		queues[i%workers] = append(queues[i%workers], op{i, next})
	}

	e.cloud.ResetCalls()
	var mu sync.Mutex
	res := churnResult{operations: ops}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, o := range queues[w] {
				for attempt := 1; ; attempt++ {
					var err error
					if o.svc != nil {
						_, err = e.p.EnsureLoadBalancer(context.Background(), "kubernetes", o.svc, e.nodes)
					} else {
						err = e.p.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", testService(1000+o.index))
					}
					mu.Lock()
					res.attempts++
					if err != nil {
						res.failedAttempts++
					}
					mu.Unlock()
					if err == nil {
						break
					}
					if attempt == 50 {
						t.Errorf("operation on svc%d never succeeded: %v", 1000+o.index, err)
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	for c, n := range e.cloud.CallsByStatus() {
		if c.ResourceType == fake.TypeToken {
			continue
		}
		res.requests += n
		if c.Class != 2 {
			res.faulted += n
		}
	}
	res.writes = e.cloud.Writes()
	var live []*v1.Service
	for _, s := range state {
		if s != nil {
			live = append(live, s)
		}
	}
	res.problems = Verify(e.p.Settings(), live, e.nodes, e.cloud.ListLoadBalancers(""), e.cloud.ListPublicIPs(""), nil)
	return res
}

// churnOps sets the length of TestChurnWithFaults; `make bench` runs it longer.
var churnOps = flag.Int("churn-ops", 1000, "operations of TestChurnWithFaults")

func TestChurnWithFaults(t *testing.T) {
	ops := *churnOps
	if testing.Short() || raceEnabled {
		ops = min(ops, 150)
	}
	res := runChurn(t, 200, 10, ops, 0.05)
	for _, p := range res.problems {
		t.Error(p)
	}
	benchLine(t, "churn: %d operations on 200 Services by 10 workers with 5%% faults: %d attempts (%d failed and retried), "+
		"%d ARM requests of which %d faulted or refused, %d writes, %v",
		res.operations, res.attempts, res.failedAttempts, res.requests, res.faulted, res.writes, res.elapsed.Round(time.Millisecond))
	benchLine(t, "churn: invariants after convergence: %d violations (every Service has exactly its frontend, rules and probes; nothing orphaned)", len(res.problems))
	if res.faulted == 0 {
		t.Error("no faults were injected: the test proves nothing")
	}
}
