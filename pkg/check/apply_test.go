package check

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/probes"
	"github.com/azlb/azlb/pkg/sim/scenario"
)

const (
	deploy = "Deployment default/web"
	ds     = "DaemonSet default/web"
)

func TestApply(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		f     fixture
		fix   Finding
		check func(t *testing.T, set *manifest.Set)
	}{
		{"preStop sleep replaces an exec of sleep", fixture{lifecycle: `preStop: {exec: {command: ["sleep", "2"]}}`},
			Finding{Object: deploy, Field: preStopField, Suggested: "6"},
			func(t *testing.T, set *manifest.Set) {
				h := set.Deployments[0].Spec.Template.Spec.Containers[0].Lifecycle.PreStop
				if h.Sleep == nil || h.Sleep.Seconds != 6 || h.Exec != nil {
					t.Errorf("preStop %+v, want sleep 6 only", h)
				}
			}},
		{"grace period", fixture{}, Finding{Object: deploy, Field: fieldGracePeriod, Suggested: "12"},
			func(t *testing.T, set *manifest.Set) {
				if g := set.Deployments[0].Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g != 12 {
					t.Errorf("grace %v", g)
				}
			}},
		{"minReadySeconds of a DaemonSet", fixture{daemonSet: true}, Finding{Object: ds, Field: fieldMinReadySeconds, Suggested: "6"},
			func(t *testing.T, set *manifest.Set) {
				if m := set.DaemonSets[0].Spec.MinReadySeconds; m != 6 {
					t.Errorf("minReadySeconds %d", m)
				}
			}},
		{"replicas", fixture{}, Finding{Object: deploy, Field: fieldReplicas, Suggested: "4"},
			func(t *testing.T, set *manifest.Set) {
				if r := set.Deployments[0].Spec.Replicas; r == nil || *r != 4 {
					t.Errorf("replicas %v", r)
				}
			}},
		{"a hostname spread constraint is added with the workload's selector", fixture{}, Finding{Object: deploy, Field: fieldHostnameSpread, Suggested: "1"},
			func(t *testing.T, set *manifest.Set) {
				c := set.Deployments[0].Spec.Template.Spec.TopologySpreadConstraints
				if len(c) != 1 || c[0].MaxSkew != 1 || c[0].TopologyKey != v1.LabelHostname || c[0].WhenUnsatisfiable != v1.ScheduleAnyway ||
					c[0].LabelSelector == nil || c[0].LabelSelector.MatchLabels["app"] != "web" {
					t.Errorf("constraints %+v", c)
				}
			}},
		{"an existing hostname constraint gets maxSkew 1", fixture{
			podSpec: "topologySpreadConstraints: [{maxSkew: 3, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}]"},
			Finding{Object: deploy, Field: fieldHostnameSpread, Suggested: "1"},
			func(t *testing.T, set *manifest.Set) {
				c := set.Deployments[0].Spec.Template.Spec.TopologySpreadConstraints
				if len(c) != 1 || c[0].MaxSkew != 1 || c[0].WhenUnsatisfiable != v1.DoNotSchedule {
					t.Errorf("constraints %+v", c)
				}
			}},
		{"Recreate becomes RollingUpdate", fixture{strategy: "strategy: {type: Recreate}"},
			Finding{Object: deploy, Field: fieldStrategyType, Suggested: "RollingUpdate"},
			func(t *testing.T, set *manifest.Set) {
				if s := set.Deployments[0].Spec.Strategy.Type; s != "RollingUpdate" {
					t.Errorf("strategy %q", s)
				}
			}},
		{"Deployment maxUnavailable", fixture{}, Finding{Object: deploy, Field: fieldDeployMaxUnavail, Suggested: "25%"},
			func(t *testing.T, set *manifest.Set) {
				if v := set.Deployments[0].Spec.Strategy.RollingUpdate.MaxUnavailable; v.String() != "25%" {
					t.Errorf("maxUnavailable %v", v)
				}
			}},
		{"DaemonSet maxUnavailable", fixture{daemonSet: true, strategy: "updateStrategy: {rollingUpdate: {maxUnavailable: 3}}"},
			Finding{Object: ds, Field: fieldDSMaxUnavail, Suggested: "25%"},
			func(t *testing.T, set *manifest.Set) {
				if v := set.DaemonSets[0].Spec.UpdateStrategy.RollingUpdate.MaxUnavailable; v.String() != "25%" {
					t.Errorf("maxUnavailable %v", v)
				}
			}},
		{"readiness probe on the serving port", fixture{noReadiness: true}, Finding{Object: deploy, Field: readinessField, Suggested: "8080"},
			func(t *testing.T, set *manifest.Set) {
				p := set.Deployments[0].Spec.Template.Spec.Containers[0].ReadinessProbe
				if p == nil || p.TCPSocket == nil || p.TCPSocket.Port.IntValue() != 8080 || p.PeriodSeconds != 1 {
					t.Errorf("readinessProbe %+v", p)
				}
			}},
		{"probe annotation", fixture{}, Finding{Object: "Service default/web", Field: intervalField, Suggested: "27"},
			func(t *testing.T, set *manifest.Set) {
				if v := set.Services[0].Annotations[probes.AnnotationInterval]; v != "27" {
					t.Errorf("annotation %q", v)
				}
			}},
		{"the Scenario's app closes gracefully; the rest of the document stays", fixture{clients: ", keepAlive: true"},
			Finding{Object: "Scenario test", Field: fieldGracefulClose, Suggested: "true"},
			func(t *testing.T, set *manifest.Set) {
				sc, err := scenario.Parse(set.Other[scenario.Kind][0])
				if err != nil {
					t.Fatal(err)
				}
				if !sc.Spec.App.OnSigterm.GracefulClose || !sc.Spec.Clients.KeepAlive || sc.Spec.App.StartupTime.Seconds() != 2 {
					t.Errorf("scenario %+v", sc.Spec)
				}
			}},
		{"a manual finding is skipped", fixture{}, Finding{Object: deploy, Field: "anything", Suggested: "add nodes", Manual: true},
			func(t *testing.T, set *manifest.Set) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orig := tc.f.set(t)
			before := dump(t, orig)
			got, err := Apply(orig, []Finding{tc.fix})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
			if dump(t, orig) != before {
				t.Error("Apply modified its input")
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	set := fixture{}.set(t)
	cases := []struct {
		fix  Finding
		want string
	}{
		{Finding{Object: "Deployment default/other", Field: fieldReplicas, Suggested: "2"}, "no such Deployment"},
		{Finding{Object: "DaemonSet default/web", Field: fieldMinReadySeconds, Suggested: "6"}, "no such DaemonSet"},
		{Finding{Object: "Service default/web", Field: "spec.type", Suggested: "ClusterIP"}, "unknown field"},
		{Finding{Object: deploy, Field: fieldReplicas, Suggested: "two"}, `"two" is not a whole number`},
		{Finding{Object: deploy, Field: "spec.template.spec.containers[app].lifecycle.preStop.sleep.seconds", Suggested: "6"}, `no container "app"`},
		{Finding{Object: deploy, Field: fieldStrategyType, Suggested: "Recreate"}, "only RollingUpdate"},
		{Finding{Object: "Scenario other", Field: fieldGracefulClose, Suggested: "true"}, "no such Scenario"},
		{Finding{Object: "ConfigMap default/web", Field: "data", Suggested: "x"}, `cannot apply to a "ConfigMap"`},
	}
	for _, tc := range cases {
		_, err := Apply(set, []Finding{tc.fix})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Apply(%+v) = %v, want an error with %q", tc.fix, err, tc.want)
		}
	}
}

// TestWriteManifestsRoundTrip: what --fix prints reads back as the same objects.
func TestWriteManifestsRoundTrip(t *testing.T) {
	t.Parallel()
	set := fixture{lifecycle: "preStop: {sleep: {seconds: 7}}", grace: 20}.set(t)
	var out bytes.Buffer
	if err := WriteManifests(&out, set); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "creationTimestamp") || strings.Contains(out.String(), "status:") {
		t.Errorf("output carries empty fields:\n%s", out.String())
	}
	back, err := manifest.Read(&out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if dump(t, back) != dump(t, set) {
		t.Errorf("round trip differs:\n%s\n%s", dump(t, back), dump(t, set))
	}
}

// FuzzApply: whatever the finding, Apply does not panic and never modifies its input; an accepted
// numeric suggestion reads back as written.
func FuzzApply(f *testing.F) {
	for _, s := range [][3]string{
		{deploy, fieldReplicas, "2"}, {deploy, preStopField, "6"}, {deploy, fieldGracePeriod, "-1"},
		{deploy, fieldDeployMaxUnavail, "25%"}, {deploy, fieldHostnameSpread, "0"}, {"Service default/web", intervalField, "x"},
		{"Scenario test", fieldGracefulClose, "maybe"}, {deploy, "spec.template.spec.containers[", "1"}, {"", "", ""},
		{deploy, "spec.template.spec.containers[web]].lifecycle.preStop.sleep.seconds", "99999999999"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	set := fixture{}.set(f)
	before := dump(f, set)
	f.Fuzz(func(t *testing.T, object, field, suggested string) {
		got, err := Apply(set, []Finding{{Object: object, Field: field, Suggested: suggested}})
		if dump(t, set) != before {
			t.Fatal("Apply modified its input")
		}
		if err == nil && field == fieldReplicas && *got.Deployments[0].Spec.Replicas != mustAtoi(suggested) {
			t.Errorf("replicas %d after suggesting %q", *got.Deployments[0].Spec.Replicas, suggested)
		}
	})
}

func mustAtoi(s string) int32 {
	n, err := parseInt32(s)
	if err != nil {
		panic(err)
	}
	return n
}

func dump(t testing.TB, set *manifest.Set) string {
	t.Helper()
	v := map[string]any{"services": set.Services, "deployments": set.Deployments, "daemonSets": set.DaemonSets, "nodes": set.Nodes, "pdbs": set.PDBs}
	var scen []any
	for _, d := range set.Other[scenario.Kind] {
		var m any
		if err := json.Unmarshal(d, &m); err != nil {
			t.Fatal(err)
		}
		scen = append(scen, m)
	}
	v["scenarios"] = scen
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
