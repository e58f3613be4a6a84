// Command sandbox is `make run`: a real kube-apiserver with the upstream controllers and simulated
// nodes, the fake Azure over HTTPS, the real cloud-controller binary as its own process, the fake
// load balancer's data plane and an example app, all on loopback, with a line per second of what the
// load balancer sees and a live page. Ctrl-C (SIGINT), SIGTERM or SIGHUP stops everything it started.
// It needs root (node addresses go on lo). See test/README.md.
//
//	sandbox [-f FILE]... [--cloud-controller PATH] [--nodes N] [--rps R] [--ui ADDR] [--service NS/NAME] [--log-dir DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"k8s.io/klog/v2"

	"github.com/azlb/azlb/test/harness"
	"github.com/azlb/azlb/test/sandbox"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// manifestFlag collects repeated -f values.
type manifestFlag []string

func (m *manifestFlag) String() string     { return strings.Join(*m, ",") }
func (m *manifestFlag) Set(v string) error { *m = append(*m, v); return nil }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var manifests manifestFlag
	fs.Var(&manifests, "f", "manifests to create once the cluster runs (repeatable; Services, Deployments, DaemonSets, PodDisruptionBudgets)")
	cloudController := fs.String("cloud-controller", "", "path of a built cmd/cloud-controller (default: build it now into a temporary directory)")
	nodes := fs.Int("nodes", 3, "nodes of the cluster")
	rps := fs.Float64("rps", 20, "client requests per second on each load-balancer frontend")
	clients := fs.Int("clients", 10, "client addresses (127.0.3.1, ...) the requests come from, in turn")
	ui := fs.String("ui", sandbox.DefaultUIAddress, "address of the live page (loopback)")
	service := fs.String("service", "", "namespace/name of the Service the live page follows (default the first of type LoadBalancer in -f)")
	logDir := fs.String("log-dir", "", "keep the logs (cloud-controller, in-process components) in this directory (default: a temporary one, removed at exit)")
	verbosity := fs.Int("v", 2, "log verbosity of the cloud-controller and the in-process components")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sandbox: unexpected arguments %q (manifests go with -f)\n", fs.Args())
		return 2
	}

	// Stop with the parent (make, a shell) even when it does not pass its signal on.
	dieWithParent()
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stopSignals() // until then, further signals are caught: the cleanup runs to its end
	go func() {
		<-ctx.Done()
		fmt.Fprintln(stdout, "\nStopping: the client, the data plane, the cloud-controller, the cluster, the fake Azure ...")
	}()

	dir, removeDir, err := logDirectory(*logDir)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		return 1
	}
	defer removeDir()
	closeLog, err := logToFile(filepath.Join(dir, "sandbox.log"), *verbosity)
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		return 1
	}
	defer closeLog()

	bin := *cloudController
	if bin == "" {
		fmt.Fprintln(stdout, "Building cmd/cloud-controller (the first build takes a minute or two) ...")
		if bin, err = harness.BuildCloudController(ctx, filepath.Join(dir, "cloud-controller"), false); err != nil {
			fmt.Fprintf(stderr, "sandbox: %v\n", err)
			return 1
		}
	}
	err = sandbox.Run(ctx, sandbox.Options{
		CloudController:   bin,
		Manifests:         manifests,
		Nodes:             *nodes,
		RequestsPerSecond: *rps,
		Clients:           *clients,
		UIAddress:         *ui,
		Service:           *service,
		LogDir:            dir,
		Verbosity:         *verbosity,
		Out:               stdout,
	})
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		if *logDir == "" {
			fmt.Fprintln(stderr, "sandbox: rerun with --log-dir DIR to keep the logs")
		}
		return 1
	}
	fmt.Fprintln(stdout, "Stopped: no process, address on lo or temporary directory of the sandbox is left.")
	return 0
}

// dieWithParent asks Linux to send SIGTERM when the parent process ends (PR_SET_PDEATHSIG), so that
// `kill` of `make run` does not leave the sandbox running.
func dieWithParent() {
	parent := os.Getppid()
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	if os.Getppid() != parent { // the parent is already gone
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}

// logDirectory is the given directory (created, kept) or a new temporary one (removed by the
// returned function).
func logDirectory(dir string) (string, func(), error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, fmt.Errorf("creating the log directory: %w", err)
		}
		abs, err := filepath.Abs(dir)
		return abs, func() {}, err
	}
	dir, err := os.MkdirTemp("", "azlb-sandbox-")
	if err != nil {
		return "", nil, fmt.Errorf("creating a temporary directory: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// logToFile sends klog's output (the in-process API server, controllers, nodes, data plane) to a
// file instead of the terminal.
func logToFile(path string, verbosity int) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	for k, v := range map[string]string{"logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "FATAL", "v": fmt.Sprint(verbosity)} {
		if err := fs.Set(k, v); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	klog.SetOutput(f)
	return func() {
		klog.Flush()
		klog.SetOutput(io.Discard)
		_ = f.Close()
	}, nil
}
