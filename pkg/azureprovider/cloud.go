// Package azureprovider is the cloudprovider.Interface registered as "azure": it reads the cloud
// config, builds the Azure SDK clients (or the in-memory fake Azure) and serves the LoadBalancer
// interface from pkg/loadbalancer. Only load balancers are implemented; node initialisation and routes
// are left to other components (for example the reference provider's cloud-node-manager).
package azureprovider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/cloudconfig"
	"github.com/azlb/azlb/pkg/fake"
	"github.com/azlb/azlb/pkg/loadbalancer"
	"github.com/azlb/azlb/pkg/probes"
)

// ProviderName is the name the provider registers under (--cloud-provider=azure).
const ProviderName = "azure"

// EventComponent is the source of the events the provider records.
const EventComponent = "azure-cloud-provider"

func init() {
	cloudprovider.RegisterCloudProvider(ProviderName, func(config io.Reader) (cloudprovider.Interface, error) {
		if config == nil {
			return nil, errors.New("no cloud config: pass --cloud-config with the path of an azure.json file")
		}
		data, err := io.ReadAll(config)
		if err != nil {
			return nil, fmt.Errorf("reading cloud config: %w", err)
		}
		cfg, err := cloudconfig.Parse(data, os.Getenv)
		if err != nil {
			return nil, fmt.Errorf("cloud config: %w", err)
		}
		return New(cfg, Options{})
	})
}

// Options are the optional parts of New.
type Options struct {
	Clock clock.Clock
	// ClusterName names the shared load balancers and the backend pool (the controller's --cluster-name);
	// default "kubernetes".
	ClusterName string
}

// Cloud implements cloudprovider.Interface.
type Cloud struct {
	cfg  *cloudconfig.Config
	lb   *loadbalancer.Provider
	fake *fake.Cloud
}

var _ cloudprovider.Interface = (*Cloud)(nil)

// New builds the provider from a validated cloud config.
func New(cfg *cloudconfig.Config, opts Options) (*Cloud, error) {
	mode, err := probes.ParseMode(cfg.ClusterServiceLoadBalancerHealthProbeMode)
	if err != nil {
		return nil, fmt.Errorf("clusterServiceLoadBalancerHealthProbeMode: %w", err)
	}
	c := &Cloud{cfg: cfg}
	var cred azcore.TokenCredential
	var clientOptions *arm.ClientOptions
	if cfg.IsFake() {
		c.fake, err = NewFakeCloud(cfg)
		if err != nil {
			return nil, err
		}
		cred, clientOptions = c.fake.TokenCredential(), c.fake.ClientOptions()
		clientOptions.Retry = cfg.RetryOptions()
	} else {
		if clientOptions, err = cfg.ClientOptions(); err != nil {
			return nil, err
		}
		if cred, err = cloudconfig.NewCredential(cfg, clientOptions.ClientOptions); err != nil {
			return nil, err
		}
	}
	clusterName := opts.ClusterName
	if clusterName == "" {
		clusterName = "kubernetes"
	}
	c.lb, err = loadbalancer.New(loadbalancer.Options{
		Settings:      SettingsFrom(cfg, clusterName, mode),
		Credential:    cred,
		ClientOptions: clientOptions,
		Clock:         opts.Clock,
		CacheTTL:      cfg.CacheTTL(),
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// SettingsFrom derives the load balancer settings from the cloud config.
func SettingsFrom(cfg *cloudconfig.Config, clusterName string, mode probes.Mode) loadbalancer.Settings {
	return loadbalancer.Settings{
		ClusterName:       clusterName,
		SubscriptionID:    cfg.SubscriptionID,
		ResourceGroup:     cfg.ResourceGroup,
		LBResourceGroup:   cfg.LoadBalancerResourceGroup,
		Location:          cfg.Location,
		VnetResourceGroup: cfg.VnetResourceGroup,
		VnetName:          cfg.VnetName,
		SubnetName:        cfg.SubnetName,
		LoadBalancerName:  cfg.LoadBalancerName,
		Probes: probes.Config{
			ClusterMode: mode,
			SharedPort:  cfg.ClusterServiceSharedLoadBalancerHealthProbePort,
			SharedPath:  cfg.ClusterServiceSharedLoadBalancerHealthProbePath,
		},
		ExcludeControlPlane: cfg.ExcludeControlPlane(),
		DisableOutboundSNAT: cfg.OutboundSNATDisabled(),
	}
}

// NewFakeCloud builds the in-memory fake Azure for cfg, with the cloud config's virtual network and
// subnet in place.
func NewFakeCloud(cfg *cloudconfig.Config) (*fake.Cloud, error) {
	f := fake.New(fake.Options{SubscriptionID: cfg.SubscriptionID, TenantID: cfg.TenantID, Location: cfg.Location,
		PublicIPRange: FakePublicIPRange})
	vnet := armnetwork.VirtualNetwork{
		Name:     ptr.To(cfg.VnetName),
		Location: ptr.To(cfg.Location),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{ptr.To(FakeVnetPrefix)}},
		},
	}
	if cfg.SubnetName != "" {
		vnet.Properties.Subnets = []*armnetwork.Subnet{{
			Name:       ptr.To(cfg.SubnetName),
			Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr.To(FakeSubnetPrefix)},
		}}
	}
	if err := f.PutVirtualNetwork(cfg.VnetResourceGroup, vnet); err != nil {
		return nil, fmt.Errorf("seeding the fake cloud's virtual network: %w", err)
	}
	return f, nil
}

