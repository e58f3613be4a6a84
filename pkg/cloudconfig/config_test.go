package cloudconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

const base = `"resourceGroup":"rg","location":"eastus","vnetName":"vnet","subnetName":"subnet"`

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		env     map[string]string
		wantErr []string // substrings of the error; nil = valid
		check   func(t *testing.T, c *Config)
	}{
		{
			name: "client secret with defaults",
			json: `{"tenantId":"t","subscriptionId":"s","aadClientId":"id","aadClientSecret":"secret",` + base + `,"unknownField":42}`,
			check: func(t *testing.T, c *Config) {
				if c.Cloud != DefaultCloud || c.VnetResourceGroup != "rg" || c.LoadBalancerResourceGroup != "rg" {
					t.Errorf("defaults not applied: %+v", c)
				}
				if c.ClusterServiceSharedLoadBalancerHealthProbePort != 10256 || c.ClusterServiceSharedLoadBalancerHealthProbePath != "/healthz" {
					t.Errorf("shared probe defaults: %d %q", c.ClusterServiceSharedLoadBalancerHealthProbePort, c.ClusterServiceSharedLoadBalancerHealthProbePath)
				}
				if !c.ExcludeControlPlane() || c.OutboundSNATDisabled() {
					t.Errorf("excludeMasterFromStandardLB defaults to true and disableOutboundSNAT to false")
				}
				if kind, _ := ChooseCredential(c); kind != CredentialClientSecret {
					t.Errorf("credential = %s", kind)
				}
			},
		},
		{
			name: "YAML works too",
			json: "tenantId: t\nsubscriptionId: s\nuseManagedIdentityExtension: true\nresourceGroup: rg\nlocation: eastus\nvnetName: v\n",
			check: func(t *testing.T, c *Config) {
				if kind, _ := ChooseCredential(c); kind != CredentialManagedIdentity {
					t.Errorf("credential = %s", kind)
				}
			},
		},
		{
			name:    "missing required fields are all named",
			json:    `{"aadClientId":"id","aadClientSecret":"x","tenantId":"t"}`,
			wantErr: []string{`"subscriptionId"`, `"resourceGroup"`, `"location"`, `"vnetName"`},
		},
		{
			name:    "no credentials",
			json:    `{"subscriptionId":"s",` + base + `}`,
			wantErr: []string{"no Azure credentials", "aadClientSecret", "useManagedIdentityExtension"},
		},
		{
			name:    "bad JSON",
			json:    `{"subscriptionId": `,
			wantErr: []string{"not valid JSON or YAML"},
		},
		{
			name:    "empty file",
			json:    "  \n",
			wantErr: []string{"empty"},
		},
		{
			name:    "basic SKU refused",
			json:    `{"cloud":"InMemoryFake","loadBalancerSku":"Basic",` + base + `}`,
			wantErr: []string{`loadBalancerSku "basic"`, "standard"},
		},
		{
			name:    "NIC-based pools refused with the value to set",
			json:    `{"cloud":"InMemoryFake","loadBalancerBackendPoolConfigurationType":"nodeIPConfiguration",` + base + `}`,
			wantErr: []string{"nodeIPConfiguration", `set "nodeIP"`},
		},
		{
			name:    "unknown probe mode",
			json:    `{"cloud":"InMemoryFake","clusterServiceLoadBalancerHealthProbeMode":"sometimes",` + base + `}`,
			wantErr: []string{"clusterServiceLoadBalancerHealthProbeMode", "shared"},
		},
		{
			name:    "unknown cloud",
			json:    `{"cloud":"Mars","subscriptionId":"s","useManagedIdentityExtension":true,` + base + `}`,
			wantErr: []string{`cloud "Mars" is not known`},
		},
		{
			name:    "azure stack needs an endpoint",
			json:    `{"cloud":"AzureStackCloud","subscriptionId":"s","useManagedIdentityExtension":true,` + base + `}`,
			wantErr: []string{"resourceManagerEndpoint"},
		},
		{
			name: "fake cloud needs no subscription or credentials",
			json: `{"cloud":"InMemoryFake",` + base + `}`,
			check: func(t *testing.T, c *Config) {
				if !c.IsFake() || c.SubscriptionID != DefaultFakeSubscriptionID {
					t.Errorf("fake defaults: %+v", c)
				}
			},
		},
		{
			name: "workload identity from the webhook's environment",
			json: `{"subscriptionId":"s",` + base + `}`,
			env:  map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"},
			check: func(t *testing.T, c *Config) {
				if kind, _ := ChooseCredential(c); kind != CredentialWorkloadIdentity || c.AADClientID != "c" || c.TenantID != "t" {
					t.Errorf("workload identity not chosen: %+v", c)
				}
			},
		},
		{
			name:    "workload identity without a token file",
			json:    `{"subscriptionId":"s","tenantId":"t","aadClientId":"c","useFederatedWorkloadIdentityExtension":true,` + base + `}`,
			wantErr: []string{`"aadFederatedTokenFile"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.json), func(k string) string { return tt.env[k] })
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, want one containing %q", tt.wantErr)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestCredentialPrecedence(t *testing.T) {
	// Workload identity, then managed identity, then secret, then certificate: the reference's order.
	c := &Config{TenantID: "t", AADClientID: "c", AADClientSecret: "s", AADClientCertPath: "/p",
		UseManagedIdentityExtension: true, UseFederatedWorkloadIdentityExtension: true, AADFederatedTokenFile: "/f"}
	order := []CredentialKind{CredentialWorkloadIdentity, CredentialManagedIdentity, CredentialClientSecret, CredentialClientCertificate}
	for _, want := range order {
		got, err := ChooseCredential(c)
		if err != nil || got != want {
			t.Fatalf("got %s, %v; want %s", got, err, want)
		}
		switch want {
		case CredentialWorkloadIdentity:
			c.UseFederatedWorkloadIdentityExtension = false
		case CredentialManagedIdentity:
			c.UseManagedIdentityExtension = false
		case CredentialClientSecret:
			c.AADClientSecret = ""
		}
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(""); err == nil || !strings.Contains(err.Error(), "--cloud-config") {
		t.Errorf("Load(\"\") = %v, want a hint about --cloud-config", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "reading cloud config") {
		t.Errorf("missing file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "azure.json")
	if err := os.WriteFile(path, []byte(`{"subscriptionId":"s",`+base+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), "cloud config "+path+": ") {
		t.Errorf("error should name the file: %v", err)
	}
	c, err := LoadForFake(path)
	if err != nil || !c.IsFake() {
		t.Errorf("LoadForFake: %v %+v", err, c)
	}
}

func TestClientOptions(t *testing.T) {
	c, err := Parse([]byte(`{"cloud":"AzureChinaCloud","subscriptionId":"s","useManagedIdentityExtension":true,`+base+`}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := c.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if got := opts.Cloud.Services[cloud.ResourceManager].Endpoint; got != "https://management.chinacloudapi.cn" {
		t.Errorf("endpoint %q", got)
	}
	c.ResourceManagerEndpoint = "https://127.0.0.1:8443/"
	c.ActiveDirectoryAuthorityHost = "https://127.0.0.1:8443"
	opts, err = c.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Cloud.Services[cloud.ResourceManager].Endpoint != "https://127.0.0.1:8443" || opts.Cloud.ActiveDirectoryAuthorityHost != "https://127.0.0.1:8443/" {
		t.Errorf("overrides not applied: %+v", opts.Cloud)
	}
	c.CACertFile = filepath.Join(t.TempDir(), "nothing.pem")
	if err := os.WriteFile(c.CACertFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ClientOptions(); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("bad CA file: %v", err)
	}
}
