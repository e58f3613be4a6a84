// Package cloudconfig reads the provider's --cloud-config file, the azure.json format of the reference
// Azure cloud provider (kubernetes-sigs/cloud-provider-azure), and turns it into validated settings,
// Azure SDK client options and a credential.
//
// Field names and meanings follow the reference provider so that a migrating user keeps the same file;
// fields this provider does not use are ignored. A few fields are this project's own and say so in
// their doc comments.
package cloudconfig

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// CloudInMemoryFake is the value of the "cloud" field that runs the provider against the in-memory fake
// Azure of pkg/fake instead of Azure (this project's own value).
const CloudInMemoryFake = "InMemoryFake"

// Backend pool configuration types of the reference provider.
const (
	BackendPoolNodeIP              = "nodeIP"
	BackendPoolNodeIPConfiguration = "nodeIPConfiguration"
	BackendPoolPodIP               = "podIP"
)

// Config is the content of azure.json.
type Config struct {
	// Cloud names the Azure cloud: AzurePublicCloud (default), AzureChinaCloud, AzureUSGovernmentCloud,
	// AzureStackCloud (needs resourceManagerEndpoint), or InMemoryFake.
	Cloud          string `json:"cloud,omitempty"`
	TenantID       string `json:"tenantId,omitempty"`
	SubscriptionID string `json:"subscriptionId,omitempty"`
	ResourceGroup  string `json:"resourceGroup,omitempty"`
	Location       string `json:"location,omitempty"`

	VnetName          string `json:"vnetName,omitempty"`
	VnetResourceGroup string `json:"vnetResourceGroup,omitempty"`
	SubnetName        string `json:"subnetName,omitempty"`

	LoadBalancerSku                          string `json:"loadBalancerSku,omitempty"`
	LoadBalancerName                         string `json:"loadBalancerName,omitempty"`
	LoadBalancerResourceGroup                string `json:"loadBalancerResourceGroup,omitempty"`
	LoadBalancerBackendPoolConfigurationType string `json:"loadBalancerBackendPoolConfigurationType,omitempty"`

	ClusterServiceLoadBalancerHealthProbeMode       string `json:"clusterServiceLoadBalancerHealthProbeMode,omitempty"`
	ClusterServiceSharedLoadBalancerHealthProbePort int32  `json:"clusterServiceSharedLoadBalancerHealthProbePort,omitempty"`
	ClusterServiceSharedLoadBalancerHealthProbePath string `json:"clusterServiceSharedLoadBalancerHealthProbePath,omitempty"`

	// ExcludeMasterFromStandardLB keeps control-plane nodes out of the backend pool (default true).
	ExcludeMasterFromStandardLB *bool `json:"excludeMasterFromStandardLB,omitempty"`
	// DisableOutboundSNAT sets disableOutboundSnat on every load-balancing rule (default false).
	DisableOutboundSNAT *bool `json:"disableOutboundSNAT,omitempty"`

	// Authentication, chosen as the reference provider chooses (see ChooseCredential).
	AADClientID                           string `json:"aadClientId,omitempty"`
	AADClientSecret                       string `json:"aadClientSecret,omitempty" datapolicy:"token"`
	AADClientCertPath                     string `json:"aadClientCertPath,omitempty"`
	AADClientCertPassword                 string `json:"aadClientCertPassword,omitempty" datapolicy:"password"`
	UseManagedIdentityExtension           bool   `json:"useManagedIdentityExtension,omitempty"`
	UserAssignedIdentityID                string `json:"userAssignedIdentityID,omitempty"`
	AADFederatedTokenFile                 string `json:"aadFederatedTokenFile,omitempty"`
	UseFederatedWorkloadIdentityExtension bool   `json:"useFederatedWorkloadIdentityExtension,omitempty"`

	// ResourceManagerEndpoint overrides the cloud's ARM endpoint (the reference uses it for Azure Stack;
	// here it also points the provider at `lbctl fake-cloud`).
	ResourceManagerEndpoint string `json:"resourceManagerEndpoint,omitempty"`
	// ActiveDirectoryAuthorityHost overrides the cloud's Entra ID authority host (this project's own).
	ActiveDirectoryAuthorityHost string `json:"activeDirectoryAuthorityHost,omitempty"`
	// CACertFile is a PEM bundle trusted in addition to the system roots for ARM and token requests
	// (this project's own; used with `lbctl fake-cloud`).
	CACertFile string `json:"caCertFile,omitempty"`

	// Retries of throttled and failed ARM requests (reference names). Zero values mean the defaults.
	CloudProviderBackoffRetries  int32 `json:"cloudProviderBackoffRetries,omitempty"`
	CloudProviderBackoffDuration int   `json:"cloudProviderBackoffDuration,omitempty"` // seconds

	// LoadBalancerCacheTTLInSeconds is how long a load balancer or public IP read from ARM is trusted
	// without reading it again (default 120). Writes always carry If-Match, so a stale cache costs a
	// retry, never a lost change.
	LoadBalancerCacheTTLInSeconds int `json:"loadBalancerCacheTTLInSeconds,omitempty"`
}

