package fake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

func TestLoadBalancerCreateSetsServerFields(t *testing.T) {
	e := newEnv(t, Options{})
	body := e.publicLB("lb1", "pip1")
	body.Properties.Probes[0].Properties.IntervalInSeconds = nil // Azure's default applies
	lb := e.mustPutLB("lb1", body)

	id := resourceID(DefaultSubscriptionID, testRG, TypeLoadBalancers, "lb1")
	if deref(lb.ID) != id || deref(lb.Type) != "Microsoft.Network/loadBalancers" || deref(lb.Name) != "lb1" {
		t.Errorf("id/type/name = %s %s %s", deref(lb.ID), deref(lb.Type), deref(lb.Name))
	}
	if !strings.HasPrefix(deref(lb.Etag), `W/"`) {
		t.Errorf("etag = %q, want a weak etag", deref(lb.Etag))
	}
	if got := deref(lb.Properties.ProvisioningState); got != armnetwork.ProvisioningStateSucceeded {
		t.Errorf("provisioningState = %s", got)
	}
	if deref(lb.SKU.Tier) != armnetwork.LoadBalancerSKUTierRegional {
		t.Errorf("sku tier = %v, want Regional", deref(lb.SKU.Tier))
	}
	probe := lb.Properties.Probes[0]
	if deref(probe.ID) != id+"/probes/probe" || deref(probe.Etag) != deref(lb.Etag) ||
		deref(probe.Type) != "Microsoft.Network/loadBalancers/probes" {
		t.Errorf("probe id/etag/type = %s %s %s", deref(probe.ID), deref(probe.Etag), deref(probe.Type))
	}
	if got := deref(probe.Properties.IntervalInSeconds); got != 15 {
		t.Errorf("default intervalInSeconds = %d, want 15", got)
	}
	rule := lb.Properties.LoadBalancingRules[0]
	ruleRef := []string{id + "/loadBalancingRules/rule"}
	for what, refs := range map[string][]*armnetwork.SubResource{
		"probe":    probe.Properties.LoadBalancingRules,
		"frontend": lb.Properties.FrontendIPConfigurations[0].Properties.LoadBalancingRules,
		"pool":     lb.Properties.BackendAddressPools[0].Properties.LoadBalancingRules,
	} {
		if got := ids(refs); strings.Join(got, ",") != strings.Join(ruleRef, ",") {
			t.Errorf("%s.loadBalancingRules = %v, want %v", what, got, ruleRef)
		}
	}
	if deref(rule.Properties.IdleTimeoutInMinutes) != 4 || deref(rule.Properties.LoadDistribution) != armnetwork.LoadDistributionDefault ||
		deref(rule.Properties.EnableTCPReset) || !deref(rule.Properties.EnableFloatingIP) {
		t.Errorf("rule defaults: idle %d, distribution %s, tcpReset %v, floating %v", deref(rule.Properties.IdleTimeoutInMinutes),
			deref(rule.Properties.LoadDistribution), deref(rule.Properties.EnableTCPReset), deref(rule.Properties.EnableFloatingIP))
	}
	pip, _ := e.cloud.GetPublicIP(testRG, "pip1")
	if got := deref(pip.Properties.IPConfiguration).ID; deref(got) != id+"/frontendIPConfigurations/fe" {
		t.Errorf("public IP ipConfiguration = %v, want the frontend", deref(got))
	}
}

func ids(refs []*armnetwork.SubResource) []string {
	var out []string
	for _, r := range refs {
		out = append(out, deref(r.ID))
	}
	return out
}

