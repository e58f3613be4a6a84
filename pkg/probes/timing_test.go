package probes

import (
	"testing"
	"time"
)

const s = time.Second

func settings(p Protocol, iv, th int32) Settings {
	path := ""
	if p != ProtocolTCP {
		path = "/healthz"
	}
	return Settings{Protocol: p, Port: 32000, RequestPath: path, IntervalSeconds: iv, Threshold: th}
}

func TestProbeTimeout(t *testing.T) {
	tests := []struct {
		iv   int32
		want time.Duration
	}{{5, 5 * s}, {15, 15 * s}, {30, 30 * s}, {59, 30 * s}}
	for _, tt := range tests {
		if got := ProbeTimeout(settings(ProtocolHTTP, tt.iv, 2)); got != tt.want {
			t.Errorf("ProbeTimeout(interval %d) = %v, want %v", tt.iv, got, tt.want)
		}
	}
}

func TestMarkDown(t *testing.T) {
	def := settings(ProtocolHTTP, 5, 2)
	tests := []struct {
		name string
		s    Settings
		sem  Semantics
		f    Failure
		want Window
	}{
		// Defaults 5s x 2.
		{"http 503, azure: within one interval", def, SemanticsAzure, FailureStatus, Window{0, 5 * s}},
		{"http 503, threshold: within two intervals", def, SemanticsThreshold, FailureStatus, Window{5 * s, 10 * s}},
		{"http refused, azure: explicit, at once", def, SemanticsAzure, FailureRefused, Window{0, 5 * s}},
		{"http refused, threshold", def, SemanticsThreshold, FailureRefused, Window{5 * s, 10 * s}},
		{"http timeout, azure: N timeouts", def, SemanticsAzure, FailureTimeout, Window{10 * s, 15 * s}},
		{"http timeout, threshold", def, SemanticsThreshold, FailureTimeout, Window{10 * s, 15 * s}},
		{"https 503, azure", settings(ProtocolHTTPS, 5, 2), SemanticsAzure, FailureStatus, Window{0, 5 * s}},
		{"empty semantics is azure", def, "", FailureStatus, Window{0, 5 * s}},
		// Tcp counts every result.
		{"tcp refused, azure", settings(ProtocolTCP, 5, 2), SemanticsAzure, FailureRefused, Window{5 * s, 10 * s}},
		{"tcp refused, threshold", settings(ProtocolTCP, 5, 2), SemanticsThreshold, FailureRefused, Window{5 * s, 10 * s}},
		{"tcp timeout", settings(ProtocolTCP, 5, 2), SemanticsAzure, FailureTimeout, Window{10 * s, 15 * s}},
		{"tcp never sees a status", settings(ProtocolTCP, 5, 2), SemanticsAzure, FailureStatus, Window{Never, Never}},
		// Other settings: N=3, I=10 (T=10); I=40 (T=30 cap).
		{"http 503 10s x 3, azure", settings(ProtocolHTTP, 10, 3), SemanticsAzure, FailureStatus, Window{0, 10 * s}},
		{"http 503 10s x 3, threshold", settings(ProtocolHTTP, 10, 3), SemanticsThreshold, FailureStatus, Window{20 * s, 30 * s}},
		{"tcp refused 10s x 3", settings(ProtocolTCP, 10, 3), SemanticsAzure, FailureRefused, Window{20 * s, 30 * s}},
		{"http timeout 10s x 3", settings(ProtocolHTTP, 10, 3), SemanticsAzure, FailureTimeout, Window{30 * s, 40 * s}},
		{"http timeout capped at 30s", settings(ProtocolHTTP, 40, 2), SemanticsAzure, FailureTimeout, Window{70 * s, 110 * s}},
	}
	for _, tt := range tests {
		if got := MarkDown(tt.s, tt.sem, tt.f); got != tt.want {
			t.Errorf("%s: MarkDown(%v, %q, %v) = %v, want %v", tt.name, tt.s, tt.sem, tt.f, got, tt.want)
		}
	}
}

