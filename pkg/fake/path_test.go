package fake

import (
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	sub := "/subscriptions/S"
	cases := []struct {
		path string
		want armPath
		code string
	}{
		{path: sub + "/resourceGroups/RG/providers/Microsoft.Network/loadBalancers/lb",
			want: armPath{Subscription: "S", ResourceGroup: "RG", Type: "loadBalancers", Name: "lb"}},
		{path: sub + "/resourcegroups/rg/providers/microsoft.network/LOADBALANCERS/lb/PROBES/p/",
			want: armPath{Subscription: "S", ResourceGroup: "rg", Type: "loadBalancers", Name: "lb", ChildType: "probes", ChildName: "p"}},
		{path: sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets",
			want: armPath{Subscription: "S", ResourceGroup: "rg", Type: "virtualNetworks", Name: "v", ChildType: "subnets"}},
		{path: sub + "/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses",
			want: armPath{Subscription: "S", ResourceGroup: "rg", Type: "publicIPAddresses"}},
		{path: sub + "/providers/Microsoft.Network/loadBalancers", want: armPath{Subscription: "S", Type: "loadBalancers"}},
		{path: sub + "/providers/Microsoft.Network/locations/eastus/operations/abc",
			want: armPath{Subscription: "S", Type: TypeOperations, Location: "eastus", OperationKind: "operations", OperationID: "abc"}},
		{path: sub + "/providers/Microsoft.Network/locations/eastus/operationResults/abc",
			want: armPath{Subscription: "S", Type: TypeOperations, Location: "eastus", OperationKind: "operationResults", OperationID: "abc"}},
		{path: sub + "/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/inboundNatRules/x", code: CodeInvalidResourceType},
		{path: sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/probes/x", code: CodeInvalidResourceType},
		{path: sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm", code: CodeInvalidResourceNamespace},
		{path: sub + "/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/probes/p/extra", code: CodeInvalidResourceType},
		{path: sub + "/providers/Microsoft.Network/loadBalancers/lb", code: CodeInvalidResourceType},
		{path: sub + "//resourceGroups/rg", code: CodeInvalidResourceType},
		{path: "/tenants/x", code: CodeInvalidResourceType},
		{path: sub, code: CodeInvalidResourceType},
	}
	for _, tc := range cases {
		got, err := parsePath(tc.path)
		switch {
		case tc.code != "":
			if err == nil || err.Code != tc.code {
				t.Errorf("parsePath(%q) = %+v, %v; want error %s", tc.path, got, err, tc.code)
			}
		case err != nil:
			t.Errorf("parsePath(%q): %v", tc.path, err)
		case got != tc.want:
			t.Errorf("parsePath(%q) = %+v, want %+v", tc.path, got, tc.want)
		}
	}
}

// FuzzParsePath checks that any path either fails cleanly or parses into a value whose canonical
// form parses back to the same value.
func FuzzParsePath(f *testing.F) {
	for _, seed := range []string{
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/probes/p",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets",
		"/subscriptions/s/providers/Microsoft.Network/locations/eastus/operations/1",
		"/subscriptions/s/providers/Microsoft.Network/publicIPAddresses",
		"/subscriptions//resourceGroups",
		"/",
		"",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		p, err := parsePath(path)
		if err != nil {
			if err.StatusCode != 404 || err.Code == "" {
				t.Fatalf("parsePath(%q) error %+v: want a 404 with a code", path, err)
			}
			return
		}
		again, err := parsePath(p.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", p.String(), path, err)
		}
		if again != p {
			t.Fatalf("round trip of %q: %+v != %+v", path, again, p)
		}
		if p.Subscription == "" || strings.Contains(p.Name, "/") {
			t.Fatalf("parsePath(%q) = %+v", path, p)
		}
	})
}
