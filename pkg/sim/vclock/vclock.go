// Package vclock is the simulator's virtual clock: an event loop that runs callbacks in time order
// (equal times in the order they were scheduled) and holds the current virtual time. It implements
// k8s.io/utils/clock's PassiveClock and pkg/fake/dataplane's Scheduler. Nothing waits on the wall
// clock.
package vclock

import (
	"container/heap"
	"time"
)

// Loop is a virtual clock with its queue of events. It is not safe for concurrent use.
type Loop struct {
	now time.Time
	q   queue
	seq uint64
}

// New returns a loop whose time is start.
func New(start time.Time) *Loop { return &Loop{now: start} }

// Now is the virtual time.
func (l *Loop) Now() time.Time { return l.now }

// Since is Now - t.
func (l *Loop) Since(t time.Time) time.Duration { return l.now.Sub(t) }

// At schedules fn at t (at Now when t is in the past).
func (l *Loop) At(t time.Time, fn func()) {
	if t.Before(l.now) {
		t = l.now
	}
	l.seq++
	heap.Push(&l.q, item{at: t, seq: l.seq, fn: fn})
}

// After schedules fn d from now.
func (l *Loop) After(d time.Duration, fn func()) { l.At(l.now.Add(d), fn) }

// Next is the time of the next event (ok false when none is scheduled).
func (l *Loop) Next() (time.Time, bool) {
	if len(l.q) == 0 {
		return time.Time{}, false
	}
	return l.q[0].at, true
}

// Step runs the next event, moving the time to it; false when the queue is empty.
func (l *Loop) Step() bool {
	if len(l.q) == 0 {
		return false
	}
	it := heap.Pop(&l.q).(item)
	l.now = it.at
	it.fn()
	return true
}

// AdvanceTo moves the time to t without running anything; t must not be after the next event.
func (l *Loop) AdvanceTo(t time.Time) {
	if t.After(l.now) {
		l.now = t
	}
}

// RunUntil runs every event due at or before t, then sets the time to t.
func (l *Loop) RunUntil(t time.Time) {
	for len(l.q) > 0 && !l.q[0].at.After(t) {
		l.Step()
	}
	l.AdvanceTo(t)
}

// Pending is the number of scheduled events.
func (l *Loop) Pending() int { return len(l.q) }

type item struct {
	at  time.Time
	seq uint64
	fn  func()
}

type queue []item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = item{}
	*q = old[:len(old)-1]
	return it
}
