package loadbalancer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// maxStaleRetries bounds how often one batch re-reads and re-applies after a stale etag (412).
const maxStaleRetries = 8

// lbWriter owns one shared load balancer. Service workers submit changes to it and wait; it applies every
// change waiting at that moment in one read-modify-write (group commit), so N concurrent Services cost
// about one write per in-flight write instead of N serialised writes, and no change is lost: each write
// carries If-Match with the etag its desired state was computed from, and a 412 re-reads and re-applies.
// The goroutine exists only while changes are waiting.
type lbWriter struct {
	p      *Provider
	rg     string
	target lbTarget

	mu      sync.Mutex
	queue   []*lbRequest
	running bool
	entry   *lbCacheEntry // guarded by the running goroutine (only it reads or writes ARM)
}

type lbRequest struct {
	change lbChange
	done   chan lbResult
}

type lbResult struct {
	lb  *armnetwork.LoadBalancer // the load balancer after the change; nil when it does not exist
	err error
}

// submit queues a change and waits for the write that includes it. An empty change reads the load
// balancer (from the cache when fresh) in order with the writes.
func (w *lbWriter) submit(ctx context.Context, ch lbChange) (*armnetwork.LoadBalancer, error) {
	req := &lbRequest{change: ch, done: make(chan lbResult, 1)}
	w.mu.Lock()
	w.queue = append(w.queue, req)
	if !w.running {
		w.running = true
		go w.run()
	}
	w.mu.Unlock()
	select {
	case r := <-req.done:
		return r.lb, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for load balancer %s: %w", w.target.name, ctx.Err())
	}
}

func (w *lbWriter) run() {
	for {
		w.mu.Lock()
		batch := w.queue
		w.queue = nil
		if len(batch) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		w.process(batch)
	}
}

// process commits a batch. When Azure rejects the request itself (400-class), the batch is split so the
// change that causes it fails alone and the other Services' changes still land.
func (w *lbWriter) process(batch []*lbRequest) {
	changes := make([]lbChange, len(batch))
	for i, r := range batch {
		changes[i] = r.change
	}
	lb, err := w.commit(changes)
	if err != nil && len(batch) > 1 && isRequestRejected(err) {
		mid := len(batch) / 2
		w.process(batch[:mid])
		w.process(batch[mid:])
		return
	}
	for _, r := range batch {
		r.done <- lbResult{lb: lb, err: err}
	}
}

func (w *lbWriter) commit(changes []lbChange) (*armnetwork.LoadBalancer, error) {
	ctx, cancel := context.WithTimeout(w.p.baseContext(), w.p.writeTimeout)
	defer cancel()
	logger := klog.FromContext(ctx).WithValues("loadBalancer", w.target.name, "changes", len(changes))
	for attempt := 0; ; attempt++ {
		current, err := w.current(ctx, attempt > 0)
		if err != nil {
			return nil, err
		}
		desired, op := desiredLB(current, w.target, changes)
		start := w.p.clock.Now()
		switch op {
		case opNone:
			return current, nil
		case opPut:
			lb, err := w.p.arm.putLB(ctx, w.rg, desired, etagOf(current))
			w.p.metrics.observeLBWrite(w.target.name, "put", w.p.clock.Since(start), err)
			if isStale(err) && attempt < maxStaleRetries {
				logger.V(2).Info("Load balancer changed since it was read; re-reading and re-applying", "attempt", attempt+1)
				continue
			}
			if err != nil {
				w.entry = nil // the write may or may not have happened: read again next time
				return nil, err
			}
			w.entry = &lbCacheEntry{lb: lb, fetched: w.p.clock.Now()}
			logger.V(2).Info("Wrote load balancer", "etag", ptr.Deref(lb.Etag, ""))
			return lb, nil
		case opDelete:
			err := w.p.arm.deleteLB(ctx, w.rg, w.target.name, etagOf(current))
			w.p.metrics.observeLBWrite(w.target.name, "delete", w.p.clock.Since(start), err)
			if isStale(err) && attempt < maxStaleRetries {
				continue
			}
			if err != nil {
				w.entry = nil
				return nil, err
			}
			w.entry = &lbCacheEntry{fetched: w.p.clock.Now()}
			logger.V(2).Info("Deleted load balancer: its last frontend is gone")
			return nil, nil
		}
	}
}

// current returns the load balancer as cached, reading it when the cache is older than the TTL or a
// write found it stale.
func (w *lbWriter) current(ctx context.Context, refresh bool) (*armnetwork.LoadBalancer, error) {
	if !refresh && w.entry != nil && w.p.clock.Since(w.entry.fetched) < w.p.cacheTTL {
		return w.entry.lb, nil
	}
	lb, err := w.p.arm.getLB(ctx, w.rg, w.target.name)
	if err != nil {
		w.entry = nil
		return nil, err
	}
	w.entry = &lbCacheEntry{lb: lb, fetched: w.p.clock.Now()}
	return lb, nil
}

// etagOf is the precondition for writing over current: its etag, "" (create only) when it does not
// exist, "*" when Azure gave no etag.
func etagOf(current *armnetwork.LoadBalancer) string {
	switch {
	case current == nil:
		return ""
	case current.Etag == nil || *current.Etag == "":
		return "*"
	}
	return *current.Etag
}

// writeTimeout bounds one batch's read-modify-write, retries and polling included.
const defaultWriteTimeout = 10 * time.Minute
