// Package loadbalancer is the cloudprovider.LoadBalancer implementation: Services of type LoadBalancer
// become frontends, rules and probes on one shared Azure Standard Load Balancer per cluster (and one for
// internal Services), with an IP-based backend pool of the nodes the service controller passes.
//
// The desired state of a Service is a pure function (BuildServiceSpec), merged into the existing load
// balancer by another pure function (desiredLB) that keeps every child the Service does not own; a
// per-load-balancer writer coalesces concurrent Services into one etag-guarded write.
package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/probes"
)

// Event reasons the provider records on Services (stable: users and alerts match on them).
const (
	ReasonAnnotationIgnored = "AnnotationIgnored"
	ReasonInvalidService    = "InvalidLoadBalancerConfig"
)

// Options configure a Provider.
type Options struct {
	Settings      Settings
	Credential    azcore.TokenCredential
	ClientOptions *arm.ClientOptions
	Clock         clock.Clock   // default: real clock
	CacheTTL      time.Duration // how long reads are trusted; default 2 minutes
	WriteTimeout  time.Duration // bound of one load balancer write with its retries; default 10 minutes
	Events        record.EventRecorder
}

// Provider implements cloudprovider.LoadBalancer.
type Provider struct {
	settings     *Settings
	arm          *armClient
	clock        clock.Clock
	cacheTTL     time.Duration
	writeTimeout time.Duration
	pips         *pipCache
	metrics      *metrics

	mu        sync.Mutex
	writers   map[lbKey]*lbWriter
	events    record.EventRecorder
	workloads WorkloadLister
	ctx       context.Context
}

var _ cloudprovider.LoadBalancer = (*Provider)(nil)

// New builds a Provider talking to ARM through the armnetwork SDK clients.
func New(opts Options) (*Provider, error) {
	RegisterMetrics()
	s := opts.Settings
	if s.ClusterName == "" {
		s.ClusterName = "kubernetes"
	}
	if s.LBResourceGroup == "" {
		s.LBResourceGroup = s.ResourceGroup
	}
	if s.VnetResourceGroup == "" {
		s.VnetResourceGroup = s.ResourceGroup
	}
	clientOptions := &arm.ClientOptions{}
	if opts.ClientOptions != nil {
		*clientOptions = *opts.ClientOptions
	}
	if clientOptions.Retry.ShouldRetry == nil {
		clientOptions.Retry.ShouldRetry = ShouldRetry
	}
	clientOptions.PerRetryPolicies = append(append([]policy.Policy(nil), clientOptions.PerRetryPolicies...), ARMMetricsPolicy{})
	client, err := newARMClient(s.SubscriptionID, opts.Credential, clientOptions)
	if err != nil {
		return nil, err
	}
	p := &Provider{
		settings:     &s,
		arm:          client,
		clock:        opts.Clock,
		cacheTTL:     opts.CacheTTL,
		writeTimeout: opts.WriteTimeout,
		writers:      map[lbKey]*lbWriter{},
		events:       opts.Events,
		ctx:          context.Background(),
		metrics:      defaultMetrics,
	}
	if p.clock == nil {
		p.clock = clock.RealClock{}
	}
	if p.cacheTTL == 0 {
		p.cacheTTL = 2 * time.Minute
	}
	if p.writeTimeout == 0 {
		p.writeTimeout = defaultWriteTimeout
	}
	p.pips = newPIPCache(p.clock, p.cacheTTL, client)
	return p, nil
}

// SetEventRecorder sets where Warning events about Services go (the cloud's Initialize does this).
func (p *Provider) SetEventRecorder(r record.EventRecorder) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = r
}

// SetClusterName sets the cluster name (the controller's --cluster-name); call it before any reconcile.
func (p *Provider) SetClusterName(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settings.ClusterName = name
	p.writers = map[lbKey]*lbWriter{}
}

// SetContext sets the context of the background writes (cancelled when the controller stops).
func (p *Provider) SetContext(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ctx = ctx
}