func TestLoadBalancerReplaceGetAndStatusCodes(t *testing.T) {
	e := newEnv(t, Options{})
	resp, body := e.raw(http.MethodPut, lbPath("LB1")+apiVersion, mustJSON(t, e.publicLB("LB1", "pip1")), nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Azure-AsyncOperation") == "" || resp.Header.Get("ETag") == "" {
		t.Errorf("create answer lacks Azure-AsyncOperation or ETag: %v", resp.Header)
	}
	first, _ := e.cloud.GetLoadBalancer(testRG, "lb1")

	// A replace through another spelling of the name keeps the case of the first write.
	changed := e.publicLB("lb1", "pip1")
	changed.Properties.LoadBalancingRules[0].Properties.FrontendPort = ptr[int32](8080)
	resp, body = e.raw(http.MethodPut, lbPath("lb1")+apiVersion, mustJSON(t, changed), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("replace: %d %s", resp.StatusCode, body)
	}
	got, err := e.lbs.Get(t.Context(), testRG, "lb1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if deref(got.Name) != "LB1" || !strings.HasSuffix(deref(got.ID), "/loadBalancers/LB1") {
		t.Errorf("name/id after replace = %s %s, want the first write's case", deref(got.Name), deref(got.ID))
	}
	if deref(got.Etag) == deref(first.Etag) {
		t.Error("etag did not change on replace")
	}
	if p := deref(got.Properties.LoadBalancingRules[0].Properties.FrontendPort); p != 8080 {
		t.Errorf("frontendPort = %d, want the replacement's 8080", p)
	}
}

func TestLoadBalancerChildrenGetAndList(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	ctx := t.Context()

	probe, err := e.probes.Get(ctx, testRG, "lb1", "PROBE", nil)
	if err != nil || deref(probe.Name) != "probe" {
		t.Fatalf("probe get: %v %v", deref(probe.Name), err)
	}
	fe, err := e.frontends.Get(ctx, testRG, "lb1", "fe", nil)
	if err != nil || deref(fe.Properties.PublicIPAddress.ID) != e.pipID("pip1") {
		t.Fatalf("frontend get: %v", err)
	}
	rule, err := e.rules.Get(ctx, testRG, "lb1", "rule", nil)
	if err != nil || deref(rule.Properties.BackendPort) != 80 {
		t.Fatalf("rule get: %v", err)
	}
	pool, err := e.pools.Get(ctx, testRG, "lb1", "pool", nil)
	if err != nil || len(pool.Properties.LoadBalancerBackendAddresses) != 1 {
		t.Fatalf("pool get: %v", err)
	}
	var names []string
	pager := e.probes.NewListPager(testRG, "lb1", nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Value {
			names = append(names, deref(p.Name))
		}
	}
	if strings.Join(names, ",") != "probe" {
		t.Errorf("probes listed = %v", names)
	}
	_, err = e.probes.Get(ctx, testRG, "lb1", "nope", nil)
	wantARMError(t, err, http.StatusNotFound, CodeResourceNotFound)
	_, err = e.probes.Get(ctx, testRG, "nolb", "probe", nil)
	wantARMError(t, err, http.StatusNotFound, CodeParentResourceNotFound)
	resp, _ := e.raw(http.MethodPut, lbPath("lb1")+"/probes/probe"+apiVersion, `{"properties":{}}`, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT of a probe = %d, want 405 (Azure has no such operation)", resp.StatusCode)
	}
}

