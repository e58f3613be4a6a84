package harness

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	restclient "k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// Options configure Start. The zero value is a usable 3-node cluster.
type Options struct {
	// Nodes is how many nodes to start with: 0 means 3, a negative number
	// none.
	Nodes int
	// NodeLabels are extra labels of every node (e.g. a zone).
	NodeLabels map[string]string
	// NodeCapacity is each node's capacity and allocatable; default 4 CPU,
	// 8Gi memory, 110 pods.
	NodeCapacity v1.ResourceList
	// MinSyncPeriod is kube-proxy's --iptables-min-sync-period: changes are
	// applied at most once per period (default 1 s).
	MinSyncPeriod time.Duration
	// SyncPeriod is kube-proxy's --iptables-sync-period (default 30 s); the
	// proxy health turns unhealthy after 2 x SyncPeriod without a sync.
	SyncPeriod time.Duration
	// Seed seeds each node's random endpoint choice (default 1).
	Seed uint64
	// Dir holds the kubeconfig, etcd data and certificates; default a new
	// temporary directory, removed by Stop. A given Dir is kept.
	Dir string
	// APIServerFlags are extra kube-apiserver flags.
	APIServerFlags []string
	// Logger receives the harness's logs; default klog's.
	Logger klog.Logger
}

func (o Options) withDefaults() Options {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Nodes < 0 {
		o.Nodes = 0
	}
	if o.NodeCapacity == nil {
		o.NodeCapacity = defaultCapacity()
	}
	if o.MinSyncPeriod <= 0 {
		o.MinSyncPeriod = time.Second
	}
	if o.SyncPeriod <= 0 {
		o.SyncPeriod = 30 * time.Second
	}
	if o.SyncPeriod < o.MinSyncPeriod {
		o.SyncPeriod = o.MinSyncPeriod
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logger.GetSink() == nil {
		o.Logger = klog.Background().WithName("harness")
	}
	return o
}

// StartTimings says how long each part of Start took.
type StartTimings struct {
	ControlPlane time.Duration // etcd and kube-apiserver
	Controllers  time.Duration // controllers and scheduler, caches synced
	Nodes        time.Duration // initial nodes with kubelet and kube-proxy
	Total        time.Duration
}

// Cluster is a running in-process cluster. All its fields are read-only.
type Cluster struct {
	// Kubeconfig is the path of a kubeconfig for the API server (kubectl
	// --kubeconfig, or a cloud-controller-manager's --kubeconfig).
	Kubeconfig string
	// Client is a clientset with the API server's loopback credentials.
	Client kubernetes.Interface
	// RESTConfig is the API server's loopback client configuration.
	RESTConfig *restclient.Config
	// Dir is the cluster's working directory.
	Dir string
	// Timings of Start.
	Timings StartTimings

	opts   Options
	logger klog.Logger
	ownDir bool
	claim  addressClaimer

	ctx    context.Context
	cancel context.CancelFunc

	cp          *controlPlane
	ctrl        *controllers
	nodeFactory informers.SharedInformerFactory
	nodeLister  corelisters.NodeLister

	mu      sync.Mutex
	stopped bool
	nodes   map[string]*simNode
	nodeSeq int
	closers []func()
	extra   sync.WaitGroup

	stopOnce sync.Once
}

// nodeIndexes allocates node addresses across every cluster of the
// process; the loopback claim makes them exclusive across processes too.
var nodeIndexes indexAllocator

// Start starts a cluster: etcd and kube-apiserver, the controllers and the
// scheduler, and opts.Nodes nodes, each with its kubelet stand-in and
// kube-proxy. ctx bounds the start only; the cluster runs until Stop. It
// returns an error wrapping ErrNeedRoot when node addresses cannot be added
// to lo.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	begin := time.Now()
	opts = opts.withDefaults()
	c = &Cluster{opts: opts, logger: opts.Logger, claim: claimer, nodes: map[string]*simNode{}}
	c.ctx, c.cancel = context.WithCancel(klog.NewContext(context.WithoutCancel(ctx), opts.Logger))
	// pending are claimed node addresses not yet handed to a node.
	var pending []Node
	defer func() {
		if err != nil {
			for _, n := range pending {
				c.releaseNodeAddress(n)
			}
			c.Stop()
			c = nil
		}
	}()

	// Claim the node addresses first: without root there is no point in
	// starting anything else.
	for range opts.Nodes {
		idx, ip, err := claimIndex(&nodeIndexes, c.claim, NodeAddress)
		if err != nil {
			return c, err
		}
		pending = append(pending, Node{Index: idx, Address: ip})
	}
	nodeCount := len(pending)

	c.Dir = opts.Dir
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "azlb-harness-"); err != nil {
			return c, fmt.Errorf("creating the cluster directory: %w", err)
		}
		c.ownDir = true
	}
	t0 := time.Now()
	if c.cp, err = startControlPlane(c.Dir, opts.APIServerFlags, c.logger); err != nil {
		return c, err
	}
	c.RESTConfig = c.cp.restConfig
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := writeKubeconfig(c.RESTConfig, c.Kubeconfig); err != nil {
		return c, err
	}
	if c.Client, err = kubernetes.NewForConfig(c.RESTConfig); err != nil {
		return c, fmt.Errorf("API client: %w", err)
	}
	c.Timings.ControlPlane = time.Since(t0)

	t0 = time.Now()
	if c.ctrl, err = startControllers(c.ctx, c.RESTConfig, c.logger); err != nil {
		return c, err
	}
	c.nodeFactory = informers.NewSharedInformerFactory(c.Client, 0)
	c.nodeLister = c.nodeFactory.Core().V1().Nodes().Lister()
	c.nodeFactory.Start(c.ctx.Done())
	c.nodeFactory.WaitForCacheSync(ctx.Done())
	if err := c.waitDefaultServiceAccount(ctx, metav1.NamespaceDefault); err != nil {
		return c, err
	}
	c.Timings.Controllers = time.Since(t0)

	t0 = time.Now()
	for len(pending) > 0 {
		n := pending[0]
		pending = pending[1:]
		if _, err := c.addNode(ctx, n.Index, n.Address); err != nil {
			return c, err
		}
	}
	c.Timings.Nodes = time.Since(t0)
	c.Timings.Total = time.Since(begin)
	c.logger.Info("Cluster started", "kubeconfig", c.Kubeconfig, "nodes", nodeCount, "took", c.Timings.Total)
	return c, nil
}

