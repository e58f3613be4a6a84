package sandbox

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/azlb/azlb/pkg/fake/dataplane"
	"github.com/azlb/azlb/pkg/probes"
	"github.com/azlb/azlb/test/harness"
)

var testNodes = []harness.Node{
	{Name: "node-1", Index: 1, Address: harness.NodeAddress(1)},
	{Name: "node-2", Index: 2, Address: harness.NodeAddress(2)},
	{Name: "node-3", Index: 3, Address: harness.NodeAddress(3)},
}

func lbService(name string, local bool, ingress string, ports ...v1.ServicePort) *v1.Service {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec:       v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: ports, ExternalTrafficPolicy: v1.ServiceExternalTrafficPolicyCluster},
	}
	if local {
		svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
	}
	if ingress != "" {
		svc.Status.LoadBalancer.Ingress = []v1.LoadBalancerIngress{{IP: ingress}}
	}
	return svc
}

var port80 = v1.ServicePort{Name: "http", Port: 80, Protocol: v1.ProtocolTCP}

const probeID = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/loadbalancers/kubernetes/probes/a-tcp-31000"

// testConfig is one rule on 127.2.1.1:80 over the three nodes with an Http probe.
func testConfig() dataplane.Config {
	var backends []dataplane.Backend
	for _, n := range testNodes {
		backends = append(backends, dataplane.Backend{Name: n.Name, Addr: n.Address, Admin: dataplane.AdminNone})
	}
	return dataplane.Config{
		Rules: []dataplane.Rule{{
			ID: "rule", Frontend: netip.MustParseAddr("127.2.1.1"), Protocol: dataplane.ProtocolTCP, FrontendPort: 80, BackendPort: 80,
			ProbeID: probeID, Backends: backends,
		}},
		Probes: []dataplane.Probe{{ID: probeID, Name: "a-TCP-31000", Settings: probes.Settings{
			Protocol: probes.ProtocolHTTP, Port: 31000, RequestPath: "/healthz", IntervalSeconds: 5, Threshold: 2,
		}}},
	}
}

func backendsUp(up ...int) []dataplane.BackendStatus {
	var out []dataplane.BackendStatus
	for _, n := range testNodes {
		st := dataplane.BackendStatus{ProbeID: probeID, Backend: n.Address, Probed: true, LastOutcome: "503"}
		if slices.Contains(up, n.Index) {
			st.Up, st.LastOutcome = true, "200"
		}
		out = append(out, st)
	}
	return out
}

