package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/spf13/cobra"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/cloudconfig"
	"github.com/azlb/azlb/pkg/fake"
)

// fakeCloudFlags are the settings of `lbctl fake-cloud`.
type fakeCloudFlags struct {
	listen, subscriptionID, tenantID, location      string
	resourceGroup, vnetName, vnetCIDR               string
	subnetName, subnetCIDR, publicIPRange           string
	clientID, clientSecret, caFile, cloudConfigFile string
}

func newFakeCloudCmd() *cobra.Command {
	var f fakeCloudFlags
	cmd := &cobra.Command{
		Use:   "fake-cloud",
		Short: "Serve the in-memory fake Azure (ARM and token endpoints) over HTTPS on loopback",
		Long: `fake-cloud serves the fake Azure Resource Manager (load balancers, public IPs, virtual networks)
and its Entra ID token endpoint over HTTPS on a loopback address, with a virtual network and subnet
in place. It writes the CA certificate clients must trust and a ready azure.json for cloud-controller
(pass it as --cloud-config), prints where they are, and serves until interrupted (SIGINT or SIGTERM).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runFakeCloud(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8443", "loopback address to serve HTTPS on")
	fl.StringVar(&f.subscriptionID, "subscription-id", fake.DefaultSubscriptionID, "the fake's subscription")
	fl.StringVar(&f.tenantID, "tenant-id", fake.DefaultTenantID, "the fake's tenant")
	fl.StringVar(&f.location, "location", fake.DefaultLocation, "the region of the seeded network and of the cloud config")
	fl.StringVar(&f.resourceGroup, "resource-group", "rg", "resource group of the seeded network and of the cloud config")
	fl.StringVar(&f.vnetName, "vnet-name", "kubernetes-vnet", "name of the seeded virtual network")
	fl.StringVar(&f.vnetCIDR, "vnet-cidr", "127.0.64.0/18", "address space of the seeded virtual network")
	fl.StringVar(&f.subnetName, "subnet-name", "kubernetes-subnet", "name of the seeded subnet")
	fl.StringVar(&f.subnetCIDR, "subnet-cidr", "127.0.64.0/18", "address range of the seeded subnet")
	fl.StringVar(&f.publicIPRange, "public-ip-range", fake.DefaultPublicIPRange.String(), "addresses handed to new public IPs")
	fl.StringVar(&f.clientID, "client-id", "fake-client", "client id the token endpoint accepts")
	fl.StringVar(&f.clientSecret, "client-secret", "fake-secret", "client secret the token endpoint accepts")
	fl.StringVar(&f.caFile, "ca-file", "", "where to write the CA certificate (PEM); default a file in a new temporary directory")
	fl.StringVar(&f.cloudConfigFile, "cloud-config", "", "where to write azure.json for cloud-controller; default a file next to the CA")
	return cmd
}

func runFakeCloud(cmd *cobra.Command, f fakeCloudFlags) error {
	ipRange, err := netip.ParsePrefix(f.publicIPRange)
	if err != nil {
		return fmt.Errorf("--public-ip-range %q: %w", f.publicIPRange, err)
	}
	cloud := fake.New(fake.Options{
		SubscriptionID: f.subscriptionID,
		TenantID:       f.tenantID,
		Location:       f.location,
		PublicIPRange:  ipRange,
		ClientSecrets:  map[string]string{f.clientID: f.clientSecret},
	})
	if err := cloud.PutVirtualNetwork(f.resourceGroup, seedNetwork(f)); err != nil {
		return fmt.Errorf("seeding virtual network %s (--vnet-cidr, --subnet-cidr): %w", f.vnetName, err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := fake.ListenTLS(cloud, f.listen) // refuses non-loopback addresses
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	defer func() { _ = srv.Close() }()

	caFile, configFile, err := outputPaths(f)
	if err != nil {
		return err
	}
	if err := os.WriteFile(caFile, srv.CACertPEM(), 0o600); err != nil {
		return fmt.Errorf("writing the CA certificate: %w", err)
	}
	config, err := json.MarshalIndent(cloudConfigFor(f, srv.URL(), caFile), "", "  ")
	if err != nil {
		return err
	}
	// The file holds the client secret.
	if err := os.WriteFile(configFile, append(config, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the cloud config: %w", err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "fake Azure serving on %s\nCA certificate: %s\ncloud config:   %s\n", srv.URL(), caFile, configFile)
	<-ctx.Done()
	fmt.Fprintln(out, "shutting down")
	if err := srv.Close(); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

func seedNetwork(f fakeCloudFlags) armnetwork.VirtualNetwork {
	return armnetwork.VirtualNetwork{
		Name:     ptr.To(f.vnetName),
		Location: ptr.To(f.location),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{ptr.To(f.vnetCIDR)}},
			Subnets: []*armnetwork.Subnet{{
				Name:       ptr.To(f.subnetName),
				Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr.To(f.subnetCIDR)},
			}},
		},
	}
}

// outputPaths resolves --ca-file and --cloud-config, creating a temporary directory for defaults.
func outputPaths(f fakeCloudFlags) (caFile, configFile string, err error) {
	caFile, configFile = f.caFile, f.cloudConfigFile
	if caFile != "" && configFile != "" {
		return caFile, configFile, nil
	}
	dir, err := os.MkdirTemp("", "lbctl-fake-cloud-")
	if err != nil {
		return "", "", fmt.Errorf("creating a directory for the CA and cloud config: %w", err)
	}
	if caFile == "" {
		caFile = filepath.Join(dir, "ca.pem")
	}
	if configFile == "" {
		configFile = filepath.Join(dir, "azure.json")
	}
	return caFile, configFile, nil
}

// cloudConfigFor is the azure.json that points cloud-controller at the served fake.
func cloudConfigFor(f fakeCloudFlags, url, caFile string) cloudconfig.Config {
	return cloudconfig.Config{
		TenantID:                     f.tenantID,
		SubscriptionID:               f.subscriptionID,
		AADClientID:                  f.clientID,
		AADClientSecret:              f.clientSecret,
		ResourceGroup:                f.resourceGroup,
		Location:                     f.location,
		VnetName:                     f.vnetName,
		SubnetName:                   f.subnetName,
		LoadBalancerSku:              "standard",
		ResourceManagerEndpoint:      url,
		ActiveDirectoryAuthorityHost: url,
		CACertFile:                   caFile,
	}
}
