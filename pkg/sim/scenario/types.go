package scenario

import "time"

// APIVersion and Kind of the Scenario document.
const (
	APIVersion = "lbctl.azlb.io/v1alpha1"
	Kind       = "Scenario"
)

// Scenario is the `kind: Scenario` document of `lbctl simulate`: the cluster, the clients, what the
// app does, and the events to replay. docs/simulation.md documents every field.
type Scenario struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

// Metadata names the scenario.
type Metadata struct {
	Name string `json:"name"`
}

// Spec is the scenario proper.
type Spec struct {
	// Duration is how long clients send requests, from time 0 (required).
	Duration Duration `json:"duration"`
	// Seed fixes every random choice (default 1): the same seed gives the same output.
	Seed *int64 `json:"seed,omitempty"`
	// Nodes makes the cluster's nodes when the manifests hold no Node objects (default 3 nodes).
	Nodes        *Nodes       `json:"nodes,omitempty"`
	Clients      Clients      `json:"clients"`
	App          App          `json:"app"`
	KubeProxy    KubeProxy    `json:"kubeProxy"`
	LoadBalancer LoadBalancer `json:"loadBalancer"`
	Events       []Event      `json:"events,omitempty"`
}

// Nodes describes the nodes to make.
type Nodes struct {
	Count int      `json:"count"`
	Names []string `json:"names,omitempty"` // default node-0, node-1, ...
	// Zones are given to the nodes in turn (node i gets zones[i % len(zones)]) as the
	// topology.kubernetes.io/zone label; default no zone.
	Zones []string `json:"zones,omitempty"`
}

// Arrival patterns of requests.
const (
	ArrivalUniform = "uniform" // evenly spaced, 1/requestsPerSecond apart
	ArrivalPoisson = "poisson" // exponential gaps with mean 1/requestsPerSecond, from the seed
)

// Clients is the load.
type Clients struct {
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	// Count is how many client addresses send requests, in turn (default 10).
	Count int `json:"count,omitempty"`
	// KeepAlive reuses connections (HTTP/1.1 keep-alive); false opens a connection per request.
	KeepAlive bool `json:"keepAlive,omitempty"`
	// Timeout is how long a client waits for an answer (default 5s).
	Timeout *Duration `json:"timeout,omitempty"`
	// Arrival is uniform (default) or poisson.
	Arrival string `json:"arrival,omitempty"`
}

// App is what the application in the pods does.
type App struct {
	// StartupTime is from the container's start until the app listens and its readiness endpoint
	// answers (default 0).
	StartupTime Duration `json:"startupTime,omitempty"`
	// ContainerStartDelay is from the pod's scheduling until its container runs (image pull, sandbox;
	// default 1s).
	ContainerStartDelay *Duration `json:"containerStartDelay,omitempty"`
	// ResponseTime is how long the app takes to answer a request (default 10ms).
	ResponseTime *Duration `json:"responseTime,omitempty"`
	// PreStopHTTPGetDuration is how long a preStop httpGet hook takes to answer (default 0).
	PreStopHTTPGetDuration Duration `json:"preStopHTTPGetDuration,omitempty"`
	// OnSigterm is what the app does when it receives SIGTERM.
	OnSigterm Sigterm `json:"onSigterm"`
}

// Sigterm is the app's reaction to SIGTERM. With neither field set the app exits at once.
type Sigterm struct {
	// ExitImmediately: the process exits on SIGTERM (the default).
	ExitImmediately bool `json:"exitImmediately,omitempty"`
	// ServeFor: the app keeps serving this long after SIGTERM, then exits (SIGKILL still ends it at the
	// end of the grace period).
	ServeFor Duration `json:"serveFor,omitempty"`
	// FailReadiness: from SIGTERM on, the readiness endpoint fails.
	FailReadiness bool `json:"failReadiness,omitempty"`
	// GracefulClose: from SIGTERM on, responses carry `Connection: close`, idle keep-alive connections
	// are closed cleanly, and the exit waits for requests in flight. Without it, connections are cut
	// when the process exits.
	GracefulClose bool `json:"gracefulClose,omitempty"`
}

// KubeProxy configures every node's kube-proxy.
type KubeProxy struct {
	// MinSyncPeriod is the least time between two syncs (default 1s, iptables and nftables).
	MinSyncPeriod *Duration `json:"minSyncPeriod,omitempty"`
}

// Probe semantics names (pkg/probes).
const (
	SemanticsAzure     = "azure"
	SemanticsThreshold = "threshold"
)

// LoadBalancer configures the fake load balancer.
type LoadBalancer struct {
	// ProbeSemantics is azure (Azure's documented behaviour, the default) or threshold.
	ProbeSemantics string `json:"probeSemantics,omitempty"`
	// UpdateDelay is from a change of the node set until the backend pool in force reflects it: the
	// service controller's UpdateLoadBalancer plus the ARM write (default 5s).
	UpdateDelay *Duration `json:"updateDelay,omitempty"`
}

// Event is one thing that happens at a time. Exactly one action is set.
type Event struct {
	At         Duration         `json:"at"`
	Rollout    *RolloutEvent    `json:"rollout,omitempty"`
	DrainNode  *DrainNodeEvent  `json:"drainNode,omitempty"`
	Scale      *ScaleEvent      `json:"scale,omitempty"`
	DeletePod  *DeletePodEvent  `json:"deletePod,omitempty"`
	AddNode    *AddNodeEvent    `json:"addNode,omitempty"`
	RemoveNode *RemoveNodeEvent `json:"removeNode,omitempty"`
}

// RolloutEvent changes the pod template (a new revision), as `kubectl rollout restart` does.
type RolloutEvent struct {
	// Times repeats the rollout: each starts when the previous one has completed (default 1).
	Times int `json:"times,omitempty"`
}

// DrainNodeEvent is `kubectl drain --ignore-daemonsets`: cordon, then evict every pod of the workload
// on the node, retrying evictions a PodDisruptionBudget refuses every 5 s.
type DrainNodeEvent struct {
	Node string `json:"node"`
	// ExcludeFromLoadBalancer also labels the node node.kubernetes.io/exclude-from-external-load-balancers
	// when it is cordoned, so the service controller takes it out of the backend pool.
	ExcludeFromLoadBalancer bool `json:"excludeFromLoadBalancer,omitempty"`
}

// ScaleEvent sets the Deployment's replicas.
type ScaleEvent struct {
	Replicas *int32 `json:"replicas"`
}

// DeletePodEvent deletes one pod (`kubectl delete pod`): the named one, else the first pod on the
// named node, else the first pod by name.
type DeletePodEvent struct {
	Pod  string `json:"pod,omitempty"`
	Node string `json:"node,omitempty"`
}

// AddNodeEvent adds a Ready node.
type AddNodeEvent struct {
	Name string `json:"name,omitempty"` // default node-N
	Zone string `json:"zone,omitempty"`
}

// RemoveNodeEvent deletes a node and its VM at once: its pods vanish, it stops answering, and the
// service controller takes it out of the backend pool.
type RemoveNodeEvent struct {
	Node string `json:"node"`
}

// Defaults.
const (
	DefaultSeed                = 1
	DefaultNodes               = 3
	DefaultClients             = 10
	DefaultClientTimeout       = 5 * time.Second
	DefaultContainerStartDelay = time.Second
	DefaultResponseTime        = 10 * time.Millisecond
	DefaultMinSyncPeriod       = time.Second
	DefaultUpdateDelay         = 5 * time.Second
)
