package timeline

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/azlb/azlb/pkg/sim"
)

func TestLiveHandler(t *testing.T) {
	t.Parallel()
	var (
		calls atomic.Int32
		next  atomic.Pointer[func() (*sim.Result, error)]
	)
	source := func() (*sim.Result, error) {
		calls.Add(1)
		return (*next.Load())()
	}
	set := func(f func() (*sim.Result, error)) { next.Store(&f) }
	set(func() (*sim.Result, error) { return nil, nil })
	srv := httptest.NewServer(LiveHandler("sandbox "+hostile, source))
	t.Cleanup(srv.Close)

	get := func(method, path string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, string(body)
	}

	// The page: live mode, no data embedded, the title escaped.
	res, body := get(http.MethodGet, "/")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s, want 200 text/html", res.StatusCode, res.Header.Get("Content-Type"))
	}
	doc := parse(t, []byte(body))
	if r := embedded(t, doc); r != nil {
		t.Errorf("live page embeds %+v, want null (it polls)", r)
	}
	if b := findAll(doc, byTag("body")); attr(b[0], "data-mode") != "live" {
		t.Errorf("<body data-mode=%q>, want live", attr(b[0], "data-mode"))
	}
	if h1 := findAll(doc, byTag("h1")); len(h1) != 1 || text(h1[0]) != "sandbox "+hostile {
		t.Error("the title is not shown as text")
	}
	if calls.Load() != 0 {
		t.Errorf("the page called source %d times, want 0 (only polls do)", calls.Load())
	}

	// No data yet: 204, and the page keeps waiting.
	if res, _ := get(http.MethodGet, "/timeline.json"); res.StatusCode != http.StatusNoContent {
		t.Errorf("timeline.json before data = %d, want 204", res.StatusCode)
	}

	// Data: a sim.Result with the same field names, fresh on each poll.
	want := sampleResult("")
	set(func() (*sim.Result, error) { return want, nil })
	for i := range 2 {
		wantFailed := want.Failed
		res, body := get(http.MethodGet, "/timeline.json")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("timeline.json = %d %q %q, want 200 application/json, no-store", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
		}
		var got sim.Result
		if err := json.Unmarshal([]byte(body), &got); err != nil || got.Timeline == nil || len(got.Timeline.Nodes) != 2 || got.Failed != wantFailed {
			t.Fatalf("timeline.json %d: %v, %.200s", i, err, body)
		}
		want.Failed++ // the next poll sees the change
	}

	// A failing source: 503 with its message.
	set(func() (*sim.Result, error) { return nil, errors.New("the fake cloud is not up") })
	if res, body := get(http.MethodGet, "/timeline.json"); res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "the fake cloud is not up") {
		t.Errorf("timeline.json with a failing source = %d %q, want 503 with the error", res.StatusCode, body)
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("source called %d times for 4 polls", got)
	}

	// Anything else.
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodPut, "/timeline.json", http.StatusMethodNotAllowed},
		{http.MethodGet, "/index.html", http.StatusNotFound},
		{http.MethodGet, "/timeline.json/x", http.StatusNotFound},
	} {
		if res, _ := get(c.method, c.path); res.StatusCode != c.want {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, res.StatusCode, c.want)
		}
	}
}

// TestLiveHandlerUnderPrefix: mounted under a prefix, the page's relative poll still finds its data.
func TestLiveHandlerUnderPrefix(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/timeline/", http.StripPrefix("/timeline", LiveHandler("t", func() (*sim.Result, error) { return sampleResult(""), nil })))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, path := range []string{"/timeline/", "/timeline/timeline.json"} {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, res.StatusCode)
		}
	}
}
