package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/fake"
)

// slowLBWrite is how long an injected load balancer write takes in the fake, so that a kill lands
// while one is in flight.
const slowLBWrite = 4 * time.Second

// TestKillDuringCreateConverges: a cloud-controller killed (SIGKILL) while a load balancer write for
// new Services is in flight is replaced by a fresh process that converges: per Service one frontend,
// rule and probe, its own public IP (or the user's one it names) as its ingress, no duplicate and no
// stray public IP, the pool of every node; and deleting the Services afterwards leaves nothing but
// the user's public IP.
func TestKillDuringCreateConverges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	cloud := e.azure.Cloud
	e.createUserPublicIP(userPublicIPName)
	services := []string{"svc-1", "svc-2", "byo"}

	removeFault := cloud.InjectFault(fake.Fault{Method: http.MethodPut, ResourceType: fake.TypeLoadBalancers, Latency: slowLBWrite})
	a := e.startController("a", controllerOptions{concurrentSyncs: 3})
	e.createService("svc-1")
	e.createService("svc-2")
	e.createService("byo", annotated(map[string]string{annotationPIPName: userPublicIPName}))
	e.waitLBWriteInFlight()
	e.kill(a)
	removeFault()
	e.restartAndConverge("b", services, nil)

	for _, name := range services {
		e.deleteService(name)
	}
	for _, name := range services {
		e.waitServiceGone(name)
	}
	e.step("every service gone")
	e.checkNothingLeft(userPublicIPName)
}

// TestKillDuringDeleteConverges: a cloud-controller killed (SIGKILL) while a load balancer write for
// deleted Services is in flight is replaced by a fresh process that finishes the deletions: the
// deleted Services go, their frontends, rules, probes and public IPs with them, the live Service keeps
// its own; and deleting the last Service leaves nothing in Azure.
func TestKillDuringDeleteConverges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	cloud := e.azure.Cloud
	a := e.startController("a", controllerOptions{concurrentSyncs: 3})
	services := []string{"svc-1", "svc-2", "svc-3"}
	for _, name := range services {
		e.createService(name)
	}
	for _, name := range services {
		e.waitIngress(name)
	}
	e.step("every service has ingress")

	removeFault := cloud.InjectFault(fake.Fault{Method: http.MethodPut, ResourceType: fake.TypeLoadBalancers, Latency: slowLBWrite})
	e.deleteService("svc-1")
	e.deleteService("svc-2")
	e.waitLBWriteInFlight()
	e.kill(a)
	removeFault()
	e.restartAndConverge("b", services[2:], services[:2])

	e.deleteService("svc-3")
	e.waitServiceGone("svc-3")
	e.step("service svc-3 gone")
	e.checkNothingLeft()
}

// checkNothingLeft checks that Azure holds no load balancer and no public IP but the user's ones.
func (e *env) checkNothingLeft(userPIPs ...string) {
	e.t.Helper()
	if lb := e.loadBalancer(); lb != nil {
		e.t.Errorf("load balancer left after the last service was deleted\n%s", e.describeAzure())
	}
	var left []string
	for _, pip := range e.azure.Cloud.ListPublicIPs("") {
		if name := ptr.Deref(pip.Name, ""); !slices.Contains(userPIPs, name) {
			left = append(left, name)
		}
	}
	if len(left) > 0 {
		e.t.Errorf("public IPs %v left after the last service was deleted (the user's: %v)\n%s", left, userPIPs, e.describeAzure())
	}
}

// waitLBWriteInFlight waits until the fake has accepted a load balancer write whose operation is
// still running.
func (e *env) waitLBWriteInFlight() {
	e.t.Helper()
	e.waitFor("a load balancer write in flight", reconcileTimeout, func() (bool, error) {
		state := provisioningState(e.loadBalancer())
		return state == armnetwork.ProvisioningStateUpdating, fmt.Errorf("load balancer state %q", state)
	})
	e.step("load balancer write in flight")
}

// restartAndConverge starts a new controller after a kill and waits until it has reconciled every
// live Service (an EnsuredLoadBalancer event after its start) and every deleted one is gone; then it
// checks that Azure holds exactly what the live Services need.
func (e *env) restartAndConverge(name string, live, deleted []string) *controller {
	e.t.Helper()
	ensured := map[string]int{}
	for _, s := range live {
		ensured[s] = e.eventCount(e.getService(s), "EnsuredLoadBalancer")
	}
	c := e.startController(name, controllerOptions{concurrentSyncs: 3})
	for _, s := range live {
		svc := e.waitIngress(s)
		e.waitFor("service "+s+" reconciled by cloud-controller "+name, reconcileTimeout, func() (bool, error) {
			return e.eventCount(svc, "EnsuredLoadBalancer") > ensured[s], e.lastEventOf(svc)
		})
	}
	for _, s := range deleted {
		e.waitServiceGone(s)
	}
	e.waitFor("no load balancer operation running", reconcileTimeout, func() (bool, error) {
		state := provisioningState(e.loadBalancer())
		return state == armnetwork.ProvisioningStateSucceeded, fmt.Errorf("load balancer state %q", state)
	})
	e.step("cloud-controller %s converged: live %v, deleted %v", name, live, deleted)
	e.checkConverged(live)
	return c
}

