package harness

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"k8s.io/klog/v2"
)

// TestDataPath drives one node's data path with hand-made rules: PROXY
// routing by frontend, NodePort routing by port, source addresses for
// Local and Cluster, DROP holding the connection and REJECT resetting it.
func TestDataPath(t *testing.T) {
	nodeIP, podIP, client := unitAddr(20), unitAddr(21), unitAddr(22)
	_, podAddr := startTestApp(t, podIP, AppBehaviour{KeepAlive: KeepAliveClose})
	pod := netip.MustParseAddrPort(podAddr)

	d := newDataPath(nodeIP, 1, klog.Background())
	t.Cleanup(d.close)
	local := &serviceRule{local: true, verdict: verdictForward, endpoints: []netip.AddrPort{pod}}
	cluster := &serviceRule{verdict: verdictForward, endpoints: []netip.AddrPort{pod}}
	drop := &serviceRule{local: true, verdict: verdictDrop}
	reject := &serviceRule{verdict: verdictReject}
	fe := func(port uint16) netip.AddrPort { return netip.AddrPortFrom(unitAddr(30), port) }
	d.apply(&ruleTable{
		byNodePort: map[uint16]*serviceRule{31001: local, 31002: cluster, 31003: drop, 31004: reject},
		byFrontend: map[netip.AddrPort]*serviceRule{fe(18001): local, fe(18002): cluster},
		ports:      []uint16{18001, 18002, 31001, 31002, 31003, 31004},
	})
	at := func(port int) string { return net.JoinHostPort(nodeIP.String(), strconv.Itoa(port)) }

	// NodePort: the TCP peer is the client.
	if dbg, err := debugIP(client, at(31001)); err != nil || dbg.ClientHost != client.String() {
		t.Errorf("NodePort Local: %+v, %v; want client %s", dbg, err, client)
	}
	if dbg, err := debugIP(client, at(31002)); err != nil || dbg.ClientHost != nodeIP.String() {
		t.Errorf("NodePort Cluster: %+v, %v; want node %s", dbg, err, nodeIP)
	}

	// Load-balancer traffic: routed by the PROXY header's frontend, the
	// header's client is the source for Local.
	viaLB := func(port int, frontend netip.AddrPort, lbClient netip.AddrPort) (DebugIP, error) {
		conn, err := net.Dial("tcp", at(port))
		if err != nil {
			return DebugIP{}, err
		}
		defer conn.Close()
		hdr := ProxyHeader{Client: lbClient, Frontend: frontend}
		if _, err := io.WriteString(conn, hdr.String()+"GET /debug/ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
			return DebugIP{}, err
		}
		body, err := io.ReadAll(conn)
		if err != nil {
			return DebugIP{}, err
		}
		return parseDebugResponse(body)
	}
	far := netip.AddrPortFrom(unitAddr(40), 50000)
	if dbg, err := viaLB(18001, fe(18001), far); err != nil || dbg.ClientHost != far.Addr().String() {
		t.Errorf("LB Local: %+v, %v; want client %s", dbg, err, far.Addr())
	}
	if dbg, err := viaLB(18001, fe(18002), far); err != nil || dbg.ClientHost != nodeIP.String() {
		t.Errorf("LB to the Cluster frontend arriving on another port: %+v, %v; want node %s", dbg, err, nodeIP)
	}

	// DROP: connected, but nothing ever answers.
	conn, err := net.Dial("tcp", at(31003))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := conn.Read(make([]byte, 1)); !isTimeout(err) {
		t.Errorf("dropped connection: read err %v, want a timeout", err)
	}
	conn.Close()

	// REJECT: reset.
	if _, err := httpGet(client, "http://"+at(31004)+"/", time.Second); err == nil {
		t.Error("rejected connection answered")
	}

	// Rules replaced: a port no longer wanted stops listening.
	d.apply(&ruleTable{byNodePort: map[uint16]*serviceRule{31001: local}, ports: []uint16{31001}})
	if _, err := net.DialTimeout("tcp", at(31002), time.Second); err == nil {
		t.Error("a removed node port still accepts connections")
	}
	d.close()
	if _, err := net.DialTimeout("tcp", at(31001), time.Second); err == nil {
		t.Error("the data path still listens after close")
	}
}

func parseDebugResponse(raw []byte) (DebugIP, error) {
	s := string(raw)
	i := indexOf(s, "\r\n\r\n")
	if i < 0 {
		return DebugIP{}, errors.New("no HTTP body in " + s)
	}
	var d DebugIP
	return d, jsonUnmarshal(s[i+4:], &d)
}
