package harness

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"sync"
)

// fileLockClaimer claims an address with the same per-address lock file as
// loopbackClaimer, without adding it to lo: it reserves a whole block of
// addresses (named by its first address) that nothing binds yet. Like the
// loopback claim, the lock dies with its process.
type fileLockClaimer struct {
	mu    sync.Mutex
	locks map[netip.Addr]*os.File
}

// lockClaimer is the process's lock-only claimer.
var lockClaimer = &fileLockClaimer{locks: map[netip.Addr]*os.File{}}

// Claim implements addressClaimer.
func (c *fileLockClaimer) Claim(addr netip.Addr) error {
	f, err := claimer.lock(addr)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.locks[addr] = f
	return nil
}

// Release implements addressClaimer.
func (c *fileLockClaimer) Release(addr netip.Addr) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.locks[addr]
	delete(c.locks, addr)
	if f == nil {
		return nil
	}
	return f.Close() // drops the flock
}

// randomSecret is a fresh client secret for the fake's token endpoint.
func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}
