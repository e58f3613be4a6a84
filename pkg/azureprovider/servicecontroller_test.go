// The upstream service controller (k8s.io/cloud-provider v0.37.2, controllers/service/controller.go)
// writes cachedService.state at line 339 without the lock that allServices takes at line 503 for the
// node sync, which the race detector reports whenever Services and nodes change together. The race is
// not the provider's, so these tests, which run that controller, are left out of -race builds; the
// e2e suites in test/ run the real binary.

//go:build !race

package azureprovider

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	servicecontroller "k8s.io/cloud-provider/controllers/service"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"

	"github.com/azlb/azlb/pkg/cloudconfig"
	"github.com/azlb/azlb/pkg/fake"
	"github.com/azlb/azlb/pkg/loadbalancer"
)

// controllerRun is the real service controller of k8s.io/cloud-provider driving the provider against
// the in-memory fake Azure, over a client-go fake clientset.
type controllerRun struct {
	cloud  *Cloud
	client *k8sfake.Clientset
	stop   func() // idempotent
}

func startController(t testing.TB, workers int, objects ...interface{ GetName() string }) *controllerRun {
	t.Helper()
	cfg, err := cloudconfig.Parse([]byte(`{"cloud":"InMemoryFake","resourceGroup":"rg","location":"eastus",
		"vnetName":"vnet","subnetName":"subnet","cloudProviderBackoffDuration":1}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	cloud, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	client := k8sfake.NewClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	ctrl, err := servicecontroller.New(cloud, client, factory.Core().V1().Services(), factory.Core().V1().Nodes(), "kubernetes", utilfeature.DefaultFeatureGate)
	if err != nil {
		t.Fatal(err)
	}
	cloud.SetInformers(factory)
	ctx, cancel := context.WithCancel(context.Background())
	factory.Start(ctx.Done())
	go ctrl.Run(ctx, workers, controllersmetrics.NewControllerManagerMetrics("test"))
	// stop lets go of the informers, so that their memory can be measured as freed.
	held := factory
	r := &controllerRun{cloud: cloud, client: client, stop: sync.OnceFunc(func() {
		cancel()
		held.Shutdown()
		held = nil
	})}
	t.Cleanup(r.stop)
	return r
}

func benchNode(i int) *v1.Node {
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%04d", i), Labels: map[string]string{"kubernetes.io/hostname": fmt.Sprintf("node-%04d", i)}},
		Status: v1.NodeStatus{
			Addresses:  []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: fmt.Sprintf("10.224.%d.%d", 4+i/250, 4+i%250)}},
			Conditions: []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue}},
		},
	}
}

func benchService(i int, internal bool) *v1.Service {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%04d", i), Namespace: "default",
			UID: types.UID(fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i))},
		Spec: v1.ServiceSpec{
			Type:                  v1.ServiceTypeLoadBalancer,
			ExternalTrafficPolicy: v1.ServiceExternalTrafficPolicyLocal,
			HealthCheckNodePort:   int32(32000 + i%2000),
			Selector:              map[string]string{"app": fmt.Sprintf("app-%d", i)},
			Ports:                 []v1.ServicePort{{Name: "http", Port: 80, Protocol: v1.ProtocolTCP, NodePort: int32(30000 + i%2000)}},
		},
	}
	if internal {
		svc.Annotations = map[string]string{"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}
	}
	return svc
}

func (r *controllerRun) create(t testing.TB, objs ...any) {
	t.Helper()
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *v1.Node:
			_, err = r.client.CoreV1().Nodes().Create(context.Background(), o, metav1.CreateOptions{})
		case *v1.Service:
			_, err = r.client.CoreV1().Services(o.Namespace).Create(context.Background(), o, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// waitIngress waits until n Services have status.loadBalancer.ingress and returns how long that took.
func (r *controllerRun) waitIngress(t testing.TB, n int, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		list, err := r.client.CoreV1().Services("default").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, s := range list.Items {
			if len(s.Status.LoadBalancer.Ingress) > 0 {
				done++
			}
		}
		if done == n {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("%d of %d Services got their ingress in %v", done, n, timeout)
		}
		time.Sleep(20 * time.Millisecond) // polling a clientset: nothing to wait on but time
	}
}

// TestServiceControllerSetsIngress runs the real service controller against the provider: Services get
// their finalizer, their ingress, and their load balancer.
func TestServiceControllerSetsIngress(t *testing.T) {
	r := startController(t, 3)
	for i := range 3 {
		r.create(t, benchNode(i))
	}
	for i := range 10 {
		r.create(t, benchService(i, i%3 == 0))
	}
	r.waitIngress(t, 10, 30*time.Second)
	svc, err := r.client.CoreV1().Services("default").Get(context.Background(), "svc-0001", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(svc.Finalizers) != 1 || svc.Finalizers[0] != "service.kubernetes.io/load-balancer-cleanup" {
		t.Errorf("finalizers %v", svc.Finalizers)
	}
	pip, ok := r.cloud.Fake().GetPublicIP("rg", loadbalancer.PublicIPName("kubernetes", loadbalancer.ServiceBaseName(svc)))
	if !ok || *pip.Properties.IPAddress != svc.Status.LoadBalancer.Ingress[0].IP {
		t.Errorf("ingress %v does not match the public IP", svc.Status.LoadBalancer.Ingress)
	}
	if lbs := r.cloud.Fake().ListLoadBalancers("rg"); len(lbs) != 2 {
		t.Errorf("%d load balancers, want kubernetes and kubernetes-internal", len(lbs))
	}
}

func benchEnabled(t testing.TB) {
	if os.Getenv("AZLB_BENCH") == "" {
		t.Skip("a measurement for docs/benchmarks.md: set AZLB_BENCH=1 (make bench)")
	}
}

// TestBenchConcurrentSyncs: 100 Services created at once, 1 s of latency on every long-running write,
// --concurrent-service-syncs 10 against 1: time until every Service has its ingress.
func TestBenchConcurrentSyncs(t *testing.T) {
	benchEnabled(t)
	const services = 100
	latency := time.Second
	elapsed := map[int]time.Duration{}
	writes := map[int]int{}
	for _, workers := range []int{1, 10} {
		r := startController(t, workers)
		r.cloud.Fake().InjectFault(fake.Fault{Method: "PUT", Latency: latency})
		for i := range 3 {
			r.create(t, benchNode(i))
		}
		for i := range services {
			r.create(t, benchService(i, false))
		}
		elapsed[workers] = r.waitIngress(t, services, 30*time.Minute)
		writes[workers] = r.cloud.Fake().Calls()[fake.Call{Method: "PUT", ResourceType: fake.TypeLoadBalancers}]
		r.stop()
	}
	t.Logf("BENCH 100 Services at once, 1 s latency per long-running write: 1 worker %v (%d load balancer writes), "+
		"10 workers %v (%d load balancer writes): %.1fx faster",
		elapsed[1].Round(100*time.Millisecond), writes[1], elapsed[10].Round(100*time.Millisecond), writes[10],
		float64(elapsed[1])/float64(elapsed[10]))
}

// TestBenchControllerMemory: the controller's heap with 5,000 nodes and 1,000 Services in its informers
// (500 public, 500 internal: the 600-frontend limit), once every Service is reconciled. The fake Azure
// and the client-go fake clientset (standing for Azure and the API server) live in the same process, so
// the controller's share is measured by stopping the controller, dropping it, and measuring again.
func TestBenchControllerMemory(t *testing.T) {
	benchEnabled(t)
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	r := startController(t, 10)
	for i := range 5000 {
		r.create(t, benchNode(i))
	}
	for i := range 1000 {
		r.create(t, benchService(i, i%2 == 1))
	}
	elapsed := r.waitIngress(t, 1000, 30*time.Minute)
	f, client := r.cloud.Fake(), r.client
	writes := f.Calls()[fake.Call{Method: "PUT", ResourceType: fake.TypeLoadBalancers}]
	running := heap()
	r.stop()
	r = nil
	stopped := heap()
	runtime.KeepAlive(client)
	runtime.KeepAlive(f)
	t.Logf("BENCH memory, 5,000 nodes and 1,000 Services, all reconciled in %v (%d load balancer writes): "+
		"the controller (informers, service controller, provider and its caches) holds %s; the process with the "+
		"fake Azure and the fake API server holds %s more", elapsed.Round(time.Second), writes, mib(running-stopped), mib(stopped))
}

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
