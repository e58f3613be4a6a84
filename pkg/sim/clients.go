package sim

import (
	"math"
	"net/netip"
	"time"

	"github.com/azlb/azlb/pkg/fake/dataplane"
	"github.com/azlb/azlb/pkg/sim/kubeproxy"
)

// cause is how a request ended.
type cause int8

// Causes (Failures names them in JSON).
const (
	causeNone      cause = iota // served
	causeRefused                // connection refused: nothing listening (the app has not started or has exited)
	causeNoHealthy              // the load balancer admits nothing: every backend is probed down
	causeReset                  // the connection was cut mid-request, or a kept-alive connection's pod exited
	causeTimeout                // dropped (a node with no local endpoint, a node that is gone) or no answer
	numCauses
)

// clients generate the load: requests at a deterministic rate from a set of client addresses, over a
// connection each or over kept-alive connections.
type clients struct {
	w         *world
	list      []*client
	rps       float64
	poisson   bool
	keepAlive bool
	timeout   time.Duration
	k         int64     // requests sent
	next      time.Time // next arrival
	end       time.Time
}

type client struct {
	idx   int
	addr  netip.Addr
	port  uint16
	conns []*conn // kept-alive connections, most recently used last
}

// conn is a kept-alive connection: one load balancer flow, one node, one pod (conntrack).
type conn struct {
	client     *client
	ft         dataplane.FiveTuple
	lbNode     *node
	pod        *pod
	busyUntil  time.Time
	closeAfter bool  // the last response said Connection: close
	closed     bool  // the server closed it cleanly; the client drops it silently
	dead       cause // the process behind it exited: its next request fails so
	dropped    bool  // the client no longer holds it
}

