package check

import "github.com/azlb/azlb/pkg/sim"

// Kind says what a finding is about.
type Kind string

// Kinds of findings, in the order Run reports them.
const (
	// KindSingleNode: every pod runs on one node (one replica, or pods packed on one node): a drain or a
	// node failure takes the whole Service down.
	KindSingleNode Kind = "singleNode"
	// KindUnevenTraffic: with externalTrafficPolicy Local the load balancer splits connections evenly
	// between nodes, so nodes with different pod counts give their pods different shares.
	KindUnevenTraffic Kind = "unevenTraffic"
	// KindMaxUnavailable: the rollout may take every node out of rotation at once.
	KindMaxUnavailable Kind = "maxUnavailable"
	// KindReadiness: the pod is Ready (and gets connections) before the app listens.
	KindReadiness Kind = "readiness"
	// KindProbeTiming: the probe's interval x threshold makes the required preStop longer than the
	// grace period allows.
	KindProbeTiming Kind = "probeTiming"
	// KindPreStop: the pod stops serving before the load balancer stops sending it new connections.
	KindPreStop Kind = "preStop"
	// KindGracePeriod: SIGKILL comes before the preStop and the app's own drain are over.
	KindGracePeriod Kind = "terminationGracePeriod"
	// KindMinReadySeconds: the rollout removes old pods before the load balancer sends connections to
	// the new pods' nodes.
	KindMinReadySeconds Kind = "minReadySeconds"
	// KindKeepAlive: kept-alive connections are cut when the app exits instead of being closed cleanly.
	KindKeepAlive Kind = "keepAlive"
)

// Finding is one setting that drops requests (or spreads them unevenly), with the value that does not.
// Field is the path of the setting in Object; Suggested is the value Apply writes there (its format is
// the field's own: a number of seconds, a percentage, "true"), unless Manual.
type Finding struct {
	Kind Kind `json:"kind"`
	// DropsRequests is false for findings that only make traffic uneven or thin out capacity.
	DropsRequests bool   `json:"dropsRequests"`
	Object        string `json:"object"` // "Deployment default/web", "Service default/web", "Scenario rollout"
	Container     string `json:"container,omitempty"`
	Field         string `json:"field"`
	Current       string `json:"current"`
	Suggested     string `json:"suggested"`
	Why           string `json:"why"`
	// Manual: Apply cannot make the change (a preStop hook it cannot lengthen, nodes to add); Suggested
	// says what to do.
	Manual   bool      `json:"manual,omitempty"`
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Evidence is what the simulator saw, summed over the report's simulations: the manifests as given,
// with this finding's fix alone, and with every fix.
type Evidence struct {
	Before       Counts `json:"before"`
	WithThisFix  Counts `json:"withThisFix"`
	WithAllFixes Counts `json:"withAllFixes"`
	// PodShares are the smallest and largest share of requests a pod got in the steady run (sorted),
	// for findings about uneven traffic.
	PodSharesBefore      []float64 `json:"podSharesBefore,omitempty"`
	PodSharesWithThisFix []float64 `json:"podSharesWithThisFix,omitempty"`
}

// Counts are the requests of simulations and how they failed.
type Counts struct {
	Requests int64        `json:"requests"`
	Failed   int64        `json:"failed"`
	Failures sim.Failures `json:"failures"`
}

func countsOf(r *sim.Result) Counts {
	return Counts{Requests: r.Requests, Failed: r.Failed, Failures: r.Failures}
}

func (c Counts) plus(o Counts) Counts {
	return Counts{
		Requests: c.Requests + o.Requests,
		Failed:   c.Failed + o.Failed,
		Failures: sim.Failures{
			ConnectionRefused: c.Failures.ConnectionRefused + o.Failures.ConnectionRefused,
			NoHealthyBackend:  c.Failures.NoHealthyBackend + o.Failures.NoHealthyBackend,
			Reset:             c.Failures.Reset + o.Failures.Reset,
			Timeout:           c.Failures.Timeout + o.Failures.Timeout,
		},
	}
}