func (p *Provider) baseContext() context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ctx
}

// Settings returns the provider's cluster-wide settings.
func (p *Provider) Settings() Settings { return *p.settings }

func (p *Provider) writer(internal bool) *lbWriter {
	s := p.settings
	name := LBName(s.ClusterName, s.LoadBalancerName, internal)
	key := newLBKey(s.LBResourceGroup, name)
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.writers[key]
	if !ok {
		w = &lbWriter{
			p:  p,
			rg: s.LBResourceGroup,
			target: lbTarget{
				name:     name,
				location: s.Location,
				ids:      s.lbIDs(),
				poolName: BackendPoolName(s.ClusterName),
				vnetID:   s.vnetIDs().vnet(s.VnetName),
			},
		}
		p.writers[key] = w
	}
	return w
}

// GetLoadBalancerName is the Service's base name (cloud-provider's DefaultLoadBalancerName).
func (p *Provider) GetLoadBalancerName(_ context.Context, _ string, svc *v1.Service) string {
	return ServiceBaseName(svc)
}

// GetLoadBalancer reports whether anything of the Service remains on Azure: a frontend (its status is
// then the frontend's address), another child it owns, or a public IP the provider created for it. The
// service controller deletes only what "exists", so after an interrupted deletion (the frontend gone,
// the public IP not yet) the answer must still be true, or the public IP would be orphaned.
func (p *Provider) GetLoadBalancer(ctx context.Context, _ string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	base := ServiceBaseName(svc)
	leftovers := false
	for _, internal := range []bool{false, true} {
		lb, err := p.writer(internal).submit(ctx, lbChange{})
		if err != nil {
			return nil, false, err
		}
		if fe := ownedFrontend(lb, base); fe != nil {
			ip, err := p.frontendAddress(ctx, fe)
			if err != nil {
				return nil, true, err
			}
			return statusFor(ip), true, nil
		}
		leftovers = leftovers || ownsChildren(lb, base)
	}
	if leftovers {
		return &v1.LoadBalancerStatus{}, true, nil
	}
	key := svc.Namespace + "/" + svc.Name
	for _, rg := range p.pipResourceGroups(svc) {
		all, err := p.pips.snapshot(ctx, rg)
		if err != nil {
			return nil, false, err
		}
		for _, pip := range all {
			if ownedBy(pip, key, p.settings.ClusterName) {
				return &v1.LoadBalancerStatus{}, true, nil
			}
		}
	}
	return nil, false, nil
}

// ownsChildren reports whether lb holds a rule or probe of the Service.
func ownsChildren(lb *armnetwork.LoadBalancer, base string) bool {
	if lb == nil || lb.Properties == nil {
		return false
	}
	for _, r := range lb.Properties.LoadBalancingRules {
		if ownerBase(ptr.Deref(r.Name, "")) == base {
			return true
		}
	}
	for _, pr := range lb.Properties.Probes {
		if ownerBase(ptr.Deref(pr.Name, "")) == base {
			return true
		}
	}
	return false
}

// EnsureLoadBalancer makes the Service's frontend, rules and probes exist exactly as its spec and
// annotations say, with the given nodes in the backend pool, and returns its ingress address. An invalid
// Service fails here, before any write, with an error naming each bad annotation.
func (p *Provider) EnsureLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	logger := klog.FromContext(ctx).WithValues("service", klog.KObj(svc))
	ctx = klog.NewContext(ctx, logger)
	start := p.clock.Now()
	status, err := p.ensure(ctx, svc, nodes)
	p.metrics.observeReconcile(svc, "ensure", p.clock.Since(start), err)
	return status, err
}

