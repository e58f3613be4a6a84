package loadbalancer

import (
	"errors"
	"fmt"
	"sort"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/probes"
)

// Settings are the cluster-wide inputs of the desired state, from cloud-config and the controller's
// --cluster-name.
type Settings struct {
	ClusterName       string
	SubscriptionID    string
	ResourceGroup     string // public IPs, unless a Service names another
	LBResourceGroup   string // the shared load balancers
	Location          string
	VnetResourceGroup string
	VnetName          string
	SubnetName        string // default subnet of internal frontends
	LoadBalancerName  string // overrides the cluster name as the load balancer name
	Probes            probes.Config
	// ExcludeControlPlane keeps nodes labelled node-role.kubernetes.io/control-plane (or master) out of
	// the backend pool.
	ExcludeControlPlane bool
	DisableOutboundSNAT bool
}

func (s *Settings) lbIDs() armID   { return armID{s.SubscriptionID, s.LBResourceGroup} }
func (s *Settings) vnetIDs() armID { return armID{s.SubscriptionID, s.VnetResourceGroup} }

// ServiceSpec is what one Service needs on Azure, computed from the Service and Settings alone.
type ServiceSpec struct {
	Key      string // namespace/name
	Base     string // owner prefix of every child
	Internal bool
	LBName   string
	// Frontend
	FrontendName string
	SubnetID     string // internal
	PrivateIP    string // internal, static; "" = dynamic
	PIP          PIPSpec
	// Children other than the frontend, complete with references.
	Rules  []*armnetwork.LoadBalancingRule
	Probes []*armnetwork.Probe // the Service's own probes
	// SharedProbe is set when the rules use the cluster-wide shared probe.
	SharedProbe *armnetwork.Probe
	// ProbePlan is the probe computation the children were built from (for lbctl and events).
	ProbePlan probes.Plan
	Warnings  []probes.Warning
}

// PIPSpec says which public IP a public Service uses.
type PIPSpec struct {
	ResourceGroup string
	// Name of the public IP: the user's (UserNamed) or the provider's own; empty when the Service asks
	// for an address (RequestedIP) and the public IP holding it is looked up.
	Name        string
	UserNamed   bool
	RequestedIP string
	DNSLabel    string
	Tags        map[string]string // the user's extra tags
}

// BuildServiceSpec computes a Service's desired frontend, rules and probes. Every invalid annotation is
// reported in one error (errors.Join; *probes.AnnotationError for each annotation).
func BuildServiceSpec(svc *v1.Service, s *Settings) (*ServiceSpec, error) {
	opts, warns, errs := parseServiceOptions(svc)
	plan, err := probes.ForService(svc, s.Probes)
	if err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, checkPorts(svc)...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("service %s/%s: %w", svc.Namespace, svc.Name, errors.Join(errs...))
	}
	warns = append(warns, plan.Warnings...)
	sort.SliceStable(warns, func(i, j int) bool { return warns[i].Annotation < warns[j].Annotation })

	base := ServiceBaseName(svc)
	spec := &ServiceSpec{
		Key:          svc.Namespace + "/" + svc.Name,
		Base:         base,
		Internal:     opts.internal,
		LBName:       LBName(s.ClusterName, s.LoadBalancerName, opts.internal),
		FrontendName: FrontendName(base, opts.subnet),
		ProbePlan:    plan,
		Warnings:     warns,
	}
	if opts.internal {
		subnet := opts.subnet
		if subnet == "" {
			subnet = s.SubnetName
		}
		if subnet == "" {
			return nil, fmt.Errorf("service %s: internal, but no subnet: set the %s annotation or subnetName in the cloud config", spec.Key, AnnotationInternalSubnet)
		}
		spec.SubnetID = s.vnetIDs().subnet(s.VnetName, subnet)
		spec.PrivateIP = opts.requestedIP
	} else {
		spec.PIP = PIPSpec{
			ResourceGroup: s.ResourceGroup,
			RequestedIP:   opts.requestedIP,
			DNSLabel:      opts.dnsLabel,
			Tags:          opts.pipTags,
		}
		if opts.pipResourceGroup != "" {
			spec.PIP.ResourceGroup = opts.pipResourceGroup
		}
		switch {
		case opts.pipName != "":
			spec.PIP.Name, spec.PIP.UserNamed = opts.pipName, true
		case opts.requestedIP == "":
			spec.PIP.Name = PublicIPName(s.ClusterName, base)
		}
	}

	ids := s.lbIDs()
	frontendID := ids.lbChild(spec.LBName, kindFrontend, spec.FrontendName)
	poolID := ids.lbChild(spec.LBName, kindPool, BackendPoolName(s.ClusterName))
	probeNames := make([]string, len(plan.Probes))
	for i, p := range plan.Probes {
		name := probeName(base, opts.subnet, svc, p)
		probeNames[i] = name
		probe := &armnetwork.Probe{
			Name: ptr.To(name),
			Properties: &armnetwork.ProbePropertiesFormat{
				Protocol:          ptr.To(armnetwork.ProbeProtocol(p.Protocol)),
				Port:              ptr.To(p.Port),
				IntervalInSeconds: ptr.To(p.IntervalSeconds),
				ProbeThreshold:    ptr.To(p.Threshold),
			},
		}
		if p.RequestPath != "" {
			probe.Properties.RequestPath = ptr.To(p.RequestPath)
		}
		if p.Kind == probes.KindShared {
			spec.SharedProbe = probe
		} else {
			spec.Probes = append(spec.Probes, probe)
		}
	}
	for _, pp := range plan.Ports {
		if pp.NoRule {
			continue
		}
		port := pp.Port
		props := &armnetwork.LoadBalancingRulePropertiesFormat{
			Protocol:                ptr.To(transportProtocol(port.Protocol)),
			FrontendPort:            ptr.To(port.Port),
			BackendPort:             ptr.To(port.Port),
			EnableFloatingIP:        ptr.To(true),
			DisableOutboundSnat:     ptr.To(s.DisableOutboundSNAT),
			LoadDistribution:        ptr.To(armnetwork.LoadDistributionDefault),
			FrontendIPConfiguration: &armnetwork.SubResource{ID: ptr.To(frontendID)},
			BackendAddressPool:      &armnetwork.SubResource{ID: ptr.To(poolID)},
		}
		if opts.sourceIPAffinitiy {
			props.LoadDistribution = ptr.To(armnetwork.LoadDistributionSourceIP)
		}
		if port.Protocol == v1.ProtocolTCP {
			props.IdleTimeoutInMinutes = ptr.To(opts.idleTimeout)
			props.EnableTCPReset = ptr.To(opts.tcpReset)
		}
		if !opts.floatingIP {
			props.EnableFloatingIP = ptr.To(false)
			props.BackendPort = ptr.To(port.NodePort)
		}
		if pp.Probe >= 0 {
			props.Probe = &armnetwork.SubResource{ID: ptr.To(ids.lbChild(spec.LBName, kindProbe, probeNames[pp.Probe]))}
		}
		spec.Rules = append(spec.Rules, &armnetwork.LoadBalancingRule{
			Name:       ptr.To(RuleName(base, opts.subnet, port.Protocol, port.Port)),
			Properties: props,
		})
	}
	return spec, nil
}

