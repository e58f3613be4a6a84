package deploy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/azlb/azlb/pkg/cloudconfig"
)

func TestRenderingsKeepTheDeploymentContract(t *testing.T) {
	for _, r := range allRenderings() {
		t.Run(r.name, func(t *testing.T) {
			objs := r.render(t)
			for _, problem := range deploymentProblems(objs) {
				t.Error(problem)
			}
			for _, problem := range rbacProblems(objs) {
				t.Error(problem)
			}
		})
	}
}

// The contract checks must catch the regressions they are there for.
func TestContractChecksCatchRegressions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(t *testing.T, objs Objects)
		want   string
	}{
		{"writable root filesystem", func(t *testing.T, objs Objects) {
			setContainerField(t, objs, false, "securityContext", "readOnlyRootFilesystem")
		}, "readOnlyRootFilesystem"},
		{"privilege escalation", func(t *testing.T, objs Objects) {
			setContainerField(t, objs, true, "securityContext", "allowPrivilegeEscalation")
		}, "allowPrivilegeEscalation"},
		{"probe on the wrong port", func(t *testing.T, objs Objects) {
			setContainerField(t, objs, int64(8080), "livenessProbe", "httpGet", "port")
		}, "liveness probe"},
		{"wildcard verb", func(t *testing.T, objs Objects) {
			cr := objs.OfKind("ClusterRole")[0]
			rules := cr.Object["rules"].([]any)
			rules[0].(map[string]any)["verbs"] = []any{"*"}
		}, "wildcard"},
		{"lease name out of step with the flag", func(t *testing.T, objs Objects) {
			replaceArg(t, objs, "--leader-elect-resource-name=", "--leader-elect-resource-name=other")
		}, "does not match the Lease"},
		{"role not bound", func(t *testing.T, objs Objects) {
			for _, b := range objs.OfKind("ClusterRoleBinding") {
				b.Object["subjects"] = []any{}
			}
		}, "is not bound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := RenderKustomize(baseDir)
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, objs)
			problems := strings.Join(append(deploymentProblems(objs), rbacProblems(objs)...), "\n")
			if !strings.Contains(problems, tc.want) {
				t.Errorf("problems do not mention %q:\n%s", tc.want, problems)
			}
		})
	}
}

func setContainerField(t *testing.T, objs Objects, value any, fields ...string) {
	t.Helper()
	c := firstContainer(t, objs)
	m := c
	for _, f := range fields[:len(fields)-1] {
		m = m[f].(map[string]any)
	}
	m[fields[len(fields)-1]] = value
}

func replaceArg(t *testing.T, objs Objects, prefix, with string) {
	t.Helper()
	c := firstContainer(t, objs)
	as := c["args"].([]any)
	for i, a := range as {
		if strings.HasPrefix(a.(string), prefix) {
			as[i] = with
		}
	}
}

func firstContainer(t *testing.T, objs Objects) map[string]any {
	t.Helper()
	u, err := objs.One("Deployment")
	if err != nil {
		t.Fatal(err)
	}
	spec := u.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	return spec["containers"].([]any)[0].(map[string]any)
}

// kustomize and helm must grant exactly the same rights.
func TestKustomizeAndHelmGrantTheSameRules(t *testing.T) {
	k, err := RenderKustomize(baseDir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := RenderHelm(chartDir, HelmOptions{Values: map[string]any{"cloudConfig": fakeCloudConfig()}})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := ruleSet(k)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := ruleSet(h)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kr, hr) {
		t.Errorf("the renderings grant different rules\nkustomize:\n  %s\nhelm:\n  %s", strings.Join(kr, "\n  "), strings.Join(hr, "\n  "))
	}
}

