// Package plan answers "what will this Service become on Azure?" without touching Azure: it runs the
// real provider (pkg/loadbalancer, through the real armnetwork SDK clients) against an empty in-memory
// fake Azure and returns the load balancers and public IPs that result, in ARM REST JSON.
package plan

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/azureprovider"
	"github.com/azlb/azlb/pkg/cloudconfig"
	"github.com/azlb/azlb/pkg/loadbalancer"
	"github.com/azlb/azlb/pkg/manifest"
)

// Options of a plan.
type Options struct {
	// CloudConfig is the provider's cloud config; nil uses DefaultCloudConfig. Whatever cloud it names,
	// the plan runs against the in-memory fake.
	CloudConfig *cloudconfig.Config
	ClusterName string // default "kubernetes"
	// Nodes is how many nodes to make when the manifests hold none (default 3).
	Nodes int
}

// Result is the plan's output; its JSON shape is a contract (see DESIGN.md).
type Result struct {
	LoadBalancers     []json.RawMessage `json:"loadBalancers"`
	PublicIPAddresses []json.RawMessage `json:"publicIPAddresses"`
	// Warnings are annotations that cannot apply, per Service.
	Warnings []Warning `json:"-"`
	// Skipped names the Services that are not of type LoadBalancer.
	Skipped []string `json:"-"`
}

// Warning is one annotation the provider reported as not applicable.
type Warning struct{ Service, Message string }

// DefaultCloudConfig is used when no --cloud-config is given.
func DefaultCloudConfig() *cloudconfig.Config {
	cfg, err := cloudconfig.Parse([]byte(`{"cloud":"InMemoryFake","resourceGroup":"rg","location":"eastus",
		"vnetName":"kubernetes-vnet","subnetName":"kubernetes-subnet"}`), nil)
	if err != nil {
		panic(err) // a constant
	}
	return cfg
}

// Run plans every LoadBalancer Service of the set, in order. An invalid Service is an error naming it and
// the annotation.
func Run(ctx context.Context, set *manifest.Set, opts Options) (*Result, error) {
	cfg := DefaultCloudConfig()
	if opts.CloudConfig != nil {
		c := *opts.CloudConfig
		c.Cloud = cloudconfig.CloudInMemoryFake
		if c.SubscriptionID == "" {
			c.SubscriptionID = cloudconfig.DefaultFakeSubscriptionID
		}
		cfg = &c
	}
	cloud, err := azureprovider.New(cfg, azureprovider.Options{ClusterName: opts.ClusterName})
	if err != nil {
		return nil, err
	}
	recorder := &recorder{}
	lb := cloud.LoadBalancerProvider()
	lb.SetEventRecorder(recorder)

	nodes := set.Nodes
	if len(nodes) == 0 {
		n := opts.Nodes
		if n <= 0 {
			n = 3
		}
		nodes = MakeNodes(n)
	}
	res := &Result{}
	services := PrepareServices(set.Services)
	for _, svc := range services {
		if svc.Spec.Type != v1.ServiceTypeLoadBalancer {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s/%s (type %s)", svc.Namespace, svc.Name, typeOf(svc)))
			continue
		}
		if err := seedUserPublicIPs(cloud, cfg, svc); err != nil {
			return nil, err
		}
		if _, err := lb.EnsureLoadBalancer(ctx, lb.Settings().ClusterName, svc, nodes); err != nil {
			return nil, err
		}
	}
	for _, e := range recorder.events {
		res.Warnings = append(res.Warnings, Warning{Service: e.service, Message: e.reason + ": " + e.message})
	}
	f := cloud.Fake()
	for _, l := range f.ListLoadBalancers("") {
		raw, err := marshalWithoutEtags(l)
		if err != nil {
			return nil, err
		}
		res.LoadBalancers = append(res.LoadBalancers, raw)
	}
	for _, p := range f.ListPublicIPs("") {
		raw, err := marshalWithoutEtags(p)
		if err != nil {
			return nil, err
		}
		res.PublicIPAddresses = append(res.PublicIPAddresses, raw)
	}
	if res.LoadBalancers == nil {
		res.LoadBalancers = []json.RawMessage{}
	}
	if res.PublicIPAddresses == nil {
		res.PublicIPAddresses = []json.RawMessage{}
	}
	return res, nil
}

func typeOf(svc *v1.Service) string {
	if svc.Spec.Type == "" {
		return string(v1.ServiceTypeClusterIP)
	}
	return string(svc.Spec.Type)
}

// MakeNodes makes n Ready nodes with InternalIP addresses in the fake cloud's subnet.
func MakeNodes(n int) []*v1.Node {
	nodes := make([]*v1.Node, n)
	for i := range nodes {
		nodes[i] = &v1.Node{}
		nodes[i].Name = fmt.Sprintf("node-%d", i)
		nodes[i].Labels = map[string]string{"kubernetes.io/hostname": nodes[i].Name}
		nodes[i].Status.Addresses = []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: fmt.Sprintf("10.224.0.%d", 4+i)}}
		nodes[i].Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue}}
	}
	return nodes
}

