package fake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	testingclock "k8s.io/utils/clock/testing"
)

func TestZeroLatencyWriteCompletesAtFirstPollWithoutSleeping(t *testing.T) {
	e := newEnv(t, Options{})
	start := time.Now()
	poller, err := e.lbs.BeginCreateOrUpdate(t.Context(), testRG, "lb1", e.publicLB("lb1", "pip1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Default options: any wait would be the SDK's 30 s polling frequency.
	got, err := poller.PollUntilDone(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("PollUntilDone took %v: the SDK slept", elapsed)
	}
	stored, _ := e.cloud.GetLoadBalancer(testRG, "lb1")
	if deref(got.Etag) != deref(stored.Etag) || deref(got.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded {
		t.Errorf("PollUntilDone returned etag %s state %s; stored etag %s", deref(got.Etag), deref(got.Properties.ProvisioningState), deref(stored.Etag))
	}
	want := map[Call]int{{http.MethodPut, TypeLoadBalancers}: 1, {http.MethodGet, TypeOperations}: 1, {http.MethodGet, TypeLoadBalancers}: 1}
	if got := e.cloud.Calls(); !equalCalls(got, want) {
		t.Errorf("calls = %v, want %v (PUT, one poll, final GET)", got, want)
	}
}

func TestWriteLatencyOnFakeClock(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Clock: clk})
	changes := make(chan struct{}, 16)
	defer e.cloud.Watch(func() { changes <- struct{}{} })()
	e.cloud.InjectFault(Fault{Method: http.MethodPut, ResourceType: TypeLoadBalancers, Latency: 10 * time.Second, Times: 1})

	resp, body := e.raw(http.MethodPut, lbPath("lb1")+apiVersion, mustJSON(t, e.publicLB("lb1", "pip1")), nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	if ms := resp.Header.Get("Retry-After-Ms"); ms != "10000" || resp.Header.Get("Retry-After") != "10" {
		t.Errorf("Retry-After = %q, Retry-After-Ms = %q; want 10 and 10000", resp.Header.Get("Retry-After"), ms)
	}
	<-changes // the accepted write
	lb, _ := e.cloud.GetLoadBalancer(testRG, "lb1")
	if deref(lb.Properties.ProvisioningState) != armnetwork.ProvisioningStateUpdating {
		t.Fatalf("during the operation provisioningState = %s, want Updating", deref(lb.Properties.ProvisioningState))
	}
	opURL := resp.Header.Get("Azure-AsyncOperation")
	poll, body := rawRequest(t, e.cloud, http.MethodGet, opURL, "", nil)
	if poll.StatusCode != http.StatusOK || !strings.Contains(body, `"status":"InProgress"`) || poll.Header.Get("Retry-After-Ms") != "10000" {
		t.Fatalf("poll: %d %s %v", poll.StatusCode, body, poll.Header)
	}

	// Writes to the resource are refused while its operation runs.
	_, err := e.lbs.BeginCreateOrUpdate(t.Context(), testRG, "lb1", e.publicLB("lb1", "pip1"), nil)
	wantARMError(t, err, http.StatusConflict, CodeAnotherOperationInProgress)
	_, err = e.lbs.BeginDelete(t.Context(), testRG, "lb1", nil)
	wantARMError(t, err, http.StatusConflict, CodeAnotherOperationInProgress)
	_, err = e.pools.BeginCreateOrUpdate(t.Context(), testRG, "lb1", "pool", armnetwork.BackendAddressPool{}, nil)
	wantARMError(t, err, http.StatusConflict, CodeAnotherOperationInProgress)

	clk.Step(4 * time.Second)
	poll, body = rawRequest(t, e.cloud, http.MethodGet, opURL, "", nil)
	if !strings.Contains(body, `"status":"InProgress"`) || poll.Header.Get("Retry-After-Ms") != "6000" {
		t.Errorf("after 4 s: %s, Retry-After-Ms %q; want InProgress and 6000", body, poll.Header.Get("Retry-After-Ms"))
	}
	clk.Step(6 * time.Second)
	select { // the operation's timer tells the watchers without any request
	case <-changes:
	case <-time.After(10 * time.Second):
		t.Fatal("no change notification when the operation ended")
	}
	_, body = rawRequest(t, e.cloud, http.MethodGet, opURL, "", nil)
	if !strings.Contains(body, `"status":"Succeeded"`) {
		t.Errorf("after 10 s: %s", body)
	}
	lb, _ = e.cloud.GetLoadBalancer(testRG, "lb1")
	if deref(lb.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded ||
		deref(lb.Properties.Probes[0].Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded {
		t.Error("load balancer and children not Succeeded after the operation")
	}
	if _, err := e.putLB("lb1", e.publicLB("lb1", "pip1")); err != nil {
		t.Errorf("write after the operation ended: %v", err)
	}
}

func TestDeleteLatencyShowsDeleting(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Clock: clk})
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	e.cloud.InjectFault(Fault{Method: http.MethodDelete, Latency: time.Minute})
	poller, err := e.lbs.BeginDelete(t.Context(), testRG, "lb1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.Poll(t.Context()); err != nil || poller.Done() {
		t.Fatalf("poll: done %v, err %v", poller.Done(), err)
	}
	lb, found := e.cloud.GetLoadBalancer(testRG, "lb1")
	if !found || deref(lb.Properties.ProvisioningState) != armnetwork.ProvisioningStateDeleting {
		t.Fatalf("during the delete: found %v, state %v", found, deref(deref(lb.Properties).ProvisioningState))
	}
	if pip, _ := e.cloud.GetPublicIP(testRG, "pip1"); pip.Properties.IPConfiguration == nil {
		t.Error("the public IP was released before the delete ended")
	}
	clk.Step(time.Minute)
	if _, err := poller.Poll(t.Context()); err != nil || !poller.Done() {
		t.Fatalf("poll after a minute: done %v, err %v", poller.Done(), err)
	}
	if _, err := poller.Result(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, found := e.cloud.GetLoadBalancer(testRG, "lb1"); found {
		t.Error("load balancer still there after its delete ended")
	}
}

func TestSmallRealLatencyHonoursRetryAfterMs(t *testing.T) {
	e := newEnv(t, Options{})
	e.cloud.InjectFault(Fault{Method: http.MethodPut, Latency: 50 * time.Millisecond})
	start := time.Now()
	if _, err := e.putLB("lb1", e.publicLB("lb1", "pip1")); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("PollUntilDone took %v; want the 50 ms operation, not the SDK's 30 s default", elapsed)
	}
}

func TestFailedOperationLeavesTheStoreUnchanged(t *testing.T) {
	e := newEnv(t, Options{})
	before := e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	e.cloud.InjectFault(Fault{Method: http.MethodPut, ResourceType: TypeLoadBalancers, FailOperation: true, Code: "InternalServerError", Times: 1})
	changed := e.publicLB("lb1", "pip1")
	ruleProps(&changed).FrontendPort = ptr[int32](8080)
	poller, err := e.lbs.BeginCreateOrUpdate(t.Context(), testRG, "lb1", changed, nil)
	if err != nil {
		t.Fatalf("the write must be accepted: %v", err)
	}
	_, err = poller.PollUntilDone(t.Context(), nil)
	wantARMError(t, err, http.StatusOK, "InternalServerError")
	after, _ := e.cloud.GetLoadBalancer(testRG, "lb1")
	if deref(after.Etag) != deref(before.Etag) || deref(ruleProps(&after).FrontendPort) != 80 {
		t.Error("a failed operation changed the load balancer")
	}
	// Creation that fails leaves nothing behind.
	e.cloud.InjectFault(Fault{Method: http.MethodPut, FailOperation: true, Times: 1})
	empty := e.publicLB("lb2", "pip1")
	empty.Properties = nil
	_, err = e.putLB("lb2", empty)
	wantARMError(t, err, http.StatusOK, CodeInternalServerError)
	if _, found := e.cloud.GetLoadBalancer(testRG, "lb2"); found {
		t.Error("a failed create left a load balancer")
	}
	// A failed delete keeps the resource.
	e.cloud.InjectFault(Fault{Method: http.MethodDelete, FailOperation: true, Times: 1})
	poller2, err := e.lbs.BeginDelete(t.Context(), testRG, "lb1", nil)
	if err == nil {
		_, err = poller2.PollUntilDone(t.Context(), nil)
	}
	wantARMError(t, err, http.StatusOK, CodeInternalServerError)
	if _, found := e.cloud.GetLoadBalancer(testRG, "lb1"); !found {
		t.Error("a failed delete removed the load balancer")
	}
}

func TestOperationResultsLocation(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Clock: clk})
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	e.cloud.InjectFault(Fault{Method: http.MethodDelete, Latency: time.Second, Times: 1})
	resp, _ := e.raw(http.MethodDelete, lbPath("lb1")+apiVersion, "", nil)
	loc := resp.Header.Get("Location")
	if r, _ := rawRequest(t, e.cloud, http.MethodGet, loc, "", nil); r.StatusCode != http.StatusAccepted {
		t.Errorf("Location poll while running = %d, want 202", r.StatusCode)
	}
	clk.Step(time.Second)
	if r, _ := rawRequest(t, e.cloud, http.MethodGet, loc, "", nil); r.StatusCode != http.StatusNoContent {
		t.Errorf("Location poll when done = %d, want 204", r.StatusCode)
	}
	if r, body := e.raw(http.MethodGet, "/subscriptions/"+DefaultSubscriptionID+"/providers/Microsoft.Network/locations/eastus/operations/nope"+apiVersion, "", nil); r.StatusCode != http.StatusNotFound || armCode(t, body) != CodeOperationNotFound {
		t.Errorf("unknown operation: %d %s", r.StatusCode, body)
	}
	clk.Step(operationRetention + time.Second)
	if r, _ := rawRequest(t, e.cloud, http.MethodGet, resp.Header.Get("Azure-AsyncOperation"), "", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("poll of an operation ended a day ago = %d, want 404 (forgotten)", r.StatusCode)
	}
}

