package fake

import (
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fault is an injected misbehaviour. It matches requests by Method, ResourceType (see the Type
// constants) and Name (the resource's or its child's name, or for an operation poll the name of the
// resource the operation writes); an empty field matches anything. What it does:
//
//   - Status != 0: answer with that status and an ARM error (Code, or a default per status) after
//     Latency, with Retry-After when RetryAfter > 0. The store is not changed.
//   - Status == 0, Latency > 0: a PUT or DELETE is accepted and its long-running operation takes
//     Latency; any other request is answered Latency later.
//   - FailOperation (PUT and DELETE only): the write is accepted, its operation ends Failed with
//     Code (default InternalServerError) and the store keeps what it had.
//
// A fault applies to the next Times matching requests (0: until removed), each with probability
// Probability (0: always) drawn from Options.Seed. When several faults match, the one injected
// first applies.
type Fault struct {
	Method, ResourceType, Name string
	Status                     int
	Code                       string
	RetryAfter                 time.Duration
	Latency                    time.Duration
	FailOperation              bool
	Times                      int
	Probability                float64
}

type faultSet struct {
	mu     sync.Mutex
	rng    *rand.Rand
	nextID int
	active []*activeFault
}

type activeFault struct {
	id      int
	fault   Fault
	applied int
}

// InjectFault adds f and returns the function that removes it.
func (c *Cloud) InjectFault(f Fault) (remove func()) {
	s := &c.faults
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := s.nextID
	s.active = append(s.active, &activeFault{id: id, fault: f})
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.remove(id)
	}
}

func (s *faultSet) remove(id int) {
	for i, af := range s.active {
		if af.id == id {
			s.active = append(s.active[:i], s.active[i+1:]...)
			return
		}
	}
}

// match returns the fault to apply to a request, if any, and counts it against its Times. lro tells
// whether the request starts a long-running operation (FailOperation faults match only those).
func (s *faultSet) match(method, resourceType string, names []string, lro bool) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, af := range s.active {
		f := af.fault
		if !f.matches(method, resourceType, names, lro) {
			continue
		}
		if f.Probability > 0 && s.rng.Float64() >= f.Probability {
			continue
		}
		af.applied++
		if f.Times > 0 && af.applied >= f.Times {
			s.remove(af.id)
		}
		return &f
	}
	return nil
}

func (f Fault) matches(method, resourceType string, names []string, lro bool) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	if f.ResourceType != "" && !strings.EqualFold(f.ResourceType, resourceType) {
		return false
	}
	if f.FailOperation && !lro {
		return false
	}
	if f.Name == "" {
		return true
	}
	for _, n := range names {
		if n != "" && strings.EqualFold(n, f.Name) {
			return true
		}
	}
	return false
}

// error is the answer of a status fault.
func (f Fault) error() *Error {
	code := f.Code
	if code == "" {
		code = defaultFaultCode(f.Status)
	}
	return newError(f.Status, code, "Injected fault: %d %s.", f.Status, code)
}

// operationError is how a FailOperation fault ends its operation.
func (f Fault) operationError() *Error {
	code := f.Code
	if code == "" {
		code = CodeInternalServerError
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return newError(status, code, "The operation failed (injected fault).")
}

func defaultFaultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return CodeTooManyRequests
	case http.StatusConflict:
		return CodeAnotherOperationInProgress
	case http.StatusInternalServerError:
		return CodeInternalServerError
	case http.StatusBadGateway:
		return "BadGateway"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case http.StatusGatewayTimeout:
		return "GatewayTimeout"
	}
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}