// checkConverged checks that Azure holds exactly what the live Services need: per Service one
// frontend on its public IP (its own, or the user's it names with azure-pip-name) whose address is
// the ingress, one rule and one probe; no child of anything else; no public IP but the live
// Services' own ones (tagged for exactly that Service) and the users'; the pool of every node.
func (e *env) checkConverged(live []string) {
	e.t.Helper()
	t := e.t
	lb := e.loadBalancer()
	if lb == nil {
		t.Fatalf("no load balancer while services %v exist\n%s", live, e.describeAzure())
	}
	liveBases := map[string]*v1.Service{}
	liveKeys := map[string]bool{}
	userPIPs := map[string]bool{}
	for _, name := range live {
		svc := e.getService(name)
		if svc == nil {
			t.Fatalf("service %s is gone", name)
		}
		liveBases[baseName(svc)] = svc
		liveKeys[serviceKey(svc)] = true

		c := ownedBy(lb, baseName(svc))
		if len(c.frontends) != 1 || len(c.rules) != 1 || len(c.probes) != 1 {
			t.Errorf("service %s: %d frontends, %d rules, %d probes; want 1 each\n%s", name, len(c.frontends), len(c.rules), len(c.probes), e.describeAzure())
			continue
		}
		pipName := publicIPName(svc)
		if user := svc.Annotations[annotationPIPName]; user != "" {
			pipName = user
			userPIPs[user] = true
		}
		fe := c.frontends[0]
		if fe.Properties == nil || fe.Properties.PublicIPAddress == nil || idName(fe.Properties.PublicIPAddress.ID) != pipName {
			t.Errorf("service %s: frontend does not use public IP %s", name, pipName)
		}
		pip := e.publicIP(pipName)
		if pip == nil {
			t.Errorf("service %s: no public IP %s", name, pipName)
			continue
		}
		ing := svc.Status.LoadBalancer.Ingress
		if len(ing) != 1 || ing[0].IP != ptr.Deref(pip.Properties.IPAddress, "") {
			t.Errorf("service %s: ingress %v, want exactly the public IP's address %s", name, ing, ptr.Deref(pip.Properties.IPAddress, ""))
		}
	}

	// Nothing on the load balancer belongs to anything but a live Service.
	p := lb.Properties
	for kind, list := range map[string][]string{
		"frontend": names(p.FrontendIPConfigurations, func(f *armnetwork.FrontendIPConfiguration) *string { return f.Name }),
		"rule":     names(p.LoadBalancingRules, func(r *armnetwork.LoadBalancingRule) *string { return r.Name }),
		"probe":    names(p.Probes, func(p *armnetwork.Probe) *string { return p.Name }),
	} {
		for _, n := range list {
			if base, _, _ := strings.Cut(n, "-"); liveBases[strings.ToLower(base)] == nil {
				t.Errorf("orphaned %s %s on the load balancer (live services %v)", kind, n, live)
			}
		}
	}
	// Every public IP is a live Service's own, or a user's; one per live Service.
	pips := e.azure.Cloud.ListPublicIPs("")
	if len(pips) != len(live) {
		t.Errorf("%d public IPs for %d live services\n%s", len(pips), len(live), e.describeAzure())
	}
	for _, pip := range pips {
		name := ptr.Deref(pip.Name, "")
		if userPIPs[name] {
			if len(pip.Tags) != 0 {
				t.Errorf("the user's public IP %s got tags %s", name, jsonString(pip.Tags))
			}
			continue
		}
		owners := strings.Split(ptr.Deref(pip.Tags[tagService], ""), ",")
		if len(owners) != 1 || !liveKeys[owners[0]] {
			t.Errorf("public IP %s is owned by %q, not by one live service", name, ptr.Deref(pip.Tags[tagService], ""))
		}
	}
	if got, want := poolAddresses(lb), e.nodeAddresses(); !slices.Equal(got, want) {
		t.Errorf("backend pool %v, want every node %v", got, want)
	}
}
