package fake

import (
	"net/http"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

func TestThrottlingRetryAfterIsHonouredAndCounted(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	e.cloud.ResetCalls()
	e.cloud.InjectFault(Fault{Method: http.MethodGet, ResourceType: TypeLoadBalancers, Status: http.StatusTooManyRequests,
		RetryAfter: 200 * time.Millisecond, Times: 1})
	start := time.Now()
	if _, err := e.lbs.Get(t.Context(), testRG, "lb1", nil); err != nil {
		t.Fatalf("the SDK must retry a 429: %v", err)
	}
	// The client's RetryDelay is 1 ms: waiting 200 ms means it read Retry-After.
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("retried after %v, before Retry-After", elapsed)
	}
	get := Call{http.MethodGet, TypeLoadBalancers}
	byStatus := e.cloud.CallsByStatus()
	if e.cloud.Calls()[get] != 2 || byStatus[CallStatus{get, 4}] != 1 || byStatus[CallStatus{get, 2}] != 1 {
		t.Errorf("calls = %v, by status %v; want one 429 and one 200", e.cloud.Calls(), byStatus)
	}
}

func TestStatusFaults(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			e.cloud.InjectFault(Fault{Method: http.MethodPut, Status: status, Times: 1})
			if _, err := e.putLB("lb1", e.publicLB("lb1", "pip1")); err != nil {
				t.Fatalf("the SDK must retry a %d: %v", status, err)
			}
			put := Call{http.MethodPut, TypeLoadBalancers}
			if got := e.cloud.CallsByStatus(); got[CallStatus{put, 5}] != 1 || got[CallStatus{put, 2}] != 1 {
				t.Errorf("PUTs by status = %v", got)
			}
		})
	}
}

func TestConflictFaultDoesNotChangeTheStore(t *testing.T) {
	e := newEnv(t, Options{})
	remove := e.cloud.InjectFault(Fault{Method: http.MethodPut, ResourceType: TypeLoadBalancers, Status: http.StatusConflict})
	version := e.cloud.Snapshot().Version
	for i := 0; i < 3; i++ { // until removed
		_, err := e.putLB("lb1", e.publicLB("lb1", "pip1"))
		wantARMError(t, err, http.StatusConflict, CodeAnotherOperationInProgress)
	}
	if _, found := e.cloud.GetLoadBalancer(testRG, "lb1"); found || e.cloud.Snapshot().Version != version {
		t.Error("a faulted write changed the store")
	}
	remove()
	if _, err := e.putLB("lb1", e.publicLB("lb1", "pip1")); err != nil {
		t.Errorf("after removing the fault: %v", err)
	}
}

func TestFaultMatchesByName(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	e.cloud.InjectFault(Fault{Name: "other", Status: http.StatusBadRequest, Code: "Nope"})
	if _, err := e.lbs.Get(t.Context(), testRG, "lb1", nil); err != nil {
		t.Errorf("a fault on another name hit lb1: %v", err)
	}
	e.cloud.InjectFault(Fault{Name: "LB1", Status: http.StatusBadRequest, Code: "Nope"})
	_, err := e.pools.Get(t.Context(), testRG, "lb1", "pool", nil)
	wantARMError(t, err, http.StatusBadRequest, "Nope")
}

func TestProbabilisticFaultsAreDeterministicFromTheSeed(t *testing.T) {
	pattern := func(seed int64) []int {
		e := newEnv(t, Options{Seed: seed})
		e.cloud.InjectFault(Fault{Method: http.MethodGet, Status: http.StatusServiceUnavailable, Probability: 0.5})
		var statuses []int
		for i := 0; i < 200; i++ {
			resp, _ := e.raw(http.MethodGet, lbPath("none")+apiVersion, "", nil)
			statuses = append(statuses, resp.StatusCode)
		}
		return statuses
	}
	a, b := pattern(7), pattern(7)
	faulted := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d with one cloud, %d with another of the same seed", i, a[i], b[i])
		}
		if a[i] == http.StatusServiceUnavailable {
			faulted++
		}
	}
	if faulted < 70 || faulted > 130 {
		t.Errorf("%d of 200 requests faulted with probability 0.5", faulted)
	}
}

func TestReadLatencyWaitsOnTheClock(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Clock: clk})
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	e.cloud.InjectFault(Fault{Method: http.MethodGet, ResourceType: TypeLoadBalancers, Latency: 3 * time.Second, Times: 1})
	done := make(chan error, 1)
	go func() {
		_, err := e.lbs.Get(t.Context(), testRG, "lb1", nil)
		done <- err
	}()
	deadline := time.After(10 * time.Second)
	for !clk.HasWaiters() {
		select {
		case err := <-done:
			t.Fatalf("the read returned before the clock moved: %v", err)
		case <-deadline:
			t.Fatal("the read never waited on the clock")
		default:
			time.Sleep(time.Millisecond) // polling for the goroutine to block; not waiting for the fake
		}
	}
	clk.Step(3 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
