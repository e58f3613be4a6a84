package check

import (
	"reflect"
	"strings"
	"testing"

	"github.com/azlb/azlb/pkg/probes"
)

const (
	preStopField   = "spec.template.spec.containers[web].lifecycle.preStop.sleep.seconds"
	readinessField = "spec.template.spec.containers[web].readinessProbe.tcpSocket.port"
	intervalField  = "metadata.annotations[" + probes.AnnotationInterval + "]"
	thresholdField = "metadata.annotations[" + probes.AnnotationNumOfProbe + "]"
)

func TestTimingRules(t *testing.T) {
	t.Parallel()
	prestop := func(s string) string { return "preStop: {sleep: {seconds: " + s + "}}" }
	cases := []struct {
		name string
		f    fixture
		pods []int
		rule rule
		want []want
	}{
		// preStop: kube-proxy's sync + the probe's worst mark-down, less what the app serves after SIGTERM.
		{"no preStop, default probe, Azure semantics: 1s + 5s + the 10ms answer", fixture{}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "none", "7", true, false}}},
		{"an app waiting for requests in flight: 1s + 5s", fixture{app: "{onSigterm: {gracefulClose: true}}"}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "none", "6", true, false}}},
		{"threshold semantics: 1s + 2 x 5s", fixture{spec: "loadBalancer: {probeSemantics: threshold}", app: "{onSigterm: {gracefulClose: true}}"}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "none", "11", true, false}}},
		{"interval 10s", fixture{annotations: map[string]string{probes.AnnotationInterval: "10"}}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "none", "12", true, false}}},
		{"ipvs: no sync delay", fixture{spec: "kubeProxy: {minSyncPeriod: 0s}"}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "none", "6", true, false}}},
		{"Cluster: kube-proxy's sync only (+ the answer)", fixture{cluster: true}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "none", "2", true, false}}},
		{"Cluster, graceful app", fixture{cluster: true, app: "{onSigterm: {gracefulClose: true}}"}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "none", "1", true, false}}},
		{"a sleep long enough", fixture{lifecycle: prestop("7")}, nil, preStopRule, nil},
		{"a sleep too short", fixture{lifecycle: prestop("3")}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "3", "7", true, false}}},
		{"an exec of sleep", fixture{lifecycle: `preStop: {exec: {command: ["sh", "-c", "sleep 2"]}}`}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "none (exec sleep 2s)", "7", true, false}}},
		{"an httpGet hook cannot be lengthened", fixture{lifecycle: `preStop: {httpGet: {path: /stop, port: 8080}}`,
			app: "{startupTime: 2s, preStopHTTPGetDuration: 1s}"}, nil, preStopRule,
			[]want{{KindPreStop, "spec.template.spec.containers[web].lifecycle.preStop", "none (httpGet (1s, spec.app.preStopHTTPGetDuration))",
				"a hook that lasts at least 7s", true, true}}},
		{"the app serves 10s after SIGTERM and stays serving", fixture{app: "{onSigterm: {serveFor: 10s}}"}, nil, preStopRule, nil},
		{"the app serves 10s but fails readiness: 2 failed probes of 1s", fixture{
			app:       "{onSigterm: {serveFor: 10s, failReadiness: true}}",
			readiness: "{httpGet: {path: /readyz, port: 8080}, periodSeconds: 1, failureThreshold: 3}"}, nil, preStopRule,
			[]want{{KindPreStop, preStopField, "none", "5", true, false}}},
		{"fails readiness without a readiness probe: still serving", fixture{noReadiness: true,
			app: "{onSigterm: {serveFor: 10s, failReadiness: true}}"}, nil, preStopRule, nil},

		// terminationGracePeriodSeconds: the preStop, then the app's drain (at least 2s).
		{"grace shorter than the preStop", fixture{lifecycle: prestop("10"), grace: 5}, nil, gracePeriodRule,
			[]want{{KindGracePeriod, fieldGracePeriod, "5", "12", true, false}}},
		{"default grace covers a 6s preStop", fixture{lifecycle: prestop("6")}, nil, gracePeriodRule, nil},
		{"default grace too short for a 29s preStop", fixture{lifecycle: prestop("29")}, nil, gracePeriodRule,
			[]want{{KindGracePeriod, fieldGracePeriod, "30 (default)", "31", false, false}}},
		{"app serving 60s after a 6s preStop, 60s grace: killed late, nothing in flight", fixture{lifecycle: prestop("6"), grace: 60,
			app: "{onSigterm: {serveFor: 60s}}"}, nil, gracePeriodRule,
			[]want{{KindGracePeriod, fieldGracePeriod, "60", "66", false, false}}},
		{"the same with kept-alive connections: cut", fixture{lifecycle: prestop("6"), grace: 60,
			app: "{onSigterm: {serveFor: 60s}}", clients: ", keepAlive: true"}, nil, gracePeriodRule,
			[]want{{KindGracePeriod, fieldGracePeriod, "60", "66", true, false}}},

		// minReadySeconds: kube-proxy's sync + the probe's worst mark-up.
		{"Deployment on more nodes than replicas per step: capacity only", fixture{}, []int{1, 1, 1}, minReadySecondsRule,
			[]want{{KindMinReadySeconds, fieldMinReadySeconds, "0", "6", false, false}}},
		{"two replicas: the nodes replaced can be all", fixture{replicas: 2}, []int{1, 1}, minReadySecondsRule,
			[]want{{KindMinReadySeconds, fieldMinReadySeconds, "0", "6", true, false}}},
		{"DaemonSet on two nodes", fixture{daemonSet: true, nodes: 2}, []int{1, 1}, minReadySecondsRule,
			[]want{{KindMinReadySeconds, fieldMinReadySeconds, "0", "6", true, false}}},
		{"DaemonSet with maxSurge keeps every node serving", fixture{daemonSet: true, nodes: 2,
			strategy: "updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}"}, []int{1, 1}, minReadySecondsRule, nil},
		{"threshold semantics: 1s + 2 x 5s", fixture{minReady: 6, spec: "loadBalancer: {probeSemantics: threshold}"}, nil, minReadySecondsRule,
			[]want{{KindMinReadySeconds, fieldMinReadySeconds, "6", "11", false, false}}},
		{"enough", fixture{minReady: 6}, nil, minReadySecondsRule, nil},
		{"Cluster: every node stays in rotation", fixture{cluster: true}, nil, minReadySecondsRule, nil},

		// The probe: when the preStop it needs does not fit in the grace period.
		{"interval 30s in the default grace: 26s fits (1s + 26s + 10ms, then 2s)", fixture{annotations: map[string]string{probes.AnnotationInterval: "30"}}, nil, probeTimingRule,
			[]want{{KindProbeTiming, intervalField, "30", "26", true, false}}},
		{"a preStop that alone overflows: raise the grace period instead", fixture{
			annotations: map[string]string{probes.AnnotationInterval: "30"}, lifecycle: prestop("31")}, nil, probeTimingRule, nil},
		{"threshold semantics, 10s x 5: interval 5s fits", fixture{
			annotations: map[string]string{probes.AnnotationInterval: "10", probes.AnnotationNumOfProbe: "5"},
			spec:        "loadBalancer: {probeSemantics: threshold}"}, nil, probeTimingRule,
			[]want{{KindProbeTiming, intervalField, "10", "5", true, false}}},
		{"threshold semantics and a 15s grace: threshold 2 too", fixture{grace: 15,
			annotations: map[string]string{probes.AnnotationInterval: "10", probes.AnnotationNumOfProbe: "5"},
			spec:        "loadBalancer: {probeSemantics: threshold}"}, nil, probeTimingRule,
			[]want{{KindProbeTiming, intervalField, "10", "5", true, false}, {KindProbeTiming, thresholdField, "5", "2", true, false}}},
		{"the default probe fits", fixture{}, nil, probeTimingRule, nil},

		// Readiness.
		{"no readiness probe, the app listens 2s after start", fixture{noReadiness: true}, nil, readinessRule,
			[]want{{KindReadiness, readinessField, "none", "8080", true, false}}},
		{"a named target port resolves to the container port", fixture{noReadiness: true, targetPort: "http"}, nil, readinessRule,
			[]want{{KindReadiness, readinessField, "none", "8080", true, false}}},
		{"an app listening at once", fixture{noReadiness: true, app: "{startupTime: 0s}"}, nil, readinessRule, nil},
		{"a readiness probe", fixture{}, nil, readinessRule, nil},

		// Kept-alive connections.
		{"kept alive and cut at exit", fixture{clients: ", keepAlive: true"}, nil, keepAliveRule,
			[]want{{KindKeepAlive, fieldGracefulClose, "false", "true", true, false}}},
		{"kept alive and closed gracefully", fixture{clients: ", keepAlive: true", app: "{onSigterm: {gracefulClose: true}}"}, nil, keepAliveRule, nil},
		{"a connection per request", fixture{}, nil, keepAliveRule, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := wants(tc.rule(tc.f.subject(t, tc.pods...)))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("findings\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestPlacementRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		f    fixture
		pods []int
		rule rule
		want []want
	}{
		{"one replica", fixture{replicas: 1, nodes: 3}, []int{0, 1}, singleNodeRule,
			[]want{{KindSingleNode, fieldReplicas, "1", "2", true, false}}},
		{"three replicas packed on one node", fixture{nodes: 3}, []int{3}, singleNodeRule,
			[]want{{KindSingleNode, fieldHostnameSpread, "none", "1", true, false}}},
		{"pods that may only run on one node", fixture{nodes: 3, podSpec: "nodeSelector: {kubernetes.io/hostname: node-0}"}, []int{3}, singleNodeRule,
			[]want{{KindSingleNode, "spec.template.spec (the nodes the pods may run on)", "1 node (node-0)",
				"let the pods run on 2 or more nodes (node selector, affinity, tolerations), or add nodes", true, true}}},
		{"a DaemonSet on a one-node cluster", fixture{daemonSet: true, nodes: 1}, []int{1}, singleNodeRule,
			[]want{{KindSingleNode, "spec.template.spec (the nodes the pods may run on)", "1 node (node-0)",
				"let the pods run on 2 or more nodes (node selector, affinity, tolerations), or add nodes", true, true}}},
		{"two nodes", fixture{}, []int{2, 1}, singleNodeRule, nil},

		{"2+1 pods on two nodes: 25/25/50", fixture{nodes: 2}, []int{2, 1}, unevenTrafficRule,
			[]want{{KindUnevenTraffic, fieldReplicas, "3", "4", false, false}}},
		{"5 pods on 4 nodes", fixture{replicas: 5, nodes: 4}, []int{2, 1, 1, 1}, unevenTrafficRule,
			[]want{{KindUnevenTraffic, fieldReplicas, "5", "8", false, false}}},
		{"3 pods doubled up on 4 nodes", fixture{nodes: 4}, []int{2, 1}, unevenTrafficRule,
			[]want{{KindUnevenTraffic, fieldHostnameSpread, "none", "1", false, false}}},
		{"one pod per node", fixture{}, []int{1, 1, 1}, unevenTrafficRule, nil},
		{"Cluster spreads over every pod", fixture{cluster: true, nodes: 2}, []int{2, 1}, unevenTrafficRule, nil},

		{"Recreate", fixture{strategy: "strategy: {type: Recreate}"}, nil, maxUnavailableRule,
			[]want{{KindMaxUnavailable, fieldStrategyType, "Recreate", "RollingUpdate", true, false}}},
		{"maxUnavailable 100%", fixture{strategy: "strategy: {rollingUpdate: {maxUnavailable: 100%}}"}, nil, maxUnavailableRule,
			[]want{{KindMaxUnavailable, fieldDeployMaxUnavail, "100%", "25%", true, false}}},
		{"maxUnavailable 3 of 3", fixture{strategy: "strategy: {rollingUpdate: {maxUnavailable: 3}}"}, nil, maxUnavailableRule,
			[]want{{KindMaxUnavailable, fieldDeployMaxUnavail, "3", "25%", true, false}}},
		{"the defaults", fixture{}, nil, maxUnavailableRule, nil},
		{"DaemonSet 100% of 3 nodes", fixture{daemonSet: true, nodes: 3, strategy: "updateStrategy: {rollingUpdate: {maxUnavailable: 100%}}"},
			[]int{1, 1, 1}, maxUnavailableRule,
			[]want{{KindMaxUnavailable, fieldDSMaxUnavail, "100%", "25%", true, false}}},
		{"DaemonSet with the default 1", fixture{daemonSet: true, nodes: 3}, []int{1, 1, 1}, maxUnavailableRule, nil},
		{"DaemonSet surging", fixture{daemonSet: true, nodes: 3, strategy: "updateStrategy: {rollingUpdate: {maxUnavailable: 100%, maxSurge: 1}}"},
			[]int{1, 1, 1}, maxUnavailableRule, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := wants(tc.rule(tc.f.subject(t, tc.pods...)))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("findings\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestWhyNamesTheNumbers: the explanations carry the figures a user checks them by.
func TestWhyNamesTheNumbers(t *testing.T) {
	t.Parallel()
	s := fixture{}.subject(t)
	f := preStopRule(s)[0]
	for _, part := range []string{"up to 1s", "up to 5s more", "Http :", "every 5s, threshold 2", "6s in all", "preStop of 7s", "answering the last of them (10ms"} {
		if !strings.Contains(f.Why, part) {
			t.Errorf("why %q lacks %q", f.Why, part)
		}
	}
	u := unevenTrafficRule(fixture{nodes: 2}.subject(t, 2, 1))[0]
	if !strings.Contains(u.Why, "25%, 25%, 50%") {
		t.Errorf("why %q lacks the 25/25/50 split", u.Why)
	}
}
