package harness

import (
	"net/netip"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubernetes/pkg/proxy"
)

// verdict is what a node does with a new external connection.
type verdict int

const (
	// verdictForward: pick an endpoint and forward.
	verdictForward verdict = iota
	// verdictDrop: Local policy and no usable local endpoint although the
	// Service has endpoints elsewhere: kube-proxy DROPs the SYN, the client
	// times out.
	verdictDrop
	// verdictReject: the Service has no usable endpoint anywhere: kube-proxy
	// REJECTs (connection refused).
	verdictReject
)

func (v verdict) String() string {
	switch v {
	case verdictForward:
		return "forward"
	case verdictDrop:
		return "drop"
	default:
		return "reject"
	}
}

// serviceRule is the node's rule for external traffic to one Service port.
type serviceRule struct {
	service types.NamespacedName
	port    string
	// local is externalTrafficPolicy: Local (client address kept).
	local     bool
	verdict   verdict
	endpoints []netip.AddrPort
}

// ruleTable is one kube-proxy sync's worth of data-path rules of a node:
// immutable once built, replaced as a whole at each sync.
type ruleTable struct {
	// byNodePort serves connections without a PROXY header: NodePort
	// traffic, found by the node port they arrived on.
	byNodePort map[uint16]*serviceRule
	// byFrontend serves load-balancer connections, found by the frontend
	// address and port of their PROXY header.
	byFrontend map[netip.AddrPort]*serviceRule
	// ports are the node ports and load-balancer backend ports to listen
	// on, sorted.
	ports []uint16
}

// externalVerdict decides, like kube-proxy's iptables proxier, what happens
// to external traffic given the endpoints CategorizeEndpoints chose:
// Local policy uses the local endpoints (ready, else serving-terminating),
// Cluster policy the cluster ones; none usable here but some elsewhere is a
// DROP for Local, none anywhere a REJECT.
func externalVerdict(local bool, clusterEps, localEps []proxy.Endpoint, hasAnyEndpoints bool) (verdict, []proxy.Endpoint) {
	eps := clusterEps
	if local {
		eps = localEps
	}
	switch {
	case !hasAnyEndpoints:
		return verdictReject, nil
	case len(eps) == 0:
		return verdictDrop, nil
	default:
		return verdictForward, eps
	}
}

// buildRuleTable computes a node's data-path rules from kube-proxy's service
// and endpoint maps, with the upstream proxy.CategorizeEndpoints choosing the
// endpoints. Only TCP ports of NodePort and LoadBalancer Services matter.
// Load-balancer rules use floating IP (Azure's default): the backend port is
// the Service port. Endpoint addresses are mapped to the pods' loopback
// addresses (PodLoopback).
func buildRuleTable(svcs proxy.ServicePortMap, eps proxy.EndpointsMap, nodeName string, topologyLabels map[string]string) *ruleTable {
	t := &ruleTable{byNodePort: map[uint16]*serviceRule{}, byFrontend: map[netip.AddrPort]*serviceRule{}}
	ports := map[uint16]bool{}
	for name, sp := range svcs {
		if sp.Protocol() != v1.ProtocolTCP || sp.NodePort() == 0 && len(sp.LoadBalancerVIPs()) == 0 {
			continue
		}
		clusterEps, localEps, _, hasAny := proxy.CategorizeEndpoints(eps[name], sp, nodeName, topologyLabels)
		v, chosen := externalVerdict(sp.ExternalPolicyLocal(), clusterEps, localEps, hasAny)
		rule := &serviceRule{service: name.NamespacedName, port: name.Port, local: sp.ExternalPolicyLocal(), verdict: v}
		for _, ep := range chosen {
			ip, err := netip.ParseAddr(ep.IP())
			if err != nil {
				continue
			}
			// Dial the pod where its sockets are.
			rule.endpoints = append(rule.endpoints, netip.AddrPortFrom(PodLoopback(ip), uint16(ep.Port())))
		}
		slices.SortFunc(rule.endpoints, func(a, b netip.AddrPort) int { return a.Compare(b) })
		if np := sp.NodePort(); np != 0 {
			t.byNodePort[uint16(np)] = rule
			ports[uint16(np)] = true
		}
		for _, vip := range sp.LoadBalancerVIPs() {
			addr, ok := netip.AddrFromSlice(vip)
			if !ok {
				continue
			}
			t.byFrontend[netip.AddrPortFrom(addr.Unmap(), uint16(sp.Port()))] = rule
			ports[uint16(sp.Port())] = true
		}
	}
	for p := range ports {
		t.ports = append(t.ports, p)
	}
	slices.Sort(t.ports)
	return t
}