// PrepareServices copies the Services and fills what the API server would: a UID (derived from
// namespace/name, so plans are stable), node ports and the health check node port, allocated from 30000
// in input order without clashing with ports the manifests set.
func PrepareServices(in []*v1.Service) []*v1.Service {
	used := map[int32]bool{}
	for _, svc := range in {
		for _, p := range svc.Spec.Ports {
			used[p.NodePort] = true
		}
		used[svc.Spec.HealthCheckNodePort] = true
	}
	next := int32(30000)
	allocate := func() int32 {
		for used[next] {
			next++
		}
		used[next] = true
		return next
	}
	out := make([]*v1.Service, len(in))
	for i, orig := range in {
		svc := orig.DeepCopy()
		if svc.UID == "" {
			svc.UID = stableUID(svc.Namespace + "/" + svc.Name)
		}
		if svc.Spec.Type == v1.ServiceTypeLoadBalancer {
			for j := range svc.Spec.Ports {
				if svc.Spec.Ports[j].Protocol == "" {
					svc.Spec.Ports[j].Protocol = v1.ProtocolTCP
				}
				if svc.Spec.Ports[j].NodePort == 0 {
					svc.Spec.Ports[j].NodePort = allocate()
				}
			}
			if svc.Spec.ExternalTrafficPolicy == "" {
				svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyCluster
			}
			if svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal && svc.Spec.HealthCheckNodePort == 0 {
				svc.Spec.HealthCheckNodePort = allocate()
			}
		}
		out[i] = svc
	}
	return out
}

// stableUID is a UUID derived from a name (laid out as a version-5 UUID, from SHA-256).
func stableUID(name string) types.UID {
	sum := sha256.Sum256([]byte("azlb:" + name))
	sum[6] = (sum[6] & 0x0f) | 0x50
	sum[8] = (sum[8] & 0x3f) | 0x80
	return types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16]))
}

// seedUserPublicIPs puts in the fake the public IPs a Service says the user already has (named by
// annotation, or holding the requested address), as a user's own: no ownership tags.
func seedUserPublicIPs(cloud *azureprovider.Cloud, cfg *cloudconfig.Config, svc *v1.Service) error {
	spec, err := loadbalancer.BuildServiceSpec(svc, ptr.To(cloud.LoadBalancerProvider().Settings()))
	if err != nil || spec.Internal {
		return nil // the provider reports the error itself
	}
	f := cloud.Fake()
	pip := armnetwork.PublicIPAddress{
		Location: ptr.To(cfg.Location),
		SKU: &armnetwork.PublicIPAddressSKU{
			Name: ptr.To(armnetwork.PublicIPAddressSKUNameStandard),
			Tier: ptr.To(armnetwork.PublicIPAddressSKUTierRegional),
		},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{
			PublicIPAllocationMethod: ptr.To(armnetwork.IPAllocationMethodStatic),
			PublicIPAddressVersion:   ptr.To(armnetwork.IPVersionIPv4),
		},
	}
	switch {
	case spec.PIP.UserNamed:
		if _, ok := f.GetPublicIP(spec.PIP.ResourceGroup, spec.PIP.Name); ok {
			return nil
		}
		pip.Name = ptr.To(spec.PIP.Name)
	case spec.PIP.RequestedIP != "":
		for _, existing := range f.ListPublicIPs(spec.PIP.ResourceGroup) {
			if existing.Properties != nil && ptr.Deref(existing.Properties.IPAddress, "") == spec.PIP.RequestedIP {
				return nil
			}
		}
		pip.Name = ptr.To("user-pip-" + spec.PIP.RequestedIP)
		pip.Properties.IPAddress = ptr.To(spec.PIP.RequestedIP)
	default:
		return nil
	}
	if err := f.PutPublicIP(spec.PIP.ResourceGroup, pip); err != nil {
		return fmt.Errorf("service %s: preparing the user's public IP %s: %w", spec.Key, *pip.Name, err)
	}
	return nil
}

// marshalWithoutEtags is the object as the SDK marshals it, without etags and resource GUIDs (they change on every run and
// are not part of what the plan says).
func marshalWithoutEtags(v any) (json.RawMessage, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return nil, err
	}
	stripEtags(tree)
	return json.Marshal(tree)
}

func stripEtags(v any) {
	switch t := v.(type) {
	case map[string]any:
		delete(t, "etag")
		delete(t, "resourceGuid")
		for _, child := range t {
			stripEtags(child)
		}
	case []any:
		for _, child := range t {
			stripEtags(child)
		}
	}
}

// recorder keeps the provider's events.
type recorder struct{ events []event }

type event struct{ service, eventType, reason, message string }

func (r *recorder) Event(obj runtime.Object, eventType, reason, message string) {
	name := ""
	if svc, ok := obj.(*v1.Service); ok {
		name = svc.Namespace + "/" + svc.Name
	}
	r.events = append(r.events, event{name, eventType, reason, message})
}

func (r *recorder) Eventf(obj runtime.Object, eventType, reason, format string, args ...any) {
	r.Event(obj, eventType, reason, fmt.Sprintf(format, args...))
}

func (r *recorder) AnnotatedEventf(obj runtime.Object, _ map[string]string, eventType, reason, format string, args ...any) {
	r.Eventf(obj, eventType, reason, format, args...)
}
