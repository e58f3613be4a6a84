// Package sim replays a rollout, drain or scale-down of real manifests on a simulated cluster, on a
// virtual clock, and counts what every client request saw (lbctl simulate).
//
// It is a deterministic discrete-event simulation: one event loop (pkg/sim/vclock), one thread, every
// random choice drawn from generators seeded by the scenario's seed, so the same input gives the same
// output byte for byte. The parts, each following SEMANTICS.md:
//
//   - nodes, kube-scheduler's placement (pkg/sim/schedule), and the Deployment, ReplicaSet and
//     DaemonSet controllers (pkg/sim/rollout), reacting at once to every change;
//   - each pod's kubelet: container start, readiness probes, and the termination sequence (deletion,
//     preStop, SIGTERM, the app's reaction from the scenario, SIGKILL) of SEMANTICS.md 3;
//   - EndpointSlice conditions and each node's kube-proxy (pkg/sim/kubeproxy): the health check node
//     port's answer and the data path, applied at each node's sync (minSyncPeriod);
//   - the load balancer: not re-implemented. The real provider (pkg/loadbalancer through
//     pkg/azureprovider) writes it into the in-memory fake Azure with EnsureLoadBalancer and, when the
//     node set changes, UpdateLoadBalancer; pkg/fake/dataplane's state machine reads what it wrote,
//     probes the simulated nodes and places every client flow;
//   - clients: requests at a fixed rate (or Poisson arrivals) from a set of addresses, over a connection
//     each or kept-alive connections, each classified as served, connection refused, no healthy
//     backend, reset or timeout.
//
// The cluster warms up before the clients start (pods start and become ready, the load balancer probes
// the nodes); scenario time 0 is when the clients start. docs/simulation.md documents the scenario
// format, the output and the modelling choices.
package sim
