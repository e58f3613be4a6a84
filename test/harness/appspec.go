package harness

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Pod annotations that set how the simulated app behaves. Put them on the pod
// template's metadata. Every container of the pod runs the same app.
const (
	// AnnotationShutdownDelay is how long the app keeps serving after SIGTERM,
	// as a Go duration ("10s") or whole seconds ("10"). During that time its
	// /readyz answers 503, so a readinessProbe on /readyz fails, like the
	// upstream e2e's `agnhost netexec --delay-shutdown`. Absent or 0: the app
	// exits as soon as it gets SIGTERM (connection refused from then on).
	AnnotationShutdownDelay = "harness.azlb.io/shutdown-delay"
	// AnnotationKeepAliveOnShutdown says what the app does with keep-alive
	// connections once it got SIGTERM: "close" (default) answers every
	// further request with "Connection: close" and, at exit, closes idle
	// connections and waits for requests in flight (http.Server.Shutdown);
	// "keep" keeps them open and at exit drops every connection at once, the
	// way a process that ignores SIGTERM is killed.
	AnnotationKeepAliveOnShutdown = "harness.azlb.io/keepalive-on-shutdown"
	// AnnotationStartupDelay is how long after a container starts its app
	// answers 503 on /healthz and /readyz (a slow start), as a duration or
	// whole seconds. Absent or 0: healthy at once.
	AnnotationStartupDelay = "harness.azlb.io/startup-delay"
)

// KeepAliveMode values for AnnotationKeepAliveOnShutdown.
const (
	KeepAliveClose = "close"
	KeepAliveKeep  = "keep"
)

// AppBehaviour is what the simulated app does at start and on SIGTERM.
type AppBehaviour struct {
	// ShutdownDelay: keep serving this long after SIGTERM with /readyz
	// failing; 0 exits at once.
	ShutdownDelay time.Duration
	// KeepAlive is KeepAliveClose or KeepAliveKeep.
	KeepAlive string
	// StartupDelay: /healthz and /readyz answer 503 this long after start.
	StartupDelay time.Duration
}

// Annotations renders b as pod annotations (the inverse of
// ParseAppBehaviour).
func (b AppBehaviour) Annotations() map[string]string {
	m := map[string]string{}
	if b.ShutdownDelay > 0 {
		m[AnnotationShutdownDelay] = b.ShutdownDelay.String()
	}
	if b.KeepAlive != "" {
		m[AnnotationKeepAliveOnShutdown] = b.KeepAlive
	}
	if b.StartupDelay > 0 {
		m[AnnotationStartupDelay] = b.StartupDelay.String()
	}
	return m
}

// maxAppDelay bounds the delays: longer ones are almost certainly a typo
// (milliseconds meant as seconds) and would stall a test run.
const maxAppDelay = time.Hour

// ParseAppBehaviour reads the app's behaviour from pod annotations. Unknown
// harness annotations are not an error (they are not ours to judge), but a
// malformed value of a known one is, and the message names the annotation.
func ParseAppBehaviour(annotations map[string]string) (AppBehaviour, error) {
	b := AppBehaviour{KeepAlive: KeepAliveClose}
	var err error
	if v, ok := annotations[AnnotationShutdownDelay]; ok {
		if b.ShutdownDelay, err = parseDelay(v); err != nil {
			return AppBehaviour{}, fmt.Errorf("annotation %s: %w", AnnotationShutdownDelay, err)
		}
	}
	if v, ok := annotations[AnnotationStartupDelay]; ok {
		if b.StartupDelay, err = parseDelay(v); err != nil {
			return AppBehaviour{}, fmt.Errorf("annotation %s: %w", AnnotationStartupDelay, err)
		}
	}
	if v, ok := annotations[AnnotationKeepAliveOnShutdown]; ok {
		switch strings.TrimSpace(v) {
		case KeepAliveClose, "":
			b.KeepAlive = KeepAliveClose
		case KeepAliveKeep:
			b.KeepAlive = KeepAliveKeep
		default:
			return AppBehaviour{}, fmt.Errorf("annotation %s: %q is not %q or %q", AnnotationKeepAliveOnShutdown, v, KeepAliveClose, KeepAliveKeep)
		}
	}
	return b, nil
}

// parseDelay accepts a Go duration ("1.5s", "2m") or whole seconds ("10").
func parseDelay(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	var d time.Duration
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		d = time.Duration(n) * time.Second
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, fmt.Errorf("%q is neither whole seconds nor a duration like \"10s\"", v)
	}
	if d < 0 || d > maxAppDelay {
		return 0, fmt.Errorf("%q must be between 0 and %s", v, maxAppDelay)
	}
	return d, nil
}
