package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

func TestClassifyError(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want Outcome
	}{
		{"no error", nil, Served},
		{"refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, Refused},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, Reset},
		{"eof before an answer", io.EOF, Reset},
		{"cut body", io.ErrUnexpectedEOF, Reset},
		{"context deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), TimedOut},
		{"socket deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, TimedOut},
		{"something else", errors.New("malformed HTTP response"), Reset},
	} {
		if got := ClassifyError(tt.err); got != tt.want {
			t.Errorf("%s: ClassifyError(%v) = %s, want %s", tt.name, tt.err, got, tt.want)
		}
	}
}

// listenUnit listens on a unit-test address and serves each connection with fn.
func listenUnit(t *testing.T, ip netip.Addr, fn func(net.Conn)) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go fn(c)
		}
	}()
	return netip.MustParseAddrPort(l.Addr().String())
}

// TestGetDebugIPOutcomes: each way a request through a load balancer can end is told apart as the
// simulator counts it.
func TestGetDebugIPOutcomes(t *testing.T) {
	t.Parallel()
	_, appAddr := startTestApp(t, unitAddr(40), AppBehaviour{KeepAlive: KeepAliveClose})
	client := unitAddr(41)
	// Nothing listens on unitAddr(42):18080.
	refused := netip.AddrPortFrom(unitAddr(42), 18080)
	reset := listenUnit(t, unitAddr(43), func(c net.Conn) {
		_, _ = c.Read(make([]byte, 512))
		_ = c.(*net.TCPConn).SetLinger(0)
		_ = c.Close()
	})
	held := make(chan struct{})
	t.Cleanup(func() { close(held) })
	hold := listenUnit(t, unitAddr(44), func(c net.Conn) {
		<-held
		_ = c.Close()
	})
	unavailable := listenUnit(t, unitAddr(45), func(c net.Conn) {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}), ReadHeaderTimeout: time.Second}
		_ = srv.Serve(&oneConnListener{c: c})
	})
	for _, tt := range []struct {
		name   string
		target netip.AddrPort
		want   Outcome
	}{
		{"app answers", netip.MustParseAddrPort(appAddr), Served},
		{"nothing listens", refused, Refused},
		{"reset after the request", reset, Reset},
		{"held without an answer", hold, TimedOut},
		{"503", unavailable, BadStatus},
	} {
		r := GetDebugIP(t.Context(), client, tt.target, 300*time.Millisecond)
		if r.Outcome != tt.want {
			t.Errorf("%s: outcome %s (err %v), want %s", tt.name, r.Outcome, r.Err, tt.want)
		}
		if r.Client != client {
			t.Errorf("%s: client %s, want %s", tt.name, r.Client, client)
		}
		if tt.want == Served && (r.Answer.ClientHost != client.String() || r.Answer.Pod != "pod-a" || r.Err != nil) {
			t.Errorf("%s: answer %+v, err %v; want the app's, seeing client %s", tt.name, r.Answer, r.Err, client)
		}
		if tt.want == TimedOut && (r.Latency < 300*time.Millisecond || r.Latency > 3*time.Second) {
			t.Errorf("%s: gave up after %s, want about the 300ms timeout", tt.name, r.Latency)
		}
	}
}

// oneConnListener serves a single accepted connection to an http.Server.
type oneConnListener struct {
	c    net.Conn
	done bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if l.done {
		return nil, net.ErrClosed
	}
	l.done = true
	return l.c, nil
}
func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return l.c.LocalAddr() }

// TestRunLoad: one request at once and one each time the clock reaches the next one's due time, from
// the clients in turn; after a stall the requests due meanwhile start at once; the requests in flight
// when the load stops are still recorded.
func TestRunLoad(t *testing.T) {
	t.Parallel()
	_, appAddr := startTestApp(t, unitAddr(46), AppBehaviour{KeepAlive: KeepAliveClose})
	clock := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clients := []netip.Addr{unitAddr(47), unitAddr(48)}
	got := make(chan Request, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		done <- RunLoad(ctx, LoadOptions{Target: netip.MustParseAddrPort(appAddr), Rate: 10, Clients: clients, Clock: clock},
			func(r Request) { got <- r })
	}()
	var counts LoadCounts
	for i := 0; i < 4; i++ {
		r := <-got
		counts.Add(r.Outcome)
		if r.Outcome != Served || r.Answer.ClientHost != clients[i%2].String() {
			t.Errorf("request %d: %s from %s (err %v), want served from %s", i, r.Outcome, r.Answer.ClientHost, r.Err, clients[i%2])
		}
		if i == 3 {
			break
		}
		// The loop arms its timer right after starting the due requests; wait for it, so that the
		// step fires it.
		for !clock.HasWaiters() {
			runtime.Gosched()
		}
		clock.Step(100 * time.Millisecond)
	}
	// A stall: three periods pass at once; the three requests due meanwhile start together.
	for !clock.HasWaiters() {
		runtime.Gosched()
	}
	clock.Step(300 * time.Millisecond)
	for i := 0; i < 3; i++ {
		counts.Add((<-got).Outcome)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(got)
	for r := range got {
		counts.Add(r.Outcome)
	}
	if counts.Total() < 7 || counts.Failed() != 0 || counts.SuccessRate() != 1 {
		t.Errorf("counts %s, want at least 7 requests, all served", counts)
	}
	if err := RunLoad(t.Context(), LoadOptions{Target: netip.MustParseAddrPort(appAddr)}, func(Request) {}); err == nil {
		t.Error("a load without a rate started")
	}
}

func TestLoadCountsString(t *testing.T) {
	var c LoadCounts
	for _, o := range []Outcome{Served, Served, Reset, TimedOut, TimedOut} {
		c.Add(o)
	}
	if got, want := c.String(), "5 requests, 2 served, 3 failed (reset 1, timeout 2)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := c.SuccessRate(); got != 0.4 {
		t.Errorf("SuccessRate() = %v, want 0.4", got)
	}
	var none LoadCounts
	if none.String() != "0 requests, 0 served, 0 failed" || none.SuccessRate() != 1 {
		t.Errorf("empty counts: %q, %v", none.String(), none.SuccessRate())
	}
}
