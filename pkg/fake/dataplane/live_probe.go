package dataplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/azlb/azlb/pkg/probes"
)

// NetProber sends real probes: an HTTP or HTTPS GET of the probe's path on backend:port (a status),
// or a TCP connect (accepted or not), bounded by the probe's timeout. It refuses any address outside
// 127.0.0.0/8 and ::1: the fake cloud never sends traffic off the machine.
type NetProber struct {
	dialer net.Dialer
	client *http.Client
}

// NewNetProber returns a prober with no connection reuse (every probe opens a connection, as
// Azure's do).
func NewNetProber() *NetProber {
	p := &NetProber{}
	transport := &http.Transport{
		DialContext:       p.dialLoopback,
		DisableKeepAlives: true,
		// Azure's Https probes do not validate the backend's certificate.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // a probe checks liveness, not identity
		Proxy:           nil,
	}
	p.client = &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a 3xx is an answer, not a 200
		},
	}
	return p
}

// ErrNotLoopback is returned for a listen or dial address outside loopback.
var ErrNotLoopback = errors.New("address is not loopback: the fake data plane only uses 127.0.0.0/8 and ::1")

func (p *NetProber) dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	return p.dialer.DialContext(ctx, network, addr)
}

func checkLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: %w", hostport, ErrNotLoopback)
	}
	return nil
}

// Probe sends one probe and classifies what came back.
func (p *NetProber) Probe(ctx context.Context, req ProbeRequest) Outcome {
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	target := req.Target().String()
	switch req.Settings.Protocol {
	case probes.ProtocolHTTP, probes.ProtocolHTTPS:
		scheme := "http"
		if req.Settings.Protocol == probes.ProtocolHTTPS {
			scheme = "https"
		}
		path := req.Settings.RequestPath
		if path == "" {
			path = "/"
		}
		hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+target+path, nil)
		if err != nil {
			return Outcome{Kind: Reset}
		}
		hreq.Header.Set("User-Agent", "Load Balancer Agent")
		resp, err := p.client.Do(hreq)
		if err != nil {
			return Outcome{Kind: classify(ctx, err)}
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		return Outcome{Kind: Answered, Status: resp.StatusCode}
	default:
		c, err := p.dialLoopback(ctx, "tcp", target)
		if err != nil {
			return Outcome{Kind: classify(ctx, err)}
		}
		_ = c.Close()
		return Outcome{Kind: Answered}
	}
}

// classify maps a network error to an outcome: refused, timed out (the probe's deadline passed), or
// reset (anything else explicit: a reset, a connection closed before an answer, a non-HTTP answer).
func classify(ctx context.Context, err error) OutcomeKind {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, ErrNotLoopback):
		return TimedOut // never sent: as if nothing answered
	case errors.Is(err, context.DeadlineExceeded), ctx.Err() != nil, errors.As(err, &ne) && ne.Timeout():
		return TimedOut
	}
	return Reset
}
