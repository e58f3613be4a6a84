package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeResult is the outcome of one probe.
type probeResult struct {
	ok bool
	// supported is false for exec and grpc probes, which the stand-in
	// cannot run: they count as successes.
	supported bool
	detail    string
}

// probeTimeout is the probe's timeoutSeconds (default 1 s, as the API
// defaults it).
func probeTimeout(p *v1.Probe) time.Duration {
	if p.TimeoutSeconds > 0 {
		return time.Duration(p.TimeoutSeconds) * time.Second
	}
	return time.Second
}

// resolvePort resolves a numeric or named container port.
func resolvePort(port intstr.IntOrString, c *v1.Container) (int, error) {
	if port.Type == intstr.Int {
		if port.IntVal <= 0 || port.IntVal > 65535 {
			return 0, fmt.Errorf("port %d out of range", port.IntVal)
		}
		return int(port.IntVal), nil
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(port.StrVal); err == nil && n > 0 && n <= 65535 {
		return n, nil
	}
	return 0, fmt.Errorf("container %s has no port named %q", c.Name, port.StrVal)
}

// runHandlerHTTP performs an httpGet probe or hook from the node's address
// (the kubelet runs on the node), like the kubelet: no keep-alive, 2xx and
// 3xx are success.
func runHandlerHTTP(ctx context.Context, get *v1.HTTPGetAction, timeout time.Duration, podIP, nodeIP netip.Addr, c *v1.Container) (bool, string) {
	port, err := resolvePort(get.Port, c)
	if err != nil {
		return false, err.Error()
	}
	host := probeHost(get.Host, podIP)
	scheme := "http"
	if get.Scheme == v1.URISchemeHTTPS {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: get.Path}
	if u.Path == "" {
		u.Path = "/"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, err.Error()
	}
	req.Header.Set("User-Agent", "kube-probe/1.37")
	for _, h := range get.HTTPHeaders {
		req.Header.Add(h.Name, h.Value)
	}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: nodeIP.AsSlice()}}
	client := &http.Client{
		Transport: &http.Transport{
			DialContext:       dialer.DialContext,
			DisableKeepAlives: true,
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // like the kubelet's probes
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return true, resp.Status
	}
	return false, resp.Status
}

// runProbe runs one probe of container c of a pod at podIP.
func runProbe(ctx context.Context, p *v1.Probe, podIP, nodeIP netip.Addr, c *v1.Container) probeResult {
	switch {
	case p.HTTPGet != nil:
		ok, detail := runHandlerHTTP(ctx, p.HTTPGet, probeTimeout(p), podIP, nodeIP, c)
		return probeResult{ok: ok, supported: true, detail: detail}
	case p.TCPSocket != nil:
		port, err := resolvePort(p.TCPSocket.Port, c)
		if err != nil {
			return probeResult{supported: true, detail: err.Error()}
		}
		host := probeHost(p.TCPSocket.Host, podIP)
		d := net.Dialer{Timeout: probeTimeout(p), LocalAddr: &net.TCPAddr{IP: nodeIP.AsSlice()}}
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return probeResult{supported: true, detail: err.Error()}
		}
		_ = conn.Close()
		return probeResult{ok: true, supported: true, detail: "connected"}
	default:
		return probeResult{ok: true, supported: false, detail: "exec and grpc probes are not simulated; counted as success"}
	}
}

// probeHost is the host a probe dials: the pod's loopback address unless
// the probe names a host (a pod IP as the API shows it is mapped too).
func probeHost(host string, podIP netip.Addr) string {
	if host == "" {
		return podIP.String()
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return PodLoopback(ip).String()
	}
	return host
}
