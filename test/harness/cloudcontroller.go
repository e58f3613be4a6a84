package harness

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// CloudControllerOptions configure StartCloudController.
type CloudControllerOptions struct {
	// Binary is the path of the built cmd/cloud-controller.
	Binary string
	// Kubeconfig is the cluster's kubeconfig (Cluster.Kubeconfig).
	Kubeconfig string
	// CloudConfig is the azure.json (FakeAzure.WriteCloudConfig).
	CloudConfig string
	// LogFile receives the process's stdout and stderr (appended).
	LogFile string
	// ClusterName is --cluster-name (default "kubernetes").
	ClusterName string
	// LeaderElect turns on leader election with LeaseDuration,
	// RenewDeadline and RetryPeriod (defaults 6 s, 4 s and 1 s: a killed
	// leader is replaced within about 7 s).
	LeaderElect                               bool
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// ConcurrentServiceSyncs is --concurrent-service-syncs (default 1, the
	// upstream default).
	ConcurrentServiceSyncs int
	// Verbosity is klog's -v (default 2).
	Verbosity int
	// ExtraArgs are appended to the command line.
	ExtraArgs []string
	// StartTimeout bounds the wait for /healthz (default 60 s).
	StartTimeout time.Duration
}

func (o CloudControllerOptions) withDefaults() CloudControllerOptions {
	if o.ClusterName == "" {
		o.ClusterName = "kubernetes"
	}
	if o.LeaseDuration <= 0 {
		o.LeaseDuration = 6 * time.Second
	}
	if o.RenewDeadline <= 0 {
		o.RenewDeadline = 4 * time.Second
	}
	if o.RetryPeriod <= 0 {
		o.RetryPeriod = time.Second
	}
	if o.ConcurrentServiceSyncs <= 0 {
		o.ConcurrentServiceSyncs = 1
	}
	if o.Verbosity <= 0 {
		o.Verbosity = 2
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = time.Minute
	}
	return o
}

// args is the command line for a secure port.
func (o CloudControllerOptions) args(securePort int) []string {
	args := []string{
		"--kubeconfig=" + o.Kubeconfig,
		"--cloud-config=" + o.CloudConfig,
		"--cloud-provider=azure",
		"--cluster-name=" + o.ClusterName,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(securePort),
		"--concurrent-service-syncs=" + strconv.Itoa(o.ConcurrentServiceSyncs),
		"--leader-elect=" + strconv.FormatBool(o.LeaderElect),
		"--v=" + strconv.Itoa(o.Verbosity),
	}
	if o.LeaderElect {
		args = append(args,
			"--leader-elect-lease-duration="+o.LeaseDuration.String(),
			"--leader-elect-renew-deadline="+o.RenewDeadline.String(),
			"--leader-elect-retry-period="+o.RetryPeriod.String(),
		)
	}
	return append(args, o.ExtraArgs...)
}

// CloudController is a running cloud-controller process.
type CloudController struct {
	// Args is its command line, without the binary.
	Args []string
	// SecurePort is where it serves /healthz and /metrics on 127.0.0.1.
	SecurePort int
	// LogFile holds its output.
	LogFile string

	cmd      *exec.Cmd
	log      *os.File
	logStart int64 // size of LogFile when this process started
	done     chan struct{}

	mu      sync.Mutex
	waitErr error
}

// maxPortAttempts bounds the restarts when the chosen secure port was
// taken between choosing it and the process binding it.
const maxPortAttempts = 3

