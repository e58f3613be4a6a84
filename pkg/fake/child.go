package fake

import (
	"net/http"
	"strings"
	"time"
)

// childKind serves a child collection of a top-level resource. Children are stored inside their
// parent: a child write rebuilds and revalidates the whole parent, carries the parent's etag, and
// runs as an operation on the parent.
type childKind[P, C any] struct {
	parent  *kind[P]
	typ     string // the collection's name in paths: backendAddressPools, subnets, ...
	list    func(p *P) []*C
	set     func(p *P, cs []*C) // nil: the collection is read-only (Azure has no PUT for it)
	name    func(c *C) string
	setName func(c *C, name string)
}

func (ck *childKind[P, C]) serve(c *Cloud, w http.ResponseWriter, r *http.Request, p armPath, wo writeOptions) {
	var resp response
	switch {
	case p.ChildName == "" && r.Method == http.MethodGet:
		ck.serveList(c, w, r, p)
		return
	case p.ChildName == "":
		resp.err = methodNotAllowed(r)
	case r.Method == http.MethodGet:
		resp = ck.get(c, p)
	case r.Method == http.MethodPut && ck.set != nil:
		resp = ck.put(c, r, p, wo)
	case r.Method == http.MethodDelete && ck.set != nil:
		resp = ck.delete(c, r, p, wo)
	default:
		resp.err = methodNotAllowed(r)
	}
	resp.write(c, w, r)
}

// parentOf returns the stored parent the path names (c.mu held), or Azure's 404 for a nested resource.
func (ck *childKind[P, C]) parentOf(c *Cloud, p armPath) (string, *P, *Error) {
	key := storeKey(p.ResourceGroup, p.Name)
	parent := ck.parent.items(c)[key]
	if parent == nil {
		return key, nil, newError(http.StatusNotFound, CodeParentResourceNotFound,
			"Can not perform requested operation on nested resource. Parent resource '%s' not found.", p.Name)
	}
	return key, parent, nil
}

func (ck *childKind[P, C]) find(parent *P, name string) (int, *C) {
	for i, child := range ck.list(parent) {
		if strings.EqualFold(ck.name(child), name) {
			return i, child
		}
	}
	return -1, nil
}

func (ck *childKind[P, C]) get(c *Cloud, p armPath) response {
	var resp response
	c.locked(func(time.Time) bool {
		_, parent, err := ck.parentOf(c, p)
		if err != nil {
			resp.err = err
			return false
		}
		view := ck.parent.view(c.worldLocked(), parent)
		_, child := ck.find(view, p.ChildName)
		if child == nil {
			resp.err = notFound(ck.parent.typ+"/"+ck.typ, p.ResourceGroup, p.Name+"/"+p.ChildName)
			return false
		}
		resp = response{status: http.StatusOK, body: child, etag: ck.parent.etag(parent)}
		return false
	})
	return resp
}

func (ck *childKind[P, C]) serveList(c *Cloud, w http.ResponseWriter, r *http.Request, p armPath) {
	var items []keyed
	var resp response
	c.locked(func(time.Time) bool {
		_, parent, err := ck.parentOf(c, p)
		if err != nil {
			resp.err = err
			return false
		}
		for _, child := range ck.list(ck.parent.view(c.worldLocked(), parent)) {
			items = append(items, keyed{key: strings.ToLower(ck.name(child)), item: child})
		}
		return false
	})
	if resp.err != nil {
		resp.write(c, w, r)
		return
	}
	writeList(w, r, items, c.opts.PageSize)
}

func (ck *childKind[P, C]) put(c *Cloud, r *http.Request, p armPath, wo writeOptions) response {
	child, err := decodeBody[C](r)
	if err != nil {
		return response{err: err}
	}
	var resp response
	c.locked(func(now time.Time) bool {
		key, parent, err := ck.parentOf(c, p)
		if err != nil {
			resp.err = err
			return false
		}
		candidate := deepCopy(parent)
		children := ck.list(candidate)
		i, existing := ck.find(candidate, p.ChildName)
		status := http.StatusCreated
		if existing != nil {
			ck.setName(child, ck.name(existing))
			children[i] = child
			status = http.StatusOK
		} else {
			ck.setName(child, p.ChildName)
			children = append(children, child)
		}
		ck.set(candidate, children)
		childName := ck.name(child)
		var changed bool
		resp, changed = commitWriteLocked(c, r, now, wo, ck.parent, writeSpec[P]{
			key: key, rg: p.ResourceGroup, name: p.Name, prev: parent, body: candidate,
			exists: existing != nil, status: status,
			respond: func(w *world, out *P) any {
				_, built := ck.find(ck.parent.view(w, out), childName)
				return built
			},
		})
		return changed
	})
	return resp
}

func (ck *childKind[P, C]) delete(c *Cloud, r *http.Request, p armPath, wo writeOptions) response {
	var resp response
	c.locked(func(now time.Time) bool {
		key, parent, err := ck.parentOf(c, p)
		if err != nil {
			resp.err = err
			return false
		}
		candidate := deepCopy(parent)
		i, existing := ck.find(candidate, p.ChildName)
		if existing == nil {
			if err := checkPreconditions(r.Header, false, ""); err != nil {
				resp.err = err
			} else {
				resp.status = http.StatusNoContent
			}
			return false
		}
		children := ck.list(candidate)
		ck.set(candidate, append(children[:i:i], children[i+1:]...))
		var changed bool
		resp, changed = commitWriteLocked(c, r, now, wo, ck.parent, writeSpec[P]{
			key: key, rg: p.ResourceGroup, name: p.Name, prev: parent, body: candidate,
			exists: true, status: http.StatusAccepted,
		})
		resp.etag = ""
		return changed
	})
	return resp
}
