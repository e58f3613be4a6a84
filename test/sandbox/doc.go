// Package sandbox is `make run`: one command that starts the whole stack on loopback and shows the
// load balancer at work, so that a newcomer sees externalTrafficPolicy Local behind the Azure
// provider in one go.
//
// Run starts the fake Azure over HTTPS (harness.StartFakeAzure), a cluster (harness.Start: real
// kube-apiserver, controllers, scheduler, nodes with kube-proxy's health check code), the fake load
// balancer's data plane (harness.StartDataPlane), the real cloud-controller binary as its own
// process, and the example manifests. It then prints the kubeconfig and the frontends, drives a
// light client load through every frontend (a new connection per request, from 127.0.3.x, so the
// pods see whether the client address was kept), and prints a line per second per Service of type
// LoadBalancer: the nodes in rotation and the requests served and failed, with a line for each
// change (a Service getting a frontend, a probe rewritten, a node joining or leaving the pool or the
// rotation, and what the probe saw). Services applied with kubectl are followed the same way.
//
// A live page (pkg/timeline's LiveHandler) draws the timeline of one Service, as `lbctl simulate
// --html` draws a simulated run: per second the requests by outcome, per node the load balancer's
// view, the health check's answer, the local ready and serving endpoints and the requests served,
// and the events (pods, health checks, probe transitions with their detection delay). Its data is a
// sim.Result with Timeline filled, built from the data plane's observations, the EndpointSlices,
// the health checks (asked each second, as the probe would) and the client's requests.
//
// When its context ends (SIGINT or SIGTERM in cmd/sandbox), Run stops everything it started: the
// cloud-controller process, the nodes and their addresses on lo, the control plane and the
// temporary directories.
package sandbox
