package fake

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// InProcessEndpoint is the ARM endpoint and authority host of ClientOptions. Requests to it never
// leave the process (the .invalid top-level domain cannot resolve).
const InProcessEndpoint = "https://management.fake-azure.invalid"

// Transport returns an azcore transport that answers every request by calling ServeHTTP, whatever
// its host, without sockets.
func (c *Cloud) Transport() policy.Transporter { return inProcessTransport{c: c} }

type inProcessTransport struct{ c *Cloud }

func (t inProcessTransport) Do(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.Host = req.URL.Host
	if in.Body == nil {
		in.Body = http.NoBody
	}
	if strings.EqualFold(req.URL.Scheme, "https") {
		in.TLS = &tls.ConnectionState{HandshakeComplete: true}
	}
	rec := httptest.NewRecorder()
	t.c.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// ClientOptions returns ARM client options for the real SDK clients: the cloud configuration
// points ResourceManager (and the authority host) at InProcessEndpoint and the transport is
// Transport(). Use them with TokenCredential, or with an azidentity credential built with the same
// ClientOptions.ClientOptions.
func (c *Cloud) ClientOptions() *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: InProcessEndpoint + "/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: InProcessEndpoint, Audience: InProcessEndpoint},
			},
		},
		Transport: c.Transport(),
	}}
}
