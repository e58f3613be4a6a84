package sandbox

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/azlb/azlb/test/harness"
)

// loads drives the sandbox's client: one open-loop load (harness.RunLoad) per Service frontend that
// has a load-balancing rule, started and stopped as Services come and go.
type loads struct {
	rate    float64
	timeout time.Duration
	clients []netip.Addr
	// onRequest is called (from any goroutine) with each finished request and its Service.
	onRequest func(service string, r harness.Request)

	mu      sync.Mutex
	running map[string]*serviceLoad
	wg      sync.WaitGroup
}

type serviceLoad struct {
	frontend netip.AddrPort
	cancel   context.CancelFunc
}

func newLoads(rate float64, timeout time.Duration, clients []netip.Addr, onRequest func(string, harness.Request)) *loads {
	return &loads{rate: rate, timeout: timeout, clients: clients, onRequest: onRequest, running: map[string]*serviceLoad{}}
}

// sync runs a load for each view whose frontend has a rule, and stops the others.
func (l *loads) sync(views []serviceView) {
	want := map[string]netip.AddrPort{}
	for _, v := range views {
		if v.Waiting == "" && v.Frontend.IsValid() {
			want[v.Key] = v.Frontend
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running == nil {
		return // stopped
	}
	for key, sl := range l.running {
		if fe, ok := want[key]; !ok || fe != sl.frontend {
			sl.cancel()
			delete(l.running, key)
		}
	}
	for key, fe := range want {
		if _, ok := l.running[key]; ok {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		l.running[key] = &serviceLoad{frontend: fe, cancel: cancel}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			opts := harness.LoadOptions{Target: fe, Rate: l.rate, Clients: l.clients, Timeout: l.timeout}
			_ = harness.RunLoad(ctx, opts, func(r harness.Request) { l.onRequest(key, r) })
		}()
	}
}

// stop stops starting requests; wait waits for those in flight.
func (l *loads) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, sl := range l.running {
		sl.cancel()
	}
	l.running = nil
}

func (l *loads) wait() { l.wg.Wait() }

// tally counts finished requests per Service until taken.
type tally struct {
	mu     sync.Mutex
	counts map[string]*harness.LoadCounts
}

func (t *tally) add(service string, o harness.Outcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[string]*harness.LoadCounts{}
	}
	c := t.counts[service]
	if c == nil {
		c = &harness.LoadCounts{}
		t.counts[service] = c
	}
	c.Add(o)
}

// take returns the counts since the last take and starts again from zero.
func (t *tally) take() map[string]harness.LoadCounts {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]harness.LoadCounts, len(t.counts))
	for k, c := range t.counts {
		out[k] = *c
	}
	t.counts = nil
	return out
}
