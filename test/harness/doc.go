// Package harness runs one Kubernetes cluster in-process, all on loopback,
// with real Kubernetes components wherever they exist, to check on the real
// stack what the project's simulation predicts.
//
// What runs:
//
//   - Control plane: embedded etcd and the real kube-apiserver
//     (k8s.io/kubernetes/cmd/kube-apiserver/app/testing) on 127.0.0.1;
//     Cluster.Kubeconfig is a kubeconfig file for it (kubectl works).
//     The TaintNodesByCondition admission plugin is off (nothing would
//     remove its not-ready taint: there is no node lifecycle controller).
//   - Controllers from k8s.io/kubernetes/pkg/controller: serviceaccount,
//     deployment, replicaset, daemonset, endpointslice, disruption (so the
//     Eviction API honours PodDisruptionBudgets) and the garbage collector
//     (deleting a Deployment removes its ReplicaSets and pods); the real
//     kube-scheduler with its default profile (topology spread, affinity).
//     No node lifecycle, pod GC, namespace or Endpoints controllers.
//   - Nodes: Node objects named node-1, node-2, ... with InternalIP
//     127.0.1.N (added to lo), Ready, with capacity and the
//     kubernetes.io/hostname label. AddNode, RemoveNode (the VM vanishes:
//     apps die, the Node object is deleted and its pods force-deleted, as
//     the pod GC would), Cordon, Uncordon and Drain (Eviction API, PDB
//     refusals retried, like kubectl drain --ignore-daemonsets).
//   - A kubelet stand-in per node: each pod's sockets are on 127.1.N.M,
//     while the API shows 10.244.N.M (the API server refuses loopback
//     EndpointSlice addresses; PodLoopback maps one to the other); every
//     container runs as an HTTP app on each of its TCP ports (and the
//     numeric ports its probes use), answering / with the pod name,
//     /debug/ip with DebugIP JSON, /healthz and /readyz. Startup and
//     readiness probes (httpGet, tcpSocket; exec and grpc count as
//     success) with initialDelaySeconds, periodSeconds, timeoutSeconds and
//     thresholds; liveness probes are not simulated. Status (PodIP,
//     Ready, ContainersReady, container states) goes through the status
//     subresource. On deletion: preStop (sleep action, exec of `sleep N`,
//     httpGet; other exec commands are skipped), then SIGTERM, readiness
//     probes continuing, SIGKILL when the grace period ends (at least 2 s
//     after preStop), then the pod object is deleted with grace 0.
//   - The app's SIGTERM behaviour comes from pod annotations (see
//     AppBehaviour): AnnotationShutdownDelay (keep serving N seconds with
//     /readyz failing, like agnhost netexec --delay-shutdown; default exit
//     at once), AnnotationKeepAliveOnShutdown ("close": Connection: close
//     and a graceful exit; "keep": connections stay open and are dropped at
//     exit) and AnnotationStartupDelay.
//   - kube-proxy per node from the upstream pieces (pkg/proxy config
//     handlers, change trackers, CategorizeEndpoints, BoundedFrequencyRunner
//     with minSyncPeriod, ProxyHealthServer state, and
//     pkg/proxy/healthcheck's ServiceHealthServer on every Local Service's
//     healthCheckNodePort at the node address). kube-proxy's :10256
//     /healthz and /livez are served by the harness from the upstream
//     ProxyHealthServer's state, because ProxyHealthServer.Run cannot be
//     stopped.
//   - The node data path in place of iptables: listeners on
//     nodeIP:nodePort and, for Services with a load-balancer ingress IP,
//     nodeIP:port (floating IP). A connection that starts with a PROXY v1
//     header is load-balancer traffic, routed by the header's frontend
//     address and port; one without is NodePort traffic. Local: a local
//     ready endpoint, else a local serving-terminating one, else the
//     connection is held unanswered (a dropped SYN); the pod is dialled
//     from the client's address. Cluster: any ready endpoint (else
//     serving-terminating), dialled from the node address (SNAT). No
//     endpoint anywhere: reset (REJECT). Endpoints are chosen at random
//     per connection (seeded), from the rules of the last sync.
//
// Seams for later work:
//
//   - Cluster.Kubeconfig, Cluster.Client, Cluster.RESTConfig and
//     Cluster.Nodes() (name and address) let other processes join; Go runs
//     an extra process (such as the cloud-controller-manager) until Stop.
//   - StartFakeAzure serves pkg/fake's Azure over HTTPS on 127.0.0.1 with
//     a virtual network holding the node addresses, public IPs and internal
//     frontends from an address block of its own (127.2.B.0/24,
//     127.3.B.0/24), and writes cloud configs for it; StartCloudController
//     runs the built cmd/cloud-controller as a separate process against a
//     cluster and such a config (the e2e tests and the sandbox use both).
//   - StartDataPlane runs pkg/fake/dataplane's Live data plane on a
//     FakeAzure's store: it listens on every frontend address:port the
//     controller writes (public IPs and internal frontends; 127.0.0.0/8 is
//     local as a whole, so nothing is added to lo), probes
//     nodeIP:healthCheckNodePort/healthz (or nodeIP:nodePort over TCP, or
//     nodeIP:10256/healthz) over real HTTP and opens each backend
//     connection to nodeIP:backendPort with a PROXY v1 header, which the
//     node data paths route. FakeAzure.Rule resolves a frontend to its rule
//     and probe, to read the data plane's observations for one Service.
//   - RunLoad drives client traffic through a frontend (a new connection
//     per request, an open loop at a fixed rate) and reports each request's
//     Outcome in the simulator's terms.
//
// Everything runs on the real clock. Start needs root (CAP_NET_ADMIN) to
// add node addresses to lo; without it Start returns ErrNeedRoot and
// StartForTest skips the test.
package harness
