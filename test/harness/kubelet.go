package harness

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// kubelet is the per-node stand-in for the kubelet: it watches the pods
// bound to its node, runs each container as an app on the pod's loopback
// address, probes it, reports status, and carries out deletions.
type kubelet struct {
	nodeName  string
	nodeIndex int
	nodeIP    netip.Addr
	client    kubernetes.Interface
	logger    klog.Logger

	ctx     context.Context
	cancel  context.CancelFunc
	factory informers.SharedInformerFactory
	podIPs  indexAllocator

	mu      sync.Mutex
	stopped bool
	workers map[types.UID]*podWorker
	wg      sync.WaitGroup
}

// startKubelet starts the kubelet stand-in of one node and waits until its
// pod cache is synced.
func startKubelet(ctx context.Context, client kubernetes.Interface, nodeName string, nodeIndex int, nodeIP netip.Addr, logger klog.Logger) (*kubelet, error) {
	ctx, cancel := context.WithCancel(ctx)
	k := &kubelet{
		nodeName: nodeName, nodeIndex: nodeIndex, nodeIP: nodeIP, client: client,
		logger: logger.WithName("kubelet").WithValues("node", nodeName),
		ctx:    ctx, cancel: cancel,
		workers: map[types.UID]*podWorker{},
	}
	k.factory = informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", nodeName).String()
		}))
	inf := k.factory.Core().V1().Pods().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    k.onPod,
		UpdateFunc: func(_, obj any) { k.onPod(obj) },
		DeleteFunc: k.onPodDeleted,
	}); err != nil {
		cancel()
		return nil, fmt.Errorf("kubelet of %s: watching pods: %w", nodeName, err)
	}
	k.factory.Start(ctx.Done())
	for typ, ok := range k.factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			k.stop()
			return nil, fmt.Errorf("kubelet of %s: pod cache of %v did not sync", nodeName, typ)
		}
	}
	return k, nil
}

// stop kills every app at once (the node is gone: no graceful termination,
// pod objects are left as they are) and waits for all goroutines.
func (k *kubelet) stop() {
	k.mu.Lock()
	k.stopped = true
	workers := make([]*podWorker, 0, len(k.workers))
	for _, w := range k.workers {
		workers = append(workers, w)
	}
	k.mu.Unlock()
	k.cancel()
	for _, w := range workers {
		w.abandon()
	}
	k.factory.Shutdown()
	k.wg.Wait()
}

func (k *kubelet) onPod(obj any) {
	pod, ok := obj.(*v1.Pod)
	if !ok || pod.Spec.NodeName != k.nodeName {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	if w := k.workers[pod.UID]; w != nil {
		w.update(pod)
		return
	}
	if pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed {
		return
	}
	w := newPodWorker(k, pod)
	k.workers[pod.UID] = w
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		w.run()
		k.mu.Lock()
		delete(k.workers, pod.UID)
		k.mu.Unlock()
	}()
}

func (k *kubelet) onPodDeleted(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	k.mu.Lock()
	w := k.workers[pod.UID]
	k.mu.Unlock()
	if w != nil {
		// Force-deleted (or deleted by us at the end): stop at once.
		w.abandon()
	}
}

// allocatePodIndex returns a free pod index M of this node (the pod gets
// PodIP(N, M) in the API and PodAddress(N, M) on loopback).
func (k *kubelet) allocatePodIndex() (int, error) {
	m, err := k.podIPs.allocate(func(int) error { return nil })
	if err != nil {
		return 0, fmt.Errorf("node %s: no free pod address: %w", k.nodeName, err)
	}
	return m, nil
}
