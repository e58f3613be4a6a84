// Package e2e holds the end-to-end tests of the real stack: the built cmd/cloud-controller binary,
// run as its own process against a harness cluster (real kube-apiserver, controllers, simulated nodes)
// and pkg/fake's Azure served over HTTPS, checked by what a user would see: Service status and
// finalizers in the API, and load balancers and public IPs in the fake Azure.
//
// Each test starts its own cluster, fake Azure and controller(s), because most of them change
// cluster-wide state (nodes, the controller process, the leader lease) or count every write the fake
// receives; tests run in parallel up to -parallel (GOMAXPROCS by default). The tests need root (the
// harness adds node addresses to lo) and skip without it. Run them with
//
//	cd test && go test -v ./e2e
//
// See test/README.md for the environment variables that keep logs or reuse a built binary.
package e2e
