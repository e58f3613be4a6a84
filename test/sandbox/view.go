package sandbox

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/azlb/azlb/pkg/fake/dataplane"
	"github.com/azlb/azlb/test/harness"
)

// serviceView is what the load balancer does for one Service of type LoadBalancer at one instant,
// as a user would describe it: where its frontend is, how it probes, which nodes are in its pool and
// which of them it sends new connections to.
type serviceView struct {
	Key   string // namespace/name
	Local bool   // externalTrafficPolicy Local
	// Frontend is the ingress address and the first TCP port (zero until the controller wrote one).
	Frontend netip.AddrPort
	// Probe is the rule's probe as the data plane runs it, "" without one; ProbeID is its ARM ID
	// and ProbeName its name.
	Probe     string
	ProbeID   string
	ProbeName string
	// Pool are the nodes in the rule's backend pool; InRotation those it sends new connections to.
	Pool       []string
	InRotation []string
	// LastOutcome is, per pool node, what its last probe saw ("200", "503", "refused", ...).
	LastOutcome map[string]string
	// Waiting says why no traffic can flow yet ("" when the rule is in place).
	Waiting string
}

// lbInput is everything the views are computed from, read at one instant.
type lbInput struct {
	Services []*v1.Service
	Config   dataplane.Config
	Backends []dataplane.BackendStatus
	Nodes    []harness.Node
}

