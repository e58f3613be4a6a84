package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/azlb/azlb/test/harness"
)

// env is one test's world: its own cluster, its own fake Azure, and the cloud-controller processes
// the test starts on them. Everything stops when the test ends, controllers first.
type env struct {
	t       *testing.T
	ctx     context.Context
	cluster *harness.Cluster
	azure   *harness.FakeAzure
	lb      *harness.DataPlane // the load balancer's data plane (envOptions.dataPlane), else nil
	client  kubernetes.Interface
	ns      string
	logDir  string

	start time.Time
	mu    sync.Mutex
	last  time.Time
	ctrls []*controller
}

// envOptions configure newEnv.
type envOptions struct {
	nodes int // initial nodes; 0 means the harness default (3)
	// dataPlane runs the fake load balancer's data plane on the fake Azure (harness.StartDataPlane,
	// Azure's real probe timing), so that connections to a frontend reach the nodes: for tests that
	// send requests through the load balancer.
	dataPlane bool
}

// testNamespace is where each test creates its objects (its own cluster, so one name is enough; not
// "default", so that the namespace part of the public IP's service tag is checked).
const testNamespace = "e2e"

// newEnv starts a cluster and a fake Azure for t. It skips t when the harness cannot run (not root).
func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), ns: testNamespace, start: time.Now()}
	e.last = e.start
	e.azure = harness.StartFakeAzureForTest(t, harness.FakeAzureOptions{Dir: t.TempDir()})
	if o.dataPlane {
		e.lb = harness.StartDataPlaneForTest(t, e.azure, harness.DataPlaneOptions{})
	}
	e.cluster = harness.StartForTest(t, harness.Options{Nodes: o.nodes})
	e.client = e.cluster.Client
	e.step("cluster started (control plane %s, controllers %s, nodes %s)", e.cluster.Timings.ControlPlane.Round(time.Millisecond),
		e.cluster.Timings.Controllers.Round(time.Millisecond), e.cluster.Timings.Nodes.Round(time.Millisecond))
	e.logDir = logDir(t)
	if err := e.cluster.CreateNamespace(e.ctx, e.ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recordTiming(t.Name(), time.Since(e.start)) })
	return e
}

// logDir is where the test's cloud-controller logs go: $E2E_LOG_DIR/<test> when set (kept), else the
// test's temporary directory.
func logDir(t *testing.T) string {
	base := os.Getenv(envLogDir)
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating %s: %v", dir, err)
	}
	return dir
}

// step logs a timed milestone: seconds since the environment started, and since the last step.
func (e *env) step(format string, args ...any) {
	e.t.Helper()
	e.mu.Lock()
	now := time.Now()
	total, delta := now.Sub(e.start), now.Sub(e.last)
	e.last = now
	e.mu.Unlock()
	e.t.Logf("[%6.2fs +%5.2fs] %s", total.Seconds(), delta.Seconds(), fmt.Sprintf(format, args...))
}

// controllerOptions configure one cloud-controller process.
type controllerOptions struct {
	leaderElect     bool
	concurrentSyncs int
}

// controller is a cloud-controller process of the test, with its own relay to the fake Azure.
type controller struct {
	name string
	proc *harness.CloudController
	arm  *armProxy

	mu     sync.Mutex
	killed bool // the test killed it: its exit is expected
}

// startController starts a cloud-controller named name (its log is cloud-controller-<name>.log) and
// waits until it serves /healthz. It is killed when the test ends; if the test failed, the tail of its
// log is printed.
func (e *env) startController(name string, o controllerOptions) *controller {
	e.t.Helper()
	c := &controller{name: name, arm: startARMProxy(e.t, strings.TrimPrefix(e.azure.URL, "https://"))}
	cfg, err := e.azure.WriteCloudConfig("azure-"+name+".json", c.arm.URL(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	verbosity := 2
	if v, err := strconv.Atoi(os.Getenv(envVerbosity)); err == nil && v > 0 {
		verbosity = v
	}
	opts := harness.CloudControllerOptions{
		Binary:                 cloudControllerBinary,
		Kubeconfig:             e.cluster.Kubeconfig,
		CloudConfig:            cfg,
		LogFile:                filepath.Join(e.logDir, "cloud-controller-"+name+".log"),
		LeaderElect:            o.leaderElect,
		ConcurrentServiceSyncs: o.concurrentSyncs,
		Verbosity:              verbosity,
	}
	proc, err := harness.StartCloudController(e.ctx, opts)
	if err != nil {
		e.t.Fatalf("cloud-controller %s: %v", name, err)
	}
	c.proc = proc
	e.mu.Lock()
	e.ctrls = append(e.ctrls, c)
	e.mu.Unlock()
	e.t.Cleanup(func() {
		_ = c.proc.Kill()
		if race := logExcerpt(c.proc.LogFile, raceReport, 40); race != "" {
			e.t.Errorf("cloud-controller %s reported a data race:\n%s", name, race)
		}
		if e.t.Failed() {
			tail, err := c.proc.LogTail(60)
			if err != nil {
				tail = err.Error()
			}
			e.t.Logf("last lines of cloud-controller %s (%s):\n%s", name, c.proc.LogFile, tail)
		}
	})
	e.step("cloud-controller %s healthy (pid %d, port %d)", name, proc.Pid(), proc.SecurePort)
	return c
}

// raceReport starts the race detector's report in a process's output.
const raceReport = "WARNING: DATA RACE"

// logExcerpt returns up to n lines of the file from the first line containing s ("" when none does).
func logExcerpt(path, s string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	i := strings.Index(string(data), s)
	if i < 0 {
		return ""
	}
	lines := strings.SplitN(string(data[i:]), "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// kill sends SIGKILL to the controller and waits until it is gone.
func (e *env) kill(c *controller) {
	e.t.Helper()
	c.mu.Lock()
	c.killed = true
	c.mu.Unlock()
	if err := c.proc.Kill(); err != nil {
		e.t.Fatal(err)
	}
	e.step("cloud-controller %s killed (SIGKILL)", c.name)
}

// checkControllers fails the test at once when a controller the test did not kill has exited: the
// waits would only time out.
func (e *env) checkControllers() {
	e.t.Helper()
	e.mu.Lock()
	ctrls := append([]*controller(nil), e.ctrls...)
	e.mu.Unlock()
	for _, c := range ctrls {
		c.mu.Lock()
		killed := c.killed
		c.mu.Unlock()
		select {
		case <-c.proc.Done():
			if !killed {
				tail, _ := c.proc.LogTail(40)
				e.t.Fatalf("cloud-controller %s exited unexpectedly (%v); last lines of %s:\n%s", c.name, c.proc.Err(), c.proc.LogFile, tail)
			}
		default:
		}
	}
}

// pollInterval is how often waits look again.
const pollInterval = 100 * time.Millisecond

// waitFor polls cond until it holds, failing the test after timeout with what it waited for and the
// last reason cond gave.
func (e *env) waitFor(what string, timeout time.Duration, cond func() (bool, error)) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		e.checkControllers()
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out after %s waiting for %s (last: %v)\nfake Azure:\n%s", timeout, what, last, e.describeAzure())
		}
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("waiting for %s: %v", what, e.ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// timings are the wall times of the tests, printed by TestMain.
var timings struct {
	mu    sync.Mutex
	lines []string
}

func recordTiming(test string, d time.Duration) {
	timings.mu.Lock()
	defer timings.mu.Unlock()
	timings.lines = append(timings.lines, fmt.Sprintf("%-40s %6.1fs", test, d.Seconds()))
}
