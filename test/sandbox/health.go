package sandbox

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/test/harness"
)

// healthOf asks each node's health check on port (the health check node port for Local, kube-
// proxy's 10256 for Cluster) for /healthz, as the load balancer's probe would, and returns each
// node's status; 0 when it did not answer within timeout.
func healthOf(ctx context.Context, nodes []harness.Node, port int, timeout time.Duration) map[string]int {
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	defer client.CloseIdleConnections()
	out := make(map[string]int, len(nodes))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status := 0
			url := "http://" + net.JoinHostPort(n.Address.String(), strconv.Itoa(port)) + "/healthz"
			if req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil); err == nil {
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
					_ = resp.Body.Close()
					status = resp.StatusCode
				}
			}
			mu.Lock()
			out[n.Name] = status
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// localEndpoints counts a Service's endpoints per node from its EndpointSlices: ready ones, and
// serving ones (ready, or terminating and still serving: the fallback kube-proxy uses).
func localEndpoints(slices []*discoveryv1.EndpointSlice) (ready, serving map[string]int) {
	ready, serving = map[string]int{}, map[string]int{}
	for _, s := range slices {
		for _, ep := range s.Endpoints {
			node := ptr.Deref(ep.NodeName, "")
			if node == "" {
				continue
			}
			// Unset conditions mean ready and serving (the API's documented default).
			if ptr.Deref(ep.Conditions.Ready, true) {
				ready[node]++
			}
			if ptr.Deref(ep.Conditions.Serving, ptr.Deref(ep.Conditions.Ready, true)) {
				serving[node]++
			}
		}
	}
	return ready, serving
}