// StartForTest starts a cluster for a test and stops it in t.Cleanup. The
// test is skipped, with the reason, when the harness cannot add node
// addresses (not root).
func StartForTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := Start(t.Context(), opts)
	if errors.Is(err, ErrNeedRoot) {
		t.Skip(err.Error())
	}
	if err != nil {
		t.Fatalf("starting the cluster: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// waitDefaultServiceAccount waits for the service account controller to
// create "default" in namespace (pods are refused until then).
func (c *Cluster) waitDefaultServiceAccount(ctx context.Context, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, err := c.Client.CoreV1().ServiceAccounts(namespace).Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsNotFound(err) && ctx.Err() == nil {
			return fmt.Errorf("reading service account %s/default: %w", namespace, err)
		}
		if !sleepCtx(ctx, 50*time.Millisecond, nil) {
			return fmt.Errorf("service account %s/default was not created: %w", namespace, ctx.Err())
		}
	}
}

// CreateNamespace creates a namespace and waits until pods can be created
// in it (its default ServiceAccount exists).
func (c *Cluster) CreateNamespace(ctx context.Context, name string) error {
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return c.waitDefaultServiceAccount(ctx, name)
}

// Nodes returns the running nodes, sorted by name.
func (c *Cluster) Nodes() []Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Node, 0, len(c.nodes))
	for _, n := range c.nodes {
		out = append(out, n.Node)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Node returns the running node with this name.
func (c *Cluster) Node(name string) (Node, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[name]
	if !ok {
		return Node{}, false
	}
	return n.Node, true
}

// AddNode adds a node: its address on lo, a Ready Node object, its kubelet
// stand-in and its kube-proxy.
func (c *Cluster) AddNode(ctx context.Context) (Node, error) {
	idx, ip, err := claimIndex(&nodeIndexes, c.claim, NodeAddress)
	if err != nil {
		return Node{}, err
	}
	return c.addNode(ctx, idx, ip)
}

func (c *Cluster) addNode(ctx context.Context, idx int, ip netip.Addr) (Node, error) {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		c.releaseNodeAddress(Node{Index: idx, Address: ip})
		return Node{}, errors.New("cluster is stopped")
	}
	c.nodeSeq++
	n := &simNode{Node: Node{Name: fmt.Sprintf("node-%d", c.nodeSeq), Index: idx, Address: ip}}
	c.nodes[n.Name] = n
	c.mu.Unlock()

	fail := func(err error) (Node, error) {
		c.mu.Lock()
		delete(c.nodes, n.Name)
		c.mu.Unlock()
		c.stopNode(n)
		return Node{}, err
	}
	obj := nodeObject(n.Node, c.opts.NodeCapacity, c.opts.NodeLabels, time.Now())
	if _, err := c.Client.CoreV1().Nodes().Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		return fail(fmt.Errorf("creating node %s: %w", n.Name, err))
	}
	if err := c.waitNodeCached(ctx, n.Name); err != nil {
		return fail(err)
	}
	var err error
	if n.kubelet, err = startKubelet(c.ctx, c.Client, n.Name, n.Index, n.Address, c.logger); err != nil {
		return fail(err)
	}
	proxyOpts := proxyOptions{minSyncPeriod: c.opts.MinSyncPeriod, syncPeriod: c.opts.SyncPeriod, seed: c.opts.Seed}
	if n.proxy, err = startKubeProxy(c.ctx, c.Client, n.Name, n.Address, c.nodeLister, proxyOpts, c.logger); err != nil {
		return fail(err)
	}
	c.logger.V(1).Info("Node added", "node", n.Name, "address", n.Address)
	return n.Node, nil
}