func (p *Provider) ensure(ctx context.Context, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	spec, err := BuildServiceSpec(svc, p.settings)
	if err != nil {
		p.event(svc, v1.EventTypeWarning, ReasonInvalidService, err.Error())
		return nil, err
	}
	for _, w := range spec.Warnings {
		p.event(svc, v1.EventTypeWarning, ReasonAnnotationIgnored, fmt.Sprintf("%s: %s", w.Annotation, w.Message))
	}
	p.metrics.observeProbes(svc, spec)
	p.mu.Lock()
	lister := p.workloads
	p.mu.Unlock()
	if lister != nil {
		for _, msg := range timingFindings(svc, spec.ProbePlan, lister.Workloads(svc.Namespace)) {
			p.event(svc, v1.EventTypeWarning, ReasonProbeTimingTooSlow, msg)
		}
	}

	var pip *armnetwork.PublicIPAddress
	if !spec.Internal {
		if pip, err = p.ensurePublicIP(ctx, spec); err != nil {
			return nil, err
		}
	}
	change := lbChange{
		base:        spec.Base,
		frontend:    spec.Frontend(ptr.Deref(idOf(pip), "")),
		rules:       spec.Rules,
		probes:      spec.Probes,
		sharedProbe: spec.SharedProbe,
		setNodes:    true,
		nodes:       p.backendAddresses(ctx, nodes),
	}
	// The Service leaves the other load balancer (internal/public flip) while it joins this one.
	otherDone := make(chan error, 1)
	go func() {
		_, err := p.writer(!spec.Internal).submit(ctx, lbChange{base: spec.Base, remove: true})
		otherDone <- err
	}()
	lb, err := p.writer(spec.Internal).submit(ctx, change)
	otherErr := <-otherDone
	if err != nil {
		return nil, err
	}
	if otherErr != nil {
		return nil, otherErr
	}

	keep := ""
	if pip != nil && ownedBy(pip, spec.Key, p.settings.ClusterName) {
		keep = ptr.Deref(pip.Name, "")
	}
	if err := p.releasePublicIPs(ctx, svc, p.pipResourceGroups(svc), keep); err != nil {
		return nil, err
	}

	var ip string
	if pip != nil {
		ip = ptr.Deref(pip.Properties.IPAddress, "")
	} else if fe := ownedFrontend(lb, spec.Base); fe != nil && fe.Properties != nil {
		ip = ptr.Deref(fe.Properties.PrivateIPAddress, "")
	}
	if ip == "" {
		return nil, fmt.Errorf("service %s: the frontend has no IP address yet", spec.Key)
	}
	return statusFor(ip), nil
}

// UpdateLoadBalancer changes only the backend pool of the Service's load balancer.
func (p *Provider) UpdateLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) error {
	start := p.clock.Now()
	internal := isInternal(svc)
	_, err := p.writer(internal).submit(ctx, lbChange{setNodes: true, nodes: p.backendAddresses(ctx, nodes)})
	p.metrics.observeReconcile(svc, "update", p.clock.Since(start), err)
	return err
}

// EnsureLoadBalancerDeleted removes the Service's frontend, rules and probes from both shared load
// balancers (deleting a load balancer whose last frontend goes) and deletes the public IPs the provider
// created for it. It does not parse annotations, so an invalid one never blocks a deletion.
func (p *Provider) EnsureLoadBalancerDeleted(ctx context.Context, _ string, svc *v1.Service) error {
	start := p.clock.Now()
	err := p.ensureDeleted(ctx, svc)
	p.metrics.observeReconcile(svc, "delete", p.clock.Since(start), err)
	return err
}

func (p *Provider) ensureDeleted(ctx context.Context, svc *v1.Service) error {
	base := ServiceBaseName(svc)
	errs := make(chan error, 2)
	for _, internal := range []bool{false, true} {
		go func() {
			_, err := p.writer(internal).submit(ctx, lbChange{base: base, remove: true})
			errs <- err
		}()
	}
	err := errors.Join(<-errs, <-errs)
	if err != nil {
		return err
	}
	return p.releasePublicIPs(ctx, svc, p.pipResourceGroups(svc), "")
}

