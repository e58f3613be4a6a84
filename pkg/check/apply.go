package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim/scenario"
)

// Field paths Apply knows. A container is named in brackets: spec.template.spec.containers[web].
const (
	fieldReplicas          = "spec.replicas"
	fieldMinReadySeconds   = "spec.minReadySeconds"
	fieldStrategyType      = "spec.strategy.type"
	fieldDeployMaxUnavail  = "spec.strategy.rollingUpdate.maxUnavailable"
	fieldDSMaxUnavail      = "spec.updateStrategy.rollingUpdate.maxUnavailable"
	fieldGracePeriod       = "spec.template.spec.terminationGracePeriodSeconds"
	fieldHostnameSpread    = "spec.template.spec.topologySpreadConstraints[kubernetes.io/hostname].maxSkew"
	fieldGracefulClose     = "spec.app.onSigterm.gracefulClose"
	containersPrefix       = "spec.template.spec.containers["
	suffixPreStopSleep     = "].lifecycle.preStop.sleep.seconds"
	suffixReadinessTCPPort = "].readinessProbe.tcpSocket.port"
	annotationsPrefix      = "metadata.annotations["
)

// readinessPeriodSeconds is the period of the readiness probe Apply adds.
const readinessPeriodSeconds = 1

func containerField(container, suffix string) string {
	return containersPrefix + container + suffix
}

func annotationField(key string) string { return annotationsPrefix + key + "]" }

// Apply returns a copy of the manifests with every finding's suggestion written into its object
// (findings marked Manual are skipped). The input is not modified. An error names each finding whose
// object or field is not in the manifests, or whose suggested value cannot be written.
func Apply(set *manifest.Set, findings []Finding) (*manifest.Set, error) {
	out := cloneSet(set)
	var errs []error
	for i := range findings {
		f := &findings[i]
		if f.Manual {
			continue
		}
		if err := applyOne(out, f); err != nil {
			errs = append(errs, fmt.Errorf("finding %s on %s %s: %w", f.Kind, f.Object, f.Field, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func applyOne(set *manifest.Set, f *Finding) error {
	kind, name, _ := strings.Cut(f.Object, " ")
	switch kind {
	case "Service":
		svc := findService(set, name)
		if svc == nil {
			return errors.New("no such Service in the manifests")
		}
		return applyService(svc, f)
	case "Deployment":
		d := findDeployment(set, name)
		if d == nil {
			return errors.New("no such Deployment in the manifests")
		}
		return applyDeployment(d, f)
	case "DaemonSet":
		ds := findDaemonSet(set, name)
		if ds == nil {
			return errors.New("no such DaemonSet in the manifests")
		}
		return applyDaemonSet(ds, f)
	case scenario.Kind:
		return applyScenario(set, name, f)
	}
	return fmt.Errorf("cannot apply to a %q", kind)
}

func applyService(svc *v1.Service, f *Finding) error {
	key, ok := strings.CutPrefix(f.Field, annotationsPrefix)
	if !ok || !strings.HasSuffix(key, "]") {
		return errors.New("unknown field")
	}
	if svc.Annotations == nil {
		svc.Annotations = map[string]string{}
	}
	svc.Annotations[strings.TrimSuffix(key, "]")] = f.Suggested
	return nil
}

func applyDeployment(d *appsv1.Deployment, f *Finding) error {
	switch f.Field {
	case fieldReplicas:
		n, err := parseInt32(f.Suggested)
		if err != nil {
			return err
		}
		d.Spec.Replicas = &n
		return nil
	case fieldMinReadySeconds:
		n, err := parseInt32(f.Suggested)
		if err != nil {
			return err
		}
		d.Spec.MinReadySeconds = n
		return nil
	case fieldStrategyType:
		if f.Suggested != string(appsv1.RollingUpdateDeploymentStrategyType) {
			return fmt.Errorf("strategy %q: only RollingUpdate is written", f.Suggested)
		}
		d.Spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
		return nil
	case fieldDeployMaxUnavail:
		v := intstr.Parse(f.Suggested)
		if d.Spec.Strategy.RollingUpdate == nil {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		d.Spec.Strategy.RollingUpdate.MaxUnavailable = &v
		return nil
	}
	return applyTemplate(&d.Spec.Template, d.Spec.Selector, f)
}

func applyDaemonSet(ds *appsv1.DaemonSet, f *Finding) error {
	switch f.Field {
	case fieldMinReadySeconds:
		n, err := parseInt32(f.Suggested)
		if err != nil {
			return err
		}
		ds.Spec.MinReadySeconds = n
		return nil
	case fieldDSMaxUnavail:
		v := intstr.Parse(f.Suggested)
		ds.Spec.UpdateStrategy.Type = appsv1.RollingUpdateDaemonSetStrategyType
		if ds.Spec.UpdateStrategy.RollingUpdate == nil {
			ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = &v
		return nil
	}
	return applyTemplate(&ds.Spec.Template, ds.Spec.Selector, f)
}

// applyTemplate writes the fields of the pod template.
func applyTemplate(t *v1.PodTemplateSpec, selector *metav1.LabelSelector, f *Finding) error {
	switch f.Field {
	case fieldGracePeriod:
		n, err := strconv.ParseInt(f.Suggested, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a number of seconds", f.Suggested)
		}
		t.Spec.TerminationGracePeriodSeconds = &n
		return nil
	case fieldHostnameSpread:
		skew, err := parseInt32(f.Suggested)
		if err != nil || skew < 1 {
			return fmt.Errorf("maxSkew %q: want a whole number >= 1", f.Suggested)
		}
		setHostnameSpread(t, selector, skew)
		return nil
	}
	rest, ok := strings.CutPrefix(f.Field, containersPrefix)
	if !ok {
		return errors.New("unknown field")
	}
	for _, suffix := range []string{suffixPreStopSleep, suffixReadinessTCPPort} {
		name, ok := strings.CutSuffix(rest, suffix)
		if !ok {
			continue
		}
		c := findContainer(&t.Spec, name)
		if c == nil {
			return fmt.Errorf("no container %q in the pod template", name)
		}
		if suffix == suffixPreStopSleep {
			n, err := strconv.ParseInt(f.Suggested, 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a number of seconds", f.Suggested)
			}
			if c.Lifecycle == nil {
				c.Lifecycle = &v1.Lifecycle{}
			}
			c.Lifecycle.PreStop = &v1.LifecycleHandler{Sleep: &v1.SleepAction{Seconds: n}}
			return nil
		}
		c.ReadinessProbe = &v1.Probe{
			ProbeHandler:  v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.Parse(f.Suggested)}},
			PeriodSeconds: readinessPeriodSeconds,
		}
		return nil
	}
	return errors.New("unknown field")
}

// setHostnameSpread sets (or adds) the topology spread constraint over kubernetes.io/hostname. It is
// ScheduleAnyway: a DoNotSchedule constraint would leave pods pending when a drained (cordoned) node
// still counts as an empty domain.
func setHostnameSpread(t *v1.PodTemplateSpec, selector *metav1.LabelSelector, skew int32) {
	for i := range t.Spec.TopologySpreadConstraints {
		c := &t.Spec.TopologySpreadConstraints[i]
		if c.TopologyKey == v1.LabelHostname {
			c.MaxSkew = skew
			return
		}
	}
	sel := selector.DeepCopy()
	if sel == nil {
		sel = &metav1.LabelSelector{MatchLabels: t.Labels}
	}
	t.Spec.TopologySpreadConstraints = append(t.Spec.TopologySpreadConstraints, v1.TopologySpreadConstraint{
		MaxSkew:           skew,
		TopologyKey:       v1.LabelHostname,
		WhenUnsatisfiable: v1.ScheduleAnyway,
		LabelSelector:     sel,
	})
}

// applyScenario edits the Scenario document's JSON, keeping everything else the user wrote.
func applyScenario(set *manifest.Set, name string, f *Finding) error {
	if f.Field != fieldGracefulClose {
		return errors.New("unknown field")
	}
	v, err := strconv.ParseBool(f.Suggested)
	if err != nil {
		return fmt.Errorf("%q is not true or false", f.Suggested)
	}
	docs := set.Other[scenario.Kind]
	for i, doc := range docs {
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			return err
		}
		if scenarioName(m) != name {
			continue
		}
		sigterm := subMap(subMap(subMap(m, "spec"), "app"), "onSigterm")
		sigterm["gracefulClose"] = v
		data, err := json.Marshal(m)
		if err != nil {
			return err
		}
		docs[i] = data
		return nil
	}
	return errors.New("no such Scenario in the manifests")
}

func scenarioName(m map[string]any) string {
	if meta, ok := m["metadata"].(map[string]any); ok {
		if n, ok := meta["name"].(string); ok {
			return n
		}
	}
	return ""
}

// subMap returns m[key] as a map, creating it when missing.
func subMap(m map[string]any, key string) map[string]any {
	if s, ok := m[key].(map[string]any); ok {
		return s
	}
	s := map[string]any{}
	m[key] = s
	return s
}

func parseInt32(s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a whole number >= 0", s)
	}
	return int32(n), nil
}

func findContainer(spec *v1.PodSpec, name string) *v1.Container {
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i]
		}
	}
	return nil
}

