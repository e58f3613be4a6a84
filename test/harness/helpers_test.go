package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

const appPort = 8080

// appPodSpec is a pod running the debug app on port 8080 with a readiness
// probe on /readyz every second that fails on the first miss.
func appPodSpec(grace int64) v1.PodSpec {
	return v1.PodSpec{
		TerminationGracePeriodSeconds: ptr.To(grace),
		Containers: []v1.Container{{
			Name:  "app",
			Image: "harness/debug-app",
			Ports: []v1.ContainerPort{{Name: "http", ContainerPort: appPort, Protocol: v1.ProtocolTCP}},
			ReadinessProbe: &v1.Probe{
				ProbeHandler:     v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString("http")}},
				PeriodSeconds:    1,
				FailureThreshold: 1,
				SuccessThreshold: 1,
				TimeoutSeconds:   1,
			},
		}},
	}
}

// appDeployment is a Deployment of the debug app labelled app=name.
func appDeployment(name string, replicas int32, spread bool) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	spec := appPodSpec(30)
	if spread {
		spec.TopologySpreadConstraints = []v1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: v1.LabelHostname, WhenUnsatisfiable: v1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
		}}
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: v1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
}

// lbService is a LoadBalancer Service on port 80 to the app's 8080.
func appLBService(name, app string, policy v1.ServiceExternalTrafficPolicy) *v1.Service {
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
		Spec: v1.ServiceSpec{
			Type:                  v1.ServiceTypeLoadBalancer,
			Selector:              map[string]string{"app": app},
			ExternalTrafficPolicy: policy,
			Ports:                 []v1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(appPort), Protocol: v1.ProtocolTCP}},
		},
	}
}

// waitFor polls cond every 50 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, lastErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func podReady(p *v1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == v1.PodReady {
			return c.Status == v1.ConditionTrue
		}
	}
	return false
}

// appPods lists the pods labelled app=name, and those of them that are
// ready and not terminating.
func appPods(ctx context.Context, c *Cluster, name string) (all, ready []v1.Pod, err error) {
	list, err := c.Client.CoreV1().Pods(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		return nil, nil, err
	}
	for _, p := range list.Items {
		if podReady(&p) {
			ready = append(ready, p)
		}
	}
	return list.Items, ready, nil
}

// waitReadyPods waits until exactly n pods of app are ready and no other
// pod of it exists, and returns them.
func waitReadyPods(ctx context.Context, t *testing.T, c *Cluster, app string, n int, timeout time.Duration) []v1.Pod {
	t.Helper()
	var ready []v1.Pod
	waitFor(t, timeout, fmt.Sprintf("%d ready pods of %s", n, app), func() (bool, error) {
		all, r, err := appPods(ctx, c, app)
		ready = r
		return err == nil && len(all) == n && len(r) == n, err
	})
	return ready
}

// httpResult is what one HTTP GET got.
type httpResult struct {
	status int
	body   string
	header http.Header
}

// httpGet GETs url with a fresh connection from local (if valid).
func httpGet(local netip.Addr, url string, timeout time.Duration) (httpResult, error) {
	dialer := &net.Dialer{Timeout: timeout}
	if local.IsValid() {
		dialer.LocalAddr = &net.TCPAddr{IP: local.AsSlice()}
	}
	client := http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		return httpResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return httpResult{status: resp.StatusCode, body: string(b), header: resp.Header}, err
}

// hcnpURL is the health check node port URL of a node.
func hcnpURL(n Node, port int32) string {
	return "http://" + net.JoinHostPort(n.Address.String(), strconv.Itoa(int(port))) + "/healthz"
}

// hcnpBody is kube-proxy's service health JSON.
type hcnpBody struct {
	Service struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"service"`
	LocalEndpoints      int  `json:"localEndpoints"`
	ServiceProxyHealthy bool `json:"serviceProxyHealthy"`
}

// debugIP GETs /debug/ip at addr from local.
func debugIP(local netip.Addr, addr string) (DebugIP, error) {
	res, err := httpGet(local, "http://"+addr+"/debug/ip", 3*time.Second)
	if err != nil {
		return DebugIP{}, err
	}
	if res.status != http.StatusOK {
		return DebugIP{}, fmt.Errorf("status %d: %s", res.status, res.body)
	}
	var d DebugIP
	err = json.Unmarshal([]byte(res.body), &d)
	return d, err
}

func logTimings(t *testing.T, c *Cluster) {
	t.Helper()
	t.Logf("cluster start took %s (control plane %s, controllers and scheduler %s, %d nodes %s)",
		c.Timings.Total.Round(time.Millisecond), c.Timings.ControlPlane.Round(time.Millisecond),
		c.Timings.Controllers.Round(time.Millisecond), len(c.Nodes()), c.Timings.Nodes.Round(time.Millisecond))
}

func indexOf(s, sub string) int { return strings.Index(s, sub) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
