package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	restclient "k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// LocalArgs turns the container arguments of the rendered Deployment into a command line for a
// process outside the cluster: the cloud config comes from cloudConfig, the secure port is port on
// 127.0.0.1, and kubeconfig is used for the API, for delegated authentication and for delegated
// authorization (in a pod all three default to the ServiceAccount's in-cluster config). Every other
// argument is kept as rendered.
func LocalArgs(rendered []string, cloudConfig, kubeconfig string, port int) ([]string, error) {
	var out []string
	var sawConfig, sawPort bool
	for _, a := range rendered {
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "--cloud-config":
			sawConfig = true
			a = "--cloud-config=" + cloudConfig
		case "--secure-port":
			sawPort = true
			a = "--secure-port=" + strconv.Itoa(port)
		case "--bind-address", "--kubeconfig", "--authentication-kubeconfig", "--authorization-kubeconfig", "--master":
			return nil, fmt.Errorf("rendered argument %q would be overridden outside the cluster", a)
		}
		out = append(out, a)
	}
	if !sawConfig {
		return nil, errors.New("the rendered arguments have no --cloud-config")
	}
	if !sawPort {
		out = append(out, "--secure-port="+strconv.Itoa(port))
	}
	return append(out,
		"--bind-address=127.0.0.1",
		"--kubeconfig="+kubeconfig,
		"--authentication-kubeconfig="+kubeconfig,
		"--authorization-kubeconfig="+kubeconfig,
	), nil
}

// WriteTokenKubeconfig writes a kubeconfig for the API server of cfg that authenticates with a
// bearer token (for example one minted with the TokenRequest API), mode 0600.
func WriteTokenKubeconfig(path string, cfg *restclient.Config, token string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["cluster"] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
		TLSServerName:            cfg.ServerName,
	}
	kc.AuthInfos["user"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["default"] = &clientcmdapi.Context{Cluster: "cluster", AuthInfo: "user"}
	kc.CurrentContext = "default"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// Controller is a running cloud-controller process.
type Controller struct {
	cmd     *exec.Cmd
	log     *syncBuffer
	logFile *os.File
	done    chan struct{}
	err     error
}

// StartController starts binary with args; its stdout and stderr are kept (Log) and also appended
// to logFile when that is set.
func StartController(binary string, args []string, logFile string) (*Controller, error) {
	c := &Controller{log: &syncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(binary, args...) //nolint:gosec // G204: running the binary under test is the point
	c.cmd.Env = os.Environ()
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	if logFile != "" {
		if err := os.MkdirAll(filepath.Dir(logFile), 0o750); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening log file: %w", err)
		}
		c.logFile, c.log.tee = f, f
	}
	if err := c.cmd.Start(); err != nil {
		if c.logFile != nil {
			_ = c.logFile.Close()
		}
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		if c.logFile != nil {
			_ = c.logFile.Close()
		}
		close(c.done)
	}()
	return c, nil
}

// Log is everything the process wrote so far.
func (c *Controller) Log() string { return c.log.String() }

// Exited is closed when the process has ended; ExitErr then says how.
func (c *Controller) Exited() <-chan struct{} { return c.done }

// ExitErr is the process's exit error once Exited is closed (nil for status 0).
func (c *Controller) ExitErr() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// ExitStatus describes how the process ended ("exit status 1", "signal: killed"), or "running".
func (c *Controller) ExitStatus() string {
	select {
	case <-c.done:
		return c.cmd.ProcessState.String()
	default:
		return "running"
	}
}

// Stop sends SIGTERM, then SIGKILL if the process has not ended after grace.
func (c *Controller) Stop(grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads, optionally copying to tee.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	tee io.Writer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tee != nil {
		_, _ = b.tee.Write(p)
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