func findService(set *manifest.Set, key string) *v1.Service {
	for _, s := range set.Services {
		if s.Namespace+"/"+s.Name == key {
			return s
		}
	}
	return nil
}

func findDeployment(set *manifest.Set, key string) *appsv1.Deployment {
	for _, d := range set.Deployments {
		if d.Namespace+"/"+d.Name == key {
			return d
		}
	}
	return nil
}

func findDaemonSet(set *manifest.Set, key string) *appsv1.DaemonSet {
	for _, d := range set.DaemonSets {
		if d.Namespace+"/"+d.Name == key {
			return d
		}
	}
	return nil
}

// cloneSet deep-copies the manifests.
func cloneSet(set *manifest.Set) *manifest.Set {
	out := &manifest.Set{Other: map[string][][]byte{}, Ignored: append([]string(nil), set.Ignored...)}
	for _, s := range set.Services {
		out.Services = append(out.Services, s.DeepCopy())
	}
	for _, n := range set.Nodes {
		out.Nodes = append(out.Nodes, n.DeepCopy())
	}
	for _, d := range set.Deployments {
		out.Deployments = append(out.Deployments, d.DeepCopy())
	}
	for _, d := range set.DaemonSets {
		out.DaemonSets = append(out.DaemonSets, d.DeepCopy())
	}
	for _, p := range set.PDBs {
		out.PDBs = append(out.PDBs, p.DeepCopy())
	}
	for k, docs := range set.Other {
		for _, d := range docs {
			out.Other[k] = append(out.Other[k], append([]byte(nil), d...))
		}
	}
	return out
}
