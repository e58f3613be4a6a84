package deploy

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Convert decodes u into a typed object, failing on fields the type does not have.
func Convert[T any](u *unstructured.Unstructured) (*T, error) {
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true); err != nil {
		return nil, fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return out, nil
}

// Deployment returns the only rendered Deployment.
func (o Objects) Deployment() (*appsv1.Deployment, error) {
	u, err := o.One("Deployment")
	if err != nil {
		return nil, err
	}
	return Convert[appsv1.Deployment](u)
}

// CloudConfig returns the azure.json the rendered Deployment mounts: the data of the Secret its
// cloud-config volume names.
func (o Objects) CloudConfig() ([]byte, error) {
	d, err := o.Deployment()
	if err != nil {
		return nil, err
	}
	var secretName string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == "cloud-config" && v.Secret != nil {
			secretName = v.Secret.SecretName
		}
	}
	if secretName == "" {
		return nil, fmt.Errorf("deployment %s mounts no cloud-config Secret", d.Name)
	}
	u := o.Find("Secret", secretName)
	if u == nil {
		return nil, fmt.Errorf("secret %s (mounted by deployment %s) is not rendered", secretName, d.Name)
	}
	s, err := Convert[corev1.Secret](u)
	if err != nil {
		return nil, err
	}
	if v, ok := s.StringData["azure.json"]; ok {
		return []byte(v), nil
	}
	if v, ok := s.Data["azure.json"]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("secret %s has no azure.json key", secretName)
}
