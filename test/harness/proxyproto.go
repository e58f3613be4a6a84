package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// PROXY protocol version 1 (HAProxy's human-readable header). A loopback
// "load balancer" cannot forward packets with their addresses unchanged, so
// it opens each backend connection with one header line that carries the
// client address and the frontend address the client dialled:
//
//	PROXY TCP4 <client ip> <frontend ip> <client port> <frontend port>\r\n

// maxProxyHeaderLen is the longest v1 header the specification allows,
// CRLF included.
const maxProxyHeaderLen = 107

// proxySignature starts every v1 header.
const proxySignature = "PROXY "

// ProxyHeader is a parsed PROXY protocol v1 header.
type ProxyHeader struct {
	// Client is the address and port of the client that opened the
	// connection to the load balancer.
	Client netip.AddrPort
	// Frontend is the load-balancer frontend address and port the client
	// connected to.
	Frontend netip.AddrPort
}

// String renders h as a v1 header line, CRLF included.
func (h ProxyHeader) String() string {
	family := "TCP4"
	if h.Client.Addr().Is6() && !h.Client.Addr().Is4In6() {
		family = "TCP6"
	}
	return fmt.Sprintf("PROXY %s %s %s %d %d\r\n", family,
		h.Client.Addr().Unmap(), h.Frontend.Addr().Unmap(), h.Client.Port(), h.Frontend.Port())
}

// errNotProxy means the line is not a PROXY header at all.
var errNotProxy = errors.New("not a PROXY protocol header")

// ParseProxyHeader parses one v1 header line (with or without its CRLF).
// It returns ok=false and no error for "PROXY UNKNOWN", which the
// specification uses for connections whose addresses the sender does not
// know: the receiver must then use the connection's own addresses.
func ParseProxyHeader(line string) (h ProxyHeader, ok bool, err error) {
	if len(line) > maxProxyHeaderLen {
		return ProxyHeader{}, false, fmt.Errorf("PROXY header is %d bytes, longer than the %d the protocol allows", len(line), maxProxyHeaderLen)
	}
	line = strings.TrimSuffix(line, "\r\n")
	if !strings.HasPrefix(line, proxySignature) {
		return ProxyHeader{}, false, errNotProxy
	}
	fields := strings.Split(line[len(proxySignature):], " ")
	if fields[0] == "UNKNOWN" {
		return ProxyHeader{}, false, nil
	}
	if len(fields) != 5 {
		return ProxyHeader{}, false, fmt.Errorf("PROXY header %q: want 5 fields after PROXY, got %d", line, len(fields))
	}
	var want4 bool
	switch fields[0] {
	case "TCP4":
		want4 = true
	case "TCP6":
	default:
		return ProxyHeader{}, false, fmt.Errorf("PROXY header %q: unknown protocol %q (want TCP4, TCP6 or UNKNOWN)", line, fields[0])
	}
	src, err := parseProxyAddr(fields[1], want4)
	if err != nil {
		return ProxyHeader{}, false, fmt.Errorf("PROXY header %q: source address: %w", line, err)
	}
	dst, err := parseProxyAddr(fields[2], want4)
	if err != nil {
		return ProxyHeader{}, false, fmt.Errorf("PROXY header %q: destination address: %w", line, err)
	}
	sport, err := parseProxyPort(fields[3])
	if err != nil {
		return ProxyHeader{}, false, fmt.Errorf("PROXY header %q: source port: %w", line, err)
	}
	dport, err := parseProxyPort(fields[4])
	if err != nil {
		return ProxyHeader{}, false, fmt.Errorf("PROXY header %q: destination port: %w", line, err)
	}
	return ProxyHeader{Client: netip.AddrPortFrom(src, sport), Frontend: netip.AddrPortFrom(dst, dport)}, true, nil
}

func parseProxyAddr(s string, want4 bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q has a zone", s)
	}
	if a.Is4() != want4 {
		return netip.Addr{}, fmt.Errorf("%q does not match the protocol family", s)
	}
	return a, nil
}

func parseProxyPort(s string) (uint16, error) {
	// The specification forbids leading zeroes and signs.
	if s == "" || (len(s) > 1 && s[0] == '0') || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	return uint16(p), nil
}

// readProxyHeader reads an optional v1 header from r. If the stream does not
// start with "PROXY ", nothing is consumed and ok is false; for a
// "PROXY UNKNOWN" header the line is consumed and ok is false too: in both
// cases the caller uses the connection's own addresses. It peeks
// byte by byte so that a client that sends less than six bytes of some other
// protocol is not held up.
func readProxyHeader(r *bufio.Reader) (h ProxyHeader, ok bool, err error) {
	for i := 1; i <= len(proxySignature); i++ {
		b, err := r.Peek(i)
		if err != nil {
			if len(b) > 0 && !isTimeout(err) {
				// The stream ended before it could be a header: it is not one.
				return ProxyHeader{}, false, nil
			}
			return ProxyHeader{}, false, err
		}
		if !bytes.HasPrefix([]byte(proxySignature), b) {
			return ProxyHeader{}, false, nil
		}
	}
	var line []byte
	for len(line) < maxProxyHeaderLen {
		c, err := r.ReadByte()
		if err != nil {
			return ProxyHeader{}, false, fmt.Errorf("reading PROXY header: %w", err)
		}
		line = append(line, c)
		if c == '\n' {
			break
		}
	}
	if !bytes.HasSuffix(line, []byte("\r\n")) {
		return ProxyHeader{}, false, fmt.Errorf("PROXY header not terminated by CRLF within %d bytes", maxProxyHeaderLen)
	}
	h, ok, err = ParseProxyHeader(string(line))
	if err != nil {
		return ProxyHeader{}, false, err
	}
	return h, ok, nil
}
