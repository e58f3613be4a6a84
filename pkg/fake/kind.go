package fake

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// kind describes a top-level resource type to the generic handlers.
type kind[T any] struct {
	typ      string // TypeLoadBalancers, ...
	items    func(c *Cloud) map[string]*T
	build    func(w *world, in buildInput[T]) (*T, *Error)
	view     func(w *world, v *T) *T // a deep copy with derived fields filled in
	setState func(v *T, s armnetwork.ProvisioningState)
	id       func(v *T) string
	etag     func(v *T) string
	location func(v *T) string
	setTags  func(v *T, tags map[string]*string) // nil: PATCH is not served
	// canDelete refuses the deletion of a resource that is in use.
	canDelete func(w *world, v *T) *Error
	children  map[string]childServer
}

// buildInput is what a kind's build turns into the stored resource: the request body (or the
// parent rebuilt around a child write), the previous version, and the server-set values.
type buildInput[T any] struct {
	rg, name string // as stored: the case of the first write
	prev     *T
	body     *T
	etag     string
	state    armnetwork.ProvisioningState
	// seeded marks a resource a test puts in place as already existing; it may have properties Azure
	// no longer lets anyone create (a legacy Basic public IP).
	seeded bool
}

// childServer serves a child collection (probes, backendAddressPools, subnets, ...).
type childServer interface {
	serve(c *Cloud, w http.ResponseWriter, r *http.Request, p armPath, wo writeOptions)
}

// response is an answer computed under the lock and written after it is released.
type response struct {
	status int
	err    *Error
	body   any
	etag   string
	op     *operation // a copy, for the polling headers
	now    time.Time
}

