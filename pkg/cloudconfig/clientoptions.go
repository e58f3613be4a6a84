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

// RetryOptions are the azcore retry settings: how often and how patiently to retry. Which answers are
// retried is the provider's (loadbalancer.ShouldRetry).
func (c *Config) RetryOptions() policy.RetryOptions {
	return policy.RetryOptions{
		MaxRetries:    c.CloudProviderBackoffRetries,
		RetryDelay:    time.Duration(c.CloudProviderBackoffDuration) * time.Second,
		MaxRetryDelay: 60 * time.Second,
	}
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
