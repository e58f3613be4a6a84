package probes

import (
	"errors"
	"strconv"
)

// AnnotationError is an invalid annotation value. Error() names the annotation, the value and the allowed
// range, e.g. `annotation service.beta.kubernetes.io/azure-load-balancer-health-probe-interval="3" is invalid: must be a whole number of seconds >= 5`.
type AnnotationError struct{ Annotation, Value, Reason string }

// Error implements error.
func (e *AnnotationError) Error() string {
	return "annotation " + e.Annotation + "=" + strconv.Quote(e.Value) + " is invalid: " + e.Reason
}

// Warning is an annotation that is present but cannot apply to this Service (or a value the provider
// replaces, such as an unknown probe protocol). Annotation is the annotation key, or the field path
// "spec.ports[i].appProtocol" for a warning about a port's appProtocol.
type Warning struct {
	Annotation string
	Message    string // says why and what to do, e.g. "ignored: externalTrafficPolicy is Local, the probe is Http /healthz on the health check node port"
}

// String returns "annotation: message".
func (w Warning) String() string { return w.Annotation + ": " + w.Message }

// ErrNoHealthCheckNodePort is returned (wrapped) for a Service with externalTrafficPolicy Local whose
// spec.healthCheckNodePort is not set (or not a port number).
var ErrNoHealthCheckNodePort = errors.New("externalTrafficPolicy is Local but spec.healthCheckNodePort is not a port 1..65535")

// ErrNoNodePort is returned (wrapped) when a probe must target a service port's nodePort and that
// nodePort is not set (or not a port number), e.g. with spec.allocateLoadBalancerNodePorts false.
var ErrNoNodePort = errors.New("the probe needs a nodePort that is not set")
