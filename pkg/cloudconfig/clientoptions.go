package cloudconfig

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Well-known ARM endpoints of the sovereign clouds.
var armEndpoints = map[string]cloud.Configuration{
	"azurepubliccloud": withARM(cloud.AzurePublic, "https://management.azure.com", "https://management.core.windows.net/"),
	"azurechinacloud":  withARM(cloud.AzureChina, "https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn"),
	"azureusgovernmentcloud": withARM(cloud.AzureGovernment, "https://management.usgovcloudapi.net",
		"https://management.core.usgovcloudapi.net"),
}

func withARM(base cloud.Configuration, endpoint, audience string) cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: base.ActiveDirectoryAuthorityHost,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: endpoint, Audience: audience},
		},
	}
}

// cloudConfiguration resolves the cloud name and endpoint overrides.
func (c *Config) cloudConfiguration() (cloud.Configuration, error) {
	name := strings.ToLower(c.Cloud)
	var conf cloud.Configuration
	switch {
	case c.IsFake():
		return cloud.Configuration{}, nil
	case name == "azurestackcloud":
		if c.ResourceManagerEndpoint == "" {
			return conf, fmt.Errorf(`cloud %q needs "resourceManagerEndpoint"`, c.Cloud)
		}
		conf = withARM(cloud.AzurePublic, "", "https://management.core.windows.net/")
	default:
		known, ok := armEndpoints[name]
		if !ok {
			return conf, fmt.Errorf(`cloud %q is not known: use AzurePublicCloud, AzureChinaCloud, AzureUSGovernmentCloud, AzureStackCloud or %s`,
				c.Cloud, CloudInMemoryFake)
		}
		conf = withARM(known, known.Services[cloud.ResourceManager].Endpoint, known.Services[cloud.ResourceManager].Audience)
	}
	if c.ResourceManagerEndpoint != "" {
		if !strings.HasPrefix(c.ResourceManagerEndpoint, "https://") {
			return conf, fmt.Errorf(`resourceManagerEndpoint %q must be an https:// URL`, c.ResourceManagerEndpoint)
		}
		svc := conf.Services[cloud.ResourceManager]
		svc.Endpoint = strings.TrimSuffix(c.ResourceManagerEndpoint, "/")
		conf.Services[cloud.ResourceManager] = svc
	}
	if c.ActiveDirectoryAuthorityHost != "" {
		if !strings.HasPrefix(c.ActiveDirectoryAuthorityHost, "https://") {
			return conf, fmt.Errorf(`activeDirectoryAuthorityHost %q must be an https:// URL`, c.ActiveDirectoryAuthorityHost)
		}
		conf.ActiveDirectoryAuthorityHost = strings.TrimSuffix(c.ActiveDirectoryAuthorityHost, "/") + "/"
	}
	return conf, nil
}

// RetryOptions are the azcore retry settings: throttling (429 with Retry-After), server errors and
// "another operation in progress" conflicts are retried with exponential back-off.
func (c *Config) RetryOptions() policy.RetryOptions {
	return policy.RetryOptions{
		MaxRetries:    c.CloudProviderBackoffRetries,
		RetryDelay:    time.Duration(c.CloudProviderBackoffDuration) * time.Second,
		MaxRetryDelay: 60 * time.Second,
		ShouldRetry:   ShouldRetry,
	}
}

// ShouldRetry is the retry predicate: transport errors, 408, 429, 500, 502, 503, 504, and 409 answers
// whose ARM error code says the conflict is transient. A 412 is not retried here: the caller re-reads and
// re-applies its change instead.
func ShouldRetry(resp *http.Response, err error) bool {
	if err != nil {
		return true
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		body, readErr := runtime.Payload(resp)
		if readErr != nil {
			return false
		}
		for _, code := range []string{"AnotherOperationInProgress", "RetryableError", "OperationPreempted"} {
			if strings.Contains(string(body), code) {
				return true
			}
		}
	}
	return false
}

// ClientOptions returns the ARM client options for a real Azure (or `lbctl fake-cloud`): the cloud's
// endpoints, the retry policy, and a transport trusting caCertFile when set.
func (c *Config) ClientOptions() (*arm.ClientOptions, error) {
	conf, err := c.cloudConfiguration()
	if err != nil {
		return nil, err
	}
	opts := &arm.ClientOptions{ClientOptions: policy.ClientOptions{Cloud: conf, Retry: c.RetryOptions()}}
	opts.Telemetry.ApplicationID = "azlb-cloud-controller"
	if c.CACertFile != "" {
		transport, err := transportTrusting(c.CACertFile)
		if err != nil {
			return nil, err
		}
		opts.Transport = transport
	}
	return opts, nil
}

func transportTrusting(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading caCertFile: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("caCertFile %s holds no PEM certificate", caFile)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: base, Timeout: 2 * time.Minute}, nil
}