func TestHelmValues(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   HelmOptions
		values map[string]any
		check  func(t *testing.T, objs Objects)
	}{
		{
			name:   "replicas and cluster name",
			values: map[string]any{"replicaCount": 3, "clusterName": "prod-weu"},
			check: func(t *testing.T, objs Objects) {
				d := mustDeployment(t, objs)
				if *d.Spec.Replicas != 3 {
					t.Errorf("replicas %d, want 3", *d.Spec.Replicas)
				}
				if a := args(d.Spec.Template.Spec.Containers[0]); a["--cluster-name"] != "prod-weu" {
					t.Errorf("--cluster-name=%q, want prod-weu", a["--cluster-name"])
				}
			},
		},
		{
			name:   "image tag defaults to the app version",
			values: nil,
			check: func(t *testing.T, objs Objects) {
				if img := mustDeployment(t, objs).Spec.Template.Spec.Containers[0].Image; img != "ghcr.io/azlb/cloud-controller:0.1.0" {
					t.Errorf("image %q", img)
				}
			},
		},
		{
			name:   "existing secret",
			values: map[string]any{"existingSecret": "my-azure-json", "cloudConfig": nil},
			check: func(t *testing.T, objs Objects) {
				if n := len(objs.OfKind("Secret")); n != 0 {
					t.Errorf("rendered %d Secrets, want none", n)
				}
				d := mustDeployment(t, objs)
				if got := d.Spec.Template.Spec.Volumes[0].Secret.SecretName; got != "my-azure-json" {
					t.Errorf("mounts Secret %q, want my-azure-json", got)
				}
				if _, ok := d.Spec.Template.Annotations["checksum/cloud-config"]; ok {
					t.Error("checksum annotation without a rendered Secret")
				}
			},
		},
		{
			name:   "cloud config change rolls the pods",
			values: map[string]any{"cloudConfig": with(fakeCloudConfig(), "location", "northeurope")},
			check: func(t *testing.T, objs Objects) {
				def, err := RenderHelm(chartDir, HelmOptions{Values: map[string]any{"cloudConfig": fakeCloudConfig()}})
				if err != nil {
					t.Fatal(err)
				}
				a := mustDeployment(t, def).Spec.Template.Annotations["checksum/cloud-config"]
				b := mustDeployment(t, objs).Spec.Template.Annotations["checksum/cloud-config"]
				if a == "" || a == b {
					t.Errorf("checksum %q -> %q: want a change", a, b)
				}
			},
		},
		{
			name: "workload identity",
			values: map[string]any{"workloadIdentity": map[string]any{
				"enabled": true, "clientId": "11111111-1111-1111-1111-111111111111", "tenantId": "22222222-2222-2222-2222-222222222222"}},
			check: func(t *testing.T, objs Objects) {
				sa, err := Convert[corev1.ServiceAccount](objs.OfKind("ServiceAccount")[0])
				if err != nil {
					t.Fatal(err)
				}
				if sa.Annotations["azure.workload.identity/client-id"] != "11111111-1111-1111-1111-111111111111" ||
					sa.Annotations["azure.workload.identity/tenant-id"] != "22222222-2222-2222-2222-222222222222" {
					t.Errorf("service account annotations %v", sa.Annotations)
				}
				if v := mustDeployment(t, objs).Spec.Template.Labels["azure.workload.identity/use"]; v != "true" {
					t.Errorf("pod label azure.workload.identity/use=%q, want \"true\"", v)
				}
				cfg := renderedConfig(t, objs)
				if cfg["useFederatedWorkloadIdentityExtension"] != true || cfg["aadClientId"] != "11111111-1111-1111-1111-111111111111" ||
					cfg["aadFederatedTokenFile"] != "/var/run/secrets/azure/tokens/azure-identity-token" || cfg["useManagedIdentityExtension"] != false {
					t.Errorf("azure.json %v", cfg)
				}
			},
		},
		{
			name:   "workload identity off by default",
			values: nil,
			check: func(t *testing.T, objs Objects) {
				if _, ok := mustDeployment(t, objs).Spec.Template.Labels["azure.workload.identity/use"]; ok {
					t.Error("pods carry the workload identity label")
				}
				if renderedConfig(t, objs)["useFederatedWorkloadIdentityExtension"] != nil {
					t.Error("azure.json asks for workload identity")
				}
			},
		},
		{
			name:   "lease in another namespace",
			opts:   HelmOptions{ReleaseName: "lb", Namespace: "azlb-system"},
			values: map[string]any{"leaderElection": map[string]any{"namespace": "kube-system", "resourceName": "lb-lease"}},
			check: func(t *testing.T, objs Objects) {
				d := mustDeployment(t, objs)
				if d.Name != "lb-azlb-cloud-controller" || d.Namespace != "azlb-system" {
					t.Errorf("deployment %s/%s", d.Namespace, d.Name)
				}
				a := args(d.Spec.Template.Spec.Containers[0])
				if a["--leader-elect-resource-namespace"] != "kube-system" || a["--leader-elect-resource-name"] != "lb-lease" {
					t.Errorf("leader election args %v", d.Spec.Template.Spec.Containers[0].Args)
				}
				// rbacProblems checks that the Role matches the flags.
			},
		},
		{
			name:   "no disruption budget",
			values: map[string]any{"podDisruptionBudget": map[string]any{"enabled": false}},
			check: func(t *testing.T, objs Objects) {
				if n := len(objs.OfKind("PodDisruptionBudget")); n != 0 {
					t.Errorf("rendered %d PodDisruptionBudgets", n)
				}
			},
		},
		{
			name:   "clusters without control-plane nodes",
			values: map[string]any{"runOnControlPlane": false},
			check: func(t *testing.T, objs Objects) {
				a := mustDeployment(t, objs).Spec.Template.Spec.Affinity
				if a == nil || a.NodeAffinity != nil || a.PodAntiAffinity == nil {
					t.Errorf("affinity %+v: want only the pod anti-affinity", a)
				}
			},
		},
		{
			name:   "extra args, labels, annotations",
			values: map[string]any{"extraArgs": []any{"--kube-api-qps=40"}, "podLabels": map[string]any{"team": "net"}, "podAnnotations": map[string]any{"a": "b"}},
			check: func(t *testing.T, objs Objects) {
				d := mustDeployment(t, objs)
				if !slices.Contains(d.Spec.Template.Spec.Containers[0].Args, "--kube-api-qps=40") {
					t.Errorf("args %v", d.Spec.Template.Spec.Containers[0].Args)
				}
				if d.Spec.Template.Labels["team"] != "net" || d.Spec.Template.Annotations["a"] != "b" {
					t.Errorf("labels %v annotations %v", d.Spec.Template.Labels, d.Spec.Template.Annotations)
				}
				if d.Spec.Selector.MatchLabels["team"] != "" {
					t.Error("pod labels leaked into the selector")
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Values = map[string]any{"cloudConfig": fakeCloudConfig()}
			for k, v := range tc.values {
				opts.Values[k] = v
			}
			objs, err := RenderHelm(chartDir, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, problem := range rbacProblems(objs) {
				t.Error(problem)
			}
			tc.check(t, objs)
		})
	}
}

func TestHelmRejectsWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"default values have no cloud config", nil, "cloudConfig.resourceGroup is required"},
		{"Azure needs a subscription", map[string]any{"cloudConfig": map[string]any{"resourceGroup": "rg", "location": "l", "vnetName": "v"}},
			"cloudConfig.subscriptionId is required"},
		{"workload identity needs a client ID", map[string]any{"cloudConfig": fakeCloudConfig(), "workloadIdentity": map[string]any{"enabled": true}},
			"workloadIdentity.clientId is required"},
		{"misspelled value", map[string]any{"cloudConfig": fakeCloudConfig(), "replicas": 3}, "replicas"},
		{"wrong type", map[string]any{"cloudConfig": fakeCloudConfig(), "replicaCount": "two"}, "replicaCount"},
		{"unknown pull policy", map[string]any{"cloudConfig": fakeCloudConfig(), "image": map[string]any{"pullPolicy": "Sometimes"}}, "pullPolicy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RenderHelm(chartDir, HelmOptions{Values: tc.values})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// The rendered azure.json is read by the provider's own parser, with and without the environment
// the workload identity webhook injects.
func TestRenderedCloudConfigs(t *testing.T) {
	webhookEnv := map[string]string{
		"AZURE_CLIENT_ID":            "33333333-3333-3333-3333-333333333333",
		"AZURE_TENANT_ID":            "44444444-4444-4444-4444-444444444444",
		"AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token",
	}
	for _, tc := range []struct {
		name      string
		render    rendering
		env       map[string]string
		wantErr   string // empty: valid
		wantCred  cloudconfig.CredentialKind
		wantFake  bool
		wantField func(*cloudconfig.Config) string
	}{
		{name: "base must be filled in", render: kustomizeRendering("base", fixed(baseDir)),
			wantErr: `missing required field(s) "subscriptionId", "resourceGroup", "location", "vnetName"`},
		{name: "workload identity overlay with the webhook", render: kustomizeRendering("wi", fixed(wiOverlayDir)), env: webhookEnv,
			wantCred: cloudconfig.CredentialWorkloadIdentity},
		{name: "workload identity overlay without the webhook", render: kustomizeRendering("wi", fixed(wiOverlayDir)),
			wantErr: `workload identity needs "aadClientId"`},
		{name: "fake overlay", render: kustomizeRendering("fake", fakeOverlay), wantFake: true},
		{name: "helm fake", render: helmRendering("helm", HelmOptions{Values: map[string]any{"cloudConfig": fakeCloudConfig()}}), wantFake: true},
		{name: "helm workload identity", render: allRenderings()[5], env: map[string]string{"AZURE_FEDERATED_TOKEN_FILE": webhookEnv["AZURE_FEDERATED_TOKEN_FILE"]},
			wantCred: cloudconfig.CredentialWorkloadIdentity},
		{name: "helm managed identity", render: helmRendering("mi", HelmOptions{Values: map[string]any{"cloudConfig": map[string]any{
			"subscriptionId": "s", "resourceGroup": "rg", "location": "l", "vnetName": "v",
			"useManagedIdentityExtension": true, "userAssignedIdentityID": "55555555-5555-5555-5555-555555555555"}}}),
			wantCred: cloudconfig.CredentialManagedIdentity},
		// Helm merges the chart's default cloudConfig into the user's: no default may outrank the
		// credential the user chose.
		{name: "helm client secret", render: helmRendering("secret", HelmOptions{Values: map[string]any{"cloudConfig": map[string]any{
			"subscriptionId": "s", "resourceGroup": "rg", "location": "l", "vnetName": "v",
			"tenantId": "t", "aadClientId": "66666666-6666-6666-6666-666666666666", "aadClientSecret": "not-a-real-secret"}}}),
			wantCred: cloudconfig.CredentialClientSecret},
		{name: "helm without credentials", render: helmRendering("none", HelmOptions{Values: map[string]any{"cloudConfig": map[string]any{
			"subscriptionId": "s", "resourceGroup": "rg", "location": "l", "vnetName": "v"}}}),
			wantErr: "no Azure credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.render.render(t).CloudConfig()
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := cloudconfig.Parse(data, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("rendered azure.json is not valid: %v\n%s", err, data)
			}
			if cfg.IsFake() != tc.wantFake {
				t.Errorf("fake %v, want %v", cfg.IsFake(), tc.wantFake)
			}
			if !tc.wantFake {
				kind, err := cloudconfig.ChooseCredential(cfg)
				if err != nil || kind != tc.wantCred {
					t.Errorf("credential %q (%v), want %q", kind, err, tc.wantCred)
				}
			}
		})
	}
}

