package e2e

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// armProxy is a plain TCP relay (TLS passes through untouched) in front of the fake Azure, one per
// cloud-controller process, so that a test can tell which process talked to Azure at all: a standby
// replica must open no connection. The fake's certificate names 127.0.0.1, so the relay's address
// serves the same certificate validly.
type armProxy struct {
	listener net.Listener
	target   string
	conns    atomic.Int64

	mu     sync.Mutex
	closed bool
	open   map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// startARMProxy relays 127.0.0.1:random to target until the test ends.
func startARMProxy(t *testing.T, target string) *armProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for the ARM relay: %v", err)
	}
	p := &armProxy{listener: l, target: target, open: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// URL is the https:// endpoint to give the cloud-controller.
func (p *armProxy) URL() string { return "https://" + p.listener.Addr().String() }

// Connections is how many connections the process opened to Azure so far.
func (p *armProxy) Connections() int64 { return p.conns.Load() }

func (p *armProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.listener.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		if !p.track(c) {
			_ = c.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			p.relay(c)
		}()
	}
}

func (p *armProxy) relay(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(server) {
		_ = server.Close()
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	<-done
}

func (p *armProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *armProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *armProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.open {
		_ = c.Close()
	}
	p.mu.Unlock()
	_ = p.listener.Close()
	p.wg.Wait()
}
