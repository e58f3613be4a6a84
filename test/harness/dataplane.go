package harness

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"k8s.io/klog/v2"

	"github.com/azlb/azlb/pkg/fake/dataplane"
	"github.com/azlb/azlb/pkg/probes"
)

// DataPlaneOptions configure StartDataPlane. The zero value is Azure's
// documented behaviour on the real clock.
type DataPlaneOptions struct {
	// Seed seeds the probe phases and the flow hash (default 1).
	Seed uint64
	// Semantics are the probe semantics ("" is probes.SemanticsAzure).
	Semantics probes.Semantics
	// ProbeInterval, when non-zero, replaces every probe's interval: for
	// tests that cannot wait Azure's 5 s minimum. Leave it zero to keep the
	// timing real.
	ProbeInterval time.Duration
	// Logger receives the data plane's logs; default klog's.
	Logger klog.Logger
}

// DataPlane is the fake Azure load balancer's data plane
// (pkg/fake/dataplane.Live) following a FakeAzure's store: it listens on
// every frontend address:port of the load-balancing rules the controller
// writes (public IPs from FakeAzure.PublicIPRange, internal frontends from
// FakeAzure.FrontendSubnet), probes the pool members (the node addresses)
// over real HTTP or TCP, and forwards each admitted connection to
// nodeIP:backendPort with a PROXY v1 header, which the nodes' data paths
// route. The frontend addresses are in 127.0.0.0/8, which Linux treats as
// local on lo as a whole, so they are bound without adding them to lo;
// the FakeAzure's address block lock keeps them exclusive.
type DataPlane struct {
	// Live is the running data plane: Observe for its state, Handler for
	// the same as JSON.
	Live *dataplane.Live

	cancel context.CancelFunc
	done   chan struct{}
}

// StartDataPlane starts the data plane on a's cloud; it follows every later
// change of the cloud's load balancers. Stop ends it.
func StartDataPlane(a *FakeAzure, opts DataPlaneOptions) (*DataPlane, error) {
	if a == nil || a.Cloud == nil {
		return nil, errors.New("data plane: no fake Azure to follow")
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Logger.GetSink() == nil {
		opts.Logger = klog.Background().WithName("dataplane")
	}
	live := dataplane.NewLive(dataplane.LiveOptions{
		Source:        a.Cloud,
		Seed:          opts.Seed,
		Semantics:     opts.Semantics,
		ProbeInterval: opts.ProbeInterval,
		Logger:        opts.Logger,
	})
	ctx, cancel := context.WithCancel(context.Background())
	d := &DataPlane{Live: live, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		// Run fails only without a Source or when already running, which cannot happen here.
		if err := live.Run(ctx); err != nil {
			opts.Logger.Error(err, "The load balancer data plane did not run")
		}
	}()
	return d, nil
}

// StartDataPlaneForTest starts a data plane for a test and stops it in
// t.Cleanup (before a FakeAzure started earlier is closed).
func StartDataPlaneForTest(t testing.TB, a *FakeAzure, opts DataPlaneOptions) *DataPlane {
	t.Helper()
	d, err := StartDataPlane(a, opts)
	if err != nil {
		t.Fatalf("starting the load balancer data plane: %v", err)
	}
	t.Cleanup(d.Stop)
	return d
}

// Observe returns the data plane's current state: per (probe, backend)
// health, per frontend connection counts, the latest transitions.
func (d *DataPlane) Observe() dataplane.Observations { return d.Live.Observe() }

// InRotation returns the backend addresses that the probe with this ARM ID
// (case-insensitive) has marked up.
func (d *DataPlane) InRotation(probeID string) []netip.Addr {
	return InRotation(d.Observe(), probeID)
}

// InRotation returns the backends of obs that the probe with this ARM ID
// (case-insensitive) has marked up, in address order.
func InRotation(obs dataplane.Observations, probeID string) []netip.Addr {
	var out []netip.Addr
	for _, b := range obs.Backends {
		if b.Up && strings.EqualFold(b.ProbeID, probeID) {
			out = append(out, b.Backend)
		}
	}
	return out
}

// Stop closes every frontend listener and connection and waits until the
// data plane has ended. It is safe to call more than once.
func (d *DataPlane) Stop() {
	d.cancel()
	<-d.done
}

// Rule returns the TCP load-balancing rule of the fake's store that serves
// frontend, as the data plane resolves it (frontend address, probe ID,
// backends): what a test or the sandbox needs to read the data plane's
// observations for one Service.
func (a *FakeAzure) Rule(frontend netip.AddrPort) (dataplane.Rule, bool) {
	return RuleFor(dataplane.ConfigFromSnapshot(a.Cloud.Snapshot()), frontend)
}

// RuleFor returns the TCP rule of cfg that serves frontend (a rule for
// every port, HA ports, counts too).
func RuleFor(cfg dataplane.Config, frontend netip.AddrPort) (dataplane.Rule, bool) {
	for _, r := range cfg.Rules {
		if r.Frontend == frontend.Addr() && (r.FrontendPort == frontend.Port() || r.FrontendPort == 0) &&
			(r.Protocol == dataplane.ProtocolTCP || r.Protocol == dataplane.ProtocolAll) {
			return r, true
		}
	}
	return dataplane.Rule{}, false
}
