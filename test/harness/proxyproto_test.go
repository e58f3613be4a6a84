package harness

import (
	"bufio"
	"io"
	"net/netip"
	"strings"
	"testing"
)

func TestParseProxyHeader(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    ProxyHeader
		wantOK  bool
		wantErr bool
	}{
		{name: "tcp4", line: "PROXY TCP4 127.0.3.7 127.0.2.1 40000 80\r\n", wantOK: true,
			want: ProxyHeader{Client: netip.MustParseAddrPort("127.0.3.7:40000"), Frontend: netip.MustParseAddrPort("127.0.2.1:80")}},
		{name: "without CRLF", line: "PROXY TCP4 1.2.3.4 5.6.7.8 1 65535", wantOK: true,
			want: ProxyHeader{Client: netip.MustParseAddrPort("1.2.3.4:1"), Frontend: netip.MustParseAddrPort("5.6.7.8:65535")}},
		{name: "tcp6", line: "PROXY TCP6 ::1 fe80::1 1 2\r\n", wantOK: true,
			want: ProxyHeader{Client: netip.MustParseAddrPort("[::1]:1"), Frontend: netip.MustParseAddrPort("[fe80::1]:2")}},
		{name: "unknown uses the connection's addresses", line: "PROXY UNKNOWN\r\n"},
		{name: "unknown with junk", line: "PROXY UNKNOWN 1 2 3\r\n"},
		{name: "not proxy", line: "GET / HTTP/1.1\r\n", wantErr: true},
		{name: "family mismatch", line: "PROXY TCP4 ::1 ::1 1 2\r\n", wantErr: true},
		{name: "port out of range", line: "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", wantErr: true},
		{name: "leading zero port", line: "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", wantErr: true},
		{name: "signed port", line: "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", wantErr: true},
		{name: "missing field", line: "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", wantErr: true},
		{name: "unknown protocol", line: "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", wantErr: true},
		{name: "too long", line: "PROXY TCP4 " + strings.Repeat("1", 100) + "\r\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := ParseProxyHeader(tt.line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("got %+v ok=%v, want %+v ok=%v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestProxyHeaderRoundTrip(t *testing.T) {
	h := ProxyHeader{Client: netip.MustParseAddrPort("127.0.3.7:51234"), Frontend: netip.MustParseAddrPort("127.0.2.9:443")}
	if got, want := h.String(), "PROXY TCP4 127.0.3.7 127.0.2.9 51234 443\r\n"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	back, ok, err := ParseProxyHeader(h.String())
	if err != nil || !ok || back != h {
		t.Fatalf("round trip = %+v, %v, %v", back, ok, err)
	}
}

func TestReadProxyHeader(t *testing.T) {
	tests := []struct {
		name     string
		stream   string
		wantOK   bool
		wantErr  bool
		wantRest string
	}{
		{name: "header then payload", stream: "PROXY TCP4 127.0.3.7 127.0.2.1 40000 80\r\nGET / HTTP/1.1\r\n", wantOK: true, wantRest: "GET / HTTP/1.1\r\n"},
		{name: "no header: nothing consumed", stream: "GET / HTTP/1.1\r\n", wantRest: "GET / HTTP/1.1\r\n"},
		{name: "POST is not PROXY", stream: "POST / HTTP/1.1\r\n", wantRest: "POST / HTTP/1.1\r\n"},
		{name: "short non-proxy stream", stream: "PR", wantRest: "PR"},
		{name: "unknown consumed", stream: "PROXY UNKNOWN\r\nhello", wantRest: "hello"},
		{name: "unterminated", stream: "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", wantErr: true},
		{name: "empty", stream: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReader(strings.NewReader(tt.stream))
			_, ok, err := readProxyHeader(r)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if tt.wantErr {
				return
			}
			rest, _ := io.ReadAll(r)
			if string(rest) != tt.wantRest {
				t.Errorf("rest = %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

func FuzzParseProxyHeader(f *testing.F) {
	for _, s := range []string{
		"PROXY TCP4 127.0.3.7 127.0.2.1 40000 80\r\n",
		"PROXY TCP6 ::1 ::2 1 2\r\n",
		"PROXY UNKNOWN\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
		"GET / HTTP/1.1\r\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		h, ok, err := ParseProxyHeader(line)
		if err != nil || !ok {
			return
		}
		// Whatever parses must render back to a header that parses the same.
		again, ok2, err := ParseProxyHeader(h.String())
		if err != nil || !ok2 || again != h {
			t.Fatalf("%q parsed to %+v, which renders as %q and parses to %+v, %v, %v", line, h, h.String(), again, ok2, err)
		}
		if len(h.String()) > maxProxyHeaderLen {
			t.Fatalf("rendered header %q is longer than %d", h.String(), maxProxyHeaderLen)
		}
	})
}
