package e2e

import (
	"net/netip"
	"os/exec"
	"regexp"
	"testing"

	"k8s.io/utils/ptr"
)

// TestCommandHelp: `cloud-controller --help` is a standard cloud-controller-manager's, with this
// provider as the default and the service controller as its only controller.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(cloudControllerBinary, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("cloud-controller --help: %v\n%s", err, out)
	}
	help := string(out)
	for _, tc := range []struct{ name, pattern string }{
		{"--kubeconfig", `(?m)^\s+--kubeconfig string\s`},
		{"--cloud-config", `(?m)^\s+--cloud-config string\s`},
		{"--cloud-provider defaults to azure", `(?m)^\s+--cloud-provider string\s.*\(default "azure"\)`},
		{"--cluster-name", `(?m)^\s+--cluster-name string\s`},
		{"--leader-elect", `(?m)^\s+--leader-elect\s`},
		{"--leader-elect-lease-duration", `(?m)^\s+--leader-elect-lease-duration duration\s`},
		{"--leader-elect-resource-name", `(?m)^\s+--leader-elect-resource-name string\s`},
		{"--concurrent-service-syncs", `(?m)^\s+--concurrent-service-syncs int32\s`},
		{"--secure-port", `(?m)^\s+--secure-port int\s`},
		{"--bind-address", `(?m)^\s+--bind-address ip\s`},
		{"--authentication-kubeconfig", `(?m)^\s+--authentication-kubeconfig string\s`},
		{"--authorization-kubeconfig", `(?m)^\s+--authorization-kubeconfig string\s`},
		{"--controllers lists only the service controller", `(?m)All controllers: service-lb-controller\s*$`},
		{"--v", `(?m)^\s+-v, --v Level\s`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !regexp.MustCompile(tc.pattern).MatchString(help) {
				t.Errorf("--help does not match %q:\n%s", tc.pattern, help)
			}
		})
	}
}

// TestCommandProvisionsService: started against the harness API server and the fake Azure over
// HTTPS, the binary gives a LoadBalancer Service an ingress address: its public IP's address.
func TestCommandProvisionsService(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.startController("a", controllerOptions{leaderElect: true})

	e.createService("web")
	svc := e.waitIngress("web")
	e.step("service web has ingress %s", svc.Status.LoadBalancer.Ingress[0].IP)

	ip, err := netip.ParseAddr(svc.Status.LoadBalancer.Ingress[0].IP)
	if err != nil {
		t.Fatalf("ingress IP %q: %v", svc.Status.LoadBalancer.Ingress[0].IP, err)
	}
	if !e.azure.PublicIPRange.Contains(ip) {
		t.Errorf("ingress IP %s is not in the fake's public IP range %s", ip, e.azure.PublicIPRange)
	}
	pip := e.publicIP(publicIPName(svc))
	if pip == nil {
		t.Fatalf("no public IP %s in the fake\n%s", publicIPName(svc), e.describeAzure())
	}
	if got := ptr.Deref(pip.Properties.IPAddress, ""); got != ip.String() {
		t.Errorf("ingress IP %s, but public IP %s has address %s", ip, publicIPName(svc), got)
	}
	e.waitFor("an EnsuredLoadBalancer event", reconcileTimeout, func() (bool, error) {
		return e.eventCount(svc, "EnsuredLoadBalancer") > 0, e.lastEventOf(svc)
	})
}
