package e2e

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// userPublicIPName is a public IP the user created before the Service, without the provider's tags.
const userPublicIPName = "my-own-ip"

// TestDeleteReleasesOwnedResources: deleting a Service releases what the provider created for it
// (frontend, rule, probe, public IP) and keeps the other Service's; deleting the last Service on the
// load balancer deletes the load balancer; each deletion completes (the finalizer goes); and a public
// IP the user named with azure-pip-name stays, untouched.
func TestDeleteReleasesOwnedResources(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	userPIP := e.createUserPublicIP(userPublicIPName)
	e.startController("a", controllerOptions{})

	e.createService("own")
	e.createService("byo", local, annotated(map[string]string{annotationPIPName: userPublicIPName}))
	own, byo := e.waitIngress("own"), e.waitIngress("byo")
	e.step("both services have ingress: own %s, byo %s", own.Status.LoadBalancer.Ingress[0].IP, byo.Status.LoadBalancer.Ingress[0].IP)

	if got, want := byo.Status.LoadBalancer.Ingress[0].IP, ptr.Deref(userPIP.Properties.IPAddress, ""); got != want {
		t.Errorf("service byo ingress %s, want the address of its public IP %s: %s", got, userPublicIPName, want)
	}
	for _, s := range []*v1.Service{own, byo} {
		if c := ownedBy(e.loadBalancer(), baseName(s)); len(c.frontends) != 1 || len(c.rules) != 1 || len(c.probes) != 1 {
			t.Fatalf("service %s: %d frontends, %d rules, %d probes; want 1 each\n%s", s.Name, len(c.frontends), len(c.rules), len(c.probes), e.describeAzure())
		}
		if !hasFinalizer(s, finalizerCleanup) {
			t.Errorf("service %s finalizers %v, want %s", s.Name, s.Finalizers, finalizerCleanup)
		}
	}
	if e.publicIP(publicIPName(own)) == nil {
		t.Fatalf("no public IP %s for service own\n%s", publicIPName(own), e.describeAzure())
	}
	if e.publicIP(publicIPName(byo)) != nil {
		t.Errorf("the provider created public IP %s for service byo, which names its own %s", publicIPName(byo), userPublicIPName)
	}

	// Deleting "own": its children and public IP go; byo's stay; the load balancer stays.
	e.deleteService("own")
	e.waitServiceGone("own")
	e.step("service own gone")
	lb := e.loadBalancer()
	if lb == nil {
		t.Fatalf("the load balancer was deleted while service byo still uses it\n%s", e.describeAzure())
	}
	if c := ownedBy(lb, baseName(own)); !c.empty() {
		t.Errorf("service own's children left on the load balancer: %s", describeChildren(c))
	}
	if c := ownedBy(lb, baseName(byo)); len(c.frontends) != 1 || len(c.rules) != 1 || len(c.probes) != 1 {
		t.Errorf("service byo lost children when own was deleted: %s", describeChildren(c))
	}
	if e.publicIP(publicIPName(own)) != nil {
		t.Errorf("public IP %s of the deleted service own is still there", publicIPName(own))
	}

	// Deleting "byo", the last Service: the load balancer goes, the user's public IP stays as it was.
	e.deleteService("byo")
	e.waitServiceGone("byo")
	e.step("service byo gone")
	if lb := e.loadBalancer(); lb != nil {
		t.Errorf("the load balancer is still there after its last service was deleted\n%s", e.describeAzure())
	}
	after := e.publicIP(userPublicIPName)
	if after == nil {
		t.Fatalf("the user's public IP %s was deleted\n%s", userPublicIPName, e.describeAzure())
	}
	if len(after.Tags) != 0 {
		t.Errorf("the user's public IP %s got tags %v; it had none", userPublicIPName, jsonString(after.Tags))
	}
	if got, want := ptr.Deref(after.Properties.IPAddress, ""), ptr.Deref(userPIP.Properties.IPAddress, ""); got != want {
		t.Errorf("the user's public IP %s changed address from %s to %s", userPublicIPName, want, got)
	}
	if after.Properties.IPConfiguration != nil {
		t.Errorf("the user's public IP %s is still attached to %s", userPublicIPName, ptr.Deref(after.Properties.IPConfiguration.ID, ""))
	}
	if pips := e.azure.Cloud.ListPublicIPs(""); len(pips) != 1 {
		t.Errorf("public IPs left: %d, want only the user's\n%s", len(pips), e.describeAzure())
	}
}

// createUserPublicIP creates a Standard static public IP in the fake as a user would, without tags.
func (e *env) createUserPublicIP(name string) *armnetwork.PublicIPAddress {
	e.t.Helper()
	err := e.azure.Cloud.PutPublicIP(resourceGroup, armnetwork.PublicIPAddress{
		Name:     ptr.To(name),
		Location: ptr.To(e.azure.Cloud.Options().Location),
		SKU: &armnetwork.PublicIPAddressSKU{
			Name: ptr.To(armnetwork.PublicIPAddressSKUNameStandard),
			Tier: ptr.To(armnetwork.PublicIPAddressSKUTierRegional),
		},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: ptr.To(armnetwork.IPAllocationMethodStatic)},
	})
	if err != nil {
		e.t.Fatalf("creating the user's public IP %s: %v", name, err)
	}
	pip := e.publicIP(name)
	if pip == nil {
		e.t.Fatalf("public IP %s missing right after its creation", name)
	}
	return pip
}