// Defaults applied by Load and Parse.
const (
	DefaultCloud              = "AzurePublicCloud"
	DefaultSharedProbePort    = 10256
	DefaultSharedProbePath    = "/healthz"
	DefaultCacheTTLSeconds    = 120
	DefaultBackoffRetries     = 6
	DefaultBackoffDurationSec = 5
	DefaultFakeSubscriptionID = "00000000-0000-0000-0000-000000000000"
	DefaultFakeTenantID       = "00000000-0000-0000-0000-000000000001"
)

// Load reads and validates the cloud-config file at path.
func Load(path string) (*Config, error) {
	if path == "" {
		return nil, errors.New("no cloud config: pass --cloud-config with the path of an azure.json file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading cloud config: %w", err)
	}
	cfg, err := Parse(data, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("cloud config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes azure.json (JSON or YAML), applies the environment overrides of workload identity
// (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE, injected by its webhook, as the
// reference provider does) through getenv, applies defaults and validates. Unknown fields are ignored.
func Parse(data []byte, getenv func(string) string) (*Config, error) {
	return parse(data, getenv, false)
}

// LoadForFake reads a cloud config for use with the in-memory fake Azure (lbctl plan): whatever cloud
// it names, the result selects the fake, so credentials are neither needed nor checked.
func LoadForFake(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading cloud config: %w", err)
	}
	cfg, err := parse(data, nil, true)
	if err != nil {
		return nil, fmt.Errorf("cloud config %s: %w", path, err)
	}
	return cfg, nil
}

func parse(data []byte, getenv func(string) string, fake bool) (*Config, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, errors.New("the file is empty")
	}
	cfg := &Config{}
	if err := yaml.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("not valid JSON or YAML: %w", err)
	}
	if getenv != nil {
		cfg.applyEnvironment(getenv)
	}
	if fake {
		cfg.Cloud = CloudInMemoryFake
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) applyEnvironment(getenv func(string) string) {
	if v := getenv("AZURE_TENANT_ID"); v != "" {
		c.TenantID = v
	}
	if v := getenv("AZURE_CLIENT_ID"); v != "" {
		c.AADClientID = v
	}
	if v := getenv("AZURE_FEDERATED_TOKEN_FILE"); v != "" {
		c.AADFederatedTokenFile = v
		c.UseFederatedWorkloadIdentityExtension = true
	}
}

func (c *Config) applyDefaults() {
	if c.Cloud == "" {
		c.Cloud = DefaultCloud
	}
	if c.IsFake() {
		if c.SubscriptionID == "" {
			c.SubscriptionID = DefaultFakeSubscriptionID
		}
		if c.TenantID == "" {
			c.TenantID = DefaultFakeTenantID
		}
	}
	if c.VnetResourceGroup == "" {
		c.VnetResourceGroup = c.ResourceGroup
	}
	if c.LoadBalancerResourceGroup == "" {
		c.LoadBalancerResourceGroup = c.ResourceGroup
	}
	if c.LoadBalancerBackendPoolConfigurationType == "" {
		c.LoadBalancerBackendPoolConfigurationType = BackendPoolNodeIP
	}
	if c.ClusterServiceSharedLoadBalancerHealthProbePort == 0 {
		c.ClusterServiceSharedLoadBalancerHealthProbePort = DefaultSharedProbePort
	}
	if c.ClusterServiceSharedLoadBalancerHealthProbePath == "" {
		c.ClusterServiceSharedLoadBalancerHealthProbePath = DefaultSharedProbePath
	}
	if c.LoadBalancerCacheTTLInSeconds == 0 {
		c.LoadBalancerCacheTTLInSeconds = DefaultCacheTTLSeconds
	}
	if c.CloudProviderBackoffRetries == 0 {
		c.CloudProviderBackoffRetries = DefaultBackoffRetries
	}
	if c.CloudProviderBackoffDuration == 0 {
		c.CloudProviderBackoffDuration = DefaultBackoffDurationSec
	}
}

// CacheTTL is how long the provider trusts what it read from ARM.
func (c *Config) CacheTTL() time.Duration {
	return time.Duration(c.LoadBalancerCacheTTLInSeconds) * time.Second
}

// IsFake reports whether the config selects the in-memory fake Azure.
func (c *Config) IsFake() bool { return strings.EqualFold(c.Cloud, CloudInMemoryFake) }

// ExcludeControlPlane reports whether control-plane nodes stay out of the backend pool.
func (c *Config) ExcludeControlPlane() bool {
	return c.ExcludeMasterFromStandardLB == nil || *c.ExcludeMasterFromStandardLB
}

// OutboundSNATDisabled reports the disableOutboundSnat value of every rule.
func (c *Config) OutboundSNATDisabled() bool {
	return c.DisableOutboundSNAT != nil && *c.DisableOutboundSNAT
}

// Validate reports every problem of the config at once, each saying what to change.
func (c *Config) Validate() error {
	var problems []string
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"subscriptionId", c.SubscriptionID},
		{"resourceGroup", c.ResourceGroup},
		{"location", c.Location},
		{"vnetName", c.VnetName},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, fmt.Sprintf("%q", f.name))
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing required field(s) "+strings.Join(missing, ", "))
	}
	switch strings.ToLower(c.LoadBalancerSku) {
	case "", "standard":
	case "basic":
		problems = append(problems, `loadBalancerSku "basic" is not supported (Azure retired Basic load balancers): set "standard" or remove the field`)
	default:
		problems = append(problems, fmt.Sprintf(`loadBalancerSku %q is not valid: set "standard"`, c.LoadBalancerSku))
	}
	if !strings.EqualFold(c.LoadBalancerBackendPoolConfigurationType, BackendPoolNodeIP) {
		problems = append(problems, fmt.Sprintf(`loadBalancerBackendPoolConfigurationType %q is not supported: this provider manages IP-based backend pools, set %q`,
			c.LoadBalancerBackendPoolConfigurationType, BackendPoolNodeIP))
	}
	switch strings.ToLower(c.ClusterServiceLoadBalancerHealthProbeMode) {
	case "", "servicenodeport", "shared":
	default:
		problems = append(problems, fmt.Sprintf(`clusterServiceLoadBalancerHealthProbeMode %q is not valid: set "servicenodeport" (default) or "shared"`,
			c.ClusterServiceLoadBalancerHealthProbeMode))
	}
	if p := c.ClusterServiceSharedLoadBalancerHealthProbePort; p < 1 || p > 65535 {
		problems = append(problems, fmt.Sprintf("clusterServiceSharedLoadBalancerHealthProbePort %d is out of range 1..65535", p))
	}
	if !strings.HasPrefix(c.ClusterServiceSharedLoadBalancerHealthProbePath, "/") {
		problems = append(problems, fmt.Sprintf("clusterServiceSharedLoadBalancerHealthProbePath %q must start with /", c.ClusterServiceSharedLoadBalancerHealthProbePath))
	}
	if c.LoadBalancerCacheTTLInSeconds < 0 {
		problems = append(problems, "loadBalancerCacheTTLInSeconds must not be negative")
	}
	if c.CloudProviderBackoffRetries < 0 || c.CloudProviderBackoffDuration < 0 {
		problems = append(problems, "cloudProviderBackoffRetries and cloudProviderBackoffDuration must not be negative")
	}
	if _, err := c.cloudConfiguration(); err != nil {
		problems = append(problems, err.Error())
	}
	if !c.IsFake() {
		if _, err := ChooseCredential(c); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}
