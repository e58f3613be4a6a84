package sim

import (
	"encoding/json"
	"math"
	"strconv"
)

// Result is the output of a simulation. Its JSON shape is the contract of `lbctl simulate -o json`
// (DESIGN.md): requests, succeeded, failed and failures first, then what explains them. Times are
// seconds of scenario time (0 is when clients start), rounded to the millisecond.
type Result struct {
	Scenario    string   `json:"scenario"`
	Seed        int64    `json:"seed"`
	Requests    int64    `json:"requests"`
	Succeeded   int64    `json:"succeeded"`
	Failed      int64    `json:"failed"`
	Failures    Failures `json:"failures"`
	SuccessRate float64  `json:"successRate"`

	Duration Seconds `json:"durationSeconds"`
	WarmUp   Seconds `json:"warmUpSeconds"` // virtual time the cluster ran before clients started
	Setup    Setup   `json:"setup"`

	// RolloutDuration spans the first rollout's start to the last one's end (null when none ended).
	RolloutDuration *Seconds        `json:"rolloutDurationSeconds"`
	Rollouts        []Rollout       `json:"rollouts"`
	Drains          []Drain         `json:"drains"`
	Nodes           []NodeShare     `json:"nodes"`
	Pods            []PodShare      `json:"pods"`
	FailureWindows  []FailureWindow `json:"failureWindows"`
	Detection       Detection       `json:"probeDetection"`
	Sources         SourceAddresses `json:"sourceAddresses"`
	Notes           []string        `json:"notes"`
	// Timeline is the run over time, for --html; WriteJSON writes it with one line per series.
	Timeline *Timeline `json:"timeline,omitempty"`
}

// Failures counts failed requests by cause.
type Failures struct {
	ConnectionRefused int64 `json:"connectionRefused"`
	NoHealthyBackend  int64 `json:"noHealthyBackend"`
	Reset             int64 `json:"reset"`
	Timeout           int64 `json:"timeout"`
}

// Setup is what the simulation ran with, as the provider and the manifests set it.
type Setup struct {
	Service               string  `json:"service"`
	ExternalTrafficPolicy string  `json:"externalTrafficPolicy"`
	Frontend              string  `json:"frontend"`
	Workload              string  `json:"workload"`
	Nodes                 int     `json:"nodes"`
	Probe                 string  `json:"probe"` // as written by the provider, e.g. "Http :30001/healthz every 5s, threshold 2"
	ProbeSemantics        string  `json:"probeSemantics"`
	MarkDownWindow        string  `json:"markDownWindow"` // probes.MarkDown for the failure the probe sees
	MarkUpWindow          string  `json:"markUpWindow"`
	KubeProxyMinSync      Seconds `json:"kubeProxyMinSyncPeriodSeconds"`
	PreStop               string  `json:"preStop"`
	PreStopSeconds        Seconds `json:"preStopSeconds"`
	RequiredPreStop       Seconds `json:"requiredPreStopSeconds"` // probes.RequiredPreStop: kube-proxy sync + worst mark-down
	GracePeriod           Seconds `json:"terminationGracePeriodSeconds"`
	MinReadySeconds       Seconds `json:"minReadySeconds"`
	OnSigterm             string  `json:"onSigterm"`
	KeepAlive             bool    `json:"keepAlive"`
	RequestsPerSecond     float64 `json:"requestsPerSecond"`
	Clients               int     `json:"clients"`
	ClientTimeout         Seconds `json:"clientTimeoutSeconds"`
}

// Rollout is one rolling update.
type Rollout struct {
	Revision    int      `json:"revision"`
	Start       Seconds  `json:"start"`
	End         *Seconds `json:"end"` // null when it did not complete within the run
	Duration    Seconds  `json:"durationSeconds"`
	Requests    int64    `json:"requests"`
	Failed      int64    `json:"failed"`
	SuccessRate float64  `json:"successRate"`
}

// Drain is one node drain.
type Drain struct {
	Node     string   `json:"node"`
	Start    Seconds  `json:"start"`
	End      *Seconds `json:"end"`
	Duration Seconds  `json:"durationSeconds"`
}

// NodeShare is the traffic the load balancer sent to one node.
type NodeShare struct {
	Name     string   `json:"name"`
	Zone     string   `json:"zone,omitempty"`
	Address  string   `json:"address"`
	Requests int64    `json:"requests"`
	Share    float64  `json:"share"`
	Served   int64    `json:"served"`
	Failures Failures `json:"failures"`
	Removed  bool     `json:"removed,omitempty"`
}

