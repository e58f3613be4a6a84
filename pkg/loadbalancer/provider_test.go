package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/fake"
	"github.com/azlb/azlb/pkg/probes"
)

// events records what the provider tells users.
type events struct {
	mu   sync.Mutex
	list []string // "Type Reason service: message"
}

func (e *events) Event(obj runtime.Object, eventType, reason, message string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	svc := obj.(*v1.Service)
	e.list = append(e.list, fmt.Sprintf("%s %s %s/%s: %s", eventType, reason, svc.Namespace, svc.Name, message))
}

func (e *events) Eventf(obj runtime.Object, eventType, reason, format string, args ...any) {
	e.Event(obj, eventType, reason, fmt.Sprintf(format, args...))
}

func (e *events) AnnotatedEventf(obj runtime.Object, _ map[string]string, eventType, reason, format string, args ...any) {
	e.Eventf(obj, eventType, reason, format, args...)
}

func (e *events) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.list...)
}

type env struct {
	p      *Provider
	cloud  *fake.Cloud
	events *events
	nodes  []*v1.Node
}

func newEnv(t *testing.T, mutate ...func(*Settings)) *env {
	t.Helper()
	f := fake.New(fake.Options{SubscriptionID: "sub", Location: "eastus", PublicIPRange: netip.MustParsePrefix("127.2.0.0/16")})
	vnet := armnetwork.VirtualNetwork{
		Name:     ptr.To("vnet"),
		Location: ptr.To("eastus"),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{ptr.To("10.0.0.0/16")}},
			Subnets: []*armnetwork.Subnet{
				{Name: ptr.To("subnet"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr.To("10.0.0.0/24")}},
				{Name: ptr.To("apps"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr.To("10.0.1.0/24")}},
			},
		},
	}
	if err := f.PutVirtualNetwork("rg", vnet); err != nil {
		t.Fatal(err)
	}
	s := testSettings()
	for _, m := range mutate {
		m(s)
	}
	opts := f.ClientOptions()
	opts.Retry = policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond}
	ev := &events{}
	p, err := New(Options{Settings: *s, Credential: f.TokenCredential(), ClientOptions: opts, Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	return &env{p: p, cloud: f, events: ev, nodes: testNodes(3)}
}

func testNodes(n int) []*v1.Node {
	var nodes []*v1.Node
	for i := range n {
		nodes = append(nodes, &v1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i)},
			Status:     v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: fmt.Sprintf("10.0.0.%d", 10+i)}}},
		})
	}
	return nodes
}

func (e *env) ensure(t *testing.T, svc *v1.Service) *v1.LoadBalancerStatus {
	t.Helper()
	status, err := e.p.EnsureLoadBalancer(context.Background(), "kubernetes", svc, e.nodes)
	if err != nil {
		t.Fatalf("EnsureLoadBalancer(%s): %v", svc.Name, err)
	}
	return status
}

func (e *env) lb(t *testing.T, name string) armnetwork.LoadBalancer {
	t.Helper()
	lb, ok := e.cloud.GetLoadBalancer("rg", name)
	if !ok {
		t.Fatalf("load balancer %s does not exist", name)
	}
	return lb
}

func findProbe(lb armnetwork.LoadBalancer, name string) *armnetwork.Probe {
	for _, p := range lb.Properties.Probes {
		if *p.Name == name {
			return p
		}
	}
	return nil
}

func findRule(lb armnetwork.LoadBalancer, name string) *armnetwork.LoadBalancingRule {
	for _, r := range lb.Properties.LoadBalancingRules {
		if *r.Name == name {
			return r
		}
	}
	return nil
}

