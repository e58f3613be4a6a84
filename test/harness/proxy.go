package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	v1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/proxy"
	proxyconfig "k8s.io/kubernetes/pkg/proxy/config"
	"k8s.io/kubernetes/pkg/proxy/healthcheck"
	"k8s.io/kubernetes/pkg/proxy/runner"
	proxyutil "k8s.io/kubernetes/pkg/proxy/util"
)

// ProxyHealthPort is kube-proxy's health server port (--healthz-bind-address).
const ProxyHealthPort = 10256

// kubeProxyLabelSelector is kube-proxy's filter on Services and
// EndpointSlices: not owned by another proxy, not headless.
const kubeProxyLabelSelector = "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"

// proxyOptions are kube-proxy's sync settings.
type proxyOptions struct {
	// minSyncPeriod: at most one sync per this period (iptables default 1 s).
	minSyncPeriod time.Duration
	// syncPeriod: a sync at least this often; health times out after two.
	syncPeriod time.Duration
	seed       uint64
}

// kubeProxy is one node's kube-proxy, assembled from the upstream pieces:
// Service and EndpointSlice config handlers, change trackers and maps,
// CategorizeEndpoints, the BoundedFrequencyRunner that paces syncs, the
// proxier health state and the service health (healthCheckNodePort)
// server. Only the rule programming is ours: instead of iptables it fills
// the node's dataPath.
type kubeProxy struct {
	nodeName string
	nodeIP   netip.Addr
	logger   klog.Logger

	factory      informers.SharedInformerFactory
	svcChanges   *proxy.ServiceChangeTracker
	epChanges    *proxy.EndpointsChangeTracker
	svcPortMap   proxy.ServicePortMap
	endpointsMap proxy.EndpointsMap
	healthz      *healthcheck.ProxyHealthServer
	healthzSrv   *http.Server
	svcHealth    healthcheck.ServiceHealthServer
	syncRunner   *runner.BoundedFrequencyRunner
	dp           *dataPath

	mu                   sync.Mutex // guards the maps during a sync
	servicesSynced       bool
	endpointSlicesSynced bool
	initialized          atomic.Bool
	syncs                atomic.Int64

	// runMu guards stopped, so that no handler calls syncRunner.Run after
	// its Loop ended (Run would then send on a closed channel).
	runMu   sync.Mutex
	stopped bool
	stopCh  chan struct{}
	wg      sync.WaitGroup
}

// nodeGetter gives ProxyHealthServer the node (for /healthz eligibility).
type nodeGetter struct {
	lister corelisters.NodeLister
	name   string
}

func (g nodeGetter) Node() *v1.Node {
	n, err := g.lister.Get(g.name)
	if err != nil {
		return nil
	}
	return n
}