// PodShare is the traffic that reached one pod.
type PodShare struct {
	Name     string   `json:"name"`
	Node     string   `json:"node"`
	Revision int      `json:"revision"`
	Requests int64    `json:"requests"`
	Share    float64  `json:"share"`
	Served   int64    `json:"served"`
	Failures Failures `json:"failures"`
	// ClientAddressKept counts served requests in which the pod saw the client's address;
	// SNATed those in which it saw a node's (externalTrafficPolicy Cluster).
	ClientAddressKept int64    `json:"clientAddressKept"`
	SNATed            int64    `json:"snated"`
	Created           Seconds  `json:"created"`
	Deleted           *Seconds `json:"deleted,omitempty"`
}

// FailureWindow is a span in which requests failed (failures less than a second apart are merged).
type FailureWindow struct {
	Start    Seconds        `json:"start"`
	End      Seconds        `json:"end"`
	Failed   int64          `json:"failed"`
	Failures Failures       `json:"failures"`
	Nodes    []NodeFailures `json:"nodes"` // where the load balancer sent the failed requests
}

// NodeFailures counts a window's failures on one node.
type NodeFailures struct {
	Node   string `json:"node"`
	Failed int64  `json:"failed"`
}

// Detection is how long the load balancer took to follow the health check node port.
type Detection struct {
	Down   DetectionSummary `json:"down"`
	Up     DetectionSummary `json:"up"`
	Events []DetectionEvent `json:"events"`
}

// DetectionSummary summarises detection delays in one direction.
type DetectionSummary struct {
	Count int      `json:"count"`
	Min   *Seconds `json:"min"`
	Max   *Seconds `json:"max"`
	Mean  *Seconds `json:"mean"`
}

// DetectionEvent pairs a node's health check change with the load balancer's.
type DetectionEvent struct {
	Node            string  `json:"node"`
	Direction       string  `json:"direction"` // down: the health check turned 503; up: it turned 200
	HealthChangedAt Seconds `json:"healthChangedAt"`
	LBChangedAt     Seconds `json:"lbChangedAt"`
	Delay           Seconds `json:"delay"`
}

// SourceAddresses says which client address the pods saw.
type SourceAddresses struct {
	ClientAddressKept int64 `json:"clientAddressKept"`
	SNATed            int64 `json:"snated"`
	// ForwardedToOtherNode counts served requests that kube-proxy sent on to a pod on another node
	// (Cluster's extra hop; always 0 with Local).
	ForwardedToOtherNode int64    `json:"forwardedToOtherNode"`
	DistinctSeen         int      `json:"distinctAddressesSeen"`
	Clients              int      `json:"clients"`
	Examples             []string `json:"examples"` // up to 5 addresses the pods saw
}

// Timeline is the run over time in buckets, for drawing.
type Timeline struct {
	Bucket           Seconds        `json:"bucketSeconds"`
	Times            []Seconds      `json:"times"` // bucket starts
	Requests         []int32        `json:"requests"`
	Served           []int32        `json:"served"`
	Refused          []int32        `json:"connectionRefused"`
	NoHealthyBackend []int32        `json:"noHealthyBackend"`
	Reset            []int32        `json:"reset"`
	Timeout          []int32        `json:"timeout"`
	Nodes            []NodeTimeline `json:"nodes"`
	Events           []Event        `json:"events"`
}

// NodeTimeline is one node over time: state at the end of each bucket, counts within it.
type NodeTimeline struct {
	Name string `json:"name"`
	// Probe is the load balancer's view: "up", "down", or "out" (not in the backend pool).
	Probe []string `json:"probe"`
	// Health is the health check node port's answer (200/503; 0 once the node is gone).
	Health       []int   `json:"health"`
	LocalReady   []int   `json:"localReady"`
	LocalServing []int   `json:"localServing"`
	Served       []int32 `json:"served"`
	Failed       []int32 `json:"failed"`
}

// Seconds is a duration in seconds, written with millisecond precision.
type Seconds float64

// MarshalJSON writes the value rounded to the millisecond, in a fixed format.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(math.Round(float64(s)*1000)/1000, 'f', -1, 64)), nil
}

var _ json.Marshaler = Seconds(0)

func secs(d interface{ Seconds() float64 }) Seconds {
	return Seconds(math.Round(d.Seconds()*1000) / 1000)
}

func ptrSeconds(s Seconds) *Seconds { return &s }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 1
	}
	return math.Round(float64(a)/float64(b)*1e6) / 1e6
}

func failuresOf(c [numCauses]int64) Failures {
	return Failures{ConnectionRefused: c[causeRefused], NoHealthyBackend: c[causeNoHealthy], Reset: c[causeReset], Timeout: c[causeTimeout]}
}

func (f Failures) total() int64 {
	return f.ConnectionRefused + f.NoHealthyBackend + f.Reset + f.Timeout
}
