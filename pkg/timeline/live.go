package timeline

import (
	"fmt"
	"net/http"
	"sync"

	"k8s.io/klog/v2"

	"github.com/azlb/azlb/pkg/sim"
)

// LiveHandler serves the same page and chart for a running system: GET / is the page, which polls
// GET /timeline.json every second (its JSON is a sim.Result, at least Timeline filled, with the same
// field names) and redraws; source is called per poll.
//
// source returning (nil, nil) means no data yet: timeline.json answers 204 No Content and the page
// keeps waiting. An error answers 503 with the error's text, which the page shows while it keeps
// polling. The page fetches timeline.json relative to itself, so the handler can be mounted under a
// prefix: mux.Handle("/timeline/", http.StripPrefix("/timeline", h)) serves the page at /timeline/.
func LiveHandler(title string, source func() (*sim.Result, error)) http.Handler {
	page := sync.OnceValues(func() ([]byte, error) { return render(Page{Title: title}, modeLive) })
	log := klog.Background().WithName("timeline")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		body, err := page()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /timeline.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		res, err := source()
		if err != nil {
			log.V(1).Info("No timeline for the live page", "err", err)
			http.Error(w, fmt.Sprintf("no timeline: %v", err), http.StatusServiceUnavailable)
			return
		}
		if res == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		body, err := resultJSON(res)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	return mux
}
