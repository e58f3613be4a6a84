package fake

import (
	"maps"
	"net/http"
	"sync"
)

// Call identifies requests by HTTP method and resource type (see the Type constants).
type Call struct{ Method, ResourceType string }

// CallStatus is a Call with the class of its answer's status: 2 for 2xx, 4 for 4xx, 5 for 5xx.
type CallStatus struct {
	Call
	Class int
}

type counters struct {
	mu       sync.Mutex
	calls    map[Call]int
	byStatus map[CallStatus]int
}

func (k *counters) add(method, resourceType string, status int) {
	call := Call{Method: method, ResourceType: resourceType}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls[call]++
	k.byStatus[CallStatus{Call: call, Class: status / 100}]++
}

// Calls returns how many requests the cloud answered, by method and resource type, whatever their
// status. Seeding and inspection methods are not counted.
func (c *Cloud) Calls() map[Call]int {
	c.counters.mu.Lock()
	defer c.counters.mu.Unlock()
	return maps.Clone(c.counters.calls)
}

// CallsByStatus returns the request counts split by the class of their answer's status.
func (c *Cloud) CallsByStatus() map[CallStatus]int {
	c.counters.mu.Lock()
	defer c.counters.mu.Unlock()
	return maps.Clone(c.counters.byStatus)
}

// Writes is the number of PUT, PATCH, DELETE and POST requests on resources, whatever their answer
// (operation polls and identity requests excluded).
func (c *Cloud) Writes() int {
	return c.sum(func(call Call) bool {
		switch call.Method {
		case http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodPost:
			return isResourceType(call.ResourceType)
		}
		return false
	})
}

// Reads is the number of GET requests on resources and resource lists, whatever their answer
// (operation polls and identity requests excluded).
func (c *Cloud) Reads() int {
	return c.sum(func(call Call) bool { return call.Method == http.MethodGet && isResourceType(call.ResourceType) })
}

// ResetCalls sets every counter back to zero.
func (c *Cloud) ResetCalls() {
	c.counters.mu.Lock()
	defer c.counters.mu.Unlock()
	c.counters.calls = map[Call]int{}
	c.counters.byStatus = map[CallStatus]int{}
}

func (c *Cloud) sum(include func(Call) bool) int {
	c.counters.mu.Lock()
	defer c.counters.mu.Unlock()
	n := 0
	for call, v := range c.counters.calls {
		if include(call) {
			n += v
		}
	}
	return n
}

func isResourceType(t string) bool {
	return t != TypeOperations && t != TypeToken && t != TypeUnknown
}
