package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/cloudconfig"
	"github.com/azlb/azlb/pkg/fake"
)

// Names and ranges of the network StartFakeAzure seeds.
const (
	// FakeAzureResourceGroup holds the seeded network, the load balancers
	// and the public IPs.
	FakeAzureResourceGroup = "rg"
	// FakeAzureVnetName is the seeded virtual network.
	FakeAzureVnetName = "kubernetes-vnet"
	// FakeAzureNodeSubnetName is the subnet of the node addresses
	// (NodeSubnet).
	FakeAzureNodeSubnetName = "nodes"
	// FakeAzureFrontendSubnetName is the cloud config's subnetName: where
	// internal Services get their frontend address (FakeAzure.FrontendSubnet).
	FakeAzureFrontendSubnetName = "kubernetes-subnet"
)

// NodeSubnet is the range of every node address (NodeAddress): 127.0.1.0/24.
var NodeSubnet = netip.MustParsePrefix("127.0.1.0/24")

// PublicIPBlock returns the public IP range of address block b:
// 127.2.b.0/24.
func PublicIPBlock(b int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 2, byte(b), 0}), 24)
}

// FrontendBlock returns the internal frontend subnet of address block b:
// 127.3.b.0/24.
func FrontendBlock(b int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 3, byte(b), 0}), 24)
}

// blockIndexes allocates address blocks across the fakes of the process;
// a lock file per block makes them exclusive across processes.
var blockIndexes indexAllocator

// FakeAzureOptions configure StartFakeAzure. The zero value is usable.
type FakeAzureOptions struct {
	// Dir receives the CA certificate and cloud configs; default a new
	// temporary directory, removed by Close.
	Dir string
	// ClientID and ClientSecret are the only credentials the token endpoint
	// accepts; defaults "azlb-e2e" and a random secret.
	ClientID, ClientSecret string
	// Fake are further options of the cloud (clock, limits, seed, page
	// size). Its PublicIPRange and ClientSecrets are set by StartFakeAzure.
	Fake fake.Options
}

// FakeAzure is pkg/fake's Azure served over HTTPS on 127.0.0.1 (fake.ListenTLS),
// with a virtual network that holds the cluster's node addresses. Each one
// has its own address block B, exclusive across processes: its public IPs
// come from 127.2.B.0/24 and internal frontends from 127.3.B.0/24, so two
// fakes never hand out the same address and none clashes with the harness's
// node (127.0.1.N), client (127.0.3.C) or pod (127.1.N.M) addresses. A
// DataPlane (StartDataPlane) serves the frontends of its load balancers.
type FakeAzure struct {
	// Cloud is the fake itself: inspect it (Snapshot, GetLoadBalancer,
	// Calls, Writes), seed it (PutPublicIP) or inject faults.
	Cloud *fake.Cloud
	// URL is the HTTPS base URL: ARM endpoint and token authority.
	URL string
	// CACertFile is the PEM certificate clients must trust.
	CACertFile string
	// Dir holds CACertFile and the cloud configs written by WriteCloudConfig.
	Dir string
	// Block is the address block; PublicIPRange and FrontendSubnet derive from it.
	Block int
	// PublicIPRange is where new public IPs get their address.
	PublicIPRange netip.Prefix
	// FrontendSubnet is the cloud config's subnet: internal frontends.
	FrontendSubnet netip.Prefix

	clientID, clientSecret string
	server                 *fake.TLSServer
	ownDir                 bool
}

// StartFakeAzure claims an address block, creates the fake with the seeded
// virtual network (NodeSubnet and FrontendSubnet) and serves it over HTTPS
// on a random port of 127.0.0.1. Close stops it.
func StartFakeAzure(opts FakeAzureOptions) (a *FakeAzure, err error) {
	a = &FakeAzure{clientID: opts.ClientID, clientSecret: opts.ClientSecret, Dir: opts.Dir}
	if a.clientID == "" {
		a.clientID = "azlb-e2e"
	}
	if a.clientSecret == "" {
		a.clientSecret = randomSecret()
	}
	block, _, err := claimIndex(&blockIndexes, lockClaimer, func(n int) netip.Addr { return PublicIPBlock(n).Addr() })
	if err != nil {
		return nil, fmt.Errorf("claiming an address block for the fake Azure: %w", err)
	}
	a.Block = block
	defer func() {
		if err != nil {
			_ = a.Close()
			a = nil
		}
	}()
	a.PublicIPRange, a.FrontendSubnet = PublicIPBlock(block), FrontendBlock(block)

	if a.Dir == "" {
		if a.Dir, err = os.MkdirTemp("", "azlb-fake-azure-"); err != nil {
			return a, fmt.Errorf("creating the fake Azure's directory: %w", err)
		}
		a.ownDir = true
	}
	fo := opts.Fake
	fo.PublicIPRange = a.PublicIPRange
	fo.ClientSecrets = map[string]string{a.clientID: a.clientSecret}
	a.Cloud = fake.New(fo)
	if err := a.Cloud.PutVirtualNetwork(FakeAzureResourceGroup, a.network()); err != nil {
		return a, fmt.Errorf("seeding the virtual network: %w", err)
	}
	if a.server, err = fake.ListenTLS(a.Cloud, "127.0.0.1:0"); err != nil {
		return a, err
	}
	a.URL = a.server.URL()
	a.CACertFile = filepath.Join(a.Dir, "fake-azure-ca.pem")
	if err := os.WriteFile(a.CACertFile, a.server.CACertPEM(), 0o600); err != nil {
		return a, fmt.Errorf("writing the fake Azure's CA certificate: %w", err)
	}
	return a, nil
}

