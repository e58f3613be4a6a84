package fake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

const (
	testRG     = "rg"
	testVNet   = "vnet"
	testSubnet = "subnet"
)

// env is a fake cloud with the real SDK clients wired to it in-process, and a virtual network
// (10.0.0.0/16, subnet 10.0.0.0/24) and a Standard public IP "pip1" seeded in resource group "rg".
type env struct {
	t         *testing.T
	cloud     *Cloud
	lbs       *armnetwork.LoadBalancersClient
	pools     *armnetwork.LoadBalancerBackendAddressPoolsClient
	probes    *armnetwork.LoadBalancerProbesClient
	frontends *armnetwork.LoadBalancerFrontendIPConfigurationsClient
	rules     *armnetwork.LoadBalancerLoadBalancingRulesClient
	pips      *armnetwork.PublicIPAddressesClient
	vnets     *armnetwork.VirtualNetworksClient
	subnets   *armnetwork.SubnetsClient
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	c := New(opts)
	if err := c.PutVirtualNetwork(testRG, testVNetwork(testVNet, "10.0.0.0/16", map[string]string{testSubnet: "10.0.0.0/24"})); err != nil {
		t.Fatalf("seeding the virtual network: %v", err)
	}
	if err := c.PutPublicIP(testRG, standardPIP("pip1", c.Options().Location)); err != nil {
		t.Fatalf("seeding the public IP: %v", err)
	}
	c.ResetCalls()
	copts := c.ClientOptions()
	// Fast retries; Retry-After values up to a second are honoured.
	copts.Retry = policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: time.Second}
	cred := c.TokenCredential()
	factory, err := armnetwork.NewClientFactory(c.Options().SubscriptionID, cred, copts)
	if err != nil {
		t.Fatalf("client factory: %v", err)
	}
	return &env{
		t:         t,
		cloud:     c,
		lbs:       factory.NewLoadBalancersClient(),
		pools:     factory.NewLoadBalancerBackendAddressPoolsClient(),
		probes:    factory.NewLoadBalancerProbesClient(),
		frontends: factory.NewLoadBalancerFrontendIPConfigurationsClient(),
		rules:     factory.NewLoadBalancerLoadBalancingRulesClient(),
		pips:      factory.NewPublicIPAddressesClient(),
		vnets:     factory.NewVirtualNetworksClient(),
		subnets:   factory.NewSubnetsClient(),
	}
}

func testVNetwork(name, space string, subnets map[string]string) armnetwork.VirtualNetwork {
	v := armnetwork.VirtualNetwork{
		Name:     ptr(name),
		Location: ptr(DefaultLocation),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{ptr(space)}},
		},
	}
	for n, prefix := range subnets {
		v.Properties.Subnets = append(v.Properties.Subnets, &armnetwork.Subnet{
			Name: ptr(n), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr(prefix)},
		})
	}
	return v
}

func standardPIP(name, location string) armnetwork.PublicIPAddress {
	return armnetwork.PublicIPAddress{
		Name:     ptr(name),
		Location: ptr(location),
		SKU:      &armnetwork.PublicIPAddressSKU{Name: ptr(armnetwork.PublicIPAddressSKUNameStandard)},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{
			PublicIPAllocationMethod: ptr(armnetwork.IPAllocationMethodStatic),
		},
	}
}

func (e *env) pipID(name string) string {
	return resourceID(e.cloud.Options().SubscriptionID, testRG, TypePublicIPAddresses, name)
}

func (e *env) subnetID() string {
	return childID(resourceID(e.cloud.Options().SubscriptionID, testRG, TypeVirtualNetworks, testVNet), "subnets", testSubnet)
}

func (e *env) vnetID() string {
	return resourceID(e.cloud.Options().SubscriptionID, testRG, TypeVirtualNetworks, testVNet)
}

func (e *env) lbChildID(lb, collection, name string) string {
	return childID(resourceID(e.cloud.Options().SubscriptionID, testRG, TypeLoadBalancers, lb), collection, name)
}

