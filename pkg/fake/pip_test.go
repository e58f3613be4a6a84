package fake

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

func (e *env) putPIP(name string, pip armnetwork.PublicIPAddress) (armnetwork.PublicIPAddress, error) {
	e.t.Helper()
	poller, err := e.pips.BeginCreateOrUpdate(e.t.Context(), testRG, name, pip, nil)
	if err != nil {
		return armnetwork.PublicIPAddress{}, err
	}
	resp, err := poller.PollUntilDone(e.t.Context(), nil)
	return resp.PublicIPAddress, err
}

func TestPublicIPLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := t.Context()
	pip := standardPIP("web", DefaultLocation)
	pip.Properties.DNSSettings = &armnetwork.PublicIPAddressDNSSettings{DomainNameLabel: ptr("my-app")}
	created, err := e.putPIP("web", pip)
	if err != nil {
		t.Fatal(err)
	}
	// pip1 (seeded) holds 127.0.2.1, the first address after the network address.
	if got := deref(created.Properties.IPAddress); got != "127.0.2.2" {
		t.Errorf("ipAddress = %s, want 127.0.2.2", got)
	}
	if got := deref(created.Properties.DNSSettings.Fqdn); got != "my-app.eastus.cloudapp.azure.com" {
		t.Errorf("fqdn = %s", got)
	}
	if deref(created.Type) != "Microsoft.Network/publicIPAddresses" || deref(created.Properties.IdleTimeoutInMinutes) != 4 {
		t.Errorf("type %s, idle %d", deref(created.Type), deref(created.Properties.IdleTimeoutInMinutes))
	}

	// Tags are patched synchronously; the address stays.
	tagged, err := e.pips.UpdateTags(ctx, testRG, "web", armnetwork.TagsObject{Tags: map[string]*string{"k8s-azure-service": ptr("default/web")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if deref(tagged.Tags["k8s-azure-service"]) != "default/web" || deref(tagged.Properties.IPAddress) != "127.0.2.2" || deref(tagged.Etag) == deref(created.Etag) {
		t.Errorf("after UpdateTags: tags %v, address %s, etag changed %v", tagged.Tags, deref(tagged.Properties.IPAddress), deref(tagged.Etag) != deref(created.Etag))
	}
	// A replace keeps the address even if the client sends another one.
	pip.Properties.IPAddress = ptr("1.2.3.4")
	replaced, err := e.putPIP("web", pip)
	if err != nil || deref(replaced.Properties.IPAddress) != "127.0.2.2" {
		t.Errorf("replace: address %s, err %v", deref(replaced.Properties.IPAddress), err)
	}
	all := collect(t, e.pips.NewListPager(testRG, nil), func(p armnetwork.PublicIPAddressesClientListResponse) []*armnetwork.PublicIPAddress { return p.Value })
	if len(all) != 2 {
		t.Errorf("listed %d public IPs, want 2", len(all))
	}

	// Attached to a frontend it cannot be deleted; after the load balancer goes it can, and its
	// address is handed out again.
	e.mustPutLB("lb1", e.publicLB("lb1", "web"))
	_, err = e.pips.BeginDelete(ctx, testRG, "web", nil)
	wantARMError(t, err, http.StatusBadRequest, CodePublicIPCannotBeDeleted)
	deleteLB(t, e, "lb1")
	poller, err := e.pips.BeginDelete(ctx, testRG, "web", nil)
	if err == nil {
		_, err = poller.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pips.Get(ctx, testRG, "web", nil)
	wantARMError(t, err, http.StatusNotFound, CodeResourceNotFound)
	next, err := e.putPIP("next", standardPIP("next", DefaultLocation))
	if err != nil || deref(next.Properties.IPAddress) != "127.0.2.2" {
		t.Errorf("released address not reused: %s %v", deref(next.Properties.IPAddress), err)
	}
}

func deleteLB(t *testing.T, e *env, name string) {
	t.Helper()
	poller, err := e.lbs.BeginDelete(t.Context(), testRG, name, nil)
	if err == nil {
		_, err = poller.PollUntilDone(t.Context(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestPublicIPValidation(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		mutate func(*armnetwork.PublicIPAddress)
		code   string
	}{
		{name: "basic sku", code: CodeBasicSkuNotSupported,
			mutate: func(p *armnetwork.PublicIPAddress) { p.SKU.Name = ptr(armnetwork.PublicIPAddressSKUNameBasic) }},
		{name: "no sku", code: CodeBasicSkuNotSupported, mutate: func(p *armnetwork.PublicIPAddress) { p.SKU = nil }},
		{name: "standard with dynamic allocation", code: CodeStandardSkuPIPMustBeStatic,
			mutate: func(p *armnetwork.PublicIPAddress) {
				p.Properties.PublicIPAllocationMethod = ptr(armnetwork.IPAllocationMethodDynamic)
			}},
		{name: "missing location", code: CodeLocationRequired, mutate: func(p *armnetwork.PublicIPAddress) { p.Location = nil }},
		{name: "DNS label another public IP of the region has", code: CodeDNSRecordInUse,
			mutate: func(p *armnetwork.PublicIPAddress) {
				p.Properties.DNSSettings = &armnetwork.PublicIPAddressDNSSettings{DomainNameLabel: ptr("taken")}
			}},
		{name: "invalid DNS label", code: CodeInvalidDomainNameLabel,
			mutate: func(p *armnetwork.PublicIPAddress) {
				p.Properties.DNSSettings = &armnetwork.PublicIPAddressDNSSettings{DomainNameLabel: ptr("Bad_Label")}
			}},
		{name: "idle timeout 31", code: CodePublicIPIdleTimeoutOutOfRange,
			mutate: func(p *armnetwork.PublicIPAddress) { p.Properties.IdleTimeoutInMinutes = ptr[int32](31) }},
		{name: "range exhausted", opts: Options{PublicIPRange: netip.MustParsePrefix("127.0.2.0/30")}, code: CodePublicIPCountLimitReached,
			mutate: func(*armnetwork.PublicIPAddress) {}},
		{name: "accepted: no allocation method means Static", mutate: func(p *armnetwork.PublicIPAddress) { p.Properties = nil }},
		{name: "accepted: same DNS label in another region", mutate: func(p *armnetwork.PublicIPAddress) {
			p.Location = ptr("West US")
			p.Properties.DNSSettings = &armnetwork.PublicIPAddressDNSSettings{DomainNameLabel: ptr("taken")}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			taken := standardPIP("dns", DefaultLocation)
			taken.Properties.DNSSettings = &armnetwork.PublicIPAddressDNSSettings{DomainNameLabel: ptr("taken")}
			if err := e.cloud.PutPublicIP(testRG, taken); err != nil {
				t.Fatal(err)
			}
			pip := standardPIP("new", DefaultLocation)
			tc.mutate(&pip)
			out, err := e.putPIP("new", pip)
			if tc.code == "" {
				if err != nil || deref(out.Properties.PublicIPAllocationMethod) != armnetwork.IPAllocationMethodStatic {
					t.Fatalf("want success with Static allocation, got %v", err)
				}
				return
			}
			wantARMError(t, err, http.StatusBadRequest, tc.code)
			if _, found := e.cloud.GetPublicIP(testRG, "new"); found {
				t.Error("a refused PUT created the public IP")
			}
		})
	}
}
