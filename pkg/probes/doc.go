// Package probes turns a Service's health-probe annotations into Azure load balancer probe settings,
// validates them, and computes how long the load balancer takes to notice a node going down or up (and
// so the preStop delay and minReadySeconds a workload needs). It does no I/O: every function is pure.
//
// # Reference behaviour this package reproduces
//
// A user migrating from the reference provider (kubernetes-sigs/cloud-provider-azure) gets the same probes.
// Each behaviour below was read in its code (commit 20b4af06b9d84e0915023cdbc5507a79eb6622bc of
// pkg/provider/azure_loadbalancer.go getExpectedLBRules and pkg/provider/azure_loadbalancer_healthprobe.go
// buildHealthProbeRulesForPort, getHealthProbeConfigProbeIntervalAndNumOfProbe,
// buildClusterServiceSharedProbe; pkg/consts/consts.go and pkg/consts/helpers.go; the cloud-config
// defaults in pkg/provider/azure.go):
//
//   - Local (servicehelpers.NeedsHealthCheck: type LoadBalancer and externalTrafficPolicy Local): one Http
//     probe on spec.healthCheckNodePort, path /healthz. Its interval and threshold come from
//     port_{healthCheckNodePort}_health-probe_{interval,num-of-probe} (the reference looks them up keyed by
//     the health check node port), then the service-wide annotations, then 5 and 2; they are validated even
//     when no rule uses the probe. The service-wide protocol and request-path annotations do not apply.
//     Every rule uses this probe, UDP and SCTP ports included, except a TCP port with a
//     port_{port}_health-probe_port override: that port gets a probe of its own, built as for a Cluster
//     Service (protocol, path, interval and threshold from the annotations below).
//   - Cluster, servicenodeport mode (the default): each TCP port gets a probe on its nodePort (or on the
//     port override). Protocol: port_{port}_health-probe_protocol, then the port's appProtocol, then
//     azure-load-balancer-health-probe-protocol, then Tcp; values are trimmed and matched case-insensitively
//     to Tcp, Http, Https, anything else becomes Tcp. Note the precedence: a set appProtocol (even one that
//     is not a probe protocol) hides the service-wide annotation. Request path (Http/Https only):
//     port_{port}_health-probe_request-path, then azure-load-balancer-health-probe-request-path, then "/"; not
//     trimmed. Interval and threshold: port annotations, then service-wide, then 5 and 2. UDP and SCTP ports
//     get no probe (their rule has none).
//   - Port override port_{port}_health-probe_port: a number equal to a service port's port means that
//     port's nodePort (the first such entry, whatever its protocol), another number is used as is, a service
//     port name (case-insensitive) means that port's nodePort.
//   - Cluster, shared mode (clusterServiceLoadBalancerHealthProbeMode "shared", matched case-insensitively;
//     "" is servicenodeport; other values fail): every rule of the Service uses one Http probe on
//     clusterServiceSharedLoadBalancerHealthProbePort (default 10256), path
//     clusterServiceSharedLoadBalancerHealthProbePath (default /healthz), interval 5, threshold 2: no
//     annotation changes it, the port override included.
//   - port_{port}_no_lb_rule: "true" (any case, not trimmed) removes the port's rule (and probe).
//     port_{port}_no_probe_rule: "true" keeps the rule without a probe (Local Services included). Every other
//     value means false. no_lb_rule is checked first.
//   - Interval and num-of-probe: strings.TrimSpace, then strconv.ParseInt base 10, 32 bits (so "+10" and
//     " 10 " are 10); interval >= 5, num-of-probe >= 2, interval x num-of-probe < 120. An invalid value fails
//     the Service's reconcile with an error naming the annotation.
//   - Probes are listed in the order the rules first use them; the Local or shared probe once. A probe
//     is built per TCP port (named after the port's rule by the provider); identical per-port probes are
//     not merged, so probe names stay the reference provider's.
//   - The threshold is sent as probeThreshold; the deprecated numberOfProbes is not sent.
//
// # Where this package differs on purpose
//
// The reference silently ignores or replaces annotations that cannot apply. Here each such annotation is
// a Warning (an event for the user); the probes stay exactly the reference's:
//   - an unknown protocol (service-wide, per-port, or a port's appProtocol): Tcp as in the reference, plus a
//     Warning naming the annotation (or spec.ports[i].appProtocol) and the allowed values;
//   - on a Local Service: the service-wide protocol and request-path annotations, and per-port probe
//     annotations of ports without a port override;
//   - per-port annotations naming a port the Service does not have (the health check node port's interval
//     and num-of-probe excepted), malformed per-port keys and unknown per-port settings;
//   - every probe annotation on a Cluster Service in shared mode;
//   - probe settings of a port whose rule is removed (no_lb_rule) or has no probe (no_probe_rule), or that
//     is UDP/SCTP; a request path for a Tcp probe; a service-wide setting every probe takes from a per-port
//     annotation;
//   - a no_lb_rule/no_probe_rule value that is neither true nor false (it still means false).
//
// Values are validated where they are used (as in the reference): an invalid value in an annotation that
// no probe uses is only a Warning. Stricter than the reference, refused before anything is written:
//   - a request path that does not start with "/" or contains whitespace: Azure rejects it, the reference
//     would send it and fail at the write;
//   - a port override of 0, or an empty one: the reference accepts 0 (Azure then rejects the probe) and
//     reads an empty value as the name of an unnamed port;
//   - a Local Service without spec.healthCheckNodePort (ErrNoHealthCheckNodePort), and a probe whose target
//     nodePort is not set (ErrNoNodePort): the reference would send port 0;
//   - interval x num-of-probe is computed in 64 bits (the reference multiplies int32s, which can wrap).
//
// The port override value is trimmed (the reference fails on " 80"); this only accepts what the reference
// refuses. Not covered here, left to the provider: the HA-ports rule of internal load balancers
// (azure-load-balancer-enable-high-availability-ports) and Private Link proxy protocol, with which the
// reference skips the health check node port probe.
//
// # Timing
//
// MarkDown, MarkUp, RequiredPreStop and RequiredMinReadySeconds apply Azure's documented data-plane
// behaviour (SemanticsAzure: an explicit Http/Https answer acts at once, timeouts and Tcp results count
// toward the threshold) or the stricter reading where every result counts (SemanticsThreshold). Their
// doc comments give the formulas.
package probes