func TestProviderCreatesLocalService(t *testing.T) {
	e := newEnv(t)
	e.nodes = append(e.nodes, &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "cp", Labels: map[string]string{"node-role.kubernetes.io/control-plane": ""}},
		Status:     v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.0.0.99"}}},
	})
	svc := testService(1, local, func(s *v1.Service) {
		s.Annotations = map[string]string{probes.AnnotationInterval: "7", probes.AnnotationNumOfProbe: "3"}
	})
	status := e.ensure(t, svc)
	base := ServiceBaseName(svc)

	pip, ok := e.cloud.GetPublicIP("rg", "kubernetes-"+base)
	if !ok {
		t.Fatal("public IP not created")
	}
	if len(status.Ingress) != 1 || status.Ingress[0].IP != *pip.Properties.IPAddress {
		t.Errorf("status %+v, public IP %s", status.Ingress, *pip.Properties.IPAddress)
	}
	if *pip.SKU.Name != armnetwork.PublicIPAddressSKUNameStandard || *pip.Properties.PublicIPAllocationMethod != armnetwork.IPAllocationMethodStatic {
		t.Errorf("public IP must be Standard and Static")
	}
	if *pip.Tags[TagService] != "default/svc1" || *pip.Tags[TagClusterName] != "kubernetes" {
		t.Errorf("tags %v", pip.Tags)
	}

	lb := e.lb(t, "kubernetes")
	probe := findProbe(lb, base+"-TCP-32000")
	if probe == nil {
		t.Fatalf("no health check probe among %v", lb.Properties.Probes)
	}
	pp := probe.Properties
	if *pp.Protocol != armnetwork.ProbeProtocolHTTP || *pp.Port != 32000 || *pp.RequestPath != "/healthz" ||
		*pp.IntervalInSeconds != 7 || *pp.ProbeThreshold != 3 {
		t.Errorf("probe %s %d %s every %d threshold %d", *pp.Protocol, *pp.Port, *pp.RequestPath, *pp.IntervalInSeconds, *pp.ProbeThreshold)
	}
	rule := findRule(lb, base+"-TCP-80")
	if rule == nil {
		t.Fatal("no rule")
	}
	rp := rule.Properties
	if !strings.HasSuffix(*rp.Probe.ID, "/probes/"+base+"-TCP-32000") || *rp.BackendPort != 80 || !*rp.EnableFloatingIP ||
		*rp.IdleTimeoutInMinutes != 4 || !*rp.EnableTCPReset {
		t.Errorf("rule %+v", rp)
	}
	var ips []string
	for _, a := range lb.Properties.BackendAddressPools[0].Properties.LoadBalancerBackendAddresses {
		ips = append(ips, *a.Properties.IPAddress)
	}
	if strings.Join(ips, ",") != "10.0.0.10,10.0.0.11,10.0.0.12" {
		t.Errorf("backend pool %v: the control-plane node must be left out", ips)
	}
	exists, found, err := e.p.GetLoadBalancer(context.Background(), "kubernetes", svc)
	if err != nil || !found || exists.Ingress[0].IP != status.Ingress[0].IP {
		t.Errorf("GetLoadBalancer = %v %v %v", exists, found, err)
	}
}