func TestMarkUp(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		sem  Semantics
		want Window
	}{
		{"http azure: first 200", settings(ProtocolHTTP, 5, 2), SemanticsAzure, Window{0, 5 * s}},
		{"http threshold: N 200s", settings(ProtocolHTTP, 5, 2), SemanticsThreshold, Window{5 * s, 10 * s}},
		{"https azure", settings(ProtocolHTTPS, 15, 2), SemanticsAzure, Window{0, 15 * s}},
		{"tcp azure: N accepts", settings(ProtocolTCP, 5, 2), SemanticsAzure, Window{5 * s, 10 * s}},
		{"tcp threshold", settings(ProtocolTCP, 10, 3), SemanticsThreshold, Window{20 * s, 30 * s}},
	}
	for _, tt := range tests {
		if got := MarkUp(tt.s, tt.sem); got != tt.want {
			t.Errorf("%s: MarkUp = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRequiredPreStop(t *testing.T) {
	tests := []struct {
		name  string
		s     Settings
		sem   Semantics
		proxy time.Duration
		want  time.Duration
	}{
		{"http default, azure", settings(ProtocolHTTP, 5, 2), SemanticsAzure, 1 * s, 6 * s},
		{"http default, threshold", settings(ProtocolHTTP, 5, 2), SemanticsThreshold, 1 * s, 11 * s},
		{"tcp counts refusals", settings(ProtocolTCP, 5, 2), SemanticsAzure, 1 * s, 11 * s},
		{"ipvs: no sync delay", settings(ProtocolHTTP, 10, 3), SemanticsAzure, 0, 10 * s},
		{"sub-second sync", settings(ProtocolHTTP, 5, 2), SemanticsAzure, 1500 * time.Millisecond, 6500 * time.Millisecond},
		{"negative sync is zero", settings(ProtocolHTTP, 5, 2), SemanticsAzure, -s, 5 * s},
	}
	for _, tt := range tests {
		if got := RequiredPreStop(tt.s, tt.sem, tt.proxy); got != tt.want {
			t.Errorf("%s: RequiredPreStop = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRequiredMinReadySeconds(t *testing.T) {
	tests := []struct {
		name  string
		s     Settings
		sem   Semantics
		proxy time.Duration
		want  int32
	}{
		{"http default, azure", settings(ProtocolHTTP, 5, 2), SemanticsAzure, 1 * s, 6},
		{"http default, threshold", settings(ProtocolHTTP, 5, 2), SemanticsThreshold, 1 * s, 11},
		{"tcp", settings(ProtocolTCP, 5, 2), SemanticsAzure, 1 * s, 11},
		{"rounded up", settings(ProtocolHTTP, 5, 2), SemanticsAzure, 1100 * time.Millisecond, 7},
		{"exact seconds not rounded", settings(ProtocolHTTP, 5, 2), SemanticsAzure, 0, 5},
	}
	for _, tt := range tests {
		if got := RequiredMinReadySeconds(tt.s, tt.sem, tt.proxy); got != tt.want {
			t.Errorf("%s: RequiredMinReadySeconds = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestWindowString(t *testing.T) {
	if got := (Window{0, 5 * s}).String(); got != "[0s, 5s]" {
		t.Errorf("String() = %q", got)
	}
	if w := (Window{Never, Never}); !w.Never() || w.String() != "never" {
		t.Errorf("never window: Never()=%v String()=%q", w.Never(), w.String())
	}
	if (Window{0, 5 * s}).Never() {
		t.Error("finite window reports Never")
	}
}

// TestWindowsAgainstSchedule checks the closed forms against a step-by-step run of the probe schedule:
// probes are sent at phase + k*I; an explicit result is known when sent, a timeout T later; the node is
// marked down when the needed number of consecutive failures is reached. The phase is sampled over
// (0, I]; the infimum (phase -> 0) is compared within one sampling step.
func TestWindowsAgainstSchedule(t *testing.T) {
	for _, p := range []Protocol{ProtocolTCP, ProtocolHTTP} {
		for _, sem := range []Semantics{SemanticsAzure, SemanticsThreshold} {
			for _, f := range []Failure{FailureRefused, FailureTimeout} {
				for _, iv := range []int32{5, 10, 40} {
					for _, th := range []int32{2, 3} {
						if int64(iv)*int64(th) >= MaxTotalSeconds {
							continue
						}
						st := settings(p, iv, th)
						want := MarkDown(st, sem, f)
						const steps = 1000
						step := time.Duration(iv) * s / steps
						lo, hi := simulateMarkDown(st, sem, f, steps)
						if lo-want.Min > step || lo < want.Min || hi != want.Max {
							t.Errorf("%v %q %v: simulated [%v, %v], formula %v", st, sem, f, lo, hi, want)
						}
					}
				}
			}
		}
	}
}

func simulateMarkDown(st Settings, sem Semantics, f Failure, steps int) (lo, hi time.Duration) {
	i := time.Duration(st.IntervalSeconds) * s
	explicitAtOnce := st.Protocol != ProtocolTCP && sem == SemanticsAzure && f != FailureTimeout
	lo, hi = Never, 0
	for n := 1; n <= steps; n++ {
		phase := i * time.Duration(n) / time.Duration(steps)
		failures := 0
		for k := 0; ; k++ {
			known := phase + time.Duration(k)*i
			if f == FailureTimeout {
				known += ProbeTimeout(st)
			}
			failures++
			if explicitAtOnce || failures == int(st.Threshold) {
				lo, hi = min(lo, known), max(hi, known)
				break
			}
		}
	}
	return lo, hi
}
