package deploy

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/azlb/azlb/test/harness"
)

// The controller, run with the rendered arguments and cloud config under a token of the rendered
// ServiceAccount, against an API server that enforces RBAC, does its whole job: takes the Lease,
// gives a LoadBalancer Service its ingress, records events, serves /healthz to anonymous probes
// and /metrics to an authorized reader (delegated TokenReview and SubjectAccessReview), releases
// the Service on deletion, and is never forbidden anything.
func TestControllerRunsUnderRenderedRBAC(t *testing.T) {
	binary := controllerBinary(t)
	c := startRBACCluster(t, 1)
	reader := metricsReader(t, c)
	if err := c.CreateNamespace(t.Context(), "azlb-system"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		render rendering
		lease  string // namespace/name
	}{
		{"kustomize", kustomizeRendering("kustomize", fakeOverlay), "kube-system/azlb-cloud-controller"},
		{"helm", helmRendering("helm", HelmOptions{ReleaseName: "ccm", Namespace: "azlb-system",
			Values: map[string]any{"cloudConfig": fakeCloudConfig()}}), "azlb-system/azlb-cloud-controller"},
	} {
		// One after the other: two controllers would both reconcile the same Services.
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			ctl := deployAndRun(t, c, binary, tc.render.render(t))
			ctl.waitServing(t)
			svc := createLBService(t, c, metav1.NamespaceDefault, "web-"+tc.name)

			ingress := waitIngress(t, c, svc)
			t.Logf("ingress %s", ingress[0].IP)
			waitLeaseHeld(t, c, tc.lease)
			waitEvent(t, c, svc, "EnsuredLoadBalancer", "")

			if code, body, err := ctl.get(ctx, "/metrics", reader); err != nil || code != http.StatusOK ||
				!strings.Contains(body, "service_controller") && !strings.Contains(body, "workqueue") {
				t.Errorf("/metrics with an authorized token: %d %v (%.200s)", code, err, body)
			}

			if err := c.Client.CoreV1().Services(svc.Namespace).Delete(ctx, svc.Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			waitGone(t, c, svc)

			if log := ctl.Log(); strings.Contains(strings.ToLower(log), "forbidden") {
				t.Errorf("the controller was forbidden something:\n%s", grep(log, "(?i)forbidden"))
			}
			// /metrics is not open to anyone (checked after the log: the refusal is logged at -v=4).
			if code, _, err := ctl.get(ctx, "/metrics", ""); err != nil || code != http.StatusForbidden {
				t.Errorf("anonymous /metrics: %d %v, want 403", code, err)
			}
			ctl.Stop(15 * time.Second)
		})
	}
}

// Each rule of the rendered RBAC is needed: without it the controller is refused that very
// permission, visibly (in its log, and for the Service status rule on the Service's events). This
// also proves that the positive test above can fail.
func TestEachRBACRuleIsNeeded(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the controller once per RBAC rule")
	}
	binary := controllerBinary(t)
	c := startRBACCluster(t, 1)
	reader := metricsReader(t, c)
	objs, err := RenderKustomize(fakeOverlay(t))
	if err != nil {
		t.Fatal(err)
	}
	d, err := objs.Deployment()
	if err != nil {
		t.Fatal(err)
	}
	a := args(d.Spec.Template.Spec.Containers[0])
	lease := a["--leader-elect-resource-namespace"] + "/" + a["--leader-elect-resource-name"]
	refs, err := objs.Rules()
	if err != nil {
		t.Fatal(err)
	}
	for i, ref := range refs {
		t.Run(ref.String(), func(t *testing.T) {
			ctx := t.Context()
			variant, err := objs.WithoutRule(ref)
			if err != nil {
				t.Fatal(err)
			}
			if variant, err = variant.WithNameSuffix(fmt.Sprintf("-without-%d", i)); err != nil {
				t.Fatal(err)
			}
			deleteLease(t, c, lease) // the previous variant's controller may have taken it
			svc := createLBService(t, c, metav1.NamespaceDefault, fmt.Sprintf("web-%d", i))
			ctl := deployAndRun(t, c, binary, variant)

			refused := refusalPattern(ref)
			err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
				if refused.MatchString(ctl.Log()) {
					return true, nil
				}
				select {
				case <-ctl.Exited():
					return refused.MatchString(ctl.Log()), fmt.Errorf("the controller exited (%s) without the expected refusal", ctl.ExitStatus())
				default:
				}
				// Requests to the secure port are what TokenReview and SubjectAccessReview serve.
				reqCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				_, _, _ = ctl.get(reqCtx, "/metrics", reader)
				return false, nil
			})
			if err != nil {
				t.Fatalf("without %s the controller never logged a refusal matching %s: %v", ref, refused, err)
			}
			t.Logf("refused: %s", firstMatchLine(ctl.Log(), refused))

			if slices.Contains(ref.Rule.Resources, "services/status") {
				// What a user sees: the Service never gets an address, kubectl describe says why.
				waitEvent(t, c, svc, "SyncLoadBalancerFailed", "forbidden")
				if s, err := c.Client.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{}); err != nil || len(s.Status.LoadBalancer.Ingress) > 0 {
					t.Errorf("service status %v (%v): want no ingress", s.Status.LoadBalancer, err)
				}
			}
			ctl.Stop(15 * time.Second)
		})
	}
}

