package deploy

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// args parses --name=value arguments.
func args(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, a := range c.Args {
		name, value, _ := strings.Cut(a, "=")
		out[name] = value
	}
	return out
}

// deploymentProblems lists what in the rendered objects breaks the deployment contract: how the
// controller is started, scheduled, hardened, probed and disrupted. Empty means fine.
func deploymentProblems(objs Objects) []string {
	var p []string
	bad := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	d, err := objs.Deployment()
	if err != nil {
		return []string{err.Error()}
	}
	spec := d.Spec.Template.Spec
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		bad("replicas: want 2")
	}
	if len(spec.Containers) != 1 {
		return append(p, fmt.Sprintf("want one container, got %d", len(spec.Containers)))
	}
	c := spec.Containers[0]
	a := args(c)
	for flag, want := range map[string]string{
		"--cloud-provider": "azure", "--controllers": "*", "--leader-elect": "true", "--leader-elect-resource-lock": "leases",
	} {
		if a[flag] != want {
			bad("%s=%q, want %q", flag, a[flag], want)
		}
	}
	for _, flag := range []string{"--leader-elect-resource-name", "--leader-elect-resource-namespace", "--cluster-name"} {
		if a[flag] == "" {
			bad("%s is not set", flag)
		}
	}
	if _, ok := a["--use-service-account-credentials"]; ok {
		bad("--use-service-account-credentials would need serviceaccounts and token rights the RBAC does not grant")
	}

	// The cloud config: a Secret, mounted read-only, at the path --cloud-config names.
	if _, err := objs.CloudConfig(); err != nil {
		bad("cloud config: %v", err)
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.Name == "cloud-config" {
			mounted = true
			if !m.ReadOnly {
				bad("cloud-config mount is not read-only")
			}
			if path.Dir(a["--cloud-config"]) != path.Clean(m.MountPath) {
				bad("--cloud-config=%s is not in the mount %s", a["--cloud-config"], m.MountPath)
			}
		}
	}
	if !mounted {
		bad("the cloud-config volume is not mounted")
	}
	for _, v := range spec.Volumes {
		if v.Name == "cloud-config" && (v.Secret == nil || v.Secret.DefaultMode == nil || *v.Secret.DefaultMode&0o007 != 0) {
			bad("cloud-config volume: want a Secret not readable by others")
		}
	}

	// Identity and scheduling.
	if spec.ServiceAccountName == "" || objs.Find("ServiceAccount", spec.ServiceAccountName) == nil {
		bad("service account %q is not rendered", spec.ServiceAccountName)
	}
	if spec.AutomountServiceAccountToken != nil && !*spec.AutomountServiceAccountToken {
		bad("the service account token is not mounted")
	}
	if spec.PriorityClassName != "system-cluster-critical" {
		bad("priorityClassName %q, want system-cluster-critical", spec.PriorityClassName)
	}
	if !slices.ContainsFunc(spec.Tolerations, func(t corev1.Toleration) bool {
		return t.Key == "node-role.kubernetes.io/control-plane" && t.Effect == corev1.TaintEffectNoSchedule
	}) {
		bad("no toleration of the control-plane taint")
	}
	if !slices.ContainsFunc(spec.Tolerations, func(t corev1.Toleration) bool {
		return t.Key == "node.cloudprovider.kubernetes.io/uninitialized"
	}) {
		bad("no toleration of the uninitialized taint")
	}
	if !requiresControlPlane(spec.Affinity) {
		bad("not scheduled on control-plane nodes")
	}

	// Hardening.
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		bad("pod runAsNonRoot is not true")
	}
	if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		bad("pod runAsUser is not a non-root UID")
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		bad("pod seccompProfile is not RuntimeDefault")
	}
	if sc := c.SecurityContext; sc == nil {
		bad("container has no securityContext")
	} else {
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			bad("allowPrivilegeEscalation is not false")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			bad("readOnlyRootFilesystem is not true")
		}
		if sc.Privileged != nil && *sc.Privileged {
			bad("container is privileged")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			bad("capabilities: want drop [ALL] and nothing added")
		}
	}
	if spec.HostNetwork {
		bad("hostNetwork is on")
	}

	// Probes on the secure port's /healthz.
	port, err := strconv.Atoi(a["--secure-port"])
	if err != nil {
		bad("--secure-port=%q is not a number", a["--secure-port"])
	}
	for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil {
			bad("%s probe: want an httpGet", name)
			continue
		}
		g := probe.HTTPGet
		if g.Scheme != corev1.URISchemeHTTPS || g.Path != "/healthz" || containerPort(c, g.Port.String()) != int32(port) {
			bad("%s probe: want HTTPS /healthz on the secure port %d, got %s %s %s", name, port, g.Scheme, g.Path, g.Port.String())
		}
	}

	// Disruption budget selecting these pods.
	pdb, err := objs.One("PodDisruptionBudget")
	if err != nil {
		bad("%v", err)
	} else if budget, err := Convert[policyv1.PodDisruptionBudget](pdb); err != nil {
		bad("%v", err)
	} else {
		sel, err := metav1.LabelSelectorAsSelector(budget.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			bad("the PodDisruptionBudget does not select the Deployment's pods")
		}
		if budget.Namespace != d.Namespace {
			bad("the PodDisruptionBudget is in %s, the Deployment in %s", budget.Namespace, d.Namespace)
		}
		if budget.Spec.MaxUnavailable == nil || budget.Spec.MaxUnavailable.IntValue() != 1 {
			bad("the PodDisruptionBudget: want maxUnavailable 1 (a drain never blocks, one replica stays)")
		}
	}
	return p
}

