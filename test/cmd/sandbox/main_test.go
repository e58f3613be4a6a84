package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/azlb/azlb/pkg/sim"
	"github.com/azlb/azlb/test/harness"
)

// TestRunFlags: bad command lines are refused before anything starts.
func TestRunFlags(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"stray-argument"}, {"--nodes", "x"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (stderr %q)", args, code, errOut.String())
		}
		if out.Len() != 0 {
			t.Errorf("run(%q) printed %q before refusing", args, out.String())
		}
	}
}

// TestSandbox runs `make run`'s program as a process: it builds it and cmd/cloud-controller, starts
// it with the example manifests, reads the frontend and the live page from what it prints, curls
// the frontend (the pod sees the client's address), reads the live page and /timeline.json, sends
// SIGINT and checks that it exits cleanly and leaves nothing: no cloud-controller process, no node
// address on lo, no directory, nothing listening.
func TestSandbox(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip(harness.ErrNeedRoot.Error())
	}
	if testing.Short() {
		t.Skip("builds and runs the sandbox (about 40 s); skipped with -short")
	}
	t.Parallel()
	bin := buildBinaries(t)
	root, err := harness.MainModuleRoot()
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin.sandbox, "--cloud-controller", bin.cloudController, "--ui", "127.0.0.1:0",
		"-f", filepath.Join(root, "examples", "local-service.yaml"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed when the process has exited; waitErr is how
	var waitErr error
	out := &output{lines: make(chan string, 1024)}
	out.wg.Add(1)
	go out.read(stdout)
	go func() {
		out.wg.Wait()
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		// A failed test still stops the sandbox cleanly (SIGINT), so that it leaves nothing behind;
		// SIGKILL only if it does not exit.
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("sandbox output:\n%s\nstderr:\n%s", out.all(), stderr.String())
		}
	})

	hdr := out.header(t, 3*time.Minute)
	t.Logf("sandbox ready: frontend %s, live page %s, controller pid %d", hdr.frontend, hdr.ui, hdr.controllerPid)

	// Requests through the frontend reach the app and keep the client's address (Local).
	client := harness.ClientAddress(230)
	r := harness.GetDebugIP(t.Context(), client, hdr.frontend, 5*time.Second)
	if r.Outcome != harness.Served || r.Answer.ClientHost != client.String() {
		t.Errorf("GET /debug/ip through %s: %s (%v), pod saw %q; want served, seeing %s", hdr.frontend, r.Outcome, r.Err, r.Answer.ClientHost, client)
	}

	// The live page, and its data once a few seconds of traffic are in.
	page := httpGet(t, hdr.ui)
	if !strings.Contains(page, "timeline.json") && !strings.Contains(page, "<svg") && !strings.Contains(page, "<script") {
		t.Errorf("the live page at %s does not look like the timeline page:\n%.400s", hdr.ui, page)
	}
	var res sim.Result
	waitFor(t, 30*time.Second, "a live timeline with served requests on every node", func() (bool, error) {
		status, body := httpStatusGet(t, hdr.ui+"timeline.json")
		if status == http.StatusNoContent {
			return false, errors.New("no data yet (204)")
		}
		res = sim.Result{}
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			return false, fmt.Errorf("decoding timeline.json: %w (%.200s)", err, body)
		}
		if res.Timeline == nil || len(res.Timeline.Nodes) != 3 || res.Succeeded < 40 {
			return false, fmt.Errorf("%d served, timeline %v", res.Succeeded, res.Timeline != nil)
		}
		for _, n := range res.Timeline.Nodes {
			if last := len(n.Probe) - 1; last < 0 || n.Probe[last] != "up" || n.Health[last] != 200 || n.LocalReady[last] != 1 {
				return false, fmt.Errorf("node %s: %+v", n.Name, n)
			}
		}
		return true, nil
	})
	if res.Setup.Service != "default/web" || res.Setup.ExternalTrafficPolicy != "Local" || !strings.HasPrefix(res.Setup.Probe, "Http :") || res.Failed != 0 {
		t.Errorf("timeline.json: setup %+v, %d failed (%+v)", res.Setup, res.Failed, res.Failures)
	}
	if dp := httpGet(t, hdr.ui+"dataplane.json"); !strings.Contains(dp, `"backends"`) {
		t.Errorf("dataplane.json: %.300s", dp)
	}
	// A line per second of what the load balancer sees.
	lines := out.waitLines(t, 3, 10*time.Second, regexp.MustCompile(`^\s+\d+s\s+default/web\s+127\.\S+\s+in rotation 3/3: node-1 node-2 node-3\s+\d+ served, 0 failed`))
	t.Logf("e.g. %q", lines[0])

	// SIGINT: a clean exit that leaves nothing behind.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("the sandbox exited with %v after SIGINT; stderr:\n%s", waitErr, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("the sandbox did not exit within a minute of SIGINT")
	}
	if !strings.Contains(out.all(), "Stopped: no process") {
		t.Errorf("the sandbox did not report a clean stop")
	}
	if strings.Contains(stderr.String(), "WARNING: DATA RACE") {
		t.Errorf("the sandbox reported a data race:\n%s", stderr.String())
	}
	if err := syscall.Kill(hdr.controllerPid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the cloud-controller (pid %d) is still there after the sandbox exited (kill -0: %v)", hdr.controllerPid, err)
	}
	for _, a := range hdr.nodes {
		if onLo(t, a) {
			t.Errorf("node address %s is still on lo", a)
		}
	}
	for _, d := range hdr.dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("directory %s is still there (%v)", d, err)
		}
	}
	for _, addr := range []string{hdr.frontend.String(), strings.TrimSuffix(strings.TrimPrefix(hdr.ui, "http://"), "/")} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			t.Errorf("%s still accepts connections", addr)
		}
	}
}