// refusalPattern matches the API server's RBAC refusal of one of the rule's verbs on its resource,
// as it appears in the controller's log (quotes may be escaped by structured logging).
func refusalPattern(ref RuleRef) *regexp.Regexp {
	var verbs, resources []string
	for _, v := range ref.Rule.Verbs {
		verbs = append(verbs, regexp.QuoteMeta(v))
	}
	for _, r := range ref.Rule.Resources {
		resources = append(resources, regexp.QuoteMeta(r))
	}
	return regexp.MustCompile(fmt.Sprintf(`forbidden: User .*cannot (%s) resource \\?"(%s)\\?"`,
		strings.Join(verbs, "|"), strings.Join(resources, "|")))
}

func waitIngress(t *testing.T, c *harness.Cluster, svc *corev1.Service) []corev1.LoadBalancerIngress {
	t.Helper()
	var ingress []corev1.LoadBalancerIngress
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		s, err := c.Client.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ingress = s.Status.LoadBalancer.Ingress
		return len(ingress) > 0 && ingress[0].IP != "", nil
	})
	if err != nil {
		t.Fatalf("service %s/%s got no load balancer ingress: %v", svc.Namespace, svc.Name, err)
	}
	return ingress
}

func waitLeaseHeld(t *testing.T, c *harness.Cluster, nsName string) {
	t.Helper()
	ns, name, _ := strings.Cut(nsName, "/")
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	var holder string
	err = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		l, err := c.Client.CoordinationV1().Leases(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		return strings.HasPrefix(holder, host+"_"), nil
	})
	if err != nil {
		t.Fatalf("lease %s: holder %q, want this controller (%s_<uuid>): %v", nsName, holder, host, err)
	}
}

func deleteLease(t *testing.T, c *harness.Cluster, nsName string) {
	t.Helper()
	ns, name, _ := strings.Cut(nsName, "/")
	err := c.Client.CoordinationV1().Leases(ns).Delete(t.Context(), name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}

// waitEvent waits for an event with reason on the Service whose message contains substr.
func waitEvent(t *testing.T, c *harness.Cluster, svc *corev1.Service, reason, substr string) {
	t.Helper()
	selector := fields.Set{"involvedObject.name": svc.Name, "involvedObject.kind": "Service", "reason": reason}.AsSelector().String()
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		events, err := c.Client.CoreV1().Events(svc.Namespace).List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(events.Items, func(e corev1.Event) bool { return strings.Contains(e.Message, substr) }), nil
	})
	if err != nil {
		t.Fatalf("no %s event containing %q on service %s/%s: %v", reason, substr, svc.Namespace, svc.Name, err)
	}
}

// waitGone waits until the Service is deleted: the controller removed its finalizer.
func waitGone(t *testing.T, c *harness.Cluster, svc *corev1.Service) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("service %s/%s was not released (finalizer kept): %v", svc.Namespace, svc.Name, err)
	}
}

func grep(log, pattern string) string {
	re := regexp.MustCompile(pattern)
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if re.MatchString(l) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func firstMatchLine(log string, re *regexp.Regexp) string {
	for _, l := range strings.Split(log, "\n") {
		if re.MatchString(l) {
			if len(l) > 400 {
				l = l[:400] + "..."
			}
			return l
		}
	}
	return ""
}
