package azureprovider

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/pkg/cloudconfig"
	"github.com/azlb/azlb/pkg/fake"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestNoCredentialReachesTheLog runs the provider against the fake Azure over HTTPS with a client
// secret, at the highest log verbosity, and searches the log for the secret and the bearer tokens.
func TestNoCredentialReachesTheLog(t *testing.T) {
	const secret = "s3cr3t-Value-That-Must-Not-Leak"
	cloud := fake.New(fake.Options{ClientSecrets: map[string]string{"app-id": secret}})
	vnet := armnetwork.VirtualNetwork{
		Name: ptr.To("vnet"), Location: ptr.To(fake.DefaultLocation),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{ptr.To("10.0.0.0/16")}},
			Subnets:      []*armnetwork.Subnet{{Name: ptr.To("subnet"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr.To("10.0.0.0/24")}}},
		},
	}
	if err := cloud.PutVirtualNetwork("rg", vnet); err != nil {
		t.Fatal(err)
	}
	srv, err := fake.ListenTLS(cloud, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := cloudconfig.Parse([]byte(fmt.Sprintf(`{"tenantId":%q,"subscriptionId":%q,"aadClientId":"app-id","aadClientSecret":%q,
		"resourceGroup":"rg","location":%q,"vnetName":"vnet","subnetName":"subnet",
		"resourceManagerEndpoint":%q,"activeDirectoryAuthorityHost":%q,"caCertFile":%q}`,
		fake.DefaultTenantID, fake.DefaultSubscriptionID, secret, fake.DefaultLocation, srv.URL(), srv.URL(), ca)), nil)
	if err != nil {
		t.Fatal(err)
	}

	logs := &syncBuffer{}
	flags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(flags)
	if err := flags.Parse([]string{"-v=10", "-logtostderr=false", "-alsologtostderr=false"}); err != nil {
		t.Fatal(err)
	}
	klog.SetOutput(logs)
	defer func() {
		klog.SetOutput(os.Stderr)
		_ = flags.Parse([]string{"-v=0", "-logtostderr=true"})
	}()

	c, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lb, _ := c.LoadBalancer()
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "11111111-2222-4333-8444-555555555555"},
		Spec:       v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: []v1.ServicePort{{Port: 80, NodePort: 30080, Protocol: v1.ProtocolTCP}}},
	}
	nodes := []*v1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.0.0.4"}}}}}
	status, err := lb.EnsureLoadBalancer(context.Background(), "kubernetes", svc, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if len(status.Ingress) != 1 {
		t.Fatalf("status %v", status)
	}
	klog.Flush()
	out := logs.String()
	if !strings.Contains(out, "Wrote load balancer") {
		t.Fatalf("the log did not capture the provider at -v=10 (so the test would prove nothing):\n%s", out)
	}
	for _, leak := range []string{secret, "Bearer ", "access_token", "client_secret"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log contains %q", leak)
		}
	}
}

func TestRegisteredAsAzure(t *testing.T) {
	cfg := `{"cloud":"InMemoryFake","resourceGroup":"rg","location":"eastus","vnetName":"vnet","subnetName":"subnet"}`
	c, err := cloudprovider.GetCloudProvider(ProviderName, strings.NewReader(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if c.ProviderName() != "azure" {
		t.Errorf("provider name %q", c.ProviderName())
	}
	if _, ok := c.LoadBalancer(); !ok {
		t.Error("no load balancer interface")
	}
	for _, bad := range []string{`{"cloud":"InMemoryFake"}`, `{not json`, ``} {
		if _, err := cloudprovider.GetCloudProvider(ProviderName, strings.NewReader(bad)); err == nil {
			t.Errorf("config %q accepted", bad)
		}
	}
}
