// Package check reads a Service of type LoadBalancer and its workload and reports each setting that
// will drop requests (or spread them unevenly) during rollouts and drains, with the smallest value that
// will not (lbctl check).
//
// Decisions are pure functions over the manifests: the probe the provider writes
// (loadbalancer.BuildServiceSpec), its timing (pkg/probes: RequiredPreStop, RequiredMinReadySeconds),
// the workload's termination, rollout and placement settings, and the app's behaviour from a Scenario
// document (or stated assumptions). Every suggestion is a Finding that Apply writes into a copy of the
// manifests, and Run backs each one with the simulator (pkg/sim): the manifests as given, with that
// fix alone, and with every fix, replayed through the same disruptions (a steady run, two back-to-back
// rollouts, a drain of the busiest node, and the Scenario's own events), so the report shows the
// requests each change saves. docs/check.md describes the rules and the output.
package check