// startKubeProxy starts a node's kube-proxy. The node address must already
// be on lo: the health check server binds the interface addresses that
// match nodePortAddresses (nodeIP/32) when it is created.
func startKubeProxy(ctx context.Context, client kubernetes.Interface, nodeName string, nodeIP netip.Addr, nodes corelisters.NodeLister, opts proxyOptions, logger klog.Logger) (*kubeProxy, error) {
	logger = logger.WithName("kube-proxy").WithValues("node", nodeName)
	p := &kubeProxy{
		nodeName: nodeName, nodeIP: nodeIP, logger: logger,
		svcPortMap:   make(proxy.ServicePortMap),
		endpointsMap: make(proxy.EndpointsMap),
		stopCh:       make(chan struct{}),
		dp:           newDataPath(nodeIP, opts.seed, logger.WithName("datapath")),
	}
	p.svcChanges = proxy.NewServiceChangeTracker(v1.IPv4Protocol, nil, nil)
	p.epChanges = proxy.NewEndpointsChangeTracker(v1.IPv4Protocol, nodeName, nil, nil)

	// Proxier health: kube-proxy uses 2 x syncPeriod as the timeout.
	p.healthz = healthcheck.NewProxyHealthServer(net.JoinHostPort(nodeIP.String(), strconv.Itoa(ProxyHealthPort)), 2*opts.syncPeriod, nodeGetter{lister: nodes, name: nodeName})
	l, err := net.Listen("tcp4", net.JoinHostPort(nodeIP.String(), strconv.Itoa(ProxyHealthPort)))
	if err != nil {
		return nil, fmt.Errorf("kube-proxy of %s: health server: %w", nodeName, err)
	}
	p.healthzSrv = &http.Server{Handler: proxyHealthHandler(p.healthz), ReadHeaderTimeout: 5 * time.Second}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.healthzSrv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error(err, "Proxy health server stopped")
		}
	}()

	npa := proxyutil.NewNodePortAddresses(v1.IPv4Protocol, []string{netip.PrefixFrom(nodeIP, 32).String()})
	if ips, err := npa.GetNodeIPs(proxyutil.RealNetwork{}); err != nil || len(ips) == 0 {
		_ = p.healthzSrv.Close()
		p.wg.Wait()
		return nil, fmt.Errorf("kube-proxy of %s: %s is not on a network interface (err %v); health check node ports would not be served", nodeName, nodeIP, err)
	}
	p.svcHealth = healthcheck.NewServiceHealthServer(nodeName, nil, npa, p.healthz, v1.IPv4Protocol)

	p.syncRunner = runner.NewBoundedFrequencyRunner("sync-runner", p.syncProxyRules, opts.minSyncPeriod, opts.syncPeriod, time.Hour)

	p.factory = informers.NewSharedInformerFactoryWithOptions(client, 15*time.Minute,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = kubeProxyLabelSelector }))
	svcConfig := proxyconfig.NewServiceConfig(ctx, p.factory.Core().V1().Services(), 15*time.Minute)
	svcConfig.RegisterEventHandler(p)
	esConfig := proxyconfig.NewEndpointSliceConfig(ctx, p.factory.Discovery().V1().EndpointSlices(), 15*time.Minute)
	esConfig.RegisterEventHandler(p)
	p.factory.Start(p.stopCh)
	p.wg.Add(3)
	go func() { defer p.wg.Done(); svcConfig.Run(p.stopCh) }()
	go func() { defer p.wg.Done(); esConfig.Run(p.stopCh) }()
	// Like Proxier.SyncLoop: healthy from the start, then the runner loop.
	p.healthz.Updated(v1.IPv4Protocol)
	go func() { defer p.wg.Done(); p.syncRunner.Loop(p.stopCh) }()
	return p, nil
}

// stop closes every listener (health, health check node ports, data path)
// and waits for the goroutines.
func (p *kubeProxy) stop() {
	p.runMu.Lock()
	if p.stopped {
		p.runMu.Unlock()
		return
	}
	p.stopped = true
	close(p.stopCh)
	p.runMu.Unlock()
	p.factory.Shutdown()
	_ = p.healthzSrv.Close()
	p.wg.Wait()
	p.mu.Lock()
	_ = p.svcHealth.SyncServices(map[types.NamespacedName]uint16{})
	p.mu.Unlock()
	p.dp.close()
}

// requestSync queues a sync, like Proxier.Sync.
func (p *kubeProxy) requestSync() {
	p.runMu.Lock()
	defer p.runMu.Unlock()
	if p.stopped {
		return
	}
	p.healthz.QueuedUpdate(v1.IPv4Protocol)
	p.syncRunner.Run()
}

// OnServiceAdd implements proxyconfig.ServiceHandler.
func (p *kubeProxy) OnServiceAdd(svc *v1.Service) { p.OnServiceUpdate(nil, svc) }

// OnServiceUpdate implements proxyconfig.ServiceHandler.
func (p *kubeProxy) OnServiceUpdate(old, svc *v1.Service) {
	if p.svcChanges.Update(old, svc) && p.initialized.Load() {
		p.requestSync()
	}
}

