package probes

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
)

// DefaultProxySync is kube-proxy's delay before a changed EndpointSlice reaches its health check: its
// minSyncPeriod for iptables and nftables (SEMANTICS.md section 2).
const DefaultProxySync = time.Second

// DefaultTerminationGracePeriod is the pod default (SEMANTICS.md section 3).
const DefaultTerminationGracePeriod = 30 * time.Second

// PreStopDuration is how long a container's preStop hook delays SIGTERM, when it can be read: the sleep
// action, or an exec of `sleep N` (directly or through `sh -c`). ok is false when the container has a
// hook whose duration cannot be known (an httpGet, another command); d is 0 without a hook.
func PreStopDuration(c *v1.Container) (d time.Duration, ok bool) {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return 0, true
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		return time.Duration(h.Sleep.Seconds) * time.Second, true
	case h.Exec != nil:
		return sleepCommand(h.Exec.Command)
	}
	return 0, false
}

// sleepCommand reads `sleep N`, `/bin/sleep N`, `sh -c "sleep N"` (N in seconds, optionally with an s
// suffix, or a decimal).
func sleepCommand(cmd []string) (time.Duration, bool) {
	if len(cmd) == 3 && (strings.HasSuffix(cmd[0], "sh") || strings.HasSuffix(cmd[0], "bash")) && cmd[1] == "-c" {
		cmd = strings.Fields(cmd[2])
	}
	if len(cmd) != 2 || (cmd[0] != "sleep" && !strings.HasSuffix(cmd[0], "/sleep")) {
		return 0, false
	}
	secs, err := strconv.ParseFloat(strings.TrimSuffix(cmd[1], "s"), 64)
	if err != nil || secs < 0 || secs > 1e6 {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// TerminationFinding is a setting of a pod template that lets a load balancer send new connections to a
// pod that is going away, with the smallest value that does not.
type TerminationFinding struct {
	Container string
	Field     string // e.g. "lifecycle.preStop", "terminationGracePeriodSeconds"
	Have      time.Duration
	Need      time.Duration
	Message   string
}

// CheckTermination compares a pod template's preStop delays and grace period with the time the load
// balancer needs to stop sending new connections to a node whose last local endpoint terminates
// (RequiredPreStop). Containers whose preStop cannot be read are skipped. It is the check the provider
// runs on the workloads behind a Local Service; lbctl check goes further with the simulator.
func CheckTermination(spec *v1.PodSpec, s Settings, sem Semantics, proxySync time.Duration) []TerminationFinding {
	need := RequiredPreStop(s, sem, proxySync)
	grace := DefaultTerminationGracePeriod
	if spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	}
	var out []TerminationFinding
	for i := range spec.Containers {
		c := &spec.Containers[i]
		have, ok := PreStopDuration(c)
		if !ok || len(c.Ports) == 0 {
			continue
		}
		if have < need {
			out = append(out, TerminationFinding{
				Container: c.Name, Field: "lifecycle.preStop", Have: have, Need: need,
				Message: fmt.Sprintf("container %s: preStop delays SIGTERM by %s, but the load balancer keeps sending new "+
					"connections to a draining node for up to %s (probe %s, plus %s for kube-proxy): requests will fail "+
					"during rollouts and drains; add a preStop sleep of at least %s", c.Name, have, need, s, proxySync, ceilSeconds(need)),
			})
		}
		if have > 0 && grace < have+2*time.Second {
			out = append(out, TerminationFinding{
				Container: c.Name, Field: "terminationGracePeriodSeconds", Have: grace, Need: have + 2*time.Second,
				Message: fmt.Sprintf("container %s: terminationGracePeriodSeconds %s leaves no time after its %s preStop "+
					"for the app to finish its requests; set it to at least the preStop plus the app's own drain time (>= %s)",
					c.Name, grace, have, ceilSeconds(have+2*time.Second)),
			})
		}
	}
	return out
}

func ceilSeconds(d time.Duration) time.Duration {
	return ((d + time.Second - 1) / time.Second) * time.Second
}
