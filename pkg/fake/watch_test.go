package fake

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

func TestWatchAndSnapshot(t *testing.T) {
	e := newEnv(t, Options{})
	var calls atomic.Int32
	var seen []Snapshot
	cancel := e.cloud.Watch(func() {
		calls.Add(1)
		seen = append(seen, e.cloud.Snapshot()) // the SDK calls below are sequential
	})
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	if calls.Load() == 0 {
		t.Fatal("no notification after a committed write")
	}
	last := seen[len(seen)-1]
	if len(last.LoadBalancers) != 1 || deref(last.LoadBalancers[0].Name) != "lb1" {
		t.Fatalf("snapshot after the write has %d load balancers", len(last.LoadBalancers))
	}
	if pip := last.PublicIPs[0]; pip.Properties.IPConfiguration == nil {
		t.Error("snapshot public IP lacks its back-reference")
	}
	// A snapshot is a copy.
	last.LoadBalancers[0].Properties.Probes[0].Properties.Port = ptr[int32](1)
	if lb, _ := e.cloud.GetLoadBalancer(testRG, "lb1"); deref(lb.Properties.Probes[0].Properties.Port) != 30000 {
		t.Error("changing a snapshot changed the cloud")
	}

	before := calls.Load()
	version := e.cloud.Snapshot().Version
	if _, err := e.lbs.Get(t.Context(), testRG, "lb1", nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.putLB("lb1", armnetwork.LoadBalancer{}) // refused
	wantARMError(t, err, http.StatusBadRequest, CodeLocationRequired)
	if calls.Load() != before || e.cloud.Snapshot().Version != version {
		t.Error("reads or refused writes notified watchers or changed the version")
	}
	cancel()
	deleteLB(t, e, "lb1")
	if calls.Load() != before {
		t.Error("a cancelled watcher was called")
	}
	if v := e.cloud.Snapshot().Version; v <= version {
		t.Errorf("version %d did not grow past %d after a delete", v, version)
	}
}

func TestCountersForAReconcile(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := t.Context()
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1")) // PUT, poll, GET
	if _, err := e.pips.Get(ctx, testRG, "pip1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.subnets.Get(ctx, testRG, testVNet, testSubnet, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.probes.Get(ctx, testRG, "lb1", "probe", nil); err != nil {
		t.Fatal(err)
	}
	deleteLB(t, e, "lb1") // DELETE, poll
	want := map[Call]int{
		{http.MethodPut, TypeLoadBalancers}:     1,
		{http.MethodGet, TypeLoadBalancers}:     1,
		{http.MethodGet, TypeOperations}:        2,
		{http.MethodGet, TypePublicIPAddresses}: 1,
		{http.MethodGet, TypeSubnets}:           1,
		{http.MethodGet, TypeProbes}:            1,
		{http.MethodDelete, TypeLoadBalancers}:  1,
	}
	if got := e.cloud.Calls(); !equalCalls(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if e.cloud.Reads() != 4 || e.cloud.Writes() != 2 {
		t.Errorf("Reads() = %d, Writes() = %d; want 4 and 2 (polls excluded)", e.cloud.Reads(), e.cloud.Writes())
	}
	e.cloud.ResetCalls()
	if len(e.cloud.Calls()) != 0 || len(e.cloud.CallsByStatus()) != 0 || e.cloud.Reads() != 0 {
		t.Error("ResetCalls left counts")
	}
}
