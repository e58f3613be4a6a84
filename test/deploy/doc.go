// Package deploy renders the project's deployment manifests for cloud-controller (the kustomize
// base and overlays in deploy/kustomize, the Helm chart in deploy/helm/azlb-cloud-controller) with
// the tools' own Go libraries (sigs.k8s.io/kustomize/api/krusty, helm.sh/helm/v3/pkg/action), and
// proves them on the real stack of the harness:
//
//   - the rendered objects are accepted by a real kube-apiserver with strict server-side field
//     validation, and the pod template passes the Pod Security "restricted" level;
//   - the cloud-controller binary, run with the rendered arguments under a token of the rendered
//     ServiceAccount against an API server that enforces RBAC, takes its Lease, gives a
//     LoadBalancer Service its ingress and logs no "forbidden";
//   - each rule of the rendered RBAC is needed: without it the controller fails visibly.
//
// The helpers here (rendering, creating objects, rewriting RBAC, running the controller) are also
// usable by other suites that want to deploy the controller as a user would.
package deploy
