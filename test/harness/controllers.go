package harness

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	restclient "k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/controller/daemon"
	"k8s.io/kubernetes/pkg/controller/deployment"
	"k8s.io/kubernetes/pkg/controller/disruption"
	"k8s.io/kubernetes/pkg/controller/endpointslice"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
	"k8s.io/kubernetes/pkg/controller/replicaset"
	"k8s.io/kubernetes/pkg/controller/serviceaccount"
	"k8s.io/kubernetes/pkg/scheduler"
	"k8s.io/kubernetes/pkg/scheduler/profile"
)

// controllers runs the upstream controllers the harness needs, like a
// trimmed kube-controller-manager, and the default kube-scheduler.
type controllers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stops  []func()
}

// clientFor returns a clientset whose user agent names the controller.
func clientFor(cfg *restclient.Config, name string) (kubernetes.Interface, error) {
	c := restclient.CopyConfig(cfg)
	restclient.AddUserAgent(c, name)
	return kubernetes.NewForConfig(c)
}

// startControllers starts the service account, deployment, replica set,
// daemon set, EndpointSlice, disruption (PDB status, so evictions honour
// PDBs) and garbage collector controllers, and the scheduler, and waits
// until their caches are synced.
func startControllers(parent context.Context, cfg *restclient.Config, logger klog.Logger) (*controllers, error) {
	ctx, cancel := context.WithCancel(klog.NewContext(parent, logger.WithName("controller-manager")))
	c := &controllers{cancel: cancel}
	if err := c.start(ctx, cfg); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *controllers) goRun(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

func (c *controllers) start(ctx context.Context, cfg *restclient.Config) error {
	client, err := clientFor(cfg, "harness-controller-manager")
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	c.stops = append(c.stops, factory.Shutdown)

	sa, err := serviceaccount.NewServiceAccountsController(klog.FromContext(ctx),
		factory.Core().V1().ServiceAccounts(), factory.Core().V1().Namespaces(), client,
		serviceaccount.DefaultServiceAccountsControllerOptions())
	if err != nil {
		return fmt.Errorf("service account controller: %w", err)
	}
	dc, err := deployment.NewDeploymentController(ctx, factory.Apps().V1().Deployments(), factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods(), client)
	if err != nil {
		return fmt.Errorf("deployment controller: %w", err)
	}
	rsc := replicaset.NewReplicaSetController(ctx, factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods(), client, replicaset.BurstReplicas)
	dsc, err := daemon.NewDaemonSetsController(ctx, factory.Apps().V1().DaemonSets(), factory.Apps().V1().ControllerRevisions(),
		factory.Core().V1().Pods(), factory.Core().V1().Nodes(), client, flowcontrol.NewBackOff(time.Second, 15*time.Minute))
	if err != nil {
		return fmt.Errorf("daemon set controller: %w", err)
	}
	esc := endpointslice.NewController(ctx, factory.Core().V1().Pods(), factory.Core().V1().Services(), factory.Core().V1().Nodes(),
		factory.Discovery().V1().EndpointSlices(), 100, client, 0)

	// Discovery-based pieces: PDB status needs the scale subresource of the
	// owners; the garbage collector needs every deletable resource.
	discoveryClient := memory.NewMemCacheClient(client.Discovery())
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(discoveryClient)
	mapper.Reset()
	scaleClient, err := scale.NewForConfig(cfg, mapper, dynamic.LegacyAPIPathResolverFunc, scale.NewDiscoveryScaleKindResolver(client.Discovery()))
	if err != nil {
		return fmt.Errorf("scale client: %w", err)
	}
	pdbc := disruption.NewDisruptionController(ctx, factory.Core().V1().Pods(), factory.Policy().V1().PodDisruptionBudgets(),
		factory.Core().V1().ReplicationControllers(), factory.Apps().V1().ReplicaSets(), factory.Apps().V1().Deployments(),
		factory.Apps().V1().StatefulSets(), client, mapper, scaleClient, client.Discovery())

	metadataClient, err := metadata.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("metadata client: %w", err)
	}
	metadataInformers := metadatainformer.NewSharedInformerFactory(metadataClient, 0)
	c.stops = append(c.stops, metadataInformers.Shutdown)
	started := make(chan struct{})
	gc, err := garbagecollector.NewGarbageCollector(ctx, client, metadataClient, mapper, garbagecollector.DefaultIgnoredResources(),
		informerfactory.NewInformerFactory(factory, metadataInformers), started)
	if err != nil {
		return fmt.Errorf("garbage collector: %w", err)
	}

	// The scheduler, default profile, with its own informers as in
	// kube-scheduler.
	schedClient, err := clientFor(cfg, "harness-scheduler")
	if err != nil {
		return err
	}
	schedFactory := scheduler.NewInformerFactory(schedClient, 0, nil)
	c.stops = append(c.stops, schedFactory.Shutdown)
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: schedClient.EventsV1()})
	c.stops = append(c.stops, broadcaster.Shutdown)
	if err := broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
		return fmt.Errorf("scheduler events: %w", err)
	}
	sched, err := scheduler.New(klog.NewContext(ctx, klog.FromContext(ctx).WithName("scheduler")), schedClient, schedFactory, nil,
		profile.NewRecorderFactory(broadcaster), scheduler.WithKubeConfig(cfg))
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}

	factory.Start(ctx.Done())
	metadataInformers.Start(ctx.Done())
	close(started)
	schedFactory.Start(ctx.Done())
	for _, synced := range []map[string]bool{typeNames(factory.WaitForCacheSync(ctx.Done())), typeNames(schedFactory.WaitForCacheSync(ctx.Done()))} {
		for typ, ok := range synced {
			if !ok {
				return fmt.Errorf("informer cache of %s did not sync", typ)
			}
		}
	}
	if err := sched.WaitForHandlersSync(ctx); err != nil {
		return fmt.Errorf("scheduler handlers: %w", err)
	}

	c.goRun(func() { sa.Run(ctx, 1) })
	c.goRun(func() { dc.Run(ctx, 5) })
	c.goRun(func() { rsc.Run(ctx, 5) })
	c.goRun(func() { dsc.Run(ctx, 2) })
	c.goRun(func() { esc.Run(ctx, 5) })
	c.goRun(func() { pdbc.Run(ctx, 1) })
	const gcSyncPeriod = 5 * time.Second
	c.goRun(func() { gc.Run(ctx, 5, gcSyncPeriod) })
	c.goRun(func() { gc.Sync(ctx, client.Discovery(), gcSyncPeriod) })
	c.goRun(func() {
		t := time.NewTicker(gcSyncPeriod)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				mapper.Reset()
			}
		}
	})
	c.goRun(func() { sched.Run(ctx) })
	return nil
}

// stop cancels every controller and waits for them and their informers.
func (c *controllers) stop() {
	c.cancel()
	c.wg.Wait()
	for i := len(c.stops) - 1; i >= 0; i-- {
		c.stops[i]()
	}
}

func typeNames[T comparable](m map[T]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[fmt.Sprint(k)] = v
	}
	return out
}
