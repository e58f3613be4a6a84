package fake

import (
	"io"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// maxBodyBytes bounds request bodies; ARM refuses requests above 4 MB, we are more generous because
// a load balancer with 5,000 pool addresses is large.
const maxBodyBytes = 32 << 20

// Cloud is the fake Azure. It is safe for concurrent use. Create it with New.
type Cloud struct {
	opts  Options
	clock clock.Clock
	log   klog.Logger

	// mu guards the resources, the operations and version. It is never held while calling out
	// (watchers, waiting on the clock).
	mu       sync.Mutex
	version  uint64
	lbs      map[string]*armnetwork.LoadBalancer
	pips     map[string]*armnetwork.PublicIPAddress
	vnets    map[string]*armnetwork.VirtualNetwork
	ops      map[string]*operation // by id, kept a while after they end so late polls are answered
	pending  []*operation          // operations still running, by due time
	ended    []*operation          // ended operations, by end time, until they are forgotten
	inflight map[string]*operation // running operation per resource lock key
	opSeq    uint64

	tokens   tokenStore
	faults   faultSet
	counters counters
	watchers watchers
}

// New returns an empty fake cloud: no resources, resource groups implicit, one subscription.
func New(opts Options) *Cloud {
	opts = opts.withDefaults()
	c := &Cloud{
		opts:     opts,
		clock:    opts.Clock,
		log:      klog.Background().WithName("fake-azure"),
		lbs:      map[string]*armnetwork.LoadBalancer{},
		pips:     map[string]*armnetwork.PublicIPAddress{},
		vnets:    map[string]*armnetwork.VirtualNetwork{},
		ops:      map[string]*operation{},
		inflight: map[string]*operation{},
	}
	c.tokens = tokenStore{clock: opts.Clock, lifetime: opts.TokenLifetime, tokens: map[string]tokenInfo{}}
	c.faults = faultSet{rng: rand.New(rand.NewSource(opts.Seed))} //nolint:gosec // faults must repeat for a seed; nothing secret
	c.counters = counters{calls: map[Call]int{}, byStatus: map[CallStatus]int{}}
	c.watchers = watchers{fns: map[int]func(){}}
	return c
}

// Options returns the options the cloud runs with, defaults filled in.
func (c *Cloud) Options() Options { return c.opts }

// ServeHTTP serves the ARM endpoints under /subscriptions/ and the identity endpoints (token,
// OpenID configuration, instance discovery) elsewhere.
func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	if !strings.HasPrefix(strings.ToLower(r.URL.Path), "/subscriptions/") {
		c.serveIdentity(rec, r)
		c.counters.add(r.Method, TypeToken, rec.statusCode())
		return
	}
	p, perr := parsePath(r.URL.Path)
	rt := TypeUnknown
	if perr == nil {
		rt = p.resourceType()
	}
	defer func() {
		c.counters.add(r.Method, rt, rec.statusCode())
		c.log.V(4).Info("ARM request", "method", r.Method, "path", r.URL.Path, "status", rec.statusCode())
	}()
	c.serveARM(rec, r, p, perr)
}

func (c *Cloud) serveARM(w http.ResponseWriter, r *http.Request, p armPath, perr *Error) {
	if err := c.tokens.check(r.Header.Get("Authorization")); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+baseURL(r)+"/"+c.opts.TenantID+
			`", error="invalid_token", error_description="`+err.Message+`"`)
		writeError(w, err)
		return
	}
	version := r.URL.Query().Get("api-version")
	if version == "" {
		writeError(w, badRequest(CodeMissingAPIVersion, "The api-version query parameter (?api-version=) is required for all requests."))
		return
	}
	if perr != nil {
		writeError(w, perr)
		return
	}
	if !supportedAPIVersions[version] {
		writeError(w, badRequest(CodeNoRegisteredProviderFound,
			"No registered resource provider found for API version '%s' and type '%s'. The supported api-versions include '%s'.",
			version, p.resourceType(), newestAPIVersion))
		return
	}
	if !strings.EqualFold(p.Subscription, c.opts.SubscriptionID) {
		writeError(w, newError(http.StatusNotFound, CodeSubscriptionNotFound, "The subscription '%s' could not be found.", p.Subscription))
		return
	}
	lro := (r.Method == http.MethodPut || r.Method == http.MethodDelete) && !p.isList() && p.Type != TypeOperations
	f := c.faults.match(r.Method, p.resourceType(), c.faultNames(p), lro)
	var wo writeOptions
	if f != nil {
		if f.Status != 0 {
			c.log.V(2).Info("Injecting fault", "method", r.Method, "path", r.URL.Path, "status", f.Status)
			if !c.wait(r, f.Latency) {
				return
			}
			setRetryAfter(w.Header(), f.RetryAfter)
			writeError(w, f.error())
			return
		}
		if lro {
			wo = writeOptions{latency: f.Latency}
			if f.FailOperation {
				wo.fail = f.operationError()
			}
		} else if !c.wait(r, f.Latency) {
			return
		}
	}
	switch p.Type {
	case TypeOperations:
		c.serveOperation(w, r, p)
	case TypeLoadBalancers:
		serveKind(c, w, r, p, wo, lbKind)
	case TypePublicIPAddresses:
		serveKind(c, w, r, p, wo, pipKind)
	case TypeVirtualNetworks:
		serveKind(c, w, r, p, wo, vnetKind)
	}
}

// wait delays a response by d on the cloud's clock; false if the client went away meanwhile.
func (c *Cloud) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-c.clock.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

// faultNames are the resource names a fault's Name can match for the request: the resource and its
// child, or for a poll the resource the operation writes.
func (c *Cloud) faultNames(p armPath) []string {
	if p.Type == TypeOperations {
		c.mu.Lock()
		defer c.mu.Unlock()
		if op := c.ops[strings.ToLower(p.OperationID)]; op != nil {
			return op.names
		}
		return nil
	}
	return []string{p.Name, p.ChildName}
}

func readBody(r *http.Request) ([]byte, *Error) {
	if r.Body == nil {
		return nil, invalidRequestFormat("MissingRequestBody", "The request body is empty.")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, invalidRequestFormat("InvalidRequestBody", "Reading the request body failed: %v", err)
	}
	if len(data) > maxBodyBytes {
		return nil, badRequest("RequestTooLarge", "The request body is larger than %d bytes.", maxBodyBytes)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, invalidRequestFormat("MissingRequestBody", "The request body is empty.")
	}
	return data, nil
}

// statusRecorder remembers the status written, for the counters.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) statusCode() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// newestAPIVersion is the api-version armnetwork v9 sends.
const newestAPIVersion = "2025-05-01"

// supportedAPIVersions are the Microsoft.Network api-versions the fake accepts: the one armnetwork v9
// sends and the earlier ones whose load balancer, public IP and virtual network shapes it also serves.
var supportedAPIVersions = map[string]bool{
	"2025-05-01": true, "2025-03-01": true, "2025-01-01": true,
	"2024-10-01": true, "2024-07-01": true, "2024-05-01": true, "2024-03-01": true, "2024-01-01": true,
	"2023-11-01": true, "2023-09-01": true, "2023-06-01": true, "2023-05-01": true, "2023-04-01": true,
	"2023-02-01": true, "2022-11-01": true, "2022-09-01": true, "2022-07-01": true, "2022-05-01": true,
	"2022-01-01": true,
}
