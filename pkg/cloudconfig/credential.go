package cloudconfig

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// CredentialKind is the way the provider authenticates to Azure.
type CredentialKind string

// The credential kinds, in the order the reference provider tries them.
const (
	CredentialWorkloadIdentity  CredentialKind = "WorkloadIdentity"
	CredentialManagedIdentity   CredentialKind = "ManagedIdentity"
	CredentialClientSecret      CredentialKind = "ClientSecret"
	CredentialClientCertificate CredentialKind = "ClientCertificate"
)

// ChooseCredential picks the credential the way the reference provider does: workload identity when
// useFederatedWorkloadIdentityExtension is set (or AZURE_FEDERATED_TOKEN_FILE was injected), then managed
// identity when useManagedIdentityExtension is set, then the client secret, then the client
// certificate. It fails when nothing usable is configured, saying which fields to set.
func ChooseCredential(c *Config) (CredentialKind, error) {
	switch {
	case c.UseFederatedWorkloadIdentityExtension:
		var missing []string
		if c.TenantID == "" {
			missing = append(missing, `"tenantId"`)
		}
		if c.AADClientID == "" {
			missing = append(missing, `"aadClientId"`)
		}
		if c.AADFederatedTokenFile == "" {
			missing = append(missing, `"aadFederatedTokenFile"`)
		}
		if len(missing) > 0 {
			return "", fmt.Errorf("workload identity needs %s (or the AZURE_* variables its webhook injects)", strings.Join(missing, ", "))
		}
		return CredentialWorkloadIdentity, nil
	case c.UseManagedIdentityExtension:
		return CredentialManagedIdentity, nil
	case c.AADClientSecret != "":
		if c.TenantID == "" || c.AADClientID == "" {
			return "", errors.New(`a client secret needs "tenantId" and "aadClientId"`)
		}
		return CredentialClientSecret, nil
	case c.AADClientCertPath != "":
		if c.TenantID == "" || c.AADClientID == "" {
			return "", errors.New(`a client certificate needs "tenantId" and "aadClientId"`)
		}
		return CredentialClientCertificate, nil
	}
	return "", errors.New(`no Azure credentials: set "aadClientId" and "aadClientSecret", or "useManagedIdentityExtension": true, ` +
		`or "useFederatedWorkloadIdentityExtension": true with "aadFederatedTokenFile" (or select "cloud": "` + CloudInMemoryFake + `")`)
}

// NewCredential builds the azidentity credential ChooseCredential selects. clientOptions carries the
// cloud (authority host) and transport; see ClientOptions.
func NewCredential(c *Config, clientOptions policy.ClientOptions) (azcore.TokenCredential, error) {
	kind, err := ChooseCredential(c)
	if err != nil {
		return nil, err
	}
	// With a custom authority host (Azure Stack, the fake cloud) MSAL's instance discovery against
	// login.microsoftonline.com cannot succeed; the host is trusted by configuration instead.
	disableDiscovery := c.ActiveDirectoryAuthorityHost != ""
	switch kind {
	case CredentialWorkloadIdentity:
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions:            clientOptions,
			ClientID:                 c.AADClientID,
			TenantID:                 c.TenantID,
			TokenFilePath:            c.AADFederatedTokenFile,
			DisableInstanceDiscovery: disableDiscovery,
		})
		if err != nil {
			return nil, fmt.Errorf("workload identity credential: %w", err)
		}
		return cred, nil
	case CredentialManagedIdentity:
		opts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: clientOptions}
		if id := c.UserAssignedIdentityID; id != "" {
			if strings.Contains(strings.ToUpper(id), "/SUBSCRIPTIONS/") {
				opts.ID = azidentity.ResourceID(id)
			} else {
				opts.ID = azidentity.ClientID(id)
			}
		}
		cred, err := azidentity.NewManagedIdentityCredential(opts)
		if err != nil {
			return nil, fmt.Errorf("managed identity credential: %w", err)
		}
		return cred, nil
	case CredentialClientSecret:
		cred, err := azidentity.NewClientSecretCredential(c.TenantID, c.AADClientID, c.AADClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: disableDiscovery})
		if err != nil {
			return nil, fmt.Errorf("client secret credential: %w", err)
		}
		return cred, nil
	case CredentialClientCertificate:
		data, err := os.ReadFile(c.AADClientCertPath)
		if err != nil {
			return nil, fmt.Errorf("reading aadClientCertPath: %w", err)
		}
		var password []byte
		if c.AADClientCertPassword != "" {
			password = []byte(c.AADClientCertPassword)
		}
		certs, key, err := azidentity.ParseCertificates(data, password)
		if err != nil {
			return nil, fmt.Errorf("parsing aadClientCertPath (PEM or PKCS#12 with aadClientCertPassword): %w", err)
		}
		cred, err := azidentity.NewClientCertificateCredential(c.TenantID, c.AADClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: disableDiscovery})
		if err != nil {
			return nil, fmt.Errorf("client certificate credential: %w", err)
		}
		return cred, nil
	}
	return nil, fmt.Errorf("unknown credential kind %q", kind)
}