// StartCloudController starts cmd/cloud-controller against a cluster and a
// cloud config and waits until its /healthz answers 200 (it serves that
// before leader election, so a standby replica is healthy too). The
// process is killed if the test process dies (Linux parent-death signal);
// stop it with Stop or Kill.
func StartCloudController(ctx context.Context, opts CloudControllerOptions) (*CloudController, error) {
	opts = opts.withDefaults()
	if opts.Binary == "" || opts.Kubeconfig == "" || opts.CloudConfig == "" || opts.LogFile == "" {
		return nil, errors.New("cloud-controller: Binary, Kubeconfig, CloudConfig and LogFile are required")
	}
	for attempt := 1; ; attempt++ {
		port, err := freeLoopbackPort()
		if err != nil {
			return nil, err
		}
		c, err := spawnCloudController(opts, port)
		if err != nil {
			return nil, err
		}
		err = c.waitHealthy(ctx, opts.StartTimeout)
		if err == nil {
			return c, nil
		}
		portTaken := c.logMentions("address already in use")
		_ = c.Kill()
		if attempt < maxPortAttempts && portTaken {
			continue
		}
		tail, _ := c.LogTail(30)
		return nil, fmt.Errorf("%w; last lines of %s:\n%s", err, c.LogFile, tail)
	}
}

func spawnCloudController(opts CloudControllerOptions, port int) (*CloudController, error) {
	logFile, err := os.OpenFile(opts.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the cloud-controller log: %w", err)
	}
	c := &CloudController{Args: opts.args(port), SecurePort: port, LogFile: opts.LogFile, log: logFile, done: make(chan struct{})}
	if st, err := logFile.Stat(); err == nil {
		c.logStart = st.Size()
	}
	fmt.Fprintf(logFile, "=== %s %s %s\n", time.Now().Format(time.RFC3339Nano), filepath.Base(opts.Binary), strings.Join(c.Args, " "))
	c.cmd = exec.Command(opts.Binary, c.Args...)
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	// The process dies with the test process, even on SIGKILL of the test.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", opts.Binary, err)
	}
	go func() {
		err := c.cmd.Wait()
		c.mu.Lock()
		c.waitErr = err
		c.mu.Unlock()
		_ = c.log.Close()
		close(c.done)
	}()
	return c, nil
}

// freeLoopbackPort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHealthy polls /healthz until it answers 200, the process exits, or
// timeout passes.
func (c *CloudController) waitHealthy(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if last = c.Healthz(ctx); last == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("cloud-controller exited before it was healthy: %v", c.Err())
		case <-ctx.Done():
			return fmt.Errorf("cloud-controller not healthy after %s: %v", timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Healthz asks the process's /healthz once; nil when it answers 200 "ok".
func (c *CloudController) Healthz(ctx context.Context) error {
	client := &http.Client{
		Timeout: 2 * time.Second,
		// The process serves a self-signed certificate; this is loopback.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback, self-signed
	}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://127.0.0.1:%d/healthz", c.SecurePort), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return nil
}

// Pid is the process id.
func (c *CloudController) Pid() int { return c.cmd.Process.Pid }

// Done is closed when the process has exited.
func (c *CloudController) Done() <-chan struct{} { return c.done }

// Err is how the process ended (nil while it runs or after a clean exit).
func (c *CloudController) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waitErr
}

func (c *CloudController) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL, as a crash or an OOM kill would, and waits for the
// process to be gone.
func (c *CloudController) Kill() error {
	if c.exited() {
		return nil
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing cloud-controller %d: %w", c.Pid(), err)
	}
	<-c.done
	return nil
}

// Stop sends SIGTERM and waits up to grace for the process to exit, then
// kills it.
func (c *CloudController) Stop(grace time.Duration) error {
	if c.exited() {
		return nil
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping cloud-controller %d: %w", c.Pid(), err)
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(grace):
		return c.Kill()
	}
}

// LogTail returns the last n lines of the log file.
func (c *CloudController) LogTail(n int) (string, error) {
	data, err := os.ReadFile(c.LogFile)
	if err != nil {
		return "", err
	}
	return lastLines(string(data), n), nil
}

// logMentions reports whether this process's part of the log contains s.
func (c *CloudController) logMentions(s string) bool {
	data, err := os.ReadFile(c.LogFile)
	if err != nil || int64(len(data)) < c.logStart {
		return false
	}
	return bytes.Contains(data[c.logStart:], []byte(s))
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
