package fake

import (
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/utils/clock"
)

// Status values of an ARM long-running operation.
const (
	opInProgress = "InProgress"
	opSucceeded  = "Succeeded"
	opFailed     = "Failed"
)

// operationRetention is how long (on the clock) an ended operation still answers polls.
const operationRetention = 24 * time.Hour

// operation is one long-running write. It ends at due: then finish (if any) commits its effect on
// the store, or, with failure set, it ends Failed and the store keeps what it had.
type operation struct {
	id       string
	seq      uint64
	location string
	lockKey  string
	names    []string
	accepted time.Time
	due      time.Time
	failure  *Error
	finish   func()
	status   string
	ended    time.Time
}

// writeOptions are what faults change in a write: how long its operation runs and whether it fails.
type writeOptions struct {
	latency time.Duration
	fail    *Error
}

// startOperationLocked registers an operation on lockKey. The caller holds c.mu, sets op.finish
// when the write changes the store, and calls settleLocked once the response body is rendered.
func (c *Cloud) startOperationLocked(now time.Time, lockKey, location string, names []string, wo writeOptions) *operation {
	c.opSeq++
	op := &operation{
		id:       newUUID(),
		seq:      c.opSeq,
		location: location,
		lockKey:  lockKey,
		names:    names,
		accepted: now,
		due:      now.Add(wo.latency),
		failure:  wo.fail,
		status:   opInProgress,
	}
	c.ops[op.id] = op
	c.inflight[lockKey] = op
	c.pending = append(c.pending, op)
	sort.SliceStable(c.pending, func(i, j int) bool {
		if !c.pending[i].due.Equal(c.pending[j].due) {
			return c.pending[i].due.Before(c.pending[j].due)
		}
		return c.pending[i].seq < c.pending[j].seq
	})
	if wo.latency > 0 {
		c.scheduleSettle(wo.latency)
	}
	return op
}

// scheduleSettle ends due operations after d even if no request arrives, so watchers hear of it.
// A clock without timers (a PassiveClock-like implementation) leaves it to the next request.
func (c *Cloud) scheduleSettle(d time.Duration) {
	dc, ok := c.clock.(clock.WithDelayedExecution)
	if !ok {
		return
	}
	// The fake clock runs the callback while holding its own lock, so the callback must not read
	// the clock; a goroutine does the work.
	dc.AfterFunc(d, func() { go c.settle() })
}

// settle ends the operations that are due and tells watchers if the store changed.
func (c *Cloud) settle() {
	c.mu.Lock()
	changed := c.settleLocked(c.clock.Now())
	c.mu.Unlock()
	if changed {
		c.watchers.notify()
	}
}

// settleLocked ends every operation due at or before now, in due order, and forgets ended operations
// past their retention. It reports whether the store changed.
func (c *Cloud) settleLocked(now time.Time) bool {
	changed := false
	n := 0
	for n < len(c.pending) && !c.pending[n].due.After(now) {
		op := c.pending[n]
		op.ended = op.due
		if op.failure != nil {
			op.status = opFailed
		} else {
			op.status = opSucceeded
			if op.finish != nil {
				op.finish()
				changed = true
			}
		}
		op.finish = nil // it holds the written resource: ended operations keep only their status
		if c.inflight[op.lockKey] == op {
			delete(c.inflight, op.lockKey)
		}
		c.ended = append(c.ended, op)
		n++
	}
	if n > 0 {
		c.pending = append(c.pending[:0], c.pending[n:]...)
	}
	forget := 0
	for forget < len(c.ended) && now.Sub(c.ended[forget].ended) > operationRetention {
		delete(c.ops, c.ended[forget].id)
		forget++
	}
	if forget > 0 {
		c.ended = append(c.ended[:0], c.ended[forget:]...)
	}
	if changed {
		c.version++
	}
	return changed
}

// conflictLocked answers 409 when an operation on lockKey is still running.
func (c *Cloud) conflictLocked(r *http.Request, lockKey string) *Error {
	op := c.inflight[lockKey]
	if op == nil {
		return nil
	}
	return newError(http.StatusConflict, CodeAnotherOperationInProgress,
		"Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: %s",
		c.operationURL(r, op, "operations"))
}

func (c *Cloud) operationURL(r *http.Request, op *operation, kind string) string {
	p := armPath{Subscription: c.opts.SubscriptionID, Type: TypeOperations, Location: op.location, OperationKind: kind, OperationID: op.id}
	q := url.Values{"api-version": {r.URL.Query().Get("api-version")}}
	return baseURL(r) + p.String() + "?" + q.Encode()
}

// setAsyncHeaders adds the polling headers of an accepted write: Azure-AsyncOperation, Location for
// deletes, and Retry-After while the operation runs.
func (c *Cloud) setAsyncHeaders(w http.ResponseWriter, r *http.Request, op *operation, now time.Time) {
	h := w.Header()
	h.Set("Azure-AsyncOperation", c.operationURL(r, op, "operations"))
	if r.Method == http.MethodDelete {
		h.Set("Location", c.operationURL(r, op, "operationResults"))
	}
	if op.status == opInProgress {
		setRetryAfter(h, op.due.Sub(now))
	}
}

// setRetryAfter sets Retry-After in whole seconds (what ARM sends) and Retry-After-Ms, which azcore
// prefers, so the SDK waits exactly d and never its 30 s default.
func setRetryAfter(h http.Header, d time.Duration) {
	if d <= 0 {
		return
	}
	h.Set("Retry-After-Ms", strconv.FormatInt(int64(math.Ceil(float64(d)/float64(time.Millisecond))), 10))
	h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10))
}

type operationBody struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Status    string        `json:"status"`
	StartTime string        `json:"startTime"`
	EndTime   string        `json:"endTime,omitempty"`
	Error     *errorPayload `json:"error,omitempty"`
}

// serveOperation answers polls of the Azure-AsyncOperation URL (status document) and of the
// Location URL (202 while running, then 204 or the operation's error).
func (c *Cloud) serveOperation(w http.ResponseWriter, r *http.Request, p armPath) {
	if r.Method != http.MethodGet {
		writeError(w, newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The operation resource only supports GET."))
		return
	}
	now := c.clock.Now()
	c.mu.Lock()
	changed := c.settleLocked(now)
	op := c.ops[strings.ToLower(p.OperationID)]
	var snapshot operation
	if op != nil {
		snapshot = *op
	}
	c.mu.Unlock()
	if changed {
		c.watchers.notify()
	}
	if op == nil || !strings.EqualFold(normalizeLocation(p.Location), op.location) {
		writeError(w, newError(http.StatusNotFound, CodeOperationNotFound, "The operation '%s' could not be found.", p.OperationID))
		return
	}
	op = &snapshot
	if op.status == opInProgress {
		setRetryAfter(w.Header(), op.due.Sub(now))
	}
	if p.OperationKind == "operationResults" {
		switch op.status {
		case opInProgress:
			w.Header().Set("Location", c.operationURL(r, op, "operationResults"))
			w.WriteHeader(http.StatusAccepted)
		case opSucceeded:
			w.WriteHeader(http.StatusNoContent)
		default:
			writeError(w, op.failure)
		}
		return
	}
	body := operationBody{
		ID:        p.String(),
		Name:      op.id,
		Status:    op.status,
		StartTime: op.accepted.UTC().Format(time.RFC3339Nano),
	}
	if op.status != opInProgress {
		body.EndTime = op.ended.UTC().Format(time.RFC3339Nano)
	}
	if op.failure != nil && op.status == opFailed {
		payload := op.failure.payload()
		body.Error = &payload
	}
	writeJSON(w, http.StatusOK, body)
}