// binaries are the programs the test runs.
type binaries struct{ sandbox, cloudController string }

// buildBinaries builds this command and cmd/cloud-controller into a temporary directory.
func buildBinaries(t *testing.T) binaries {
	t.Helper()
	dir := t.TempDir()
	root, err := harness.MainModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b := binaries{sandbox: filepath.Join(dir, "sandbox"), cloudController: filepath.Join(dir, "cloud-controller")}
	for _, build := range []struct{ dir, out, pkg string }{{".", b.sandbox, "."}, {root, b.cloudController, "./cmd/cloud-controller"}} {
		args := []string{"build", "-o", build.out}
		if raceEnabled {
			args = append(args, "-race") // a race in either process fails the test
		}
		cmd := exec.Command("go", append(args, build.pkg)...)
		cmd.Dir = build.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", build.pkg, err, out)
		}
	}
	return b
}

// output collects the sandbox's standard output.
type output struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	text  strings.Builder
	lines chan string
}

// read collects r until it ends; the caller has added one to wg.
func (o *output) read(r io.Reader) {
	defer o.wg.Done()
	defer close(o.lines)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		o.mu.Lock()
		o.text.WriteString(sc.Text() + "\n")
		o.mu.Unlock()
		select {
		case o.lines <- sc.Text():
		default: // nobody is waiting for lines: the text keeps them
		}
	}
}

func (o *output) all() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.text.String()
}

// header is what the sandbox prints once ready.
type header struct {
	frontend      netip.AddrPort
	ui            string
	controllerPid int
	nodes         []netip.Addr
	dirs          []string
}

// header reads lines until the header is complete (the line about kubectl).
func (o *output) header(t *testing.T, timeout time.Duration) header {
	t.Helper()
	var h header
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-o.lines:
			if !ok {
				t.Fatalf("the sandbox ended before it was ready")
			}
			f := strings.Fields(line)
			switch {
			case len(f) >= 3 && f[0] == "frontend" && !h.frontend.IsValid():
				ap, err := netip.ParseAddrPort(strings.TrimSuffix(strings.TrimPrefix(f[2], "http://"), "/"))
				if err != nil {
					t.Fatalf("frontend line %q: %v", line, err)
				}
				h.frontend = ap
			case len(f) >= 3 && f[0] == "live" && f[1] == "page":
				h.ui = f[2]
			case len(f) >= 3 && f[0] == "controller":
				h.controllerPid, _ = strconv.Atoi(strings.TrimSuffix(f[2], ","))
			case len(f) >= 2 && f[0] == "nodes":
				for _, w := range f[1:] {
					if a, err := netip.ParseAddr(strings.TrimSuffix(w, ",")); err == nil {
						h.nodes = append(h.nodes, a)
					}
				}
			case len(f) >= 2 && f[0] == "directories":
				h.dirs = f[1:]
			case strings.HasPrefix(line, "Apply your own Services"):
				if !h.frontend.IsValid() || h.ui == "" || h.controllerPid == 0 || len(h.nodes) != 3 || len(h.dirs) == 0 {
					t.Fatalf("incomplete header: %+v", h)
				}
				return h
			}
		case <-deadline:
			t.Fatalf("the sandbox was not ready within %s", timeout)
		}
	}
}

// waitLines waits for n lines matching re.
func (o *output) waitLines(t *testing.T, n int, timeout time.Duration, re *regexp.Regexp) []string {
	t.Helper()
	var got []string
	deadline := time.After(timeout)
	for len(got) < n {
		select {
		case line, ok := <-o.lines:
			if !ok {
				t.Fatalf("the sandbox ended after %d of %d lines like %s", len(got), n, re)
			}
			if re.MatchString(line) {
				got = append(got, line)
			}
		case <-deadline:
			t.Fatalf("%d of %d lines like %s within %s", len(got), n, re, timeout)
		}
	}
	return got
}

// httpGet returns the body of a 200 answer.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	status, body := httpStatusGet(t, url)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %.300s", url, status, body)
	}
	return body
}

// httpStatusGet returns the status and body of any answer.
func httpStatusGet(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<22))
	return resp.StatusCode, string(body)
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last: %v)", timeout, what, last)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// onLo reports whether addr is configured on the loopback device.
func onLo(t *testing.T, addr netip.Addr) bool {
	t.Helper()
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := netlink.AddrList(lo, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == addr {
			return true
		}
	}
	return false
}