func (resp response) write(c *Cloud, w http.ResponseWriter, r *http.Request) {
	if resp.err != nil {
		writeError(w, resp.err)
		return
	}
	if resp.op != nil {
		c.setAsyncHeaders(w, r, resp.op, resp.now)
	}
	if resp.etag != "" {
		w.Header().Set("ETag", resp.etag)
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	writeJSON(w, resp.status, resp.body)
}

// locked runs fn under c.mu after ending the operations that are due, bumps the version when fn
// changed the store, and tells the watchers after releasing the lock.
func (c *Cloud) locked(fn func(now time.Time) (changed bool)) {
	now := c.clock.Now()
	c.mu.Lock()
	changed := c.settleLocked(now)
	if fn(now) {
		changed = true
		c.version++
	}
	c.mu.Unlock()
	if changed {
		c.watchers.notify()
	}
}

func methodNotAllowed(r *http.Request) *Error {
	return newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The HTTP method '%s' is not supported here.", r.Method)
}

func serveKind[T any](c *Cloud, w http.ResponseWriter, r *http.Request, p armPath, wo writeOptions, k *kind[T]) {
	if p.ChildType != "" {
		k.children[p.ChildType].serve(c, w, r, p, wo)
		return
	}
	var resp response
	switch {
	case p.isList() && r.Method == http.MethodGet:
		listKind(c, w, r, p, k)
		return
	case p.isList():
		resp.err = methodNotAllowed(r)
	case r.Method == http.MethodGet:
		resp = getKind(c, p, k)
	case r.Method == http.MethodPut:
		resp = putKind(c, r, p, wo, k)
	case r.Method == http.MethodDelete:
		resp = deleteKind(c, r, p, wo, k)
	case r.Method == http.MethodPatch && k.setTags != nil:
		resp = patchKind(c, r, p, k)
	default:
		resp.err = methodNotAllowed(r)
	}
	resp.write(c, w, r)
}

func notFound(typ, rg, name string) *Error {
	return newError(http.StatusNotFound, CodeResourceNotFound,
		"The Resource '%s/%s/%s' under resource group '%s' was not found.", networkNamespace, typ, name, rg)
}

func getKind[T any](c *Cloud, p armPath, k *kind[T]) response {
	var resp response
	c.locked(func(time.Time) bool {
		v := k.items(c)[storeKey(p.ResourceGroup, p.Name)]
		if v == nil {
			resp.err = notFound(k.typ, p.ResourceGroup, p.Name)
			return false
		}
		resp = response{status: http.StatusOK, body: k.view(c.worldLocked(), v), etag: k.etag(v)}
		return false
	})
	return resp
}

func listKind[T any](c *Cloud, w http.ResponseWriter, r *http.Request, p armPath, k *kind[T]) {
	var items []keyed
	c.locked(func(time.Time) bool {
		wd := c.worldLocked()
		for key, v := range k.items(c) {
			if inGroup(key, p.ResourceGroup) {
				items = append(items, keyed{key: key, item: k.view(wd, v)})
			}
		}
		return false
	})
	writeList(w, r, items, c.opts.PageSize)
}

// decodeBody reads a JSON request body into a new T; malformed JSON or wrong types are a 400.
func decodeBody[T any](r *http.Request) (*T, *Error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if jerr := json.Unmarshal(data, v); jerr != nil {
		return nil, invalidRequestFormat("InvalidJson", "Could not parse the request body: %v", jerr)
	}
	return v, nil
}

// writeSpec is one write of a top-level resource (itself, or rebuilt around a child write).
type writeSpec[T any] struct {
	key      string
	rg, name string // from the request; replaced by the stored case when the resource exists
	prev     *T
	body     *T
	exists   bool // for If-Match / If-None-Match: the addressed resource (or child) exists
	status   int  // 200, 201 or 202
	// respond renders the answer body from the built resource; nil answers without a body.
	respond func(w *world, out *T) any
}

// commitWriteLocked validates and builds the resource, stores it with provisioningState Updating
// (unless the write's operation is to fail), and starts its long-running operation.
func commitWriteLocked[T any](c *Cloud, r *http.Request, now time.Time, wo writeOptions, k *kind[T], s writeSpec[T]) (response, bool) {
	lockKey := k.typ + "/" + s.key
	if err := c.conflictLocked(r, lockKey); err != nil {
		return response{err: err}, false
	}
	if err := checkPreconditions(r.Header, s.exists, etagOrEmpty(k, s.prev)); err != nil {
		return response{err: err}, false
	}
	if s.prev != nil {
		p, _ := parsePath(k.id(s.prev))
		s.rg, s.name = p.ResourceGroup, p.Name
	}
	wd := c.worldLocked()
	out, err := k.build(wd, buildInput[T]{rg: s.rg, name: s.name, prev: s.prev, body: s.body,
		etag: newEtag(), state: armnetwork.ProvisioningStateUpdating})
	if err != nil {
		return response{err: err}, false
	}
	op := c.startOperationLocked(now, lockKey, k.location(out), []string{s.name}, wo)
	changed := false
	if wo.fail == nil {
		k.items(c)[s.key] = out
		op.finish = func() { k.setState(out, armnetwork.ProvisioningStateSucceeded) }
		changed = true
	}
	resp := response{status: s.status, now: now}
	if wo.fail == nil {
		resp.etag = k.etag(out)
	}
	if s.respond != nil {
		resp.body = s.respond(wd, out)
	}
	c.settleLocked(now)
	opCopy := *op
	resp.op = &opCopy
	return resp, changed
}

func etagOrEmpty[T any](k *kind[T], v *T) string {
	if v == nil {
		return ""
	}
	return k.etag(v)
}

func putKind[T any](c *Cloud, r *http.Request, p armPath, wo writeOptions, k *kind[T]) response {
	body, err := decodeBody[T](r)
	if err != nil {
		return response{err: err}
	}
	var resp response
	c.locked(func(now time.Time) bool {
		key := storeKey(p.ResourceGroup, p.Name)
		prev := k.items(c)[key]
		status := http.StatusCreated
		if prev != nil {
			status = http.StatusOK
		}
		var changed bool
		resp, changed = commitWriteLocked(c, r, now, wo, k, writeSpec[T]{
			key: key, rg: p.ResourceGroup, name: p.Name, prev: prev, body: body, exists: prev != nil, status: status,
			respond: func(w *world, out *T) any { return k.view(w, out) },
		})
		return changed
	})
	return resp
}

func deleteKind[T any](c *Cloud, r *http.Request, p armPath, wo writeOptions, k *kind[T]) response {
	var resp response
	c.locked(func(now time.Time) bool {
		key := storeKey(p.ResourceGroup, p.Name)
		items := k.items(c)
		prev := items[key]
		lockKey := k.typ + "/" + key
		if err := c.conflictLocked(r, lockKey); err != nil {
			resp.err = err
			return false
		}
		if err := checkPreconditions(r.Header, prev != nil, etagOrEmpty(k, prev)); err != nil {
			resp.err = err
			return false
		}
		if prev == nil {
			resp.status = http.StatusNoContent
			return false
		}
		if err := k.canDelete(c.worldLocked(), prev); err != nil {
			resp.err = err
			return false
		}
		op := c.startOperationLocked(now, lockKey, k.location(prev), []string{p.Name}, wo)
		changed := false
		if wo.fail == nil {
			k.setState(prev, armnetwork.ProvisioningStateDeleting)
			op.finish = func() { delete(items, key) }
			changed = true
		}
		c.settleLocked(now)
		opCopy := *op
		resp = response{status: http.StatusAccepted, op: &opCopy, now: now}
		return changed
	})
	return resp
}

// patchKind updates tags synchronously, as ARM's UpdateTags does.
func patchKind[T any](c *Cloud, r *http.Request, p armPath, k *kind[T]) response {
	tags, err := decodeBody[armnetwork.TagsObject](r)
	if err != nil {
		return response{err: err}
	}
	var resp response
	c.locked(func(time.Time) bool {
		key := storeKey(p.ResourceGroup, p.Name)
		prev := k.items(c)[key]
		if prev == nil {
			resp.err = notFound(k.typ, p.ResourceGroup, p.Name)
			return false
		}
		if err := c.conflictLocked(r, k.typ+"/"+key); err != nil {
			resp.err = err
			return false
		}
		if err := checkPreconditions(r.Header, true, k.etag(prev)); err != nil {
			resp.err = err
			return false
		}
		body := deepCopy(prev)
		k.setTags(body, tags.Tags)
		stored, _ := parsePath(k.id(prev))
		wd := c.worldLocked()
		out, err := k.build(wd, buildInput[T]{rg: stored.ResourceGroup, name: stored.Name, prev: prev, body: body,
			etag: newEtag(), state: armnetwork.ProvisioningStateSucceeded})
		if err != nil {
			resp.err = err
			return false
		}
		k.items(c)[key] = out
		resp = response{status: http.StatusOK, body: k.view(wd, out), etag: k.etag(out)}
		return true
	})
	return resp
}