func TestConcurrentWrites(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Clock: clk})
	for i := 0; i < 8; i++ {
		must(t, e.cloud.PutPublicIP(testRG, standardPIP(fmt.Sprintf("p%d", i), DefaultLocation)))
	}
	e.cloud.InjectFault(Fault{Method: http.MethodPut, Latency: time.Second})
	var wg sync.WaitGroup
	statuses := make([]int, 16)
	for i := range statuses {
		name := fmt.Sprintf("lb%d", i%8) // two writers per load balancer
		body := mustJSON(t, e.publicLB(name, fmt.Sprintf("p%d", i%8)))
		tok, _ := e.cloud.TokenCredential().GetToken(t.Context(), policy.TokenRequestOptions{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPut, InProcessEndpoint+lbPath(name)+apiVersion, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok.Token)
			if resp, err := e.cloud.Transport().Do(req); err == nil {
				statuses[i] = resp.StatusCode
			}
		}()
	}
	wg.Wait()
	for lb := 0; lb < 8; lb++ {
		a, b := statuses[lb], statuses[lb+8]
		if !(a == http.StatusCreated && b == http.StatusConflict || a == http.StatusConflict && b == http.StatusCreated) {
			t.Errorf("lb%d: writers got %d and %d, want one 201 and one 409", lb, a, b)
		}
	}
	clk.Step(time.Second)
	for _, lb := range e.cloud.ListLoadBalancers(testRG) {
		if deref(lb.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded {
			t.Errorf("%s: %s", deref(lb.Name), deref(lb.Properties.ProvisioningState))
		}
	}
}

func equalCalls(a, b map[Call]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
