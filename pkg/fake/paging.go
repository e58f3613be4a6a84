package fake

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

const skipTokenParam = "$skiptoken"

// keyed is one item of a list answer with the key it is sorted and paged by.
type keyed struct {
	key  string
	item any
}

// pageOf sorts items by key and returns those after skip (the key of the previous page's last item),
// at most size of them, and the key to continue after ("" when this is the last page). Keys make
// pages stable under concurrent writes: an item is never returned twice.
func pageOf(items []keyed, skip string, size int) ([]any, string) {
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	start := sort.Search(len(items), func(i int) bool { return items[i].key > skip })
	end := start + size
	next := ""
	if end < len(items) {
		next = items[end-1].key
	} else {
		end = len(items)
	}
	out := make([]any, 0, end-start)
	for _, it := range items[start:end] {
		out = append(out, it.item)
	}
	return out, next
}

type listBody struct {
	Value    []any  `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

// writeList answers a list request with one page and, when more remain, a nextLink that repeats the
// request (with its api-version) plus a $skiptoken, as ARM does.
func writeList(w http.ResponseWriter, r *http.Request, items []keyed, pageSize int) {
	q := r.URL.Query()
	page, next := pageOf(items, q.Get(skipTokenParam), pageSize)
	body := listBody{Value: page}
	if next != "" {
		q.Set(skipTokenParam, next)
		u := url.URL{Scheme: requestScheme(r), Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		body.NextLink = u.String()
	}
	writeJSON(w, http.StatusOK, body)
}

// requestScheme is the scheme the client used: https over TLS and for the in-process transport.
func requestScheme(r *http.Request) string {
	if r.TLS != nil || strings.EqualFold(r.URL.Scheme, "https") {
		return "https"
	}
	return "http"
}

// baseURL is the scheme and host the client addressed, for the URLs the fake hands out.
func baseURL(r *http.Request) string {
	return requestScheme(r) + "://" + r.Host
}
