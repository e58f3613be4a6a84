package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/klog/v2"
)

// DebugIP is the JSON body of the app's /debug/ip: who the app thinks it is
// talking to, like the FastAPI debug endpoint of seed 000.
type DebugIP struct {
	// ClientHost is the TCP peer address the app sees.
	ClientHost string `json:"client_host"`
	// XForwardedFor and XRealIP echo those request headers (null if absent).
	XForwardedFor *string `json:"x_forwarded_for"`
	XRealIP       *string `json:"x_real_ip"`
	// Pod and Node name the pod that answered and its node.
	Pod  string `json:"pod"`
	Node string `json:"node"`
}

// appConfig is what a container's app needs to run.
type appConfig struct {
	pod, node string
	ip        netip.Addr
	ports     []int32
	behaviour AppBehaviour
	logger    klog.Logger
}

// app is one container's simulated process: an HTTP server on each of the
// container's TCP ports, on the pod's address.
type app struct {
	cfg       appConfig
	startedAt time.Time
	servers   []*http.Server

	sigtermed atomic.Bool
	termOnce  sync.Once
	exitOnce  sync.Once
	// killed is closed by kill (SIGKILL); it aborts a graceful exit.
	killed   chan struct{}
	killOnce sync.Once
	// exited is closed once every server stopped.
	exited  chan struct{}
	serving sync.WaitGroup
}

// startApp binds every port and starts serving. On error nothing is left
// open.
func startApp(cfg appConfig) (*app, error) {
	a := &app{cfg: cfg, startedAt: time.Now(), killed: make(chan struct{}), exited: make(chan struct{})}
	var listeners []net.Listener
	for _, p := range cfg.ports {
		addr := net.JoinHostPort(cfg.ip.String(), strconv.Itoa(int(p)))
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			for _, l := range listeners {
				_ = l.Close()
			}
			return nil, fmt.Errorf("app of pod %s listening on %s: %w", cfg.pod, addr, err)
		}
		listeners = append(listeners, l)
	}
	for _, l := range listeners {
		srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
		a.servers = append(a.servers, srv)
		a.serving.Add(1)
		go func() {
			defer a.serving.Done()
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				cfg.logger.Error(err, "App server stopped", "pod", cfg.pod, "address", l.Addr())
			}
		}()
	}
	return a, nil
}

func (a *app) starting() bool { return time.Since(a.startedAt) < a.cfg.behaviour.StartupDelay }

func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/ip", func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		body := DebugIP{ClientHost: host, Pod: a.cfg.pod, Node: a.cfg.node}
		if v, ok := r.Header["X-Forwarded-For"]; ok && len(v) > 0 {
			body.XForwardedFor = &v[0]
		}
		if v, ok := r.Header["X-Real-Ip"]; ok && len(v) > 0 {
			body.XRealIP = &v[0]
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if a.starting() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		_, _ = fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case a.starting():
			http.Error(w, "starting", http.StatusServiceUnavailable)
		case a.sigtermed.Load():
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		default:
			_, _ = fmt.Fprintln(w, "ok")
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = fmt.Fprint(w, a.cfg.pod)
	})
	// Graceful keep-alive handling: once SIGTERM came, every response tells
	// the client to close; idle connections stay until their next request
	// (or the exit), so no request races a server-side close.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.sigtermed.Load() && a.cfg.behaviour.KeepAlive == KeepAliveClose {
			w.Header().Set("Connection", "close")
		}
		mux.ServeHTTP(w, r)
	})
}

// terminate delivers SIGTERM: exit at once, or keep serving for the
// shutdown delay with /readyz failing and then exit.
func (a *app) terminate() {
	a.termOnce.Do(func() {
		a.sigtermed.Store(true)
		b := a.cfg.behaviour
		if b.ShutdownDelay <= 0 {
			a.exit(false)
			return
		}
		go func() {
			t := time.NewTimer(b.ShutdownDelay)
			defer t.Stop()
			select {
			case <-t.C:
				a.exit(b.KeepAlive == KeepAliveClose)
			case <-a.killed:
				a.exit(false)
			}
		}()
	})
}

// kill delivers SIGKILL: every socket closes at once.
func (a *app) kill() {
	a.killOnce.Do(func() { close(a.killed) })
	a.exit(false)
}

// exit stops the servers, gracefully (waiting for requests in flight until
// a kill) or not.
func (a *app) exit(graceful bool) {
	a.exitOnce.Do(func() {
		if graceful {
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-a.killed:
					cancel()
				case <-ctx.Done():
				}
			}()
			var wg sync.WaitGroup
			for _, s := range a.servers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = s.Shutdown(ctx)
				}()
			}
			wg.Wait()
			cancel()
		}
		for _, s := range a.servers {
			_ = s.Close()
		}
		a.serving.Wait()
		close(a.exited)
	})
}

// done is closed when the app has exited.
func (a *app) done() <-chan struct{} { return a.exited }
