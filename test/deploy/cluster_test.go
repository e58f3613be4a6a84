package deploy

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	restclient "k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/azlb/azlb/test/harness"
)

// startRBACCluster starts a harness cluster whose API server authorizes with RBAC only (the
// harness default is AlwaysAllow, which would make every RBAC check here meaningless).
func startRBACCluster(t *testing.T, nodes int) *harness.Cluster {
	t.Helper()
	c := harness.StartForTest(t, harness.Options{Nodes: nodes, APIServerFlags: []string{"--authorization-mode=RBAC"}})
	requireRBACEnforced(t, c)
	ensureAuthenticationConfigMap(t, c)
	return c
}

// ensureAuthenticationConfigMap writes kube-system/extension-apiserver-authentication when the
// API server has not yet. A kube-apiserver publishes its client CA and request-header settings
// there; the harness's does so only after about a minute (its first attempt races the creation of
// kube-system and the retry comes a minute later). Secure serving in the controller reads it.
func ensureAuthenticationConfigMap(t *testing.T, c *harness.Cluster) {
	t.Helper()
	if len(c.RESTConfig.CAData) == 0 {
		t.Fatal("the harness's client config carries no CA to publish")
	}
	ca := string(c.RESTConfig.CAData)
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "extension-apiserver-authentication", Namespace: metav1.NamespaceSystem},
		Data: map[string]string{
			"client-ca-file":                     ca,
			"requestheader-client-ca-file":       ca,
			"requestheader-allowed-names":        `["front-proxy-client"]`,
			"requestheader-username-headers":     `["X-Remote-User"]`,
			"requestheader-group-headers":        `["X-Remote-Group"]`,
			"requestheader-extra-headers-prefix": `["X-Remote-Extra-"]`,
		},
	}
	_, err := c.Client.CoreV1().ConfigMaps(cm.Namespace).Create(t.Context(), cm, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// requireRBACEnforced fails unless a ServiceAccount with no bindings is refused a plain read.
func requireRBACEnforced(t *testing.T, c *harness.Cluster) {
	t.Helper()
	ctx := t.Context()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody", Namespace: metav1.NamespaceDefault}}
	if _, err := c.Client.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	client := clientAs(t, c, sa.Namespace, sa.Name)
	_, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("a ServiceAccount without bindings listed nodes (err %v): the API server does not enforce RBAC", err)
	}
}

// token mints a token for a ServiceAccount with the TokenRequest API.
func token(t *testing.T, c *harness.Cluster, namespace, name string) string {
	t.Helper()
	tr, err := c.Client.CoreV1().ServiceAccounts(namespace).CreateToken(t.Context(), name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("minting a token for %s/%s: %v", namespace, name, err)
	}
	return tr.Status.Token
}

// clientAs is a clientset that authenticates as a ServiceAccount.
func clientAs(t *testing.T, c *harness.Cluster, namespace, name string) kubernetes.Interface {
	t.Helper()
	cfg := restclient.AnonymousClientConfig(c.RESTConfig)
	cfg.BearerToken = token(t, c, namespace, name)
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// waitRulesEffective waits until the API server's authorizer grants the ServiceAccount every
// permission of refs (RBAC sees new bindings through an informer, a moment after they are stored).
func waitRulesEffective(t *testing.T, c *harness.Cluster, namespace, name string, refs []RuleRef) {
	t.Helper()
	user := fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name)
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}
	for _, ref := range refs {
		for _, attrs := range resourceAttributes(ref) {
			err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
				r, err := c.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
					Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups, ResourceAttributes: attrs},
				}, metav1.CreateOptions{})
				return err == nil && r.Status.Allowed, nil
			})
			if err != nil {
				t.Fatalf("%s never got %+v of %s", user, *attrs, ref)
			}
		}
	}
}

