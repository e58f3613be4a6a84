package harness

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAddressPlan(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{NodeAddress(3).String(), "127.0.1.3"},
		{PodAddress(3, 17).String(), "127.1.3.17"},
		{ClientAddress(7).String(), "127.0.3.7"},
		{PodIP(3, 17).String(), "10.244.3.17"},
		{PodLoopback(PodIP(3, 17)).String(), "127.1.3.17"},
		{PodLoopback(NodeAddress(2)).String(), "127.0.1.2"},
		{PodLoopback(netip.MustParseAddr("10.245.1.1")).String(), "10.245.1.1"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}

func TestIndexAllocator(t *testing.T) {
	var a indexAllocator
	ok := func(int) error { return nil }
	first, _ := a.allocate(ok)
	second, _ := a.allocate(ok)
	if first != 1 || second != 2 {
		t.Fatalf("got %d, %d; want 1, 2", first, second)
	}
	a.release(first)
	// Round-robin: a just-released index is not reused at once.
	if n, _ := a.allocate(ok); n != 3 {
		t.Fatalf("after releasing 1 got %d, want 3", n)
	}
	// Indexes another process holds are skipped.
	taken := func(n int) error {
		if n == 4 {
			return errAddressTaken
		}
		return nil
	}
	if n, _ := a.allocate(taken); n != 5 {
		t.Fatalf("with 4 taken got %d, want 5", n)
	}
	// Other errors abort.
	boom := errors.New("boom")
	if _, err := a.allocate(func(int) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	// Exhaustion wraps around and then fails.
	var b indexAllocator
	for i := 0; i < maxIndex; i++ {
		if _, err := b.allocate(ok); err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
	}
	if _, err := b.allocate(ok); !errors.Is(err, errExhausted) {
		t.Fatalf("err = %v, want errExhausted", err)
	}
	b.release(200)
	if n, _ := b.allocate(ok); n != 200 {
		t.Fatalf("got %d, want the only free index 200", n)
	}
}