// buildViews computes the view of every Service of type LoadBalancer, sorted by namespace/name.
func buildViews(in lbInput) []serviceView {
	nodeName := map[netip.Addr]string{}
	for _, n := range in.Nodes {
		nodeName[n.Address] = n.Name
	}
	name := func(a netip.Addr) string {
		if n, ok := nodeName[a]; ok {
			return n
		}
		return a.String()
	}
	probeByID := map[string]dataplane.Probe{}
	for _, p := range in.Config.Probes {
		probeByID[p.ID] = p
	}
	var out []serviceView
	for _, svc := range in.Services {
		if svc.Spec.Type != v1.ServiceTypeLoadBalancer {
			continue
		}
		v := serviceView{
			Key:   svc.Namespace + "/" + svc.Name,
			Local: svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal,
		}
		port, ok := firstTCPPort(svc)
		ip, hasIP := ingressIP(svc)
		switch {
		case !ok:
			v.Waiting = "no TCP port: the sandbox's clients speak HTTP over TCP"
		case !hasIP:
			v.Waiting = "waiting for the cloud-controller to write a frontend"
		default:
			v.Frontend = netip.AddrPortFrom(ip, uint16(port))
			fillRule(&v, in, probeByID, name)
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// fillRule completes a view from the rule serving its frontend and the probe states.
func fillRule(v *serviceView, in lbInput, probeByID map[string]dataplane.Probe, name func(netip.Addr) string) {
	rule, ok := harness.RuleFor(in.Config, v.Frontend)
	if !ok {
		v.Waiting = "no load-balancing rule for " + v.Frontend.String() + " yet"
		return
	}
	v.ProbeID = rule.ProbeID
	if p, ok := probeByID[rule.ProbeID]; ok {
		v.Probe, v.ProbeName = p.Settings.String(), p.Name
	}
	up := map[netip.Addr]bool{}
	v.LastOutcome = map[string]string{}
	for _, b := range in.Backends {
		if b.ProbeID == rule.ProbeID {
			up[b.Backend] = b.Up
			if b.LastOutcome != "" {
				v.LastOutcome[name(b.Backend)] = b.LastOutcome
			}
		}
	}
	for _, b := range rule.Backends {
		n := name(b.Addr)
		v.Pool = append(v.Pool, n)
		inRotation := rule.ProbeID == "" || up[b.Addr]
		switch b.Admin {
		case dataplane.AdminUp:
			inRotation = true
		case dataplane.AdminDown:
			inRotation = false
		}
		if inRotation {
			v.InRotation = append(v.InRotation, n)
		}
	}
	sort.Strings(v.Pool)
	sort.Strings(v.InRotation)
}

func firstTCPPort(svc *v1.Service) (int32, bool) {
	for _, p := range svc.Spec.Ports {
		if p.Protocol == "" || p.Protocol == v1.ProtocolTCP {
			return p.Port, true
		}
	}
	return 0, false
}

func ingressIP(svc *v1.Service) (netip.Addr, bool) {
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(in.IP); err == nil {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// diffViews says, one sentence each, what changed between two instants: Services that got or lost
// a frontend, probes rewritten, nodes joining or leaving the pool, nodes taken into or out of
// rotation (with what the probe saw).
func diffViews(prev, cur []serviceView) []string {
	before := map[string]serviceView{}
	for _, v := range prev {
		before[v.Key] = v
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range cur {
		seen[v.Key] = true
		p, existed := before[v.Key]
		if !existed {
			out = append(out, fmt.Sprintf("+ service %s (%s): %s", v.Key, policy(v.Local), describeFrontend(v)))
			continue
		}
		if p.Frontend != v.Frontend || p.Waiting != v.Waiting {
			out = append(out, fmt.Sprintf("~ service %s: %s", v.Key, describeFrontend(v)))
		}
		if p.Local != v.Local {
			out = append(out, fmt.Sprintf("~ service %s: externalTrafficPolicy %s", v.Key, policy(v.Local)))
		}
		if p.Probe != v.Probe && v.Probe != "" && p.Frontend == v.Frontend {
			out = append(out, fmt.Sprintf("~ service %s: probe %s", v.Key, v.Probe))
		}
		if joined, left := setDiff(p.Pool, v.Pool); p.Frontend == v.Frontend && (len(joined) > 0 || len(left) > 0) {
			out = append(out, fmt.Sprintf("~ service %s: backend pool %s", v.Key, describeChange(joined, left)))
		}
		in, outOf := setDiff(p.InRotation, v.InRotation)
		for _, n := range in {
			out = append(out, fmt.Sprintf("~ service %s: %s in rotation%s", v.Key, n, saw(v, n)))
		}
		for _, n := range outOf {
			if slices.Contains(v.Pool, n) {
				out = append(out, fmt.Sprintf("~ service %s: %s out of rotation%s", v.Key, n, saw(v, n)))
			}
		}
	}
	for _, p := range prev {
		if !seen[p.Key] {
			out = append(out, fmt.Sprintf("- service %s: gone", p.Key))
		}
	}
	return out
}

func policy(local bool) string {
	if local {
		return "Local"
	}
	return "Cluster"
}

func describeFrontend(v serviceView) string {
	if v.Waiting != "" {
		return v.Waiting
	}
	s := "frontend " + v.Frontend.String()
	if v.Probe != "" {
		s += ", probe " + v.Probe
	} else {
		s += ", no probe"
	}
	return s
}

func saw(v serviceView, node string) string {
	if o := v.LastOutcome[node]; o != "" {
		return " (probe saw " + o + ")"
	}
	return ""
}

func describeChange(joined, left []string) string {
	var parts []string
	if len(joined) > 0 {
		parts = append(parts, "+"+strings.Join(joined, " +"))
	}
	if len(left) > 0 {
		parts = append(parts, "-"+strings.Join(left, " -"))
	}
	return strings.Join(parts, " ")
}

// setDiff returns the names in b but not a, and in a but not b, sorted.
func setDiff(a, b []string) (added, removed []string) {
	for _, x := range b {
		if !slices.Contains(a, x) {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			removed = append(removed, x)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	return added, removed
}

// formatLine is the line printed each second for one Service: the load balancer's view, the
// requests the sandbox's client finished in that second, and the new connections the load balancer
// admitted nowhere in it (no healthy backend: the client sees them time out later).
func formatLine(elapsed time.Duration, v serviceView, c harness.LoadCounts, noHealthy int64) string {
	head := fmt.Sprintf("%5ds  %-24s", int(elapsed.Seconds()), v.Key)
	if v.Waiting != "" {
		return head + "  " + v.Waiting
	}
	rotation := strings.Join(v.InRotation, " ")
	if rotation == "" {
		rotation = "none"
	}
	s := fmt.Sprintf("%s  %-21s  in rotation %d/%d: %-24s  %s", head, v.Frontend, len(v.InRotation), len(v.Pool), rotation, countsLine(c))
	if noHealthy > 0 {
		s += fmt.Sprintf("; %d new connections found no healthy backend", noHealthy)
	}
	return strings.TrimRight(s, " ")
}

// headerLine names the columns of formatLine.
func headerLine() string {
	return fmt.Sprintf("%6s  %-24s  %-21s  %-41s  %s", "time", "service", "frontend", "load balancer", "client: requests that ended in the last second")
}

// countsLine is "20 served, 0 failed", with the causes when some failed.
func countsLine(c harness.LoadCounts) string {
	s := fmt.Sprintf("%d served, %d failed", c.Get(harness.Served), c.Failed())
	var causes []string
	for _, o := range []harness.Outcome{harness.Refused, harness.Reset, harness.TimedOut, harness.BadStatus} {
		if n := c.Get(o); n > 0 {
			causes = append(causes, fmt.Sprintf("%s %d", o, n))
		}
	}
	if len(causes) > 0 {
		s += " (" + strings.Join(causes, ", ") + ")"
	}
	return s
}
