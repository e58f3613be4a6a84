package fake

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	testingclock "k8s.io/utils/clock/testing"
)

func TestARMRequestsNeedAValidBearerToken(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnv(t, Options{Clock: clk, TokenLifetime: time.Hour})
	tok, _ := e.cloud.TokenCredential().GetToken(t.Context(), policy.TokenRequestOptions{})
	cases := []struct {
		name, auth, code string
		step             time.Duration
	}{
		{name: "missing", code: CodeAuthenticationFailed},
		{name: "not bearer", auth: "Basic abc", code: CodeAuthenticationFailed},
		{name: "unknown token", auth: "Bearer forged", code: CodeInvalidAuthenticationToken},
		{name: "valid", auth: "Bearer " + tok.Token},
		{name: "expired", auth: "Bearer " + tok.Token, step: time.Hour, code: CodeExpiredAuthenticationToken},
	}
	for _, tc := range cases {
		clk.Step(tc.step)
		resp, body := e.raw(http.MethodGet, lbPath("x")+apiVersion, "", http.Header{"Authorization": {tc.auth}})
		if tc.code == "" {
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d %s, want the 404 of a missing load balancer", tc.name, resp.StatusCode, body)
			}
			continue
		}
		if resp.StatusCode != http.StatusUnauthorized || armCode(t, body) != tc.code {
			t.Errorf("%s: %d %s, want 401 %s", tc.name, resp.StatusCode, body, tc.code)
		}
		if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, `Bearer authorization_uri="`) || !strings.Contains(h, `error="invalid_token"`) {
			t.Errorf("%s: WWW-Authenticate = %q", tc.name, h)
		}
	}
	if got := e.cloud.CallsByStatus()[CallStatus{Call{http.MethodGet, TypeLoadBalancers}, 4}]; got != len(cases) {
		t.Errorf("counted %d 4xx GETs, want %d (refused requests are counted)", got, len(cases))
	}
}

type forgedCredential struct{}

func (forgedCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "forged", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestSDKWithAForeignTokenGets401(t *testing.T) {
	c := New(Options{})
	client, err := armnetwork.NewLoadBalancersClient(c.Options().SubscriptionID, forgedCredential{}, c.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Get(t.Context(), testRG, "lb1", nil)
	wantARMError(t, err, http.StatusUnauthorized, CodeInvalidAuthenticationToken)
}

func TestRequestChecksBeforeTheHandler(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		name, path string
		status     int
		code       string
	}{
		{"no api-version", lbPath("lb1"), http.StatusBadRequest, CodeMissingAPIVersion},
		{"unknown api-version", lbPath("lb1") + "?api-version=2015-01-01", http.StatusBadRequest, CodeNoRegisteredProviderFound},
		{"other subscription", strings.Replace(lbPath("lb1"), DefaultSubscriptionID, "11111111-1111-1111-1111-111111111111", 1) + apiVersion,
			http.StatusNotFound, CodeSubscriptionNotFound},
		{"unknown resource type", "/subscriptions/" + DefaultSubscriptionID + "/resourceGroups/rg/providers/Microsoft.Network/natGateways/x" + apiVersion,
			http.StatusNotFound, CodeInvalidResourceType},
		{"other namespace", "/subscriptions/" + DefaultSubscriptionID + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/x" + apiVersion,
			http.StatusNotFound, CodeInvalidResourceNamespace},
		{"POST on a resource", lbPath("lb1") + apiVersion, http.StatusMethodNotAllowed, CodeMethodNotAllowed},
	}
	for _, tc := range cases {
		method := http.MethodGet
		if strings.HasPrefix(tc.name, "POST") {
			method = http.MethodPost
		}
		resp, body := e.raw(method, tc.path, "", nil)
		if resp.StatusCode != tc.status || armCode(t, body) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
	}
	if e.cloud.Writes() != 1 {
		t.Errorf("Writes() = %d, want the refused POST", e.cloud.Writes())
	}
}

func TestTokenEndpoint(t *testing.T) {
	c := New(Options{ClientSecrets: map[string]string{"app": "s3cret"}})
	token := func(tenant string, form url.Values) (*http.Response, string) {
		return rawRequest(t, c, http.MethodPost, InProcessEndpoint+"/"+tenant+"/oauth2/v2.0/token", form.Encode(),
			http.Header{"Authorization": nil, "Content-Type": {"application/x-www-form-urlencoded"}})
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {"s3cret"}, "scope": {"x/.default"}}
	resp, body := token(DefaultTenantID, form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"access_token"`) || !strings.Contains(body, `"expires_in":3600`) {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	bad := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {"wrong"}, "scope": {"x/.default"}}
	if resp, body := token(DefaultTenantID, bad); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "invalid_client") {
		t.Errorf("wrong secret: %d %s", resp.StatusCode, body)
	}
	if resp, body := token("other-tenant", form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "AADSTS90002") {
		t.Errorf("unknown tenant: %d %s", resp.StatusCode, body)
	}
	if got := c.Calls()[Call{http.MethodPost, TypeToken}]; got != 3 {
		t.Errorf("token calls = %d, want 3", got)
	}
	if c.Writes() != 0 {
		t.Errorf("token requests counted as writes: %d", c.Writes())
	}
}
