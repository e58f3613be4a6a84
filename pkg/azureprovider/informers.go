package azureprovider

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	appslisters "k8s.io/client-go/listers/apps/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/azlb/azlb/pkg/loadbalancer"
)

var _ cloudprovider.InformerUser = (*Cloud)(nil)

// SetInformers gives the provider the Deployments and DaemonSets, so it can warn when the workload
// behind a Local Service drains faster than the load balancer's probe notices (event ProbeTimingTooSlow).
func (c *Cloud) SetInformers(factory informers.SharedInformerFactory) {
	apps := factory.Apps().V1()
	c.lb.SetWorkloads(&workloadLister{deployments: apps.Deployments().Lister(), daemonSets: apps.DaemonSets().Lister()})
}

type workloadLister struct {
	deployments appslisters.DeploymentLister
	daemonSets  appslisters.DaemonSetLister
}

func (l *workloadLister) Workloads(namespace string) []loadbalancer.Workload {
	var out []loadbalancer.Workload
	deployments, err := l.deployments.Deployments(namespace).List(labels.Everything())
	if err != nil {
		klog.ErrorS(err, "Listing Deployments", "namespace", namespace)
	}
	for _, d := range deployments {
		out = append(out, loadbalancer.Workload{Kind: "Deployment", Namespace: d.Namespace, Name: d.Name, Template: &d.Spec.Template})
	}
	daemonSets, err := l.daemonSets.DaemonSets(namespace).List(labels.Everything())
	if err != nil {
		klog.ErrorS(err, "Listing DaemonSets", "namespace", namespace)
	}
	for _, d := range daemonSets {
		out = append(out, loadbalancer.Workload{Kind: "DaemonSet", Namespace: d.Namespace, Name: d.Name, Template: &d.Spec.Template})
	}
	return out
}
