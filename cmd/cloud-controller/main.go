// Command cloud-controller is a Kubernetes cloud-controller-manager whose provider, registered as
// "azure", provisions Azure Standard Load Balancers for Services of type LoadBalancer. It is built with
// k8s.io/cloud-provider/app, so the standard flags, leader election, secure serving, /healthz and
// /metrics come with it; the only controller it runs is the service (load balancer) controller.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"k8s.io/apimachinery/pkg/util/wait"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	"k8s.io/cloud-provider/names"
	"k8s.io/cloud-provider/options"
	"k8s.io/component-base/cli"
	cliflag "k8s.io/component-base/cli/flag"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/klog/v2"

	"github.com/azlb/azlb/pkg/azureprovider"
)

func main() {
	cmd, err := newCommand()
	if err != nil {
		klog.Fatalf("unable to initialize command options: %v", err)
	}
	os.Exit(cli.Run(cmd))
}

func newCommand() (*cobra.Command, error) {
	opts, err := options.NewCloudControllerManagerOptions()
	if err != nil {
		return nil, err
	}
	// This provider's name is the default, so --cloud-provider can be omitted.
	opts.KubeCloudShared.CloudProvider.Name = azureprovider.ProviderName
	cmd := app.NewCloudControllerManagerCommand(opts, initCloud, controllers(), names.CCMControllerAliases(),
		cliflag.NamedFlagSets{}, wait.NeverStop)
	cmd.Use = "cloud-controller"
	if help := cmd.Flags().Lookup("help"); help != nil {
		help.Usage = "help for cloud-controller"
	}
	return cmd, nil
}

// controllers is the service controller alone: the provider implements load balancers only.
func controllers() map[string]app.ControllerInitFuncConstructor {
	return map[string]app.ControllerInitFuncConstructor{
		names.ServiceLBController: app.DefaultInitFuncConstructors[names.ServiceLBController],
	}
}

// initCloud builds the provider from --cloud-provider and --cloud-config; a bad config stops start-up
// with one message saying what to change.
func initCloud(c *config.CompletedConfig) cloudprovider.Interface {
	shared := c.ComponentConfig.KubeCloudShared
	cloud, err := newCloud(shared.CloudProvider.Name, shared.CloudProvider.CloudConfigFile, shared.ClusterName)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cloud-controller: %v\n", err)
		os.Exit(1)
	}
	return cloud
}

// newCloud builds the provider, or says in one line why it cannot start.
func newCloud(name, configFile, clusterName string) (cloudprovider.Interface, error) {
	if name != azureprovider.ProviderName {
		return nil, fmt.Errorf("unknown --cloud-provider %q: this binary provides %q", name, azureprovider.ProviderName)
	}
	if configFile == "" {
		return nil, fmt.Errorf("no --cloud-config: pass the path of an azure.json file")
	}
	f, err := os.Open(configFile)
	if err != nil {
		return nil, fmt.Errorf("reading --cloud-config: %w", err)
	}
	defer f.Close()
	cloud, err := cloudprovider.GetCloudProvider(name, f)
	if err != nil {
		return nil, err
	}
	if az, ok := cloud.(*azureprovider.Cloud); ok {
		az.SetClusterName(clusterName)
	}
	return cloud, nil
}
