package harness

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"k8s.io/klog/v2"
)

// unitAddr is an address outside the harness's plan, for tests that need
// no cluster (binding 127/8 needs no root).
func unitAddr(i int) netip.Addr { return netip.AddrFrom4([4]byte{127, 0, 9, byte(i)}) }

func startTestApp(t *testing.T, ip netip.Addr, b AppBehaviour) (*app, string) {
	t.Helper()
	a, err := startApp(appConfig{pod: "pod-a", node: "node-x", ip: ip, ports: []int32{18080}, behaviour: b, logger: klog.Background()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.kill)
	return a, net.JoinHostPort(ip.String(), "18080")
}

// rawGet sends one keep-alive request on conn and returns the status and
// "close" if the server asked to close the connection.
func rawGet(t *testing.T, conn net.Conn, r *bufio.Reader, path string) (int, string) {
	t.Helper()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		return resp.StatusCode, "close"
	}
	return resp.StatusCode, ""
}

func TestAppEndpoints(t *testing.T) {
	_, addr := startTestApp(t, unitAddr(1), AppBehaviour{KeepAlive: KeepAliveClose})
	client := unitAddr(2)
	r, err := httpGet(client, "http://"+addr+"/", time.Second)
	if err != nil || r.status != 200 || r.body != "pod-a" {
		t.Fatalf("GET / = %+v, %v", r, err)
	}
	d, err := debugIP(client, addr)
	if err != nil || d.ClientHost != client.String() || d.Pod != "pod-a" || d.Node != "node-x" || d.XForwardedFor != nil {
		t.Fatalf("/debug/ip = %+v, %v", d, err)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r, err := httpGet(client, "http://"+addr+p, time.Second); err != nil || r.status != 200 {
			t.Fatalf("GET %s = %+v, %v", p, r, err)
		}
	}
}

func TestAppStartupDelay(t *testing.T) {
	_, addr := startTestApp(t, unitAddr(3), AppBehaviour{StartupDelay: 300 * time.Millisecond, KeepAlive: KeepAliveClose})
	if r, _ := httpGet(netip.Addr{}, "http://"+addr+"/readyz", time.Second); r.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz while starting = %d, want 503", r.status)
	}
	time.Sleep(400 * time.Millisecond)
	if r, _ := httpGet(netip.Addr{}, "http://"+addr+"/readyz", time.Second); r.status != http.StatusOK {
		t.Fatalf("readyz after start = %d, want 200", r.status)
	}
}

func TestAppSIGTERM(t *testing.T) {
	t.Run("exit at once refuses new connections", func(t *testing.T) {
		a, addr := startTestApp(t, unitAddr(4), AppBehaviour{KeepAlive: KeepAliveClose})
		a.terminate()
		<-a.done()
		if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			t.Fatal("the app still accepts connections after exiting")
		}
	})
	t.Run("delay with graceful keep-alive", func(t *testing.T) {
		a, addr := startTestApp(t, unitAddr(5), AppBehaviour{ShutdownDelay: 500 * time.Millisecond, KeepAlive: KeepAliveClose})
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		if code, hdr := rawGet(t, conn, br, "/"); code != 200 || hdr == "close" {
			t.Fatalf("before SIGTERM: %d Connection %q", code, hdr)
		}
		a.terminate()
		if code, hdr := rawGet(t, conn, br, "/readyz"); code != http.StatusServiceUnavailable || hdr != "close" {
			t.Fatalf("after SIGTERM /readyz: %d Connection %q, want 503 and close", code, hdr)
		}
		if r, err := httpGet(netip.Addr{}, "http://"+addr+"/", time.Second); err != nil || r.status != 200 {
			t.Fatalf("new connection during the delay: %+v, %v", r, err)
		}
		select {
		case <-a.done():
			t.Fatal("exited before the shutdown delay")
		case <-time.After(200 * time.Millisecond):
		}
		select {
		case <-a.done():
		case <-time.After(2 * time.Second):
			t.Fatal("did not exit after the shutdown delay")
		}
	})
	t.Run("delay keeping keep-alive connections", func(t *testing.T) {
		a, addr := startTestApp(t, unitAddr(6), AppBehaviour{ShutdownDelay: 300 * time.Millisecond, KeepAlive: KeepAliveKeep})
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		a.terminate()
		if code, hdr := rawGet(t, conn, br, "/"); code != 200 || hdr == "close" {
			t.Fatalf("during the delay: %d Connection %q, want 200 and the connection kept", code, hdr)
		}
		<-a.done()
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := br.ReadByte(); err == nil {
			t.Fatal("the kept connection survived the exit")
		}
	})
	t.Run("kill during the delay", func(t *testing.T) {
		a, _ := startTestApp(t, unitAddr(7), AppBehaviour{ShutdownDelay: time.Hour, KeepAlive: KeepAliveClose})
		a.terminate()
		a.kill()
		select {
		case <-a.done():
		case <-time.After(time.Second):
			t.Fatal("SIGKILL did not stop the app")
		}
	})
}
