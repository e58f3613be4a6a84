// Package dataplane is the fake Azure Standard Load Balancer's data plane: health probes and flow
// placement for the load balancers in pkg/fake's store, the objects the provider writes.
//
// Like etcd's raft, the decisions live in a deterministic state machine with no I/O and no clock
// (Machine), and thin drivers feed it:
//
//   - SyncDriver runs it on a virtual clock (a Scheduler, the simulator's event loop) with a
//     synchronous prober that answers from the simulated cluster: lbctl simulate.
//   - Live runs it for real on clock.RealClock: it follows pkg/fake's store through Cloud.Watch and
//     Cloud.Snapshot, probes the backends over loopback HTTP/HTTPS/TCP, accepts TCP connections on
//     every frontend address:port and forwards each to its backend, opening the backend connection
//     with a PROXY protocol v1 header (the client and frontend addresses), as test/harness expects.
//     Only loopback addresses are listened on or dialled. Observe and Handler expose what a live page
//     polls.
//
// Behaviour (SEMANTICS.md 1, Azure's health probe documentation):
//
//   - Probes: one state machine per (probe, backend address). Under probes.SemanticsAzure (the
//     default) an explicit Http/Https answer marks the backend at once (200 up, anything else, a
//     refused or reset connection, down); timeouts and every Tcp result count probeThreshold
//     consecutive results. probes.SemanticsThreshold counts every result. The probe timeout is
//     min(30 s, interval). The windows agree with probes.MarkDown and probes.MarkUp (tested).
//   - A new backend starts down, with no results: Azure does not document the initial state, and not
//     sending new flows to a backend that has not yet answered is the conservative reading (the
//     probeThreshold documentation speaks of "successful consecutive probes to be placed back in
//     rotation"). An Http probe's first 200 marks it up under Azure's semantics.
//   - Schedule: every backend is probed every interval, at a phase derived from the seed and the
//     (probe, backend) identity, so backends are not probed in lock-step; the schedule is aligned to
//     the Unix epoch, so the first probe after any change comes within one interval.
//   - Flows: a new flow is hashed (a seeded FNV-1a, since Azure does not publish its hash) over the
//     rule's healthy backends: the 5-tuple with loadDistribution Default, client and frontend
//     addresses with SourceIP, plus the protocol with SourceIPProtocol. A known flow keeps its
//     backend after the backend is marked down, until it is closed or idle longer than the rule's
//     idleTimeoutInMinutes. With every backend down nothing is admitted, unless the probe says
//     noHealthyBackendsBehavior AllProbedUp (then flows go to all backends). A rule without a probe
//     treats every backend as up. A backend's adminState Up or Down overrides its probe for new flows.
//   - Rebuild: Apply keeps the state and schedule of every (probe, backend) that stays; flows whose
//     rule or backend went are forgotten.
//
// Not modelled: the slower re-admission of a flapping backend (Azure publishes no formula), UDP flows
// in the live driver, HA-ports rules in the live driver, outbound rules and SNAT.
package dataplane
