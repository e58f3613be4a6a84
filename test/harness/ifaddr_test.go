package harness

import (
	"errors"
	"net/netip"
	"os"
	"testing"
)

// TestLoopbackClaimer: a claim is exclusive while held, and an address a
// dead process left on lo (no lock holder) is adopted rather than lost.
func TestLoopbackClaimer(t *testing.T) {
	addr := unitAddr(250)
	a := &loopbackClaimer{locks: map[netip.Addr]*os.File{}}
	b := &loopbackClaimer{locks: map[netip.Addr]*os.File{}}
	if err := a.Claim(addr); errors.Is(err, ErrNeedRoot) {
		t.Skip(err.Error())
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Release(addr); _ = b.Release(addr) })
	if has, err := loopbackHas(addr); err != nil || !has {
		t.Fatalf("claimed %s is not on lo: %v, %v", addr, has, err)
	}
	if err := b.Claim(addr); !errors.Is(err, errAddressTaken) {
		t.Fatalf("second claim while held: err %v, want errAddressTaken", err)
	}

	// Simulate a dead owner: drop the lock but leave the address on lo.
	a.mu.Lock()
	_ = a.locks[addr].Close()
	delete(a.locks, addr)
	a.mu.Unlock()
	if err := b.Claim(addr); err != nil {
		t.Fatalf("claiming an address left behind: %v", err)
	}
	if err := b.Release(addr); err != nil {
		t.Fatal(err)
	}
	if has, _ := loopbackHas(addr); has {
		t.Fatalf("%s still on lo after Release", addr)
	}
}
