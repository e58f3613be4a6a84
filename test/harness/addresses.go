package harness

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
)

// The address plan. Everything lives in 127.0.0.0/8, which Linux routes to
// the loopback device, so any of these addresses can be bound without
// configuration; only node addresses are also added to lo (see ifaddr.go),
// because kube-proxy's health check code binds the interface addresses that
// match --nodeport-addresses.
const (
	// maxIndex is the largest node, pod or frontend index: the last octet.
	maxIndex = 254
)

// NodeAddress returns the InternalIP of the node with index n: 127.0.1.n.
func NodeAddress(n int) netip.Addr { return netip.AddrFrom4([4]byte{127, 0, 1, byte(n)}) }

// PodAddress returns the loopback address on which pod m of the node with
// index n has its sockets: 127.1.n.m.
func PodAddress(n, m int) netip.Addr { return netip.AddrFrom4([4]byte{127, 1, byte(n), byte(m)}) }

// PodIP returns the address the API shows for pod m of the node with index
// n (status.podIP, EndpointSlice addresses): 10.244.n.m. The API server
// refuses loopback endpoint addresses, so the API shows this address and
// everything that opens a socket (kube-proxy's data path, the kubelet's
// probes, tests) maps it to PodAddress with PodLoopback.
func PodIP(n, m int) netip.Addr { return netip.AddrFrom4([4]byte{10, 244, byte(n), byte(m)}) }

// PodLoopback maps a pod IP as the API shows it (10.244.n.m) to the
// loopback address where the pod listens (127.1.n.m). Other addresses (a
// hostNetwork pod's node address) are returned unchanged.
func PodLoopback(ip netip.Addr) netip.Addr {
	b := ip.Unmap().As16()
	if ip.Unmap().Is4() && b[12] == 10 && b[13] == 244 {
		return PodAddress(int(b[14]), int(b[15]))
	}
	return ip.Unmap()
}

// ClientAddress returns test client address n: 127.0.3.n. Tests bind their
// client sockets to these so that the address a pod sees identifies the
// client.
func ClientAddress(n int) netip.Addr { return netip.AddrFrom4([4]byte{127, 0, 3, byte(n)}) }

// errExhausted is returned when every index of a range is taken.
var errExhausted = errors.New("all 254 addresses of the range are in use")

// indexAllocator hands out indexes 1..254 round-robin, so that an index just
// released (a deleted pod's address) is not reused at once: kube-proxy may
// still see the old endpoint with that address for a sync period.
type indexAllocator struct {
	mu   sync.Mutex
	used [maxIndex + 1]bool
	next int
}

// allocate returns a free index for which try succeeds. try is called with
// candidate indexes in round-robin order; it returns errAddressTaken to move
// on to the next candidate, nil to accept, or another error to abort.
func (a *indexAllocator) allocate(try func(n int) error) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := 0; i < maxIndex; i++ {
		n := (a.next+i)%maxIndex + 1
		if a.used[n] {
			continue
		}
		err := try(n)
		if errors.Is(err, errAddressTaken) {
			continue
		}
		if err != nil {
			return 0, err
		}
		a.used[n] = true
		a.next = n % maxIndex
		return n, nil
	}
	return 0, errExhausted
}

// release frees index n.
func (a *indexAllocator) release(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n >= 1 && n <= maxIndex {
		a.used[n] = false
	}
}

// errAddressTaken tells indexAllocator.allocate to try the next index.
var errAddressTaken = errors.New("address already taken")

// addressClaimer claims loopback addresses exclusively, so that clusters in
// other processes on the same machine do not use the same node or frontend
// addresses.
type addressClaimer interface {
	// Claim adds addr to the loopback device; it returns errAddressTaken
	// when the address is already there (another process owns it).
	Claim(addr netip.Addr) error
	// Release removes addr from the loopback device.
	Release(addr netip.Addr) error
}

// claimIndex allocates an index from a, claiming the address at(n).
func claimIndex(a *indexAllocator, c addressClaimer, at func(int) netip.Addr) (int, netip.Addr, error) {
	n, err := a.allocate(func(n int) error { return c.Claim(at(n)) })
	if err != nil {
		return 0, netip.Addr{}, fmt.Errorf("claiming an address like %s: %w", at(1), err)
	}
	return n, at(n), nil
}