// resourceAttributes expands a rule into the requests it allows.
func resourceAttributes(ref RuleRef) []*authorizationv1.ResourceAttributes {
	var out []*authorizationv1.ResourceAttributes
	names := ref.Rule.ResourceNames
	if len(names) == 0 {
		names = []string{""}
	}
	for _, g := range ref.Rule.APIGroups {
		for _, res := range ref.Rule.Resources {
			resource, sub, _ := strings.Cut(res, "/")
			for _, v := range ref.Rule.Verbs {
				for _, n := range names {
					out = append(out, &authorizationv1.ResourceAttributes{Namespace: ref.Namespace, Verb: v, Group: g, Resource: resource, Subresource: sub, Name: n})
				}
			}
		}
	}
	return out
}

// metricsReader creates a ServiceAccount allowed to GET /metrics and returns a token for it. A
// request with it makes the controller call TokenReview and SubjectAccessReview.
func metricsReader(t *testing.T, c *harness.Cluster) string {
	t.Helper()
	ctx := t.Context()
	const name = "metrics-reader"
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault}}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: sa.Namespace}}}
	if _, err := c.Client.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return token(t, c, sa.Namespace, name)
}

// running is a controller started from rendered objects.
type running struct {
	*Controller
	port int
}

// deployAndRun creates the rendered objects as a user's `kubectl apply` would (the Deployment with
// dryRun=All: its pods cannot run in the harness), then runs the cloud-controller binary as the
// Deployment's container would run: its arguments, its Secret's azure.json, a token of its
// ServiceAccount.
func deployAndRun(t *testing.T, c *harness.Cluster, binary string, objs Objects) *running {
	t.Helper()
	ctx := t.Context()
	creator, err := NewCreator(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	var rest Objects
	for _, u := range objs {
		if u.GetKind() != "Deployment" {
			rest = append(rest, u)
		}
	}
	if err := creator.Create(ctx, rest, false); err != nil {
		t.Fatal(err)
	}
	if err := creator.Create(ctx, objs.OfKind("Deployment"), true); err != nil {
		t.Fatal(err)
	}
	d, err := objs.Deployment()
	if err != nil {
		t.Fatal(err)
	}
	sa := d.Spec.Template.Spec.ServiceAccountName
	refs, err := objs.Rules()
	if err != nil {
		t.Fatal(err)
	}
	waitRulesEffective(t, c, d.Namespace, sa, refs)

	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := WriteTokenKubeconfig(kubeconfig, c.RESTConfig, token(t, c, d.Namespace, sa)); err != nil {
		t.Fatal(err)
	}
	cloudConfig, err := objs.CloudConfig()
	if err != nil {
		t.Fatal(err)
	}
	cloudConfigPath := filepath.Join(dir, "azure.json")
	if err := os.WriteFile(cloudConfigPath, cloudConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args, err := LocalArgs(d.Spec.Template.Spec.Containers[0].Args, cloudConfigPath, kubeconfig, port)
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := StartController(binary, args, filepath.Join(dir, "controller.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctl.Stop(15 * time.Second)
		if t.Failed() {
			t.Logf("cloud-controller %s\nlog:\n%s", strings.Join(args, " "), tail(ctl.Log(), 150))
		}
	})
	return &running{Controller: ctl, port: port}
}

// get requests path on the controller's secure port, with token when not empty.
func (r *running) get(ctx context.Context, path, token string) (int, string, error) {
	client := &http.Client{
		Timeout: 20 * time.Second,
		// The serving certificate is self-signed in memory, as in a pod; this is loopback only.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))+path, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body), err
}

// waitServing waits until /healthz answers 200 without credentials, as the kubelet's probes ask.
func (r *running) waitServing(t *testing.T) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case <-r.Exited():
			return false, fmt.Errorf("the controller exited (%s)", r.ExitStatus())
		default:
		}
		code, _, err := r.get(ctx, "/healthz", "")
		return err == nil && code == http.StatusOK, nil
	})
	if err != nil {
		t.Fatalf("/healthz on the secure port: %v", err)
	}
}

// createLBService creates a Service of type LoadBalancer with externalTrafficPolicy Local.
func createLBService(t *testing.T, c *harness.Cluster, namespace, name string) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeLoadBalancer,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			Selector:              map[string]string{"app": name},
			Ports:                 []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}},
		},
	}
	out, err := c.Client.CoreV1().Services(namespace).Create(t.Context(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

func tail(s string, lines int) string {
	all := strings.Split(s, "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
