package dataplane

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

func (l *Live) accept(ctx context.Context, ln net.Listener, frontend netip.AddrPort) {
	defer l.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			l.log.Error(err, "Accepting a connection", "frontend", frontend)
			return
		}
		l.mu.Lock()
		if !l.running {
			l.mu.Unlock()
			_ = c.Close()
			continue
		}
		l.conns[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go l.serve(ctx, c, frontend)
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// serve places one client connection and forwards it: the load balancer's flow is the TCP connection.
func (l *Live) serve(ctx context.Context, client net.Conn, frontend netip.AddrPort) {
	defer l.wg.Done()
	defer l.forget(client)
	ft := FiveTuple{Client: addrPortOf(client.RemoteAddr()), Frontend: frontend, Protocol: ProtocolTCP}
	l.mu.Lock()
	d := l.m.Open(ft, l.clock.Now())
	counters := l.frontends[frontend]
	switch {
	case d.Reason == NoRule:
		counters.NoRule++
	case !d.Admitted():
		counters.NoHealthyBackend++
	default:
		counters.Admitted++
	}
	counters.Active++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		counters.Active--
		l.m.Close(ft)
		l.mu.Unlock()
	}()

	if !d.Admitted() {
		// Azure admits no new flow: the client's packets are dropped and it times out. The socket is
		// already accepted here, so it is held without an answer until the client gives up.
		_, _ = io.Copy(io.Discard, client)
		_ = client.Close()
		return
	}
	dialer := net.Dialer{Timeout: l.opts.DialTimeout}
	var backend net.Conn
	err := checkLoopback(d.Backend.String())
	if err == nil {
		backend, err = dialer.DialContext(ctx, "tcp", d.Backend.String())
	}
	if err != nil {
		l.log.V(2).Info("Backend connection failed", "flow", ft.String(), "backend", d.Backend, "err", err.Error())
		l.mu.Lock()
		counters.BackendFailed++
		l.mu.Unlock()
		resetClose(client)
		return
	}
	l.track(backend)
	defer l.forget(backend)
	if _, err := io.WriteString(backend, ProxyHeader(ft.Client, frontend)); err != nil {
		resetClose(client)
		_ = backend.Close()
		return
	}
	pipe(client, backend, d.IdleTimeout, d.TCPReset)
}

func (l *Live) track(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[c] = struct{}{}
}

func (l *Live) forget(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
}

// pipe copies both ways until both directions end. A flow idle (no data either way) longer than idle
// ends: with reset, both sides get a TCP reset (enableTcpReset), otherwise they are closed. The idle
// timeout is at least 4 minutes in Azure, so it is measured on the real clock of the sockets.
func pipe(a, b net.Conn, idle time.Duration, reset bool) {
	var wg sync.WaitGroup
	var once sync.Once
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	abort := func() {
		once.Do(func() {
			if reset {
				resetClose(a)
				resetClose(b)
				return
			}
			_ = a.Close()
			_ = b.Close()
		})
	}
	copyDir := func(dst, src net.Conn) {
		defer wg.Done()
		buf := make([]byte, 32<<10)
		for {
			if idle > 0 {
				_ = src.SetReadDeadline(time.Unix(0, last.Load()).Add(idle))
			}
			n, err := src.Read(buf)
			if n > 0 {
				last.Store(time.Now().UnixNano())
				if _, werr := dst.Write(buf[:n]); werr != nil {
					abort()
					return
				}
			}
			if err == nil {
				continue
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if time.Since(time.Unix(0, last.Load())) < idle {
					continue // the other direction was active: the flow is not idle
				}
				abort()
				return
			}
			if errors.Is(err, io.EOF) {
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
					return
				}
			}
			abort()
			return
		}
	}
	wg.Add(2)
	go copyDir(b, a)
	go copyDir(a, b)
	wg.Wait()
	_ = a.Close()
	_ = b.Close()
}

// resetClose closes a TCP connection with a reset rather than a FIN.
func resetClose(c net.Conn) {
	if t, ok := c.(*net.TCPConn); ok {
		_ = t.SetLinger(0)
	}
	_ = c.Close()
}
