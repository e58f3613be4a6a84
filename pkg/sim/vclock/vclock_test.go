package vclock

import (
	"reflect"
	"testing"
	"time"
)

func TestLoopOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(t0)
	var got []string
	l.At(t0.Add(2*time.Second), func() { got = append(got, "b") })
	l.At(t0.Add(time.Second), func() {
		got = append(got, "a")
		l.After(time.Second, func() { got = append(got, "b2") }) // same time as b, scheduled later
		l.At(t0, func() { got = append(got, "past") })           // in the past: runs now
	})
	l.RunUntil(t0.Add(10 * time.Second))
	if want := []string{"a", "past", "b", "b2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if !l.Now().Equal(t0.Add(10*time.Second)) || l.Pending() != 0 {
		t.Errorf("now %v pending %d", l.Now(), l.Pending())
	}
	if l.Since(t0) != 10*time.Second {
		t.Errorf("Since %v", l.Since(t0))
	}
}
