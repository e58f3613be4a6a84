// Package fake is an in-memory fake of Azure Resource Manager for the Microsoft.Network resources the
// provider uses (load balancers with their frontends, backend pools, probes and rules; public IP
// addresses; virtual networks and subnets), plus the Entra ID token endpoint azidentity needs.
//
// It speaks ARM REST at the HTTP level, so the real SDK clients (armnetwork/v9, azidentity) talk to
// it unchanged: in-process through Cloud.Transport and Cloud.ClientOptions, or over HTTPS through
// ListenTLS. It is the ground truth the provider is tested against and is as strict as Azure:
// it validates what Azure validates (answering with Azure's error codes where they are known, see
// the Code constants), keeps etags and honours If-Match / If-None-Match, runs writes as
// long-running operations, refuses writes to a resource whose previous operation is still running,
// requires an api-version and a bearer token it issued, and can inject throttling, conflicts, server
// errors, latency and failed operations at runtime (Fault). It knows ARM shapes and nothing of the
// provider.
//
// Resources are stored as armnetwork model types. Names match case-insensitively and keep the case
// of their first write. Back-references that Azure computes (a public IP's ipConfiguration, a
// subnet's ipConfigurations) are derived from the load balancers whenever they are read, so they
// can never disagree with them; an address is free again as soon as nothing holds it.
//
// Readers that need the whole state at one instant (the data plane) use Snapshot, and Watch to be
// told after every committed change, including an operation ending on the clock.
//
// # Long-running operations
//
// A PUT answers 201 or 200 and a DELETE 202 (204 when the resource is absent), with an
// Azure-AsyncOperation header (and Location for deletes). The write is visible at once with
// provisioningState Updating or Deleting; its operation ends at acceptance plus the Latency of a
// matching Fault (none: it has ended by the first poll, and the SDK never sleeps). While it runs,
// answers carry Retry-After in seconds and Retry-After-Ms, which azcore prefers, so the SDK waits
// exactly as long as the operation has left. Subnet and backend pool writes are operations on their
// virtual network or load balancer. PATCH (tags) is synchronous, as in armnetwork.
//
// # Choices where Azure could not be checked, or is not modelled
//
//   - A missing sku means Basic, and Basic load balancers and public IPs are retired: both are
//     refused (BasicSkuNotSupported). PutPublicIP still accepts a Basic public IP, standing for a
//     legacy address, so that PublicIPAndLBSkuDoNotMatch can be exercised.
//   - A Standard public IP without publicIPAllocationMethod is Static; Dynamic is refused.
//   - Probes: interval x threshold must not exceed 120 s (Azure's documentation); the threshold is
//     probeThreshold, else numberOfProbes, else 1. probeThreshold is not defaulted when omitted.
//   - Rules: frontendPort 0..65534 and backendPort 0..65535 as the REST specification says, 0 only
//     with protocol All; idle timeout 4..100 minutes; floating IP conflicts compare exact protocol
//     and port (an All/0 rule is not treated as overlapping a Tcp rule).
//   - Internal frontends: Azure's first four and last address of a subnet are reserved; dynamic
//     addresses are the lowest free ones, also skipping addresses in any backend pool (node
//     addresses live in the same subnet); an address given without an allocation method is Static.
//   - Backend pools are IP based (ipAddress plus virtualNetwork.id); NIC-based membership, inbound
//     NAT rules and pools, outbound rules, gateway load balancers, public IP prefixes, IPv6 and
//     extended locations are refused with FeatureNotSupportedByFake rather than stored unchecked.
//   - Resource groups are implicit; one subscription; any region name is accepted.
//   - azidentity must be built with DisableInstanceDiscovery when the authority host is the fake's
//     URL: otherwise MSAL sends instance discovery to login.microsoftonline.com. The in-process
//     transport answers that request too (it ignores hosts), so in-process it is not needed.
//   - Tokens minted by TokenCredential expire on the cloud's clock after Options.TokenLifetime; on a
//     virtual clock that jumps further, the next ARM call gets a 401 and the SDK fetches a new token
//     on the call after.
package fake
