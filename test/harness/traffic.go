package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"k8s.io/utils/clock"
)

// Outcome is how one client request through a load balancer ended, in the
// terms of the simulator's failure causes as far as a client can tell them
// apart.
type Outcome int

// Outcomes of a request.
const (
	// Served: the app answered 200.
	Served Outcome = iota
	// Refused: the connection was refused, so nothing listened on the
	// frontend (no load-balancing rule for it).
	Refused
	// Reset: the connection was reset or closed before a full answer. Behind
	// the loopback load balancer a backend that refuses (an app that has not
	// started or has exited) shows up as this too: the load balancer has
	// already accepted the client's connection, so all it can pass on is a
	// reset.
	Reset
	// TimedOut: no answer within the client's timeout: the load balancer
	// admitted no flow (every backend probed down), or a node dropped the
	// connection (no usable local endpoint).
	TimedOut
	// BadStatus: an HTTP answer other than 200.
	BadStatus
	numOutcomes
)

// String names the outcome as the simulator's JSON does ("served",
// "connectionRefused", "reset", "timeout", "badStatus").
func (o Outcome) String() string {
	switch o {
	case Served:
		return "served"
	case Refused:
		return "connectionRefused"
	case Reset:
		return "reset"
	case TimedOut:
		return "timeout"
	case BadStatus:
		return "badStatus"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// ClassifyError maps the error of a failed request to its outcome.
func ClassifyError(err error) Outcome {
	var ne net.Error
	switch {
	case err == nil:
		return Served
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return TimedOut
	}
	// ECONNRESET, EPIPE, EOF before an answer, a cut response.
	return Reset
}

// Request is one finished client request.
type Request struct {
	// Start is when the client began to connect.
	Start time.Time
	// Client is the address the client bound.
	Client netip.Addr
	// Outcome is how it ended; Status is the HTTP status when there was
	// one.
	Outcome Outcome
	Status  int
	// Answer is the app's /debug/ip answer when Served.
	Answer DebugIP
	// Err is why it failed (nil when Served).
	Err error
	// Latency is from Start to the end of the answer or the failure.
	Latency time.Duration
}

// GetDebugIP asks the app's /debug/ip at target from the client address, on
// a new connection (no keep-alive), waiting at most timeout for the whole
// answer. ctx cancels it.
func GetDebugIP(ctx context.Context, client netip.Addr, target netip.AddrPort, timeout time.Duration) Request {
	r := Request{Start: time.Now(), Client: client}
	finish := func(o Outcome, err error) Request {
		r.Outcome, r.Err, r.Latency = o, err, time.Since(r.Start)
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: client.AsSlice()}}
	transport := &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true, Proxy: nil}
	defer transport.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+target.String()+"/debug/ip", nil)
	if err != nil {
		return finish(Reset, err)
	}
	resp, err := transport.RoundTrip(req)
	if err != nil {
		return finish(ClassifyError(err), err)
	}
	defer func() { _ = resp.Body.Close() }()
	r.Status = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return finish(ClassifyError(err), err)
	}
	if resp.StatusCode != http.StatusOK {
		return finish(BadStatus, fmt.Errorf("status %d: %s", resp.StatusCode, body))
	}
	if err := json.Unmarshal(body, &r.Answer); err != nil {
		return finish(BadStatus, fmt.Errorf("decoding /debug/ip %q: %w", body, err))
	}
	return finish(Served, nil)
}

// LoadOptions configure RunLoad.
type LoadOptions struct {
	// Target is the frontend address:port to send requests to.
	Target netip.AddrPort
	// Rate is how many requests start per second (required, > 0).
	Rate float64
	// Clients are the source addresses, used in turn; default
	// ClientAddress(1).
	Clients []netip.Addr
	// Timeout bounds each request (default 5 s, the upstream e2e client's).
	Timeout time.Duration
	// Clock paces the requests; default the real clock.
	Clock clock.Clock
}

// RunLoad sends GET /debug/ip requests to opts.Target at opts.Rate, each on
// a new connection (no keep-alive), until ctx ends, and calls record (from
// any goroutine) as each ends. It is an open loop, like the simulator's
// clients: request k starts at k/Rate seconds, whether or not earlier ones
// have ended, and after a stall of the process the requests that fell due
// meanwhile start at once, so the rate holds on average. Requests in flight
// when ctx ends run to their end (at most Timeout) and are recorded;
// RunLoad returns after the last one.
func RunLoad(ctx context.Context, opts LoadOptions, record func(Request)) error {
	if opts.Rate <= 0 {
		return fmt.Errorf("load on %s: rate %v must be positive", opts.Target, opts.Rate)
	}
	if len(opts.Clients) == 0 {
		opts.Clients = []netip.Addr{ClientAddress(1)}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	dueAt := func(start time.Time, k int) time.Time {
		return start.Add(time.Duration(float64(k) * float64(time.Second) / opts.Rate))
	}
	// In-flight requests outlive ctx, bounded by their timeout.
	reqCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	start := opts.Clock.Now()
	for k := 0; ctx.Err() == nil; {
		now := opts.Clock.Now()
		for ; !dueAt(start, k).After(now); k++ {
			client := opts.Clients[k%len(opts.Clients)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				record(GetDebugIP(reqCtx, client, opts.Target, opts.Timeout))
			}()
		}
		timer := opts.Clock.NewTimer(dueAt(start, k).Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C():
		}
	}
	return nil
}

// LoadCounts tallies requests by outcome.
type LoadCounts [numOutcomes]int64

// Add counts one request.
func (c *LoadCounts) Add(o Outcome) {
	if o >= 0 && o < numOutcomes {
		c[o]++
	}
}

// Total is the number of requests counted.
func (c LoadCounts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Failed is the number of requests not served.
func (c LoadCounts) Failed() int64 { return c.Total() - c[Served] }

// Get returns the count of one outcome.
func (c LoadCounts) Get(o Outcome) int64 {
	if o < 0 || o >= numOutcomes {
		return 0
	}
	return c[o]
}

// SuccessRate is served / total (1 when nothing was sent).
func (c LoadCounts) SuccessRate() float64 {
	if c.Total() == 0 {
		return 1
	}
	return float64(c[Served]) / float64(c.Total())
}

// String summarises the counts: "1000 requests, 998 served, 2 failed (reset 2)".
func (c LoadCounts) String() string {
	s := fmt.Sprintf("%d requests, %d served, %d failed", c.Total(), c[Served], c.Failed())
	sep := " ("
	for o := Refused; o < numOutcomes; o++ {
		if c[o] > 0 {
			s += fmt.Sprintf("%s%s %d", sep, o, c[o])
			sep = ", "
		}
	}
	if sep == ", " {
		s += ")"
	}
	return s
}
