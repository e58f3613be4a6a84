package harness

import (
	"fmt"
	"os"
	"sync"

	"k8s.io/klog/v2"
)

// tbFatal is the panic value of runTB.Fatal and friends; Start recovers it
// into an error.
type tbFatal struct{ msg string }

// runTB implements the ktesting.TB interface that
// kube-apiserver/app/testing.StartTestServer wants, outside of a Go test, so
// that Start also serves the sandbox (`make run`). Cleanups run in Stop;
// Fatal panics with tbFatal, which Start turns into an error.
type runTB struct {
	name   string
	dir    string
	logger klog.Logger

	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

func newRunTB(name, dir string, logger klog.Logger) *runTB {
	return &runTB{name: name, dir: dir, logger: logger}
}

// runCleanups runs the registered cleanups, last first.
func (t *runTB) runCleanups() {
	for {
		t.mu.Lock()
		n := len(t.cleanups)
		if n == 0 {
			t.mu.Unlock()
			return
		}
		f := t.cleanups[n-1]
		t.cleanups = t.cleanups[:n-1]
		t.mu.Unlock()
		f()
	}
}

func (t *runTB) Attr(key, value string) {}
func (t *runTB) Chdir(dir string)       { panic(tbFatal{msg: "Chdir is not supported outside tests"}) }
func (t *runTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}
func (t *runTB) Error(args ...any) { t.fail(fmt.Sprint(args...)) }
func (t *runTB) Errorf(format string, args ...any) {
	t.fail(fmt.Sprintf(format, args...))
}
func (t *runTB) fail(msg string) {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	t.logger.Error(nil, msg)
}
func (t *runTB) Fail() { t.fail("failed") }
func (t *runTB) FailNow() {
	t.Fail()
	panic(tbFatal{msg: "FailNow"})
}
func (t *runTB) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}
func (t *runTB) Fatal(args ...any) {
	msg := fmt.Sprint(args...)
	t.fail(msg)
	panic(tbFatal{msg: msg})
}
func (t *runTB) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	t.fail(msg)
	panic(tbFatal{msg: msg})
}
func (t *runTB) Helper()                         {}
func (t *runTB) Log(args ...any)                 { t.logger.V(4).Info(fmt.Sprint(args...)) }
func (t *runTB) Logf(format string, args ...any) { t.logger.V(4).Info(fmt.Sprintf(format, args...)) }
func (t *runTB) Name() string                    { return t.name }
func (t *runTB) Skip(args ...any)                { panic(tbFatal{msg: "skip: " + fmt.Sprint(args...)}) }
func (t *runTB) Skipf(format string, args ...any) {
	panic(tbFatal{msg: "skip: " + fmt.Sprintf(format, args...)})
}
func (t *runTB) SkipNow()      { panic(tbFatal{msg: "skip"}) }
func (t *runTB) Skipped() bool { return false }
func (t *runTB) Setenv(key, value string) {
	old, had := os.LookupEnv(key)
	_ = os.Setenv(key, value)
	t.Cleanup(func() {
		if had {
			_ = os.Setenv(key, old)
		} else {
			_ = os.Unsetenv(key)
		}
	})
}
func (t *runTB) TempDir() string {
	d, err := os.MkdirTemp(t.dir, "tmp")
	if err != nil {
		panic(tbFatal{msg: fmt.Sprintf("TempDir: %v", err)})
	}
	return d
}
