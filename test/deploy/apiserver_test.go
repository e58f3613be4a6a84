package deploy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Every rendering is accepted by a real kube-apiserver with strict field validation and admission
// (dryRun=All: nothing is stored), and its pod template is admitted where Pod Security enforces the
// "restricted" level.
func TestRenderedObjectsAcceptedByAPIServer(t *testing.T) {
	c := startRBACCluster(t, -1)
	ctx := t.Context()
	if err := c.CreateNamespace(ctx, "azlb-system"); err != nil {
		t.Fatal(err)
	}
	const restricted = "psa-restricted"
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: restricted, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	}}}
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateNamespace(ctx, restricted); err != nil { // waits for its default ServiceAccount
		t.Fatal(err)
	}
	creator, err := NewCreator(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range allRenderings() {
		t.Run(r.name, func(t *testing.T) {
			objs := r.render(t)
			if err := creator.Create(ctx, objs, true); err != nil {
				t.Fatalf("the API server refuses the rendering: %v", err)
			}
			d, err := objs.Deployment()
			if err != nil {
				t.Fatal(err)
			}
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "pod-security-check", Namespace: restricted, Labels: d.Spec.Template.Labels},
				Spec:       *d.Spec.Template.Spec.DeepCopy(),
			}
			pod.Spec.ServiceAccountName = "default" // the ServiceAccount does not matter to Pod Security
			_, err = c.Client.CoreV1().Pods(restricted).Create(ctx, pod, metav1.CreateOptions{
				DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict})
			if err != nil {
				t.Errorf("the pod template is refused under Pod Security \"restricted\": %v", err)
			}
		})
	}

	// The check can fail: a pod template that escalates privileges is refused.
	objs, err := RenderKustomize(baseDir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := objs.Deployment()
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pod-security-negative", Namespace: restricted}, Spec: d.Spec.Template.Spec}
	pod.Spec.ServiceAccountName = "default"
	pod.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
	if _, err := c.Client.CoreV1().Pods(restricted).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err == nil {
		t.Error("Pod Security admitted a pod that may escalate privileges: the check above proves nothing")
	}

	// Strict validation is on: a misspelled field is an error, not a dropped field.
	misspelled := objs.DeepCopy().OfKind("Deployment")
	misspelled[0].Object["spec"].(map[string]any)["replica"] = int64(2)
	if err := creator.Create(ctx, misspelled, true); err == nil {
		t.Error("the API server accepted a Deployment with an unknown field: validation is not strict")
	}
}
