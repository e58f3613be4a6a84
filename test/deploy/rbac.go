package deploy

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RuleRef names one PolicyRule of a rendered Role or ClusterRole.
type RuleRef struct {
	Kind      string // Role or ClusterRole
	Namespace string // of a Role
	Name      string
	Index     int // in rules
	Rule      rbacv1.PolicyRule
}

// String is a short description of the rule, e.g. `ClusterRole azlb: services/status [patch]`.
func (r RuleRef) String() string {
	res := r.Rule.Resources
	if len(r.Rule.NonResourceURLs) > 0 {
		res = r.Rule.NonResourceURLs
	}
	s := fmt.Sprintf("%s %s: %v %v", r.Kind, r.Name, res, r.Rule.Verbs)
	if len(r.Rule.ResourceNames) > 0 {
		s += fmt.Sprintf(" names %v", r.Rule.ResourceNames)
	}
	return s
}

// Rules lists every rule of the rendered Roles and ClusterRoles.
func (o Objects) Rules() ([]RuleRef, error) {
	var refs []RuleRef
	for _, u := range o {
		rules, err := policyRules(u)
		if err != nil {
			return nil, err
		}
		for i, r := range rules {
			refs = append(refs, RuleRef{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Index: i, Rule: r})
		}
	}
	return refs, nil
}

func policyRules(u *unstructured.Unstructured) ([]rbacv1.PolicyRule, error) {
	switch u.GetKind() {
	case "ClusterRole":
		r, err := Convert[rbacv1.ClusterRole](u)
		if err != nil {
			return nil, err
		}
		return r.Rules, nil
	case "Role":
		r, err := Convert[rbacv1.Role](u)
		if err != nil {
			return nil, err
		}
		return r.Rules, nil
	}
	return nil, nil
}

// WithoutRule returns a copy of the objects with the rule ref removed.
func (o Objects) WithoutRule(ref RuleRef) (Objects, error) {
	out := o.DeepCopy()
	for _, u := range out {
		if u.GetKind() != ref.Kind || u.GetName() != ref.Name || u.GetNamespace() != ref.Namespace {
			continue
		}
		rules, ok := u.Object["rules"].([]any)
		if !ok || ref.Index >= len(rules) {
			return nil, fmt.Errorf("%s has no rule %d", ref, ref.Index)
		}
		u.Object["rules"] = slices.Delete(slices.Clone(rules), ref.Index, ref.Index+1)
		return out, nil
	}
	return nil, fmt.Errorf("%s is not rendered", ref)
}

// WithNameSuffix returns a copy of the objects in which every object's name carries suffix, and
// the references between them follow: bindings to roles and ServiceAccounts, the Deployment's
// ServiceAccount and Secret volumes. Several variants can then live in one cluster. Names inside
// rules (resourceNames) and the controller's flags are kept.
func (o Objects) WithNameSuffix(suffix string) (Objects, error) {
	out := o.DeepCopy()
	for _, u := range out {
		u.SetName(u.GetName() + suffix)
		switch u.GetKind() {
		case "RoleBinding", "ClusterRoleBinding":
			if err := unstructured.SetNestedField(u.Object, mustString(u, "roleRef", "name")+suffix, "roleRef", "name"); err != nil {
				return nil, err
			}
			subjects, _, err := unstructured.NestedSlice(u.Object, "subjects")
			if err != nil {
				return nil, fmt.Errorf("%s %s subjects: %w", u.GetKind(), u.GetName(), err)
			}
			for _, s := range subjects {
				if m, ok := s.(map[string]any); ok && m["kind"] == "ServiceAccount" {
					m["name"] = fmt.Sprint(m["name"]) + suffix
				}
			}
			if err := unstructured.SetNestedSlice(u.Object, subjects, "subjects"); err != nil {
				return nil, err
			}
		case "Deployment":
			podSpec := []string{"spec", "template", "spec"}
			if sa := mustString(u, append(podSpec, "serviceAccountName")...); sa != "" {
				if err := unstructured.SetNestedField(u.Object, sa+suffix, append(podSpec, "serviceAccountName")...); err != nil {
					return nil, err
				}
			}
			volumes, _, err := unstructured.NestedSlice(u.Object, append(podSpec, "volumes")...)
			if err != nil {
				return nil, fmt.Errorf("deployment %s volumes: %w", u.GetName(), err)
			}
			for _, v := range volumes {
				if secret, ok := v.(map[string]any)["secret"].(map[string]any); ok {
					secret["secretName"] = fmt.Sprint(secret["secretName"]) + suffix
				}
			}
			if err := unstructured.SetNestedSlice(u.Object, volumes, append(podSpec, "volumes")...); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func mustString(u *unstructured.Unstructured, fields ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, fields...)
	return s
}
