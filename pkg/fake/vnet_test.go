package fake

import (
	"errors"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

func TestVirtualNetworkAndSubnetLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := t.Context()
	poller, err := e.vnets.BeginCreateOrUpdate(ctx, testRG, "net2", testVNetwork("net2", "10.1.0.0/16", map[string]string{"a": "10.1.0.0/24"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	vnet, err := poller.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := vnet.Properties.Subnets[0]
	if deref(sub.ID) != childID(deref(vnet.ID), "subnets", "a") || deref(sub.Type) != "Microsoft.Network/virtualNetworks/subnets" {
		t.Errorf("subnet id/type = %s %s", deref(sub.ID), deref(sub.Type))
	}

	sp, err := e.subnets.BeginCreateOrUpdate(ctx, testRG, "net2", "b",
		armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr("10.1.1.0/24")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sp.PollUntilDone(ctx, nil)
	if err != nil || deref(b.Properties.AddressPrefix) != "10.1.1.0/24" {
		t.Fatalf("subnet b: %v", err)
	}
	got, err := e.subnets.Get(ctx, testRG, "net2", "B", nil)
	if err != nil || deref(got.Name) != "b" {
		t.Fatalf("subnet get: %v", err)
	}
	subnets := collect(t, e.subnets.NewListPager(testRG, "net2", nil), func(p armnetwork.SubnetsClientListResponse) []*armnetwork.Subnet { return p.Value })
	if len(subnets) != 2 {
		t.Errorf("subnets listed: %d", len(subnets))
	}
	dp, err := e.subnets.BeginDelete(ctx, testRG, "net2", "b", nil)
	if err == nil {
		_, err = dp.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.subnets.Get(ctx, testRG, "net2", "b", nil)
	wantARMError(t, err, http.StatusNotFound, CodeResourceNotFound)

	vp, err := e.vnets.BeginDelete(ctx, testRG, "net2", nil)
	if err == nil {
		_, err = vp.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, found := e.cloud.GetVirtualNetwork(testRG, "net2"); found {
		t.Error("virtual network still there after delete")
	}
}

func TestSubnetInUseByAFrontend(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := t.Context()
	lb := e.publicLB("ilb", "pip1")
	lb.Properties.FrontendIPConfigurations[0].Properties = internalFrontend(e.subnetID(), "10.0.0.20")
	e.mustPutLB("ilb", lb)

	sub, err := e.subnets.Get(ctx, testRG, testVNet, testSubnet, nil)
	if err != nil {
		t.Fatal(err)
	}
	if refs := sub.Properties.IPConfigurations; len(refs) != 1 || deref(refs[0].ID) != e.lbChildID("ilb", "frontendIPConfigurations", "fe") {
		t.Errorf("subnet.ipConfigurations = %v, want the frontend", refs)
	}
	_, err = e.subnets.BeginDelete(ctx, testRG, testVNet, testSubnet, nil)
	wantARMError(t, err, http.StatusBadRequest, CodeInUseSubnetCannotBeDeleted)
	_, err = e.vnets.BeginDelete(ctx, testRG, testVNet, nil)
	wantARMError(t, err, http.StatusBadRequest, CodeInUseSubnetCannotBeDeleted)
	_, err = e.subnets.BeginCreateOrUpdate(ctx, testRG, testVNet, testSubnet,
		armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr("10.0.1.0/24")}}, nil)
	wantARMError(t, err, http.StatusBadRequest, CodeInUseSubnetCannotBeUpdated)

	deleteLB(t, e, "ilb")
	dp, err := e.subnets.BeginDelete(ctx, testRG, testVNet, testSubnet, nil)
	if err == nil {
		_, err = dp.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Errorf("deleting the subnet once unused: %v", err)
	}
}

func TestVirtualNetworkValidation(t *testing.T) {
	cases := []struct {
		name  string
		space string
		sub   map[string]string
		code  string
	}{
		{name: "subnet outside the address space", space: "10.2.0.0/16", sub: map[string]string{"a": "10.3.0.0/24"}, code: CodeSubnetOutsideVNet},
		{name: "overlapping subnets", space: "10.2.0.0/16", sub: map[string]string{"a": "10.2.0.0/24", "b": "10.2.0.128/25"}, code: CodeSubnetsOverlap},
		{name: "prefix not in canonical form", space: "10.2.0.1/16", code: CodeInvalidAddressPrefix},
		{name: "no address space", code: CodeInvalidRequestFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			v := testVNetwork("bad", tc.space, tc.sub)
			if tc.space == "" {
				v.Properties.AddressSpace = nil
			}
			_, err := e.vnets.BeginCreateOrUpdate(t.Context(), testRG, "bad", v, nil)
			wantARMError(t, err, http.StatusBadRequest, tc.code)
			var fe *Error
			if err := e.cloud.PutVirtualNetwork(testRG, v); err == nil || !asError(err, &fe) || fe.Code != tc.code {
				t.Errorf("PutVirtualNetwork: %v, want %s", err, tc.code)
			}
		})
	}
}

func TestSeedingNeedsAResourceGroup(t *testing.T) {
	c := New(Options{})
	if err := c.PutVirtualNetwork("", testVNetwork("v", "10.0.0.0/16", nil)); err == nil {
		t.Error("PutVirtualNetwork accepted an empty resource group")
	}
}

func asError(err error, target **Error) bool { return errors.As(err, target) }