// pipResourceGroups are where the Service's public IPs can be: the cloud-config group and the annotated one.
func (p *Provider) pipResourceGroups(svc *v1.Service) []string {
	groups := []string{p.settings.ResourceGroup}
	if rg := strings.TrimSpace(svc.Annotations[AnnotationPIPResourceGroup]); rg != "" && !strings.EqualFold(rg, p.settings.ResourceGroup) {
		groups = append(groups, rg)
	}
	return groups
}

// backendAddresses are the nodes' InternalIPv4 addresses; control-plane nodes are left out when
// configured; a node without an address is logged and skipped.
func (p *Provider) backendAddresses(ctx context.Context, nodes []*v1.Node) []backendAddress {
	out, skipped := eligibleAddresses(nodes, p.settings.ExcludeControlPlane)
	for _, n := range skipped {
		klog.FromContext(ctx).Info("Node has no InternalIP IPv4 address; left out of the backend pool", "node", klog.KObj(n))
	}
	return sortedByIP(out)
}

// eligibleAddresses are the backend pool members among nodes, and the nodes skipped for lack of an
// address.
func eligibleAddresses(nodes []*v1.Node, excludeControlPlane bool) (out []backendAddress, skipped []*v1.Node) {
	out = make([]backendAddress, 0, len(nodes))
	for _, n := range nodes {
		if excludeControlPlane && isControlPlane(n) {
			continue
		}
		ip := nodeIPv4(n)
		if ip == "" {
			skipped = append(skipped, n)
			continue
		}
		out = append(out, backendAddress{name: n.Name, ip: ip})
	}
	return out, skipped
}

func isControlPlane(n *v1.Node) bool {
	_, cp := n.Labels["node-role.kubernetes.io/control-plane"]
	_, master := n.Labels["node-role.kubernetes.io/master"]
	return cp || master
}

func nodeIPv4(n *v1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type != v1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Is4() {
			return ip.String()
		}
	}
	return ""
}

func isInternal(svc *v1.Service) bool {
	return strings.EqualFold(strings.TrimSpace(svc.Annotations[AnnotationInternal]), "true")
}

// ownedFrontend is the Service's frontend on lb (nil when absent).
func ownedFrontend(lb *armnetwork.LoadBalancer, base string) *armnetwork.FrontendIPConfiguration {
	if lb == nil || lb.Properties == nil {
		return nil
	}
	for _, fe := range lb.Properties.FrontendIPConfigurations {
		if ownerBase(ptr.Deref(fe.Name, "")) == base {
			return fe
		}
	}
	return nil
}

// frontendAddress is the frontend's IP: its private address, or its public IP's address.
func (p *Provider) frontendAddress(ctx context.Context, fe *armnetwork.FrontendIPConfiguration) (string, error) {
	if fe.Properties == nil {
		return "", nil
	}
	if fe.Properties.PublicIPAddress == nil {
		return ptr.Deref(fe.Properties.PrivateIPAddress, ""), nil
	}
	id := ptr.Deref(fe.Properties.PublicIPAddress.ID, "")
	rg := resourceGroupOf(id)
	pip, err := p.pips.lookup(ctx, rg, lastSegment(id))
	if err != nil || pip == nil || pip.Properties == nil {
		return "", err
	}
	return ptr.Deref(pip.Properties.IPAddress, ""), nil
}

// resourceGroupOf extracts the resource group of an ARM ID.
func resourceGroupOf(id string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "resourceGroups") {
			return parts[i+1]
		}
	}
	return ""
}

func idOf(pip *armnetwork.PublicIPAddress) *string {
	if pip == nil {
		return nil
	}
	return pip.ID
}

func statusFor(ip string) *v1.LoadBalancerStatus {
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: ip}}}
}

func (p *Provider) event(svc *v1.Service, eventType, reason, message string) {
	p.mu.Lock()
	r := p.events
	p.mu.Unlock()
	if r != nil {
		r.Event(svc, eventType, reason, message)
	}
}

// PlanProbes exposes the probe computation for a Service (used by lbctl).
func (p *Provider) PlanProbes(svc *v1.Service) (probes.Plan, error) {
	return probes.ForService(svc, p.settings.Probes)
}
