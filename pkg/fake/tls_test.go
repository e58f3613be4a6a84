package fake

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// TestAzidentityAndARMOverTLS is the path `lbctl fake-cloud` serves: azidentity's
// ClientSecretCredential gets a token from the fake's token endpoint (authority host = the fake's
// URL), and a real armnetwork client creates and reads a load balancer, both over HTTPS trusting
// the fake's CA.
func TestAzidentityAndARMOverTLS(t *testing.T) {
	c := New(Options{ClientSecrets: map[string]string{"fake-client": "fake-secret"}})
	must(t, c.PutVirtualNetwork(testRG, testVNetwork(testVNet, "10.0.0.0/16", map[string]string{testSubnet: "10.0.0.0/24"})))
	must(t, c.PutPublicIP(testRG, standardPIP("pip1", DefaultLocation)))
	srv, err := ListenTLS(c, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { must(t, srv.Close()) }()

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CACertPEM()) {
		t.Fatal("CACertPEM holds no certificate")
	}
	httpClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	defer httpClient.CloseIdleConnections()
	clientOptions := policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: srv.URL() + "/",
			Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {Endpoint: srv.URL(), Audience: srv.URL()}},
		},
		Transport: httpClient,
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}
	// DisableInstanceDiscovery is needed: for an authority host it does not know, MSAL sends
	// instance discovery to login.microsoftonline.com (see TestInstanceDiscoveryGoesToMicrosoft).
	cred, err := azidentity.NewClientSecretCredential(DefaultTenantID, "fake-client", "fake-secret",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	lbs, err := armnetwork.NewLoadBalancersClient(DefaultSubscriptionID, cred, &arm.ClientOptions{ClientOptions: clientOptions})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, cloud: c, lbs: lbs}
	poller, err := lbs.BeginCreateOrUpdate(t.Context(), testRG, "lb1", e.publicLB("lb1", "pip1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	created, err := poller.PollUntilDone(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := lbs.Get(t.Context(), testRG, "lb1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if deref(got.Etag) != deref(created.Etag) || deref(got.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded {
		t.Errorf("read back etag %s state %s, created etag %s", deref(got.Etag), deref(got.Properties.ProvisioningState), deref(created.Etag))
	}
	calls := c.Calls()
	if calls[Call{http.MethodPost, TypeToken}] != 1 || calls[Call{http.MethodGet, TypeToken}] != 1 {
		t.Errorf("identity calls = %v, want one OpenID configuration and one token request (the token is cached)", calls)
	}

	// A wrong secret is refused by the token endpoint, so ARM is never called.
	bad, err := azidentity.NewClientSecretCredential(DefaultTenantID, "fake-client", "wrong",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	badLBs, _ := armnetwork.NewLoadBalancersClient(DefaultSubscriptionID, bad, &arm.ClientOptions{ClientOptions: clientOptions})
	if _, err := badLBs.Get(t.Context(), testRG, "lb1", nil); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("wrong secret: %v", err)
	}
}

// TestInstanceDiscoveryGoesToMicrosoft shows why DisableInstanceDiscovery is needed with the fake
// as authority host: without it MSAL asks login.microsoftonline.com. The in-process transport
// answers whatever the host, so here the request reaches the fake and we can see where it went.
func TestInstanceDiscoveryGoesToMicrosoft(t *testing.T) {
	c := New(Options{})
	var hosts []string
	record := recordingTransport{next: c.Transport(), hosts: &hosts}
	opts := c.ClientOptions()
	opts.Transport = record
	cred, err := azidentity.NewClientSecretCredential(DefaultTenantID, "id", "secret",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts.ClientOptions})
	if err != nil {
		t.Fatal(err)
	}
	lbs, err := armnetwork.NewLoadBalancersClient(DefaultSubscriptionID, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lbs.Get(t.Context(), testRG, "lb1", nil)
	wantARMError(t, err, http.StatusNotFound, CodeResourceNotFound) // authenticated, then not found
	if len(hosts) == 0 || hosts[0] != "login.microsoftonline.com/common/discovery/instance" {
		t.Errorf("first identity request went to %v, want login.microsoftonline.com instance discovery", hosts)
	}
}

type recordingTransport struct {
	next  policy.Transporter
	hosts *[]string
}

func (r recordingTransport) Do(req *http.Request) (*http.Response, error) {
	*r.hosts = append(*r.hosts, req.URL.Host+req.URL.Path)
	return r.next.Do(req)
}

func TestListenTLSRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "10.1.2.3:8443", "example.com:443", "[::]:0"} {
		if srv, err := ListenTLS(New(Options{}), addr); err == nil {
			_ = srv.Close()
			t.Errorf("ListenTLS(%q) accepted a non-loopback address", addr)
		}
	}
}
