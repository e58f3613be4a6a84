package harness

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/klog/v2"
)

// headerWait is how long a node waits for the first bytes of a connection
// to tell a PROXY header from NodePort traffic.
const headerWait = 5 * time.Second

// dialTimeout bounds a node's connection to an endpoint.
const dialTimeout = 3 * time.Second

// dataPath is a node's forwarding plane: what kube-proxy's iptables rules do
// to real TCP connections, on loopback. It listens on nodeIP for each node
// port and load-balancer backend port of the current rule table, and
// forwards each new connection to an endpoint chosen at random (seeded),
// from the client's address (Local) or the node's (Cluster, SNAT).
// Established connections survive rule changes, as conntrack entries do.
type dataPath struct {
	nodeIP netip.Addr
	logger klog.Logger
	table  atomic.Pointer[ruleTable]

	rngMu sync.Mutex
	rng   *rand.Rand

	mu        sync.Mutex
	closed    bool
	listeners map[uint16]net.Listener
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
}

func newDataPath(nodeIP netip.Addr, seed uint64, logger klog.Logger) *dataPath {
	d := &dataPath{
		nodeIP:    nodeIP,
		logger:    logger,
		rng:       rand.New(rand.NewPCG(seed, uint64(nodeIP.As4()[3]))),
		listeners: map[uint16]net.Listener{},
		conns:     map[net.Conn]struct{}{},
	}
	d.table.Store(&ruleTable{})
	return d
}

// apply installs a new rule table and opens or closes listeners to match.
// A port that cannot be bound is logged and retried at the next sync.
func (d *dataPath) apply(t *ruleTable) {
	d.table.Store(t)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	want := map[uint16]bool{}
	for _, p := range t.ports {
		want[p] = true
		if d.listeners[p] != nil {
			continue
		}
		addr := net.JoinHostPort(d.nodeIP.String(), strconv.Itoa(int(p)))
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			d.logger.Error(err, "Cannot open node port", "address", addr)
			continue
		}
		d.listeners[p] = l
		d.wg.Add(1)
		go d.serve(l, p)
	}
	for p, l := range d.listeners {
		if !want[p] {
			_ = l.Close()
			delete(d.listeners, p)
		}
	}
}

// close stops listening, drops every connection and waits for the
// goroutines.
func (d *dataPath) close() {
	d.mu.Lock()
	d.closed = true
	for p, l := range d.listeners {
		_ = l.Close()
		delete(d.listeners, p)
	}
	for c := range d.conns {
		_ = c.Close()
	}
	d.mu.Unlock()
	d.wg.Wait()
}

// track registers a connection so that close can drop it; false if the
// data path is closed already.
func (d *dataPath) track(c net.Conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.conns[c] = struct{}{}
	return true
}

func (d *dataPath) untrack(c net.Conn) {
	d.mu.Lock()
	delete(d.conns, c)
	d.mu.Unlock()
}

func (d *dataPath) serve(l net.Listener, port uint16) {
	defer d.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		if !d.track(c) {
			_ = c.Close()
			return
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer d.untrack(c)
			defer c.Close()
			d.handle(c, port)
		}()
	}
}

func (d *dataPath) pick(eps []netip.AddrPort) netip.AddrPort {
	d.rngMu.Lock()
	defer d.rngMu.Unlock()
	return eps[d.rng.IntN(len(eps))]
}

// handle routes one accepted connection.
func (d *dataPath) handle(c net.Conn, port uint16) {
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(headerWait))
	hdr, ok, err := readProxyHeader(br)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil && !isTimeout(err) {
		if !errors.Is(err, io.EOF) {
			d.logger.V(2).Info("Bad connection start", "err", err)
		}
		return
	}
	peer, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	client := peer
	t := d.table.Load()
	var rule *serviceRule
	if ok {
		client = hdr.Client
		rule = t.byFrontend[hdr.Frontend]
	} else {
		rule = t.byNodePort[port]
	}
	if rule == nil {
		reset(c)
		return
	}
	switch rule.verdict {
	case verdictReject:
		reset(c)
		return
	case verdictDrop:
		// A dropped SYN: never answer, until the client gives up.
		_, _ = io.Copy(io.Discard, br)
		return
	}
	ep := d.pick(rule.endpoints)
	src := d.nodeIP
	if rule.local {
		src = client.Addr()
	}
	dialer := net.Dialer{Timeout: dialTimeout, LocalAddr: &net.TCPAddr{IP: src.AsSlice()}}
	up, err := dialer.Dial("tcp4", ep.String())
	if err != nil {
		d.logger.V(2).Info("Endpoint unreachable", "service", rule.service, "endpoint", ep, "err", err)
		reset(c)
		return
	}
	if !d.track(up) {
		_ = up.Close()
		return
	}
	defer d.untrack(up)
	defer up.Close()
	splice(c, br, up)
}

// splice copies both ways with half-close; if one side ends with an error
// (a reset), the other side is reset too, as a NATed connection would be.
func splice(client net.Conn, clientR io.Reader, up net.Conn) {
	errs := make(chan error, 2)
	go func() {
		_, err := io.Copy(up, clientR)
		if err == nil {
			closeWrite(up)
		}
		errs <- err
	}()
	go func() {
		_, err := io.Copy(client, up)
		if err == nil {
			closeWrite(client)
		}
		errs <- err
	}()
	failed := false
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil && !failed {
			failed = true
			reset(client)
			reset(up)
		}
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

// reset closes c with an RST.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