// StartFakeAzureForTest starts a fake Azure for a test and closes it in
// t.Cleanup.
func StartFakeAzureForTest(t testing.TB, opts FakeAzureOptions) *FakeAzure {
	t.Helper()
	a, err := StartFakeAzure(opts)
	if err != nil {
		t.Fatalf("starting the fake Azure: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("closing the fake Azure: %v", err)
		}
	})
	return a
}

// network is the seeded virtual network: the node subnet and the frontend
// subnet, each its own address space.
func (a *FakeAzure) network() armnetwork.VirtualNetwork {
	return armnetwork.VirtualNetwork{
		Name:     ptr.To(FakeAzureVnetName),
		Location: ptr.To(a.Cloud.Options().Location),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{
				ptr.To(NodeSubnet.String()), ptr.To(a.FrontendSubnet.String()),
			}},
			Subnets: []*armnetwork.Subnet{
				{Name: ptr.To(FakeAzureNodeSubnetName), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr.To(NodeSubnet.String())}},
				{Name: ptr.To(FakeAzureFrontendSubnetName), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr.To(a.FrontendSubnet.String())}},
			},
		},
	}
}

// CloudConfig is the azure.json of a cloud-controller that talks to this
// fake at endpoint (an https:// base URL; "" means URL), authenticating
// with the client secret against the fake's token endpoint. Retries back
// off 1 s instead of 5 s, to keep tests quick.
func (a *FakeAzure) CloudConfig(endpoint string) cloudconfig.Config {
	if endpoint == "" {
		endpoint = a.URL
	}
	o := a.Cloud.Options()
	return cloudconfig.Config{
		TenantID:                     o.TenantID,
		SubscriptionID:               o.SubscriptionID,
		AADClientID:                  a.clientID,
		AADClientSecret:              a.clientSecret,
		ResourceGroup:                FakeAzureResourceGroup,
		Location:                     o.Location,
		VnetName:                     FakeAzureVnetName,
		SubnetName:                   FakeAzureFrontendSubnetName,
		LoadBalancerSku:              "standard",
		ResourceManagerEndpoint:      endpoint,
		ActiveDirectoryAuthorityHost: endpoint,
		CACertFile:                   a.CACertFile,
		CloudProviderBackoffDuration: 1,
	}
}

// WriteCloudConfig writes CloudConfig(endpoint), changed by edit when not
// nil, as JSON to Dir/name and returns its path. The file holds the client
// secret and is readable by its owner only.
func (a *FakeAzure) WriteCloudConfig(name, endpoint string, edit func(*cloudconfig.Config)) (string, error) {
	cfg := a.CloudConfig(endpoint)
	if edit != nil {
		edit(&cfg)
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(a.Dir, name)
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("writing cloud config %s: %w", path, err)
	}
	return path, nil
}

// Close stops serving, releases the address block and removes the
// directory StartFakeAzure created. It is safe to call more than once.
func (a *FakeAzure) Close() error {
	var errs []error
	if a.server != nil {
		if err := a.server.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the HTTPS server: %w", err))
		}
		a.server = nil
	}
	if a.Block != 0 {
		if err := lockClaimer.Release(PublicIPBlock(a.Block).Addr()); err != nil {
			errs = append(errs, err)
		}
		blockIndexes.release(a.Block)
		a.Block = 0
	}
	if a.ownDir && a.Dir != "" {
		if err := os.RemoveAll(a.Dir); err != nil {
			errs = append(errs, err)
		}
		a.ownDir = false
	}
	return errors.Join(errs...)
}