func TestLocalArgs(t *testing.T) {
	rendered := []string{"--cloud-provider=azure", "--cloud-config=/etc/kubernetes/cloud-config/azure.json", "--controllers=*", "--secure-port=10258", "--v=2"}
	got, err := LocalArgs(rendered, "/tmp/azure.json", "/tmp/kc", 4321)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--cloud-provider=azure", "--cloud-config=/tmp/azure.json", "--controllers=*", "--secure-port=4321", "--v=2",
		"--bind-address=127.0.0.1", "--kubeconfig=/tmp/kc", "--authentication-kubeconfig=/tmp/kc", "--authorization-kubeconfig=/tmp/kc"}
	if !slices.Equal(got, want) {
		t.Errorf("LocalArgs =\n  %v\nwant\n  %v", got, want)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no cloud config", []string{"--cloud-provider=azure"}, "no --cloud-config"},
		{"kubeconfig baked in", append(slices.Clone(rendered), "--kubeconfig=/etc/kc"), "--kubeconfig=/etc/kc"},
	} {
		if _, err := LocalArgs(tc.args, "c", "k", 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestRuleRewrites(t *testing.T) {
	objs, err := RenderKustomize(baseDir)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := objs.Rules()
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		without, err := objs.WithoutRule(ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		left, err := without.Rules()
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != len(refs)-1 {
			t.Errorf("without %s: %d rules left, want %d", ref, len(left), len(refs)-1)
		}
		for _, l := range left {
			if l.Kind == ref.Kind && l.Name == ref.Name && equalRule(l, ref) {
				t.Errorf("without %s: the rule is still there", ref)
			}
		}
	}
	if _, err := objs.WithoutRule(RuleRef{Kind: "ClusterRole", Name: "nope"}); err == nil {
		t.Error("removing a rule of an unrendered role: no error")
	}

	renamed, err := objs.WithNameSuffix("-v1")
	if err != nil {
		t.Fatal(err)
	}
	// The renamed objects keep every reference: roles bound to the ServiceAccount the Deployment
	// runs as, the Secret it mounts.
	for _, problem := range append(rbacProblems(renamed), deploymentProblems(renamed)...) {
		t.Error(problem)
	}
	for _, u := range renamed {
		if !strings.HasSuffix(u.GetName(), "-v1") {
			t.Errorf("%s %s was not renamed", u.GetKind(), u.GetName())
		}
	}
	if objs.Find("ClusterRole", "azlb-cloud-controller") == nil {
		t.Error("WithNameSuffix changed the original")
	}
}

func equalRule(a, b RuleRef) bool {
	x, _ := json.Marshal(a.Rule)
	y, _ := json.Marshal(b.Rule)
	return string(x) == string(y)
}

func mustDeployment(t *testing.T, objs Objects) *appsv1.Deployment {
	t.Helper()
	d, err := objs.Deployment()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func renderedConfig(t *testing.T, objs Objects) map[string]any {
	t.Helper()
	data, err := objs.CloudConfig()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("azure.json is not JSON: %v\n%s", err, data)
	}
	return m
}

func with(m map[string]any, k string, v any) map[string]any {
	m[k] = v
	return m
}