// waitNodeCached waits until the shared node cache (kube-proxy's health
// eligibility reads it) has the node.
func (c *Cluster) waitNodeCached(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if _, err := c.nodeLister.Get(name); err == nil {
			return nil
		}
		if !sleepCtx(ctx, 10*time.Millisecond, nil) {
			return fmt.Errorf("node %s did not reach the informer cache: %w", name, ctx.Err())
		}
	}
}

// RemoveNode takes a node away the way a deleted VM goes: its apps die at
// once, its kube-proxy stops, the Node object is deleted and its pods are
// force-deleted (what the pod garbage collector does, without its 40 s
// quarantine), so their controllers replace them elsewhere.
func (c *Cluster) RemoveNode(ctx context.Context, name string) error {
	c.mu.Lock()
	n, ok := c.nodes[name]
	delete(c.nodes, name)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("no running node %s", name)
	}
	c.stopNode(n)
	if err := c.Client.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting node %s: %w", name, err)
	}
	pods, err := c.podsOnNode(ctx, name)
	if err != nil {
		return err
	}
	return c.forceDeletePods(ctx, pods)
}

// stopNode stops a node's kubelet and kube-proxy and releases its address.
func (c *Cluster) stopNode(n *simNode) {
	if n.kubelet != nil {
		n.kubelet.stop()
	}
	if n.proxy != nil {
		n.proxy.stop()
	}
	c.releaseNodeAddress(n.Node)
}

func (c *Cluster) releaseNodeAddress(n Node) {
	if err := c.claim.Release(n.Address); err != nil {
		c.logger.Error(err, "Releasing node address", "address", n.Address)
	}
	nodeIndexes.release(n.Index)
}

// Go runs an extra process against the cluster (a controller, the
// cloud-controller-manager, a traffic generator) until Stop cancels its
// context; Stop waits for it to return. A returned error is logged.
func (c *Cluster) Go(name string, run func(ctx context.Context) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.extra.Add(1)
	go func() {
		defer c.extra.Done()
		if err := run(klog.NewContext(c.ctx, c.logger.WithName(name))); err != nil && c.ctx.Err() == nil {
			c.logger.Error(err, "Process ended with an error", "process", name)
		}
	}()
}

// onStop registers a function Stop calls first (last registered first).
func (c *Cluster) onStop(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return false
	}
	c.closers = append(c.closers, f)
	return true
}

// Stop stops everything Start and later calls started: extra processes,
// nodes (apps, kube-proxies, addresses on lo),
// controllers, the API server and etcd, and removes the directory it
// created. It is safe to call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.stopped = true
		closers := slices.Clone(c.closers)
		nodes := make([]*simNode, 0, len(c.nodes))
		for _, n := range c.nodes {
			nodes = append(nodes, n)
		}
		c.nodes = map[string]*simNode{}
		c.mu.Unlock()

		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		c.cancel()
		c.extra.Wait()
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.stopNode(n)
			}()
		}
		wg.Wait()
		if c.ctrl != nil {
			c.ctrl.stop()
		}
		if c.nodeFactory != nil {
			c.nodeFactory.Shutdown()
		}
		if c.cp != nil {
			c.cp.stop()
		}
		if c.ownDir && c.Dir != "" {
			_ = os.RemoveAll(c.Dir)
		}
	})
}
