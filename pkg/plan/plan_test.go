package plan

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/azlb/azlb/pkg/manifest"
)

func planOf(t *testing.T, yaml string) (*Result, error) {
	t.Helper()
	set, err := manifest.Read(strings.NewReader(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return Run(context.Background(), set, Options{})
}

// lbJSON is the part of a load balancer's ARM JSON the assertions read.
type lbJSON struct {
	Name       string `json:"name"`
	Properties struct {
		FrontendIPConfigurations []struct {
			Name       string `json:"name"`
			Properties struct {
				PublicIPAddress *struct{ ID string } `json:"publicIPAddress"`
				Subnet          *struct{ ID string } `json:"subnet"`
			} `json:"properties"`
		} `json:"frontendIPConfigurations"`
		LoadBalancingRules []struct {
			Name       string `json:"name"`
			Properties struct {
				Protocol     string               `json:"protocol"`
				FrontendPort int                  `json:"frontendPort"`
				BackendPort  int                  `json:"backendPort"`
				Probe        *struct{ ID string } `json:"probe"`
			} `json:"properties"`
		} `json:"loadBalancingRules"`
		Probes []struct {
			Name       string `json:"name"`
			Properties struct {
				Protocol          string `json:"protocol"`
				Port              int    `json:"port"`
				RequestPath       string `json:"requestPath"`
				IntervalInSeconds int    `json:"intervalInSeconds"`
				ProbeThreshold    int    `json:"probeThreshold"`
			} `json:"properties"`
		} `json:"probes"`
		BackendAddressPools []struct {
			Properties struct {
				LoadBalancerBackendAddresses []struct{} `json:"loadBalancerBackendAddresses"`
			} `json:"properties"`
		} `json:"backendAddressPools"`
	} `json:"properties"`
}

const localService = `
apiVersion: v1
kind: Service
metadata:
  name: web
  uid: 5b7c2a4e-8d1f-4c3b-9a6e-2f1d0c9b8a7e
  annotations:
    service.beta.kubernetes.io/azure-load-balancer-health-probe-interval: "7"
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  healthCheckNodePort: 31234
  ports:
  - {name: http, port: 80, nodePort: 30080}
  - {name: dns, port: 53, protocol: UDP, nodePort: 30053}
`

func TestPlanLocalService(t *testing.T) {
	res, err := planOf(t, localService)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.LoadBalancers) != 1 || len(res.PublicIPAddresses) != 1 {
		t.Fatalf("%d load balancers, %d public IPs", len(res.LoadBalancers), len(res.PublicIPAddresses))
	}
	var lb lbJSON
	if err := json.Unmarshal(res.LoadBalancers[0], &lb); err != nil {
		t.Fatal(err)
	}
	base := "a5b7c2a4e8d1f4c3b9a6e2f1d0c9b8a7"
	if lb.Name != "kubernetes" || len(lb.Properties.FrontendIPConfigurations) != 1 || lb.Properties.FrontendIPConfigurations[0].Name != base {
		t.Errorf("load balancer %s, frontends %+v", lb.Name, lb.Properties.FrontendIPConfigurations)
	}
	if len(lb.Properties.Probes) != 1 {
		t.Fatalf("probes %+v", lb.Properties.Probes)
	}
	p := lb.Properties.Probes[0]
	if p.Name != base+"-TCP-31234" || p.Properties.Protocol != "Http" || p.Properties.Port != 31234 ||
		p.Properties.RequestPath != "/healthz" || p.Properties.IntervalInSeconds != 7 || p.Properties.ProbeThreshold != 2 {
		t.Errorf("probe %+v", p)
	}
	if len(lb.Properties.LoadBalancingRules) != 2 {
		t.Fatalf("rules %+v", lb.Properties.LoadBalancingRules)
	}
	for _, r := range lb.Properties.LoadBalancingRules {
		if r.Properties.Probe == nil || !strings.HasSuffix(r.Properties.Probe.ID, "/probes/"+p.Name) {
			t.Errorf("rule %s does not use the health check probe", r.Name)
		}
	}
	if n := len(lb.Properties.BackendAddressPools[0].Properties.LoadBalancerBackendAddresses); n != 3 {
		t.Errorf("%d backend addresses, want the 3 default nodes", n)
	}
	for _, field := range []string{`"etag"`, `"resourceGuid"`} {
		if strings.Contains(string(res.LoadBalancers[0]), field) {
			t.Errorf("plan output contains %s, which changes on every run", field)
		}
	}
	again, err := planOf(t, localService)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Error("two plans of the same manifests differ")
	}
}

func TestPlanContract(t *testing.T) {
	res, err := planOf(t, localService)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(res)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	if len(top) != 2 || top["loadBalancers"] == nil || top["publicIPAddresses"] == nil {
		t.Errorf("top-level keys: %v", top)
	}
	if !strings.Contains(string(data), `"properties":{"intervalInSeconds":7`) {
		t.Error("probes are not in ARM REST JSON (properties.probes[].properties.intervalInSeconds)")
	}
	empty, err := planOf(t, "apiVersion: v1\nkind: Service\nmetadata: {name: c}\nspec: {ports: [{port: 80}]}\n")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(empty)
	if string(out) != `{"loadBalancers":[],"publicIPAddresses":[]}` || len(empty.Skipped) != 1 {
		t.Errorf("a ClusterIP Service: %s, skipped %v", out, empty.Skipped)
	}
}

func TestPlanInvalidServiceNamesTheAnnotation(t *testing.T) {
	_, err := planOf(t, strings.Replace(localService, `interval: "7"`, `interval: "4"`, 1))
	if err == nil || !strings.Contains(err.Error(), "default/web") ||
		!strings.Contains(err.Error(), "azure-load-balancer-health-probe-interval") {
		t.Errorf("err = %v", err)
	}
}

func TestPlanUserPublicIPAndAllocation(t *testing.T) {
	res, err := planOf(t, `
apiVersion: v1
kind: Service
metadata:
  name: a
  annotations: {service.beta.kubernetes.io/azure-pip-name: my-ip}
spec: {type: LoadBalancer, ports: [{port: 443}]}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 10.224.0.9}]}
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PublicIPAddresses) != 1 || !strings.Contains(string(res.PublicIPAddresses[0]), `"name":"my-ip"`) ||
		strings.Contains(string(res.PublicIPAddresses[0]), "k8s-azure-service") {
		t.Errorf("the user's public IP must be used as is: %s", res.PublicIPAddresses)
	}
	var lb lbJSON
	if err := json.Unmarshal(res.LoadBalancers[0], &lb); err != nil {
		t.Fatal(err)
	}
	if n := len(lb.Properties.BackendAddressPools[0].Properties.LoadBalancerBackendAddresses); n != 1 {
		t.Errorf("%d backend addresses, want the manifest's one node", n)
	}
	if r := lb.Properties.LoadBalancingRules[0]; r.Properties.FrontendPort != 443 || r.Properties.Probe == nil {
		t.Errorf("rule %+v", r)
	}
}
