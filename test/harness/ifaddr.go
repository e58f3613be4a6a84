package harness

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink"
)

// ErrNeedRoot is returned by Start when the process may not add addresses to
// the loopback device. Each simulated node needs its own 127.0.1.N/32 on lo:
// k8s.io/kubernetes/pkg/proxy/healthcheck (v1.37) binds the health check node
// port only on interface addresses that match --nodeport-addresses, and
// neither its listener nor its interface lister can be injected from outside
// the package.
var ErrNeedRoot = errors.New("the harness needs root (CAP_NET_ADMIN) to add 127.0.1.N/32 node addresses to the loopback device lo: " +
	"k8s.io/kubernetes/pkg/proxy/healthcheck binds health check node ports only on interface addresses matching nodePortAddresses, " +
	"and its listener and interface lister are not injectable; run the tests as root (sudo -E go test ./...) or in a container with CAP_NET_ADMIN")

// loopbackClaimer claims addresses by adding them to lo with netlink,
// guarded by an exclusive flock on a per-address lock file. The lock makes
// the claim exclusive across processes and dies with its process, so an
// address that a killed run left on lo is adopted by the next claimer
// instead of being lost.
type loopbackClaimer struct {
	mu    sync.Mutex
	locks map[netip.Addr]*os.File
}

// claimer is the process's loopback claimer.
var claimer = &loopbackClaimer{locks: map[netip.Addr]*os.File{}}

// lockDir holds the per-address lock files.
func lockDir() string { return filepath.Join(os.TempDir(), "azlb-harness-addresses") }

// lock takes the address's lock without waiting; errAddressTaken if another
// live process (or cluster) holds it.
func (c *loopbackClaimer) lock(addr netip.Addr) (*os.File, error) {
	if err := os.MkdirAll(lockDir(), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", lockDir(), err)
	}
	f, err := os.OpenFile(filepath.Join(lockDir(), addr.String()+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock of %s: %w", addr, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errAddressTaken
		}
		return nil, fmt.Errorf("locking %s: %w", addr, err)
	}
	return f, nil
}

func (*loopbackClaimer) link() (netlink.Link, error) {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return nil, fmt.Errorf("finding the loopback device lo: %w", err)
	}
	return lo, nil
}

func hostPrefix(addr netip.Addr) *netlink.Addr {
	return &netlink.Addr{IPNet: &net.IPNet{IP: addr.AsSlice(), Mask: net.CIDRMask(addr.BitLen(), addr.BitLen())}}
}

// Claim implements addressClaimer.
func (c *loopbackClaimer) Claim(addr netip.Addr) error {
	lo, err := c.link()
	if err != nil {
		return err
	}
	f, err := c.lock(addr)
	if err != nil {
		return err
	}
	err = netlink.AddrAdd(lo, hostPrefix(addr))
	switch {
	case err == nil, errors.Is(err, syscall.EEXIST):
		// EEXIST under our lock: left behind by a process that died.
		c.mu.Lock()
		c.locks[addr] = f
		c.mu.Unlock()
		return nil
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES), errors.Is(err, os.ErrPermission):
		_ = f.Close()
		return ErrNeedRoot
	default:
		_ = f.Close()
		return fmt.Errorf("adding %s/32 to lo: %w", addr, err)
	}
}

// Release implements addressClaimer.
func (c *loopbackClaimer) Release(addr netip.Addr) error {
	defer func() {
		c.mu.Lock()
		if f := c.locks[addr]; f != nil {
			_ = f.Close() // drops the flock
			delete(c.locks, addr)
		}
		c.mu.Unlock()
	}()
	lo, err := c.link()
	if err != nil {
		return err
	}
	if err := netlink.AddrDel(lo, hostPrefix(addr)); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) {
		return fmt.Errorf("removing %s/32 from lo: %w", addr, err)
	}
	return nil
}

// loopbackHas reports whether addr is configured on lo.
func loopbackHas(addr netip.Addr) (bool, error) {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return false, err
	}
	addrs, err := netlink.AddrList(lo, netlink.FAMILY_V4)
	if err != nil {
		return false, err
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == addr {
			return true, nil
		}
	}
	return false, nil
}
