package dataplane

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// fnv-1a, 64 bits: a fixed, fast hash for flow placement and probe phases. Azure does not publish its
// hash; any hash that spreads flows evenly and is stable for a seed reproduces what users observe.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

type hasher uint64

func newHasher(seed uint64) hasher {
	h := hasher(fnvOffset)
	return h.u64(seed)
}

func (h hasher) bytes(b []byte) hasher {
	for _, c := range b {
		h ^= hasher(c)
		h *= fnvPrime
	}
	return h
}

func (h hasher) u64(v uint64) hasher {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return h.bytes(b[:])
}

func (h hasher) str(s string) hasher {
	for i := 0; i < len(s); i++ {
		h ^= hasher(s[i])
		h *= fnvPrime
	}
	return h.u64(uint64(len(s)))
}

func (h hasher) addr(a netip.Addr) hasher {
	b := a.As16()
	return h.bytes(b[:])
}

// sum finishes the hash with a final avalanche (splitmix64), so that nearby inputs land far apart.
func (h hasher) sum() uint64 {
	z := uint64(h)
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

// phase is where in the interval the probes of one backend fall: a pure function of the seed and
// the (probe, backend) identity, so backends are not probed in lock-step and a rebuild keeps it.
func phase(seed uint64, probeID string, backend netip.Addr, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	return time.Duration(newHasher(seed).str(probeID).addr(backend).sum() % uint64(interval))
}

// nextDue is the first instant strictly after now that is congruent to the phase modulo the
// interval, counted from the Unix epoch: the probe schedule of a backend does not depend on when it
// joined, so the first probe after any change comes anywhere in (0, interval] after it.
func nextDue(now time.Time, interval, ph time.Duration) time.Time {
	if interval <= 0 {
		return now
	}
	since := now.UnixNano() - int64(ph)
	rem := since % int64(interval)
	if rem < 0 {
		rem += int64(interval)
	}
	return now.Add(interval - time.Duration(rem))
}