func TestBuildViews(t *testing.T) {
	udp := v1.ServicePort{Name: "dns", Port: 53, Protocol: v1.ProtocolUDP}
	in := lbInput{
		Services: []*v1.Service{
			lbService("web", true, "127.2.1.1", port80),
			lbService("pending", false, "", port80),
			lbService("dns", false, "127.2.1.9", udp),
			lbService("norule", false, "127.2.1.7", port80),
			{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cluster-ip"}, Spec: v1.ServiceSpec{Type: v1.ServiceTypeClusterIP}},
		},
		Config:   testConfig(),
		Backends: backendsUp(1, 3),
		Nodes:    testNodes,
	}
	views := buildViews(in)
	var keys []string
	for _, v := range views {
		keys = append(keys, v.Key)
	}
	if want := []string{"default/dns", "default/norule", "default/pending", "default/web"}; !slices.Equal(keys, want) {
		t.Fatalf("views of %v, want %v (only type LoadBalancer, sorted)", keys, want)
	}
	byKey := map[string]serviceView{}
	for _, v := range views {
		byKey[v.Key] = v
	}
	web := byKey["default/web"]
	if web.Waiting != "" || web.Frontend != netip.MustParseAddrPort("127.2.1.1:80") || !web.Local {
		t.Errorf("web: %+v", web)
	}
	if web.Probe != "Http :31000/healthz every 5s, threshold 2" || web.ProbeName != "a-TCP-31000" {
		t.Errorf("web probe %q (%s)", web.Probe, web.ProbeName)
	}
	if !slices.Equal(web.Pool, []string{"node-1", "node-2", "node-3"}) || !slices.Equal(web.InRotation, []string{"node-1", "node-3"}) {
		t.Errorf("web pool %v, in rotation %v; want every node, node-1 and node-3", web.Pool, web.InRotation)
	}
	if web.LastOutcome["node-2"] != "503" {
		t.Errorf("web last outcomes %v", web.LastOutcome)
	}
	for key, wantWaiting := range map[string]string{
		"default/pending": "waiting for the cloud-controller",
		"default/dns":     "no TCP port",
		"default/norule":  "no load-balancing rule for 127.2.1.7:80",
	} {
		if got := byKey[key].Waiting; !strings.Contains(got, wantWaiting) {
			t.Errorf("%s waiting %q, want it to say %q", key, got, wantWaiting)
		}
	}

	// Admin states override the probe; a rule without a probe has every backend in rotation.
	cfg := testConfig()
	cfg.Rules[0].Backends[0].Admin = dataplane.AdminDown
	cfg.Rules[0].Backends[1].Admin = dataplane.AdminUp
	in.Config, in.Services = cfg, in.Services[:1]
	if got := buildViews(in)[0].InRotation; !slices.Equal(got, []string{"node-2", "node-3"}) {
		t.Errorf("with admin states: in rotation %v, want node-2 (admin up) and node-3", got)
	}
	cfg.Rules[0].ProbeID = ""
	cfg.Rules[0].Backends[0].Admin = dataplane.AdminNone
	if got := buildViews(in)[0].InRotation; len(got) != 3 {
		t.Errorf("rule without a probe: in rotation %v, want every node", got)
	}
}

func TestDiffViews(t *testing.T) {
	fe := netip.MustParseAddrPort("127.2.1.1:80")
	base := serviceView{Key: "default/web", Local: true, Frontend: fe, Probe: "Http :31000/healthz every 5s, threshold 2",
		Pool: []string{"node-1", "node-2", "node-3"}, InRotation: []string{"node-1", "node-2"}, LastOutcome: map[string]string{"node-3": "503"}}
	with := func(f func(*serviceView)) serviceView {
		v := base
		f(&v)
		return v
	}
	for _, tt := range []struct {
		name      string
		prev, cur []serviceView
		want      []string
	}{
		{"nothing changed", []serviceView{base}, []serviceView{base}, nil},
		{"new service", nil, []serviceView{base},
			[]string{"+ service default/web (Local): frontend 127.2.1.1:80, probe Http :31000/healthz every 5s, threshold 2"}},
		{"service gone", []serviceView{base}, nil, []string{"- service default/web: gone"}},
		{"frontend written", []serviceView{with(func(v *serviceView) { v.Frontend, v.Waiting = netip.AddrPort{}, "waiting" })}, []serviceView{base},
			[]string{"~ service default/web: frontend 127.2.1.1:80, probe Http :31000/healthz every 5s, threshold 2"}},
		{"node out of rotation", []serviceView{base}, []serviceView{with(func(v *serviceView) {
			v.InRotation, v.LastOutcome = []string{"node-1"}, map[string]string{"node-2": "503"}
		})}, []string{"~ service default/web: node-2 out of rotation (probe saw 503)"}},
		{"node into rotation", []serviceView{base}, []serviceView{with(func(v *serviceView) {
			v.InRotation, v.LastOutcome = []string{"node-1", "node-2", "node-3"}, map[string]string{"node-3": "200"}
		})}, []string{"~ service default/web: node-3 in rotation (probe saw 200)"}},
		{"node left the pool", []serviceView{base}, []serviceView{with(func(v *serviceView) {
			v.Pool, v.InRotation = []string{"node-1", "node-3"}, []string{"node-1"}
		})}, []string{"~ service default/web: backend pool -node-2"}},
		{"probe rewritten and policy switched", []serviceView{base}, []serviceView{with(func(v *serviceView) {
			v.Local, v.Probe = false, "Tcp :30080 every 5s, threshold 2"
		})}, []string{"~ service default/web: externalTrafficPolicy Cluster", "~ service default/web: probe Tcp :30080 every 5s, threshold 2"}},
	} {
		if got := diffViews(tt.prev, tt.cur); !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got  %q\n want %q", tt.name, got, tt.want)
		}
	}
}

func TestFormatLine(t *testing.T) {
	v := serviceView{Key: "default/web", Frontend: netip.MustParseAddrPort("127.2.1.1:80"),
		Pool: []string{"node-1", "node-2", "node-3"}, InRotation: []string{"node-1", "node-3"}}
	var c harness.LoadCounts
	for _, o := range []harness.Outcome{harness.Served, harness.Served, harness.Reset, harness.TimedOut} {
		c.Add(o)
	}
	got := formatLine(12*time.Second, v, c, 3)
	for _, want := range []string{"   12s", "default/web", "127.2.1.1:80", "in rotation 2/3: node-1 node-3", "2 served, 2 failed (reset 1, timeout 1)",
		"3 new connections found no healthy backend"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	if got := formatLine(3*time.Second, serviceView{Key: "default/x", Waiting: "waiting for the cloud-controller to write a frontend"}, harness.LoadCounts{}, 0); !strings.HasSuffix(got, "waiting for the cloud-controller to write a frontend") {
		t.Errorf("waiting line %q", got)
	}
	none := formatLine(3*time.Second, serviceView{Key: "default/web", Frontend: v.Frontend, Pool: v.Pool}, harness.LoadCounts{}, 0)
	if !strings.Contains(none, "in rotation 0/3: none") || !strings.HasSuffix(none, "0 served, 0 failed") {
		t.Errorf("nothing in rotation: %q", none)
	}
	if h := headerLine(); !strings.Contains(h, "load balancer") || len(h) < 60 {
		t.Errorf("header %q", h)
	}
}