// Address space of the in-memory fake cloud's virtual network.
const (
	FakeVnetPrefix   = "10.224.0.0/12"
	FakeSubnetPrefix = "10.224.0.0/16"
)

// FakePublicIPRange is where the in-memory fake cloud allocates public IPs: loopback (nothing is ever
// sent anywhere else) and large enough for a load balancer's 600 frontends.
var FakePublicIPRange = netip.MustParsePrefix("127.2.0.0/16")

// SetClusterName sets the cluster name (the controller's --cluster-name) before controllers start.
func (c *Cloud) SetClusterName(name string) {
	if name != "" {
		c.lb.SetClusterName(name)
	}
}

// Fake returns the in-memory fake Azure when the config selects it (nil otherwise).
func (c *Cloud) Fake() *fake.Cloud { return c.fake }

// LoadBalancerProvider returns the load balancer implementation.
func (c *Cloud) LoadBalancerProvider() *loadbalancer.Provider { return c.lb }

// Initialize starts recording events and ties background writes to the controller's lifetime.
func (c *Cloud) Initialize(clientBuilder cloudprovider.ControllerClientBuilder, stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-stop
		cancel()
	}()
	c.lb.SetContext(ctx)
	loadbalancer.RegisterMetrics()
	client, err := clientBuilder.Client(EventComponent)
	if err != nil {
		klog.ErrorS(err, "Cannot create a client for events; Services will get no provider events")
		return
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartStructuredLogging(3)
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	c.lb.SetEventRecorder(broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: EventComponent}))
	klog.InfoS("Azure load balancer provider initialised", "cloud", c.cfg.Cloud, "subscription", c.cfg.SubscriptionID,
		"resourceGroup", c.cfg.ResourceGroup, "location", c.cfg.Location)
}

// LoadBalancer returns the load balancer implementation.
func (c *Cloud) LoadBalancer() (cloudprovider.LoadBalancer, bool) { return c.lb, true }

// Instances is not implemented.
func (c *Cloud) Instances() (cloudprovider.Instances, bool) { return nil, false }

// InstancesV2 is not implemented.
func (c *Cloud) InstancesV2() (cloudprovider.InstancesV2, bool) { return nil, false }

// Zones is not implemented.
func (c *Cloud) Zones() (cloudprovider.Zones, bool) { return nil, false }

// Clusters is not implemented.
func (c *Cloud) Clusters() (cloudprovider.Clusters, bool) { return nil, false }

// Routes is not implemented.
func (c *Cloud) Routes() (cloudprovider.Routes, bool) { return nil, false }

// ProviderName is "azure".
func (c *Cloud) ProviderName() string { return ProviderName }

// HasClusterID is true: resources are scoped by the cluster name.
func (c *Cloud) HasClusterID() bool { return true }