// publicLB is a valid Standard load balancer: frontend "fe" on public IP pip, pool "pool" with one
// address, an Http probe "probe", and a Tcp rule "rule" 80 -> 80 with floating IP.
func (e *env) publicLB(name, pip string) armnetwork.LoadBalancer {
	return armnetwork.LoadBalancer{
		Location: ptr(DefaultLocation),
		SKU:      &armnetwork.LoadBalancerSKU{Name: ptr(armnetwork.LoadBalancerSKUNameStandard)},
		Properties: &armnetwork.LoadBalancerPropertiesFormat{
			FrontendIPConfigurations: []*armnetwork.FrontendIPConfiguration{{
				Name: ptr("fe"),
				Properties: &armnetwork.FrontendIPConfigurationPropertiesFormat{
					PublicIPAddress: &armnetwork.PublicIPAddress{ID: ptr(e.pipID(pip))},
				},
			}},
			BackendAddressPools: []*armnetwork.BackendAddressPool{{
				Name: ptr("pool"),
				Properties: &armnetwork.BackendAddressPoolPropertiesFormat{
					LoadBalancerBackendAddresses: []*armnetwork.LoadBalancerBackendAddress{e.backendAddress("node-1", "10.0.0.10")},
				},
			}},
			Probes: []*armnetwork.Probe{{
				Name: ptr("probe"),
				Properties: &armnetwork.ProbePropertiesFormat{
					Protocol: ptr(armnetwork.ProbeProtocolHTTP), Port: ptr[int32](30000), RequestPath: ptr("/healthz"),
					IntervalInSeconds: ptr[int32](5), ProbeThreshold: ptr[int32](2),
				},
			}},
			LoadBalancingRules: []*armnetwork.LoadBalancingRule{e.rule(name, "rule", "fe", armnetwork.TransportProtocolTCP, 80, 80, true)},
		},
	}
}

func (e *env) backendAddress(name, ip string) *armnetwork.LoadBalancerBackendAddress {
	return &armnetwork.LoadBalancerBackendAddress{
		Name: ptr(name),
		Properties: &armnetwork.LoadBalancerBackendAddressPropertiesFormat{
			IPAddress:      ptr(ip),
			VirtualNetwork: &armnetwork.SubResource{ID: ptr(e.vnetID())},
		},
	}
}

func (e *env) rule(lb, name, frontend string, proto armnetwork.TransportProtocol, fport, bport int32, floating bool) *armnetwork.LoadBalancingRule {
	return &armnetwork.LoadBalancingRule{
		Name: ptr(name),
		Properties: &armnetwork.LoadBalancingRulePropertiesFormat{
			FrontendIPConfiguration: &armnetwork.SubResource{ID: ptr(e.lbChildID(lb, "frontendIPConfigurations", frontend))},
			BackendAddressPool:      &armnetwork.SubResource{ID: ptr(e.lbChildID(lb, "backendAddressPools", "pool"))},
			Probe:                   &armnetwork.SubResource{ID: ptr(e.lbChildID(lb, "probes", "probe"))},
			Protocol:                ptr(proto),
			FrontendPort:            ptr(fport),
			BackendPort:             ptr(bport),
			EnableFloatingIP:        ptr(floating),
		},
	}
}

// putLB creates or replaces a load balancer through the SDK and waits for its operation.
func (e *env) putLB(name string, lb armnetwork.LoadBalancer) (armnetwork.LoadBalancer, error) {
	e.t.Helper()
	poller, err := e.lbs.BeginCreateOrUpdate(e.t.Context(), testRG, name, lb, nil)
	if err != nil {
		return armnetwork.LoadBalancer{}, err
	}
	resp, err := poller.PollUntilDone(e.t.Context(), nil)
	return resp.LoadBalancer, err
}

func (e *env) mustPutLB(name string, lb armnetwork.LoadBalancer) armnetwork.LoadBalancer {
	e.t.Helper()
	out, err := e.putLB(name, lb)
	if err != nil {
		e.t.Fatalf("creating load balancer %s: %v", name, err)
	}
	return out
}

// armError returns the status and ARM error code of an SDK error, failing the test if it is not
// an azcore.ResponseError.
func armError(t *testing.T, err error) (int, string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want an ARM error, got %v", err)
	}
	return re.StatusCode, re.ErrorCode
}

func wantARMError(t *testing.T, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %d %s, got success", status, code)
	}
	gotStatus, gotCode := armError(t, err)
	if gotStatus != status || gotCode != code {
		t.Fatalf("want %d %s, got %d %s (%v)", status, code, gotStatus, gotCode, err)
	}
}

// raw sends a request through the in-process transport with a valid token (unless header sets
// Authorization) and returns the response with its body read.
func (e *env) raw(method, path, body string, header http.Header) (*http.Response, string) {
	e.t.Helper()
	return rawRequest(e.t, e.cloud, method, InProcessEndpoint+path, body, header)
}

func rawRequest(t *testing.T, c *Cloud, method, url, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if _, set := header["Authorization"]; !set {
		tok, err := c.TokenCredential().GetToken(context.Background(), policy.TokenRequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.Token)
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Transport().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(data)
}

// armCode extracts the ARM error code of a raw response body.
func armCode(t *testing.T, body string) string {
	t.Helper()
	var b errorBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("not an ARM error body: %q", body)
	}
	return b.Error.Code
}

const apiVersion = "?api-version=" + newestAPIVersion

func lbPath(name string) string {
	return "/subscriptions/" + DefaultSubscriptionID + "/resourceGroups/" + testRG + "/providers/Microsoft.Network/loadBalancers/" + name
}
