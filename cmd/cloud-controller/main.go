// Command cloud-controller is a Kubernetes cloud-controller-manager whose provider, registered as
// "azure", provisions Azure Standard Load Balancers for Services of type LoadBalancer. It is built with
// k8s.io/cloud-provider/app, so the standard flags, leader election, secure serving, /healthz and
// /metrics come with it; the only controller it runs is the service (load balancer) controller.
package main

import (
	"fmt"
	"os"

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
	opts, err := options.NewCloudControllerManagerOptions()
	if err != nil {
		klog.Fatalf("unable to initialize command options: %v", err)
	}
	// This provider's name is the default, so --cloud-provider can be omitted.
	opts.KubeCloudShared.CloudProvider.Name = azureprovider.ProviderName
	cmd := app.NewCloudControllerManagerCommand(opts, initCloud, controllers(), names.CCMControllerAliases(),
		cliflag.NamedFlagSets{}, wait.NeverStop)
	cmd.Use = "cloud-controller"
	os.Exit(cli.Run(cmd))
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
	cloud, err := cloudprovider.InitCloudProvider(shared.CloudProvider.Name, shared.CloudProvider.CloudConfigFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cloud-controller: %v\n", err)
		os.Exit(1)
	}
	if cloud == nil {
		fmt.Fprintf(os.Stderr, "cloud-controller: unknown --cloud-provider %q (this binary provides %q)\n",
			shared.CloudProvider.Name, azureprovider.ProviderName)
		os.Exit(1)
	}
	if az, ok := cloud.(*azureprovider.Cloud); ok {
		az.SetClusterName(shared.ClusterName)
	}
	return cloud
}
