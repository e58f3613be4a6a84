package dataplane

import (
	"strings"
	"testing"

	"github.com/azlb/azlb/pkg/probes"
)

// outcomes parses "200 503 T R X" (T timeout, R refused, X reset, A accepted).
func outcomes(s string) []Outcome {
	var out []Outcome
	for _, f := range strings.Fields(s) {
		switch f {
		case "T":
			out = append(out, Outcome{Kind: TimedOut})
		case "R":
			out = append(out, Outcome{Kind: Refused})
		case "X":
			out = append(out, Outcome{Kind: Reset})
		case "A":
			out = append(out, Outcome{Kind: Answered})
		case "200":
			out = append(out, Outcome{Kind: Answered, Status: 200})
		default:
			out = append(out, Outcome{Kind: Answered, Status: 503})
		}
	}
	return out
}

// TestHealthStateMachine checks the per-(probe, backend) state machine against Azure's documented
// rules (SEMANTICS.md 1) and the threshold reading, one result at a time: "states" is U or D after
// each result.
func TestHealthStateMachine(t *testing.T) {
	httpS := probes.Settings{Protocol: probes.ProtocolHTTP, Port: 1, RequestPath: "/healthz", IntervalSeconds: 5, Threshold: 2}
	http3 := httpS
	http3.Threshold = 3
	tcpS := probes.Settings{Protocol: probes.ProtocolTCP, Port: 1, IntervalSeconds: 5, Threshold: 2}
	httpsS := httpS
	httpsS.Protocol = probes.ProtocolHTTPS
	az, th := probes.SemanticsAzure, probes.SemanticsThreshold
	tests := []struct {
		name    string
		s       probes.Settings
		sem     probes.Semantics
		results string
		states  string
	}{
		{"new backend starts down; azure http: first 200 marks up", httpS, az, "200", "U"},
		{"azure http: one 503 marks down at once", httpS, az, "200 503 200", "U D U"},
		{"azure http: refused and reset are explicit answers", httpS, az, "200 R 200 X", "U D U D"},
		{"azure https behaves as http", httpsS, az, "200 503", "U D"},
		{"azure http: timeouts count the threshold", httpS, az, "200 T T", "U U D"},
		{"azure http: a 200 between timeouts restarts the count", httpS, az, "200 T 200 T T", "U U U U D"},
		{"azure http: threshold 3 timeouts", http3, az, "200 T T T", "U U U D"},
		{"azure http: a timeout then a 503 marks down at the 503", httpS, az, "200 T 503", "U U D"},
		{"azure http: 3xx is not a 200", httpS, az, "200 301", "U D"},
		{"azure tcp: accepted needs threshold successes to come up", tcpS, az, "A A", "D U"},
		{"azure tcp: refusals count the threshold", tcpS, az, "A A R R", "D U U D"},
		{"azure tcp: a status is invisible to a tcp probe", tcpS, az, "A A 503 503", "D U U U"},
		{"azure tcp: timeouts count the threshold", tcpS, az, "A A T A T T", "D U U U U D"},
		{"threshold http: 200s count the threshold to come up", httpS, th, "200 200", "D U"},
		{"threshold http: 503s count the threshold to go down", httpS, th, "200 200 503 503", "D U U D"},
		{"threshold http: an interrupted run does not mark down", httpS, th, "200 200 503 200 503", "D U U U U"},
		{"threshold http: threshold 3", http3, th, "200 200 200 503 503 503", "D D U U U D"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h health
			var got []string
			for _, o := range outcomes(tc.results) {
				h = h.observe(tc.s, tc.sem, o)
				if h.Up {
					got = append(got, "U")
				} else {
					got = append(got, "D")
				}
			}
			if g := strings.Join(got, " "); g != tc.states {
				t.Errorf("results %q: states %q, want %q", tc.results, g, tc.states)
			}
		})
	}
}

func TestOutcomeFailure(t *testing.T) {
	tests := []struct {
		o     Outcome
		proto probes.Protocol
		ok    bool
		f     probes.Failure
	}{
		{Outcome{Kind: Answered, Status: 200}, probes.ProtocolHTTP, true, 0},
		{Outcome{Kind: Answered, Status: 503}, probes.ProtocolHTTP, false, probes.FailureStatus},
		{Outcome{Kind: Answered, Status: 503}, probes.ProtocolTCP, true, 0},
		{Outcome{Kind: Refused}, probes.ProtocolTCP, false, probes.FailureRefused},
		{Outcome{Kind: Reset}, probes.ProtocolHTTP, false, probes.FailureRefused},
		{Outcome{Kind: TimedOut}, probes.ProtocolHTTP, false, probes.FailureTimeout},
	}
	for _, tc := range tests {
		f, ok := tc.o.Failure(tc.proto)
		if ok != tc.ok || (!ok && f != tc.f) {
			t.Errorf("%v on %s: (%v, %v), want (%v, %v)", tc.o, tc.proto, f, ok, tc.f, tc.ok)
		}
	}
}