// clientAddress is the i-th client: 198.18.0.0/15, the benchmarking range (RFC 2544).
func clientAddress(i int) netip.Addr {
	v := uint32(198)<<24 | uint32(18)<<16 | uint32(1+i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func newClients(w *world) *clients {
	c := &clients{
		w:         w,
		rps:       w.spec.Clients.RequestsPerSecond,
		poisson:   w.spec.Clients.Arrival == "poisson",
		keepAlive: w.spec.Clients.KeepAlive,
		timeout:   w.spec.Clients.Timeout.Duration,
	}
	for i := range w.spec.Clients.Count {
		c.list = append(c.list, &client{idx: i, addr: clientAddress(i), port: uint16(32768 + (i*7919)%28232)})
	}
	return c
}

// start schedules the first request at t0.
func (c *clients) start(t0, end time.Time) {
	c.next, c.end = t0, end
	if c.poisson {
		c.next = t0.Add(c.gap())
	}
}

func (c *clients) gap() time.Duration {
	return time.Duration(c.w.rngClients.ExpFloat64() / c.rps * float64(time.Second))
}

// advance moves next to the following arrival.
func (c *clients) advance() {
	c.k++
	if c.poisson {
		c.next = c.next.Add(max(c.gap(), time.Nanosecond))
		return
	}
	c.next = c.w.t0.Add(time.Duration(math.Round(float64(c.k) * float64(time.Second) / c.rps)))
}

// send issues the request due now.
func (c *clients) send() {
	cl := c.list[0]
	if len(c.list) > 1 {
		cl = c.list[c.w.rngClients.IntN(len(c.list))]
	}
	c.advance()
	if c.keepAlive {
		c.sendKeepAlive(cl)
		return
	}
	c.sendOnce(cl)
}

func (cl *client) nextPort() uint16 {
	cl.port++
	if cl.port < 32768 || cl.port > 60999 {
		cl.port = 32768
	}
	return cl.port
}

func (c *clients) flow(cl *client) dataplane.FiveTuple {
	return dataplane.FiveTuple{
		Client:   netip.AddrPortFrom(cl.addr, cl.nextPort()),
		Frontend: c.w.lb.frontend,
		Protocol: dataplane.ProtocolTCP,
	}
}

// sendOnce: a new connection for one request, closed after the answer.
func (c *clients) sendOnce(cl *client) {
	w := c.w
	d := w.lb.machine.Place(c.flow(cl))
	if !d.Admitted() {
		w.rec.request(w, admissionCause(d), nil, nil, cl)
		return
	}
	n := w.nodeByIP[d.Backend.Addr()]
	p, cz := w.route(n)
	c.finish(cl, n, p, cz)
}

func admissionCause(d dataplane.Decision) cause {
	if d.Reason == dataplane.NoHealthyBackend {
		return causeNoHealthy
	}
	return causeTimeout // no rule: the packet is dropped
}

// finish records a request that reached pod p through node n (p nil when it did not reach a pod).
func (c *clients) finish(cl *client, n *node, p *pod, cz cause) {
	w := c.w
	now := w.now()
	if cz == causeNone && w.app.response >= c.timeout {
		cz = causeTimeout
	}
	ref := w.rec.request(w, cz, n, p, cl)
	if cz == causeNone {
		p.addInflight(now, now.Add(w.app.response), ref)
	}
}

// sendKeepAlive reuses the most recently used idle connection, else opens one.
func (c *clients) sendKeepAlive(cl *client) {
	w := c.w
	now := w.now()
	for i := len(cl.conns) - 1; i >= 0; i-- {
		cn := cl.conns[i]
		if cn.closed || (cn.closeAfter && !cn.busyUntil.After(now)) {
			c.drop(cl, i)
			continue
		}
		if cn.busyUntil.After(now) {
			continue
		}
		if cn.dead != causeNone {
			c.drop(cl, i)
			w.rec.request(w, cn.dead, cn.lbNode, cn.pod, cl)
			return
		}
		if _, ok := w.lb.machine.Lookup(cn.ft, now); !ok {
			// The load balancer forgot the idle flow; with TCP reset the client was told and drops it.
			c.drop(cl, i)
			if w.lb.rule.TCPReset {
				continue
			}
			w.rec.request(w, causeReset, cn.lbNode, cn.pod, cl)
			return
		}
		c.serveOn(cl, cn)
		if i != len(cl.conns)-1 {
			copy(cl.conns[i:], cl.conns[i+1:])
			cl.conns[len(cl.conns)-1] = cn
		}
		return
	}
	ft := c.flow(cl)
	d := w.lb.machine.Open(ft, now)
	if !d.Admitted() {
		w.rec.request(w, admissionCause(d), nil, nil, cl)
		return
	}
	n := w.nodeByIP[d.Backend.Addr()]
	p, cz := w.route(n)
	if cz != causeNone {
		w.lb.machine.Close(ft)
		c.finish(cl, n, p, cz)
		return
	}
	cn := &conn{client: cl, ft: ft, lbNode: n, pod: p}
	cl.conns = append(cl.conns, cn)
	p.conns = compactConns(append(p.conns, cn))
	c.serveOn(cl, cn)
}

func (c *clients) serveOn(cl *client, cn *conn) {
	w := c.w
	now := w.now()
	cn.busyUntil = now.Add(w.app.response)
	if cn.pod.sigterm && w.app.gracefulClose {
		cn.closeAfter = true // Connection: close after SIGTERM
	}
	c.finish(cl, cn.lbNode, cn.pod, causeNone)
}

// drop removes the client's i-th connection and ends its flow.
func (c *clients) drop(cl *client, i int) {
	cn := cl.conns[i]
	cn.dropped = true
	c.w.lb.machine.Close(cn.ft)
	copy(cl.conns[i:], cl.conns[i+1:])
	cl.conns[len(cl.conns)-1] = nil
	cl.conns = cl.conns[:len(cl.conns)-1]
}

// compactConns forgets connections the clients dropped, now and then.
func compactConns(cs []*conn) []*conn {
	if len(cs) < 16 || len(cs)&(len(cs)-1) != 0 {
		return cs
	}
	kept := cs[:0]
	for _, cn := range cs {
		if !cn.dropped {
			kept = append(kept, cn)
		}
	}
	for i := len(kept); i < len(cs); i++ {
		cs[i] = nil
	}
	return kept
}

// seenSource is the address the pod sees: the client's with Local, the node's with Cluster (SNAT).
func (w *world) seenSource(cl *client, n *node) (netip.Addr, bool) {
	if w.policy == kubeproxy.Local {
		return cl.addr, true
	}
	return n.ip, false
}