func requiresControlPlane(a *corev1.Affinity) bool {
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, e := range term.MatchExpressions {
			if e.Key == "node-role.kubernetes.io/control-plane" && e.Operator == corev1.NodeSelectorOpExists {
				return true
			}
		}
	}
	return false
}

func containerPort(c corev1.Container, port string) int32 {
	if n, err := strconv.Atoi(port); err == nil {
		return int32(n)
	}
	for _, p := range c.Ports {
		if p.Name == port {
			return p.ContainerPort
		}
	}
	return -1
}

// rbacProblems lists what in the rendered RBAC breaks the contract: no wildcards, every role
// bound to the controller's ServiceAccount, the Lease rule matching the leader election flags,
// the authentication reader in kube-system.
func rbacProblems(objs Objects) []string {
	var p []string
	bad := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	d, err := objs.Deployment()
	if err != nil {
		return []string{err.Error()}
	}
	sa := rbacv1.Subject{Kind: "ServiceAccount", Name: d.Spec.Template.Spec.ServiceAccountName, Namespace: d.Namespace}
	a := args(d.Spec.Template.Spec.Containers[0])
	refs, err := objs.Rules()
	if err != nil {
		return []string{err.Error()}
	}
	if len(refs) == 0 {
		bad("no RBAC rules rendered")
	}
	leaseRule := false
	for _, r := range refs {
		for _, list := range [][]string{r.Rule.Verbs, r.Rule.Resources, r.Rule.APIGroups, r.Rule.ResourceNames, r.Rule.NonResourceURLs} {
			for _, s := range list {
				if strings.Contains(s, "*") {
					bad("%s: wildcard %q", r, s)
				}
			}
		}
		if slices.Contains(r.Rule.Resources, "leases") && len(r.Rule.ResourceNames) > 0 {
			leaseRule = true
			if r.Kind != "Role" || r.Namespace != a["--leader-elect-resource-namespace"] ||
				!slices.Equal(r.Rule.ResourceNames, []string{a["--leader-elect-resource-name"]}) {
				bad("%s in %q does not match the Lease %s/%s", r, r.Namespace, a["--leader-elect-resource-namespace"], a["--leader-elect-resource-name"])
			}
		}
		if slices.Contains(r.Rule.Resources, "configmaps") && (r.Kind != "Role" || r.Namespace != "kube-system") {
			bad("%s: the ConfigMap reader must be a Role in kube-system", r)
		}
	}
	if !leaseRule {
		bad("no rule for the leader election Lease")
	}
	// Every role is bound to the ServiceAccount.
	bound := map[string]bool{}
	for _, u := range append(objs.OfKind("RoleBinding"), objs.OfKind("ClusterRoleBinding")...) {
		var ref rbacv1.RoleRef
		var subjects []rbacv1.Subject
		if u.GetKind() == "RoleBinding" {
			b, err := Convert[rbacv1.RoleBinding](u)
			if err != nil {
				return []string{err.Error()}
			}
			ref, subjects = b.RoleRef, b.Subjects
		} else {
			b, err := Convert[rbacv1.ClusterRoleBinding](u)
			if err != nil {
				return []string{err.Error()}
			}
			ref, subjects = b.RoleRef, b.Subjects
		}
		if slices.Contains(subjects, sa) {
			bound[ref.Kind+"/"+u.GetNamespace()+"/"+ref.Name] = true
		}
	}
	for _, u := range append(objs.OfKind("Role"), objs.OfKind("ClusterRole")...) {
		if !bound[u.GetKind()+"/"+u.GetNamespace()+"/"+u.GetName()] {
			bad("%s %s/%s is not bound to %s/%s", u.GetKind(), u.GetNamespace(), u.GetName(), sa.Namespace, sa.Name)
		}
	}
	return p
}

// ruleSet is the rendered RBAC as comparable strings (kind, namespace, rule), independent of
// object names and order.
func ruleSet(objs Objects) ([]string, error) {
	refs, err := objs.Rules()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range refs {
		out = append(out, fmt.Sprintf("%s ns=%q groups=%v resources=%v names=%v verbs=%v urls=%v",
			r.Kind, r.Namespace, r.Rule.APIGroups, r.Rule.Resources, r.Rule.ResourceNames, r.Rule.Verbs, r.Rule.NonResourceURLs))
	}
	slices.Sort(out)
	return out, nil
}
