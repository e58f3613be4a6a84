package dataplane

import (
	"fmt"
	"net/netip"
)

// ProxyHeader renders a PROXY protocol version 1 header line, CRLF included:
//
//	PROXY TCP4 <client ip> <frontend ip> <client port> <frontend port>\r\n
//
// (TCP6 for IPv6 clients). The loopback data plane cannot forward packets with their addresses
// unchanged, so it opens every backend connection with this line, as test/harness expects
// (test/harness/proxyproto.go; test/README.md).
func ProxyHeader(client, frontend netip.AddrPort) string {
	family := "TCP4"
	if client.Addr().Is6() && !client.Addr().Is4In6() {
		family = "TCP6"
	}
	return fmt.Sprintf("PROXY %s %s %s %d %d\r\n", family,
		client.Addr().Unmap(), frontend.Addr().Unmap(), client.Port(), frontend.Port())
}