func TestBackendPoolPutAndDeleteAsOwnResource(t *testing.T) {
	e := newEnv(t, Options{})
	before := e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	ctx := t.Context()

	pool := armnetwork.BackendAddressPool{Properties: &armnetwork.BackendAddressPoolPropertiesFormat{
		LoadBalancerBackendAddresses: []*armnetwork.LoadBalancerBackendAddress{
			e.backendAddress("node-1", "10.0.0.10"), e.backendAddress("node-2", "10.0.0.11"),
		},
	}}
	poller, err := e.pools.BeginCreateOrUpdate(ctx, testRG, "lb1", "pool", pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := poller.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Properties.LoadBalancerBackendAddresses); n != 2 || deref(got.ID) != e.lbChildID("lb1", "backendAddressPools", "pool") {
		t.Fatalf("pool answer: %d addresses, id %s", n, deref(got.ID))
	}
	after, _ := e.cloud.GetLoadBalancer(testRG, "lb1")
	if deref(after.Etag) == deref(before.Etag) || deref(got.Etag) != deref(after.Etag) {
		t.Errorf("etags: before %s, after %s, pool %s: the load balancer's etag must change and the pool carry it",
			deref(before.Etag), deref(after.Etag), deref(got.Etag))
	}
	if n := len(after.Properties.BackendAddressPools[0].Properties.LoadBalancerBackendAddresses); n != 2 {
		t.Errorf("load balancer pool has %d addresses, want 2", n)
	}
	if len(after.Properties.LoadBalancingRules) != 1 {
		t.Error("a pool write must keep the rest of the load balancer")
	}

	// A second pool, then its deletion; the pool the rule uses cannot go.
	poller, err = e.pools.BeginCreateOrUpdate(ctx, testRG, "lb1", "other", armnetwork.BackendAddressPool{}, nil)
	if err == nil {
		_, err = poller.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	del, err := e.pools.BeginDelete(ctx, testRG, "lb1", "other", nil)
	if err == nil {
		_, err = del.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if lb, _ := e.cloud.GetLoadBalancer(testRG, "lb1"); len(lb.Properties.BackendAddressPools) != 1 {
		t.Errorf("pools after delete: %d", len(lb.Properties.BackendAddressPools))
	}
	_, err = e.pools.BeginDelete(ctx, testRG, "lb1", "pool", nil)
	wantARMError(t, err, http.StatusBadRequest, CodeInvalidResourceReference)
}

func TestLoadBalancerDeleteReleasesPublicIP(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustPutLB("lb1", e.publicLB("lb1", "pip1"))
	ctx := t.Context()
	resp, _ := e.raw(http.MethodDelete, lbPath("lb1")+apiVersion, "", nil)
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") == "" || resp.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("delete: %d, headers %v", resp.StatusCode, resp.Header)
	}
	_, err := e.lbs.Get(ctx, testRG, "lb1", nil)
	wantARMError(t, err, http.StatusNotFound, CodeResourceNotFound)
	pip, _ := e.cloud.GetPublicIP(testRG, "pip1")
	if pip.Properties.IPConfiguration != nil {
		t.Errorf("public IP still references %v after the load balancer's deletion", deref(pip.Properties.IPConfiguration.ID))
	}
	resp, _ = e.raw(http.MethodDelete, lbPath("lb1")+apiVersion, "", nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete of an absent load balancer = %d, want 204", resp.StatusCode)
	}
	poller, err := e.lbs.BeginDelete(ctx, testRG, "lb1", nil)
	if err == nil {
		_, err = poller.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Errorf("SDK delete of an absent load balancer: %v", err)
	}
}

func TestListLoadBalancersPagesPerGroupAndSubscription(t *testing.T) {
	e := newEnv(t, Options{PageSize: 2})
	for _, name := range []string{"e", "a", "c", "b", "d"} {
		lb := e.publicLB(name, "pip1")
		lb.Properties.FrontendIPConfigurations = nil
		lb.Properties.LoadBalancingRules = nil
		e.mustPutLB(name, lb)
	}
	other := e.publicLB("z", "pip1")
	other.Properties = nil
	poller, err := e.lbs.BeginCreateOrUpdate(t.Context(), "other-rg", "z", other, nil)
	if err == nil {
		_, err = poller.PollUntilDone(t.Context(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	e.cloud.ResetCalls()

	var names []string
	pages := 0
	pager := e.lbs.NewListPager(testRG, nil)
	for pager.More() {
		page, err := pager.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, lb := range page.Value {
			names = append(names, deref(lb.Name))
		}
	}
	if strings.Join(names, ",") != "a,b,c,d,e" || pages != 3 {
		t.Errorf("resource group list: %v in %d pages, want a..e in 3", names, pages)
	}
	if got := e.cloud.Calls()[Call{http.MethodGet, TypeLoadBalancers}]; got != 3 {
		t.Errorf("list requests = %d, want 3 (one per page)", got)
	}
	all := collect(t, e.lbs.NewListAllPager(nil), func(p armnetwork.LoadBalancersClientListAllResponse) []*armnetwork.LoadBalancer {
		return p.Value
	})
	if len(all) != 6 {
		t.Errorf("subscription list has %d load balancers, want 6", len(all))
	}
	if got := e.cloud.ListLoadBalancers("OTHER-RG"); len(got) != 1 || deref(got[0].Name) != "z" {
		t.Errorf("ListLoadBalancers(other-rg) = %d items", len(got))
	}
}

func collect[P any, T any](t *testing.T, pager *runtime.Pager[P], items func(P) []*T) []*T {
	t.Helper()
	var out []*T
	for pager.More() {
		page, err := pager.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, items(page)...)
	}
	return out
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