// probeName names a probe as the reference provider does.
func probeName(base, subnet string, svc *v1.Service, p probes.Probe) string {
	switch p.Kind {
	case probes.KindShared:
		return SharedProbeName
	case probes.KindHealthCheckNodePort:
		return RuleName(base, subnet, v1.ProtocolTCP, p.KeyPort)
	}
	protocol := v1.ProtocolTCP
	for _, port := range svc.Spec.Ports {
		if port.Port == p.KeyPort {
			protocol = port.Protocol
			break
		}
	}
	return RuleName(base, subnet, protocol, p.KeyPort)
}

func transportProtocol(p v1.Protocol) armnetwork.TransportProtocol {
	if p == v1.ProtocolUDP {
		return armnetwork.TransportProtocolUDP
	}
	return armnetwork.TransportProtocolTCP
}

// checkPorts refuses what Azure rules cannot carry.
func checkPorts(svc *v1.Service) []error {
	var errs []error
	if len(svc.Spec.Ports) == 0 {
		errs = append(errs, errors.New("spec.ports is empty: a load balancer needs at least one port"))
	}
	for _, p := range svc.Spec.Ports {
		switch p.Protocol {
		case v1.ProtocolTCP, v1.ProtocolUDP, "":
		default:
			errs = append(errs, fmt.Errorf("port %d: protocol %s is not supported by Azure load-balancing rules (use TCP or UDP)", p.Port, p.Protocol))
		}
	}
	if len(svc.Spec.IPFamilies) > 0 && svc.Spec.IPFamilies[0] == v1.IPv6Protocol && len(svc.Spec.IPFamilies) == 1 {
		errs = append(errs, errors.New("spec.ipFamilies is IPv6 only: this provider serves IPv4 frontends; add IPv4"))
	}
	return errs
}

// Frontend returns the Service's frontend IP configuration, public (pipID) or internal.
func (s *ServiceSpec) Frontend(pipID string) *armnetwork.FrontendIPConfiguration {
	props := &armnetwork.FrontendIPConfigurationPropertiesFormat{}
	if s.Internal {
		props.Subnet = &armnetwork.Subnet{ID: ptr.To(s.SubnetID)}
		if s.PrivateIP != "" {
			props.PrivateIPAllocationMethod = ptr.To(armnetwork.IPAllocationMethodStatic)
			props.PrivateIPAddress = ptr.To(s.PrivateIP)
		} else {
			props.PrivateIPAllocationMethod = ptr.To(armnetwork.IPAllocationMethodDynamic)
		}
	} else {
		props.PublicIPAddress = &armnetwork.PublicIPAddress{ID: ptr.To(pipID)}
	}
	return &armnetwork.FrontendIPConfiguration{Name: ptr.To(s.FrontendName), Properties: props}
}
