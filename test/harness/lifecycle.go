package harness

import (
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
)

// hookKind is what a lifecycle handler does in the simulation.
type hookKind int

const (
	hookNone hookKind = iota
	// hookSleep waits (sleep action, or exec of `sleep N`).
	hookSleep
	// hookHTTP sends an HTTP GET.
	hookHTTP
	// hookUnsupported is an exec of anything but sleep: there is no
	// container to run it in, so it completes at once (and is logged).
	hookUnsupported
)

// hook is a parsed lifecycle handler.
type hook struct {
	kind  hookKind
	sleep time.Duration
	http  *v1.HTTPGetAction
	// what describes the handler for logs.
	what string
}

// parseHook turns a preStop handler into what the kubelet stand-in runs.
func parseHook(h *v1.LifecycleHandler) hook {
	switch {
	case h == nil:
		return hook{kind: hookNone}
	case h.Sleep != nil:
		return hook{kind: hookSleep, sleep: time.Duration(h.Sleep.Seconds) * time.Second, what: fmt.Sprintf("sleep %ds", h.Sleep.Seconds)}
	case h.Exec != nil:
		if d, ok := parseSleepCommand(h.Exec.Command); ok {
			return hook{kind: hookSleep, sleep: d, what: fmt.Sprintf("exec %q", h.Exec.Command)}
		}
		return hook{kind: hookUnsupported, what: fmt.Sprintf("exec %q", h.Exec.Command)}
	case h.HTTPGet != nil:
		return hook{kind: hookHTTP, http: h.HTTPGet, what: fmt.Sprintf("httpGet %s", h.HTTPGet.Path)}
	default:
		return hook{kind: hookUnsupported, what: "unsupported handler"}
	}
}

// parseSleepCommand recognises the exec commands that only sleep:
// ["sleep", "5"], ["/bin/sleep", "5s"], ["sh", "-c", "sleep 5"],
// ["/bin/sh", "-c", "sleep 0.5"] and similar, with GNU sleep's suffixes
// s, m, h and d and several operands that add up.
func parseSleepCommand(cmd []string) (time.Duration, bool) {
	if len(cmd) == 0 {
		return 0, false
	}
	switch path.Base(cmd[0]) {
	case "sleep":
		return sleepOperands(cmd[1:])
	case "sh", "bash", "ash", "dash":
		if len(cmd) == 3 && cmd[1] == "-c" {
			words := strings.Fields(cmd[2])
			if len(words) >= 2 && path.Base(words[0]) == "sleep" {
				return sleepOperands(words[1:])
			}
		}
	}
	return 0, false
}

// sleepOperands adds up GNU sleep operands.
func sleepOperands(ops []string) (time.Duration, bool) {
	if len(ops) == 0 {
		return 0, false
	}
	var total float64
	for _, op := range ops {
		unit := 1.0
		switch {
		case strings.HasSuffix(op, "s"):
			op = op[:len(op)-1]
		case strings.HasSuffix(op, "m"):
			op, unit = op[:len(op)-1], 60
		case strings.HasSuffix(op, "h"):
			op, unit = op[:len(op)-1], 3600
		case strings.HasSuffix(op, "d"):
			op, unit = op[:len(op)-1], 86400
		}
		if op == "" || strings.ContainsAny(op, "+-eEnNxXpPiI_") {
			return 0, false
		}
		v, err := strconv.ParseFloat(op, 64)
		if err != nil || v < 0 {
			return 0, false
		}
		total += v * unit
	}
	// Bound to something a test can wait for; larger means "forever".
	if total > float64(math.MaxInt32) {
		total = float64(math.MaxInt32)
	}
	return time.Duration(total * float64(time.Second)), true
}
