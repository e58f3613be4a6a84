package harness

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/cloudconfig"
)

// TestFakeAzureCloudConfigWorks: the azure.json a FakeAzure writes passes the provider's own
// validation, and the Azure SDK built from it the provider's way (client secret credential against
// the fake's token endpoint, ARM over HTTPS trusting the written CA) reads the seeded network.
func TestFakeAzureCloudConfigWorks(t *testing.T) {
	t.Parallel()
	a := StartFakeAzureForTest(t, FakeAzureOptions{Dir: t.TempDir()})
	path, err := a.WriteCloudConfig("azure.json", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := cloudconfig.Load(path)
	if err != nil {
		t.Fatalf("the written cloud config does not load: %v", err)
	}
	if kind, err := cloudconfig.ChooseCredential(cfg); err != nil || kind != cloudconfig.CredentialClientSecret {
		t.Fatalf("credential %q (%v), want %q", kind, err, cloudconfig.CredentialClientSecret)
	}
	opts, err := cfg.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	cred, err := cloudconfig.NewCredential(cfg, opts.ClientOptions)
	if err != nil {
		t.Fatal(err)
	}
	client, err := armnetwork.NewVirtualNetworksClient(cfg.SubscriptionID, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(t.Context(), cfg.VnetResourceGroup, cfg.VnetName, nil)
	if err != nil {
		t.Fatalf("reading the seeded network through the SDK over HTTPS: %v", err)
	}
	subnets := map[string]string{}
	for _, s := range resp.Properties.Subnets {
		subnets[ptr.Deref(s.Name, "")] = ptr.Deref(s.Properties.AddressPrefix, "")
	}
	want := map[string]string{FakeAzureNodeSubnetName: NodeSubnet.String(), cfg.SubnetName: a.FrontendSubnet.String()}
	for name, prefix := range want {
		if subnets[name] != prefix {
			t.Errorf("subnet %s = %q, want %q (all: %v)", name, subnets[name], prefix, subnets)
		}
	}

	// A wrong secret is refused by the token endpoint.
	bad, err := a.WriteCloudConfig("bad.json", "", func(c *cloudconfig.Config) { c.AADClientSecret = "wrong" })
	if err != nil {
		t.Fatal(err)
	}
	badCfg, err := cloudconfig.Load(bad)
	if err != nil {
		t.Fatal(err)
	}
	badCred, err := cloudconfig.NewCredential(badCfg, opts.ClientOptions)
	if err != nil {
		t.Fatal(err)
	}
	badClient, err := armnetwork.NewVirtualNetworksClient(cfg.SubscriptionID, badCred, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := badClient.Get(t.Context(), cfg.VnetResourceGroup, cfg.VnetName, nil); err == nil {
		t.Error("a wrong client secret was accepted")
	}
}

// TestFakeAzureAddressBlocks: two fakes get different address blocks, whose ranges clash with
// neither each other nor the harness's node, client and pod ranges nor pkg/fake's default range; a closed fake's block is
// free again.
func TestFakeAzureAddressBlocks(t *testing.T) {
	t.Parallel()
	a := StartFakeAzureForTest(t, FakeAzureOptions{})
	b := StartFakeAzureForTest(t, FakeAzureOptions{})
	if a.Block == b.Block {
		t.Fatalf("both fakes got block %d", a.Block)
	}
	taken := []netip.Prefix{
		NodeSubnet,
		netip.MustParsePrefix("127.0.2.0/24"), // pkg/fake's default public IP range
		netip.MustParsePrefix("127.0.3.0/24"), // clients
		netip.MustParsePrefix("127.1.0.0/16"), // pods
		netip.MustParsePrefix("127.0.0.1/32"), // API server, etcd, the fakes' HTTPS
	}
	for _, f := range []*FakeAzure{a, b} {
		for _, p := range []netip.Prefix{f.PublicIPRange, f.FrontendSubnet} {
			for _, other := range taken {
				if p.Overlaps(other) {
					t.Errorf("fake block %d: range %s overlaps %s", f.Block, p, other)
				}
			}
			taken = append(taken, p)
		}
		if got := f.Cloud.Options().PublicIPRange; got != f.PublicIPRange {
			t.Errorf("fake block %d hands out public IPs from %s, want %s", f.Block, got, f.PublicIPRange)
		}
	}

	// The block is locked while the fake runs (another process would skip it) and free after Close.
	block := a.Block
	addr := PublicIPBlock(block).Addr()
	if _, err := claimer.lock(addr); !errors.Is(err, errAddressTaken) {
		t.Fatalf("locking block %d of a running fake: %v, want errAddressTaken", block, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := claimer.lock(addr)
	if err != nil {
		t.Fatalf("block %d still locked after Close: %v", block, err)
	}
	_ = f.Close()
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFakeAzureServesOnLoopback: the fake hands out tokens to anyone, so it serves on 127.0.0.1 only.
func TestFakeAzureServesOnLoopback(t *testing.T) {
	t.Parallel()
	a := StartFakeAzureForTest(t, FakeAzureOptions{})
	if !strings.HasPrefix(a.URL, "https://127.0.0.1:") {
		t.Errorf("URL %s, want https://127.0.0.1:port", a.URL)
	}
}
