// Package rollout holds the workload controllers' arithmetic as pure functions: how far a Deployment
// or DaemonSet rolling update may surge and go unavailable (SEMANTICS.md 3), the Deployment
// controller's scale steps, the DaemonSet controller's per-node decisions, the order in which a
// ReplicaSet deletes pods, and how many evictions a PodDisruptionBudget allows. Each function follows
// the Kubernetes v1.37 controller it names (pkg/controller/deployment, daemon, replicaset, disruption).
package rollout