// OnServiceDelete implements proxyconfig.ServiceHandler.
func (p *kubeProxy) OnServiceDelete(svc *v1.Service) { p.OnServiceUpdate(svc, nil) }

// OnServiceSynced implements proxyconfig.ServiceHandler.
func (p *kubeProxy) OnServiceSynced() {
	p.mu.Lock()
	p.servicesSynced = true
	p.initialized.Store(p.endpointSlicesSynced)
	p.mu.Unlock()
	_ = p.syncProxyRules()
}

// OnEndpointSliceAdd implements proxyconfig.EndpointSliceHandler.
func (p *kubeProxy) OnEndpointSliceAdd(es *discoveryv1.EndpointSlice) {
	if p.epChanges.EndpointSliceUpdate(es, false) && p.initialized.Load() {
		p.requestSync()
	}
}

// OnEndpointSliceUpdate implements proxyconfig.EndpointSliceHandler.
func (p *kubeProxy) OnEndpointSliceUpdate(_, es *discoveryv1.EndpointSlice) {
	if p.epChanges.EndpointSliceUpdate(es, false) && p.initialized.Load() {
		p.requestSync()
	}
}

// OnEndpointSliceDelete implements proxyconfig.EndpointSliceHandler.
func (p *kubeProxy) OnEndpointSliceDelete(es *discoveryv1.EndpointSlice) {
	if p.epChanges.EndpointSliceUpdate(es, true) && p.initialized.Load() {
		p.requestSync()
	}
}

// OnEndpointSlicesSynced implements proxyconfig.EndpointSliceHandler.
func (p *kubeProxy) OnEndpointSlicesSynced() {
	p.mu.Lock()
	p.endpointSlicesSynced = true
	p.initialized.Store(p.servicesSynced)
	p.mu.Unlock()
	_ = p.syncProxyRules()
}

// syncProxyRules applies pending changes: the data-path rules, then the
// proxier health and the health check node port servers, in the order the
// iptables proxier does.
func (p *kubeProxy) syncProxyRules() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.initialized.Load() {
		return nil
	}
	p.runMu.Lock()
	stopped := p.stopped
	p.runMu.Unlock()
	if stopped {
		return nil
	}
	p.svcPortMap.Update(p.svcChanges)
	p.endpointsMap.Update(p.epChanges)
	p.dp.apply(buildRuleTable(p.svcPortMap, p.endpointsMap, p.nodeName, nil))
	p.healthz.Updated(v1.IPv4Protocol)
	if err := p.svcHealth.SyncServices(p.svcPortMap.HealthCheckNodePorts()); err != nil {
		p.logger.Error(err, "Syncing health check services")
	}
	if err := p.svcHealth.SyncEndpoints(p.endpointsMap.LocalReadyEndpoints()); err != nil {
		p.logger.Error(err, "Syncing health check endpoints")
	}
	p.syncs.Add(1)
	p.logger.V(4).Info("Synced", "services", len(p.svcPortMap))
	return nil
}

// proxyHealthHandler serves kube-proxy's /healthz and /livez from the
// upstream ProxyHealthServer's state, with the same status codes and JSON.
// (ProxyHealthServer.Run cannot be stopped, so the harness serves it.)
func proxyHealthHandler(hs *healthcheck.ProxyHealthServer) http.Handler {
	write := func(w http.ResponseWriter, healthy bool, h healthcheck.ProxyHealth) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if healthy {
			h.LastUpdated = time.Now()
			w.WriteHeader(http.StatusOK)
		} else {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		out, _ := json.Marshal(h)
		_, _ = w.Write(out)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		h := hs.Health()
		eligible := hs.NodeEligible()
		h.NodeEligible = &eligible
		write(w, h.Healthy && eligible, h)
	})
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) {
		h := hs.Health()
		write(w, h.Healthy, h)
	})
	return mux
}