func TestProviderNoOpReconcileMakesNoWrites(t *testing.T) {
	e := newEnv(t)
	services := []*v1.Service{testService(1), testService(2, local), testService(3, func(s *v1.Service) {
		s.Annotations = map[string]string{AnnotationInternal: "true"}
	})}
	for _, svc := range services {
		e.ensure(t, svc)
	}
	e.cloud.ResetCalls()
	for _, svc := range services {
		e.ensure(t, svc)
	}
	if w := e.cloud.Writes(); w != 0 {
		t.Errorf("no-op reconcile of 3 Services made %d writes: %v", w, e.cloud.Calls())
	}
	if r := e.cloud.Reads(); r != 0 {
		t.Errorf("no-op reconcile within the cache TTL made %d reads: %v", r, e.cloud.Calls())
	}
	// A fresh provider (controller restart) reads each load balancer and public IP list once, writes nothing.
	p2, err := New(Options{Settings: e.p.Settings(), Credential: e.cloud.TokenCredential(), ClientOptions: e.cloud.ClientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	e.cloud.ResetCalls()
	for _, svc := range services {
		if _, err := p2.EnsureLoadBalancer(context.Background(), "kubernetes", svc, e.nodes); err != nil {
			t.Fatal(err)
		}
	}
	if w, r := e.cloud.Writes(), e.cloud.Reads(); w != 0 || r > 3 {
		t.Errorf("after restart: %d writes, %d reads (want 0 and at most 2 load balancers + 1 list): %v", w, r, e.cloud.Calls())
	}
}

func TestProviderChanges(t *testing.T) {
	e := newEnv(t)
	svc := testService(1, local)
	other := testService(2)
	e.ensure(t, svc)
	e.ensure(t, other)
	base, otherBase := ServiceBaseName(svc), ServiceBaseName(other)
	before := e.lb(t, "kubernetes")
	otherRule := findRule(before, otherBase+"-TCP-80")

	// Probe annotations change the probe and nothing else.
	svc.Annotations = map[string]string{probes.AnnotationInterval: "10"}
	e.cloud.ResetCalls()
	e.ensure(t, svc)
	if w := e.cloud.Writes(); w != 1 {
		t.Errorf("probe change: %d writes, want 1", w)
	}
	after := e.lb(t, "kubernetes")
	if *findProbe(after, base+"-TCP-32000").Properties.IntervalInSeconds != 10 {
		t.Error("interval not changed")
	}
	if len(after.Properties.LoadBalancingRules) != len(before.Properties.LoadBalancingRules) ||
		!ruleEqual(findRule(after, otherBase+"-TCP-80"), otherRule) {
		t.Error("rules changed with a probe annotation")
	}

	// Ports: 80 -> 8080 plus UDP 53.
	svc.Spec.Ports = []v1.ServicePort{
		{Name: "http", Port: 8080, Protocol: v1.ProtocolTCP, NodePort: 30081},
		{Name: "dns", Port: 53, Protocol: v1.ProtocolUDP, NodePort: 30053},
	}
	e.ensure(t, svc)
	lb := e.lb(t, "kubernetes")
	if findRule(lb, base+"-TCP-80") != nil || findRule(lb, base+"-TCP-8080") == nil || findRule(lb, base+"-UDP-53") == nil {
		t.Errorf("rules after port change: %v", ruleNames(&lb))
	}
	if udp := findRule(lb, base+"-UDP-53"); udp.Properties.Probe == nil || !strings.HasSuffix(*udp.Properties.Probe.ID, base+"-TCP-32000") {
		t.Errorf("the UDP rule of a Local Service uses the health check probe: %+v", udp.Properties.Probe)
	}
	if findRule(lb, otherBase+"-TCP-80") == nil {
		t.Error("another Service's rule was lost")
	}

	// Cluster with floating IP off: backend port = node port, a TCP probe on the node port.
	svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyCluster
	svc.Spec.HealthCheckNodePort = 0
	svc.Annotations = map[string]string{AnnotationDisableFloatingIP: "true", AnnotationIdleTimeout: "30"}
	e.ensure(t, svc)
	lb = e.lb(t, "kubernetes")
	r := findRule(lb, base+"-TCP-8080").Properties
	if *r.EnableFloatingIP || *r.BackendPort != 30081 || *r.IdleTimeoutInMinutes != 30 {
		t.Errorf("rule %+v", r)
	}
	if p := findProbe(lb, base+"-TCP-8080"); p == nil || *p.Properties.Protocol != armnetwork.ProbeProtocolTCP || *p.Properties.Port != 30081 {
		t.Errorf("cluster probe %+v", p)
	}
	if findProbe(lb, base+"-TCP-32000") != nil {
		t.Error("the health check probe must go when the Service turns Cluster")
	}
}

func TestProviderInternalPublicFlip(t *testing.T) {
	e := newEnv(t)
	svc := testService(1)
	base := ServiceBaseName(svc)
	e.ensure(t, svc)

	svc.Annotations = map[string]string{AnnotationInternal: "true", AnnotationInternalSubnet: "apps", AnnotationIPv4: "10.0.1.50"}
	status := e.ensure(t, svc)
	if status.Ingress[0].IP != "10.0.1.50" {
		t.Errorf("internal status %v", status.Ingress)
	}
	if _, ok := e.cloud.GetLoadBalancer("rg", "kubernetes"); ok {
		t.Error("the public load balancer lost its last frontend and must be deleted")
	}
	if pips := e.cloud.ListPublicIPs("rg"); len(pips) != 0 {
		t.Errorf("the Service's public IP must be deleted: %d left", len(pips))
	}
	ilb := e.lb(t, "kubernetes-internal")
	fe := ilb.Properties.FrontendIPConfigurations[0]
	if *fe.Name != base+"-apps" || !strings.HasSuffix(*fe.Properties.Subnet.ID, "/subnets/apps") ||
		*fe.Properties.PrivateIPAllocationMethod != armnetwork.IPAllocationMethodStatic {
		t.Errorf("internal frontend %s %+v", *fe.Name, fe.Properties)
	}
	if findRule(ilb, base+"-apps-TCP-80") == nil {
		t.Errorf("internal rules %v", ruleNames(&ilb))
	}

	svc.Annotations = nil
	status = e.ensure(t, svc)
	if _, ok := e.cloud.GetLoadBalancer("rg", "kubernetes-internal"); ok {
		t.Error("the internal load balancer must be deleted")
	}
	pip, ok := e.cloud.GetPublicIP("rg", "kubernetes-"+base)
	if !ok || status.Ingress[0].IP != *pip.Properties.IPAddress {
		t.Errorf("back to public: %v %v", ok, status.Ingress)
	}
}

func TestProviderNodes(t *testing.T) {
	e := newEnv(t)
	a, b := testService(1), testService(2)
	e.ensure(t, a)
	e.ensure(t, b)
	poolIPs := func() string {
		var ips []string
		for _, addr := range e.lb(t, "kubernetes").Properties.BackendAddressPools[0].Properties.LoadBalancerBackendAddresses {
			ips = append(ips, *addr.Properties.IPAddress)
		}
		return strings.Join(ips, ",")
	}
	e.cloud.ResetCalls()
	nodes := testNodes(4)
	for _, svc := range []*v1.Service{a, b} { // the service controller calls every Service
		if err := e.p.UpdateLoadBalancer(context.Background(), "kubernetes", svc, nodes); err != nil {
			t.Fatal(err)
		}
	}
	if got := poolIPs(); got != "10.0.0.10,10.0.0.11,10.0.0.12,10.0.0.13" {
		t.Errorf("pool %s", got)
	}
	if w := e.cloud.Writes(); w != 1 {
		t.Errorf("one node added for 2 Services: %d writes, want 1", w)
	}
	if err := e.p.UpdateLoadBalancer(context.Background(), "kubernetes", a, nodes[1:2]); err != nil {
		t.Fatal(err)
	}
	if got := poolIPs(); got != "10.0.0.11" {
		t.Errorf("pool %s", got)
	}
}

func TestProviderDelete(t *testing.T) {
	e := newEnv(t)
	user := armnetwork.PublicIPAddress{
		Name: ptr.To("my-ip"), Location: ptr.To("eastus"),
		SKU: &armnetwork.PublicIPAddressSKU{Name: ptr.To(armnetwork.PublicIPAddressSKUNameStandard)},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{
			PublicIPAllocationMethod: ptr.To(armnetwork.IPAllocationMethodStatic),
		},
	}
	if err := e.cloud.PutPublicIP("rg", user); err != nil {
		t.Fatal(err)
	}
	withUserIP := testService(1, func(s *v1.Service) { s.Annotations = map[string]string{AnnotationPIPName: "my-ip"} })
	owned, other := testService(2), testService(3, local)
	for _, svc := range []*v1.Service{withUserIP, owned, other} {
		e.ensure(t, svc)
	}
	userPIP, _ := e.cloud.GetPublicIP("rg", "my-ip")
	if status := e.ensure(t, withUserIP); status.Ingress[0].IP != *userPIP.Properties.IPAddress {
		t.Errorf("status %v, user IP %s", status.Ingress, *userPIP.Properties.IPAddress)
	}
	if _, ok := userPIP.Tags[TagService]; ok {
		t.Error("the user's public IP must not be tagged")
	}

	for _, svc := range []*v1.Service{withUserIP, owned} {
		if err := e.p.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", svc); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := e.cloud.GetPublicIP("rg", "my-ip"); !ok {
		t.Error("the user's public IP was deleted")
	}
	if _, ok := e.cloud.GetPublicIP("rg", "kubernetes-"+ServiceBaseName(owned)); ok {
		t.Error("the provider's public IP was not deleted")
	}
	lb := e.lb(t, "kubernetes")
	if got := ruleNames(&lb); len(got) != 1 || !strings.HasPrefix(got[0], ServiceBaseName(other)) {
		t.Errorf("the other Service's rules must survive: %v", got)
	}
	// Deleting again is a no-op; deleting the last one deletes the load balancer and its IP.
	e.cloud.ResetCalls()
	if err := e.p.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", owned); err != nil || e.cloud.Writes() != 0 {
		t.Errorf("repeat delete: %v, %d writes", err, e.cloud.Writes())
	}
	if err := e.p.EnsureLoadBalancerDeleted(context.Background(), "kubernetes", other); err != nil {
		t.Fatal(err)
	}
	if lbs := e.cloud.ListLoadBalancers(""); len(lbs) != 0 {
		t.Errorf("%d load balancers left", len(lbs))
	}
	if pips := e.cloud.ListPublicIPs(""); len(pips) != 1 {
		t.Errorf("only the user's public IP may remain, found %d", len(pips))
	}
}

func TestProviderInvalidAnnotation(t *testing.T) {
	e := newEnv(t)
	good := testService(1)
	e.ensure(t, good)
	e.cloud.ResetCalls()
	bad := testService(2, func(s *v1.Service) {
		s.Annotations = map[string]string{probes.AnnotationInterval: "3", AnnotationIdleTimeout: "500"}
	})
	_, err := e.p.EnsureLoadBalancer(context.Background(), "kubernetes", bad, e.nodes)
	var ae *probes.AnnotationError
	if err == nil || !errors.As(err, &ae) {
		t.Fatalf("want an AnnotationError, got %v", err)
	}
	for _, want := range []string{probes.AnnotationInterval, AnnotationIdleTimeout, "default/svc2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if w := e.cloud.Writes(); w != 0 {
		t.Errorf("invalid Service made %d writes", w)
	}
	ev := e.events.all()
	if len(ev) != 1 || !strings.HasPrefix(ev[0], "Warning "+ReasonInvalidService+" default/svc2") {
		t.Errorf("events %v", ev)
	}
	if lb := e.lb(t, "kubernetes"); len(lb.Properties.FrontendIPConfigurations) != 1 {
		t.Error("the valid Service was affected")
	}
}

func TestProviderWarnsOnIgnoredAnnotations(t *testing.T) {
	e := newEnv(t)
	svc := testService(1, local, func(s *v1.Service) {
		s.Annotations = map[string]string{
			probes.AnnotationProtocol:                             "Tcp",
			"service.beta.kubernetes.io/azure-load-balancer-mode": "auto",
		}
	})
	e.ensure(t, svc)
	ev := strings.Join(e.events.all(), "\n")
	for _, want := range []string{probes.AnnotationProtocol, "azure-load-balancer-mode", ReasonAnnotationIgnored} {
		if !strings.Contains(ev, want) {
			t.Errorf("events do not mention %s:\n%s", want, ev)
		}
	}
}

func TestProviderConcurrentServices(t *testing.T) {
	e := newEnv(t)
	const n = 20
	var services []*v1.Service
	for i := range n {
		services = append(services, testService(100+i, func(s *v1.Service) {
			if i%2 == 0 {
				local(s)
				s.Spec.HealthCheckNodePort = int32(32000 + i)
			}
			if i%5 == 0 {
				s.Annotations = map[string]string{AnnotationInternal: "true"}
			}
		}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, svc := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.p.EnsureLoadBalancer(context.Background(), "kubernetes", svc, e.nodes)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	lbWrites := e.cloud.Calls()[fake.Call{Method: "PUT", ResourceType: "loadBalancers"}]
	t.Logf("20 Services ensured concurrently: %d load balancer writes, %d writes in all", lbWrites, e.cloud.Writes())
	if lbWrites >= n {
		t.Errorf("%d load balancer writes for %d Services: concurrent changes were not coalesced", lbWrites, n)
	}
	public, internal := e.lb(t, "kubernetes"), e.lb(t, "kubernetes-internal")
	if len(public.Properties.FrontendIPConfigurations) != 16 || len(internal.Properties.FrontendIPConfigurations) != 4 {
		t.Errorf("frontends: %d public, %d internal", len(public.Properties.FrontendIPConfigurations), len(internal.Properties.FrontendIPConfigurations))
	}
	for _, svc := range services {
		lb := public
		if isInternal(svc) {
			lb = internal
		}
		if findRule(lb, ServiceBaseName(svc)+"-TCP-80") == nil {
			t.Errorf("%s has no rule", svc.Name)
		}
	}
	if len(public.Properties.Probes)+len(internal.Properties.Probes) != n {
		t.Errorf("%d probes, want one per Service", len(public.Properties.Probes)+len(internal.Properties.Probes))
	}
}

func TestProviderStaleEtagKeepsOtherWritersChange(t *testing.T) {
	e := newEnv(t)
	e.ensure(t, testService(1))
	// A second controller instance (another writer with its own cache) adds a Service.
	p2, err := New(Options{Settings: e.p.Settings(), Credential: e.cloud.TokenCredential(), ClientOptions: e.cloud.ClientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.EnsureLoadBalancer(context.Background(), "kubernetes", testService(2), e.nodes); err != nil {
		t.Fatal(err)
	}
	// The first provider's cached etag is now stale: its write gets 412, re-reads and re-applies.
	e.cloud.ResetCalls()
	e.ensure(t, testService(3))
	if c := e.cloud.Calls(); c[fake.Call{Method: "PUT", ResourceType: "loadBalancers"}] != 2 {
		t.Errorf("want one stale write and one retry: %v", c)
	}
	lb := e.lb(t, "kubernetes")
	if len(lb.Properties.FrontendIPConfigurations) != 3 {
		t.Errorf("frontends %v: a writer's change was lost", frontendNames(&lb))
	}
}

type workloads []Workload

func (w workloads) Workloads(string) []Workload { return w }

func TestProviderWarnsWhenPreStopIsShorterThanProbeDetection(t *testing.T) {
	e := newEnv(t)
	template := func(preStop int64) *v1.PodTemplateSpec {
		c := v1.Container{Name: "web", Ports: []v1.ContainerPort{{ContainerPort: 8080}}}
		if preStop > 0 {
			c.Lifecycle = &v1.Lifecycle{PreStop: &v1.LifecycleHandler{Sleep: &v1.SleepAction{Seconds: preStop}}}
		}
		return &v1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
			Spec:       v1.PodSpec{Containers: []v1.Container{c}},
		}
	}
	e.p.SetWorkloads(workloads{
		{Kind: "Deployment", Namespace: "default", Name: "web", Template: template(0)},
		{Kind: "Deployment", Namespace: "default", Name: "other", Template: &v1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "other"}}}},
	})
	svc := testService(1, local, func(s *v1.Service) { s.Spec.Selector = map[string]string{"app": "web"} })
	e.ensure(t, svc)
	ev := strings.Join(e.events.all(), "\n")
	if !strings.Contains(ev, ReasonProbeTimingTooSlow+" default/svc1: Deployment default/web: container web: preStop") ||
		!strings.Contains(ev, "at least 6s") {
		t.Errorf("events:\n%s", ev)
	}
	e.events.list = nil
	e.p.SetWorkloads(workloads{{Kind: "Deployment", Namespace: "default", Name: "web", Template: template(10)}})
	e.ensure(t, svc)
	if ev := e.events.all(); len(ev) != 0 {
		t.Errorf("a long enough preStop must not warn: %v", ev)
	}
}
