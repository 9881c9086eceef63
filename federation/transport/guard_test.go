package transport

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

func TestNonPublic(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" for public
	}{
		// Public unicast.
		{"1.1.1.1", ""},
		{"8.8.8.8", ""},
		{"93.184.215.14", ""},
		{"2606:4700::1111", ""},
		{"2a00:1450:4001:82b::200e", ""},
		{"::ffff:1.1.1.1", ""},
		{"64:ff9b::1.1.1.1", ""}, // NAT64 of a public address
		{"2002:101:101::1", ""},  // 6to4 of 1.1.1.1
		{"100.63.255.255", ""},   // just below CGNAT
		{"100.128.0.0", ""},      // just above CGNAT
		{"172.15.255.255", ""},   // just below 172.16/12
		{"172.32.0.0", ""},       // just above
		{"192.167.255.255", ""},  // just below 192.168/16
		{"198.17.255.255", ""},   // just below benchmarking
		{"198.20.0.0", ""},       // just above
		{"169.253.255.255", ""},  // just below link-local
		{"223.255.255.255", ""},  // just below multicast
		{"1.0.0.0", ""},          // just above 0/8
		{"11.0.0.0", ""},         // just above 10/8
		{"126.255.255.255", ""},  // just below loopback
		{"128.0.0.0", ""},        // just above loopback
		{"2001:4860:4860::8888", ""},

		// IPv4.
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"169.254.169.254", "link-local"},
		{"169.254.0.1", "link-local"},
		{"0.0.0.0", "this-network"},
		{"0.1.2.3", "this-network"},
		{"100.64.0.1", "shared CGNAT"},
		{"100.127.255.255", "shared CGNAT"},
		{"192.0.0.1", "IETF protocol assignment"},
		{"192.0.2.1", "documentation"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"240.0.0.1", "reserved"},
		{"255.255.255.255", "reserved"},

		// IPv4-mapped IPv6.
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:10.1.2.3", "private"},
		{"::ffff:169.254.169.254", "link-local"},
		{"::ffff:0.0.0.0", "this-network"},

		// IPv6.
		{"::1", "loopback"},
		{"::", "unspecified"},
		{"fc00::1", "unique-local"},
		{"fd12:3456:789a::1", "unique-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"febf::1", "link-local"},
		{"fec0::1", "site-local"},
		{"ff02::1", "multicast"},
		{"ff0e::1", "multicast"},
		{"::127.0.0.1", "IPv4-compatible"},
		{"100::1", "not global unicast"},
		{"64:ff9b:1::1", "not global unicast"}, // local-use NAT64
		{"2001::1", "Teredo"},
		{"2001:2::1", "benchmarking"},
		{"2001:db8::1", "documentation"},
		{"3fff::1", "documentation"},

		// Private IPv4 wrapped in NAT64 and 6to4.
		{"64:ff9b::127.0.0.1", "NAT64 of loopback"},
		{"64:ff9b::10.0.0.1", "NAT64 of private"},
		{"64:ff9b::a9fe:a9fe", "NAT64 of link-local"},
		{"2002:7f00:1::1", "6to4 of loopback"},
		{"2002:c0a8:101::1", "6to4 of private"},
		{"2002:a9fe:a9fe::", "6to4 of link-local"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			if got := nonPublic(addr); got != tt.want {
				t.Errorf("nonPublic(%s) = %q, want %q", tt.addr, got, tt.want)
			}
			err := refuseNonPublic(netip.AddrPortFrom(addr, 443))
			if refused := errors.Is(err, ErrPrivateAddress); refused != (tt.want != "") {
				t.Errorf("refuseNonPublic(%s) = %v", tt.addr, err)
			}
		})
	}
	if got := nonPublic(netip.Addr{}); got != "invalid" {
		t.Errorf("zero Addr: %q", got)
	}
}

func TestControl(t *testing.T) {
	strict := New(Config{})
	open := New(Config{AllowPrivate: true})
	tests := []struct {
		name    string
		c       *Client
		address string
		refused bool
	}{
		{"public v4", strict, "1.1.1.1:443", false},
		{"public v6", strict, "[2606:4700::1111]:443", false},
		{"loopback", strict, "127.0.0.1:80", true},
		{"mapped loopback", strict, "[::ffff:127.0.0.1]:80", true},
		{"metadata", strict, "169.254.169.254:80", true},
		{"link-local with zone", strict, "[fe80::1%eth0]:80", true},
		{"unreadable fails closed", strict, "localhost:80", true},
		{"allow private", open, "127.0.0.1:80", false},
		{"allow private, anything", open, "garbage", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.control(context.Background(), "tcp", tt.address, nil)
			if got := errors.Is(err, ErrPrivateAddress); got != tt.refused {
				t.Errorf("control(%q) = %v, want refused=%v", tt.address, err, tt.refused)
			}
		})
	}
}

// TestDialRefusesResolvedLoopback dials a name, not an address: the guard
// must judge what "localhost" resolved to, and no connection may reach the
// server.
func TestDialRefusesResolvedLoopback(t *testing.T) {
	srv := newTestServer(t, http.NotFoundHandler())
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, host := range []string{"localhost", "127.0.0.1"} {
		conn, err := c.rt.(*http.Transport).DialContext(ctx, "tcp", net.JoinHostPort(host, port))
		if err == nil {
			conn.Close()
			t.Fatalf("dial %s: connected", host)
		}
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("dial %s: %v, want ErrPrivateAddress", host, err)
		}
	}
	if n := srv.conns.Load(); n != 0 {
		t.Errorf("server saw %d connections", n)
	}
}

// TestGuardThroughHTTP sends real requests to loopback servers with the
// dial guard on, so the refusal has to come up through net/http's error
// wrapping. The client's CheckURL is relaxed (AllowPrivate), and the dial
// guard lets server "allowed" through and nothing else, so what is tested
// is the connect-time decision: on a name resolved by DNS, and on a
// redirect from a server we may reach to one we may not.
func TestGuardThroughHTTP(t *testing.T) {
	private := newTestServer(t, serveDoc("irrelevant"))
	_, privatePort, _ := net.SplitHostPort(private.Listener.Addr().String())
	mux := http.NewServeMux()
	allowed := newTestServer(t, mux)
	allowedAddr := netip.MustParseAddrPort(allowed.Listener.Addr().String())
	mux.HandleFunc("/to-ip", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, private.URL+"/doc", http.StatusFound)
	})
	mux.HandleFunc("/to-name", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:"+privatePort+"/doc", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/doc", serveDoc(allowed.URL+"/doc"))

	c := newTestClient(t, Config{AllowPrivate: true})
	c.dialGuard = func(ap netip.AddrPort) error {
		if ap == allowedAddr {
			return nil
		}
		return refuseNonPublic(ap)
	}
	if _, err := c.Fetch(context.Background(), allowed.URL+"/doc", nil); err != nil {
		t.Fatalf("allowed server: %v", err)
	}
	for _, target := range []string{
		allowed.URL + "/to-ip",
		allowed.URL + "/to-name",
		"http://localhost:" + privatePort + "/doc",
		private.URL + "/doc",
	} {
		_, err := c.Fetch(context.Background(), target, testSigner(t))
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("Fetch %s: %v, want ErrPrivateAddress", target, err)
		}
		_, err = c.Post(context.Background(), target, []byte(`{}`), testSigner(t))
		if !errors.Is(err, ErrPrivateAddress) && !isRedirectStatus(err) {
			t.Errorf("Post %s: %v, want ErrPrivateAddress or a 3xx", target, err)
		}
	}
	if n := private.conns.Load(); n != 0 {
		t.Errorf("private server saw %d connections", n)
	}
}

func isRedirectStatus(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code >= 300 && se.Code < 400
}

// TestRefusedBeforeAnyRequest checks the default client against loopback
// test servers: refused by CheckURL (literal IP, localhost), and nothing
// reaches the server.
func TestRefusedBeforeAnyRequest(t *testing.T) {
	srv := newTestServer(t, serveDoc("irrelevant"))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	c := newTestClient(t, Config{})
	ctx := context.Background()
	for _, u := range []string{
		srv.URL + "/doc",
		"http://localhost:" + port + "/doc",
		"http://LOCALHOST.:" + port + "/doc",
		"http://a.localhost:" + port + "/doc",
		"http://[::ffff:127.0.0.1]:" + port + "/doc",
	} {
		if _, err := c.Fetch(ctx, u, nil); !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("Fetch %s: %v", u, err)
		}
		if _, err := c.FetchJSON(ctx, u, "", nil); !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("FetchJSON %s: %v", u, err)
		}
		if _, err := c.Post(ctx, u, []byte(`{}`), testSigner(t)); !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("Post %s: %v", u, err)
		}
	}
	if h, n := srv.hits.Load(), srv.conns.Load(); h != 0 || n != 0 {
		t.Errorf("server saw %d requests on %d connections", h, n)
	}
}

// TestTransportOverrideGuard checks that with Config.Transport set, literal
// private IPs are still refused, on the first URL and on redirects, before
// the transport is asked.
func TestTransportOverrideGuard(t *testing.T) {
	fake := &fakeHosts{handlers: map[string]http.Handler{
		"remote.example": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/metadata":
				http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			case "/mapped":
				http.Redirect(w, r, "http://[::ffff:10.0.0.1]/", http.StatusFound)
			case "/localhost":
				http.Redirect(w, r, "http://localhost/", http.StatusFound)
			default:
				serveDoc("https://remote.example"+r.URL.Path)(w, r)
			}
		}),
	}}
	c := newTestClient(t, Config{Transport: fake})
	ctx := context.Background()
	if _, err := c.Fetch(ctx, "https://remote.example/note", nil); err != nil {
		t.Fatalf("public fake host: %v", err)
	}
	for _, u := range []string{
		"http://10.0.0.1/x",
		"http://[fd00::1]/x",
		"https://remote.example/metadata",
		"https://remote.example/mapped",
		"https://remote.example/localhost",
	} {
		if _, err := c.Fetch(ctx, u, nil); !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("Fetch %s: %v, want ErrPrivateAddress", u, err)
		}
	}
	for _, h := range fake.hosts() {
		if h != "remote.example" {
			t.Errorf("transport was asked for %s", h)
		}
	}
}

// TestTransportSettings pins the transport choices the guard depends on:
// no proxy (a proxy would connect for us, unguarded) and the guarded
// dialer, plus the timeouts and pool size.
func TestTransportSettings(t *testing.T) {
	tr, ok := New(Config{}).rt.(*http.Transport)
	if !ok {
		t.Fatal("default transport is not an *http.Transport")
	}
	if tr.Proxy != nil {
		t.Error("a proxy is configured")
	}
	if tr.DialContext == nil || tr.DialTLSContext != nil || tr.Dial != nil || tr.DialTLS != nil {
		t.Error("dialing does not go through the guarded dialer alone")
	}
	if tr.TLSHandshakeTimeout != 5*time.Second || tr.ResponseHeaderTimeout != 10*time.Second {
		t.Errorf("timeouts: TLS %v, headers %v", tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout)
	}
	if tr.MaxIdleConnsPerHost != 4 || tr.DisableKeepAlives || !tr.ForceAttemptHTTP2 {
		t.Errorf("pool: %d per host, keep-alives off %v, HTTP/2 %v", tr.MaxIdleConnsPerHost, tr.DisableKeepAlives, tr.ForceAttemptHTTP2)
	}
	c := New(Config{})
	if c.timeout != DefaultTimeout || c.maxBody != DefaultMaxBody || c.maxRedirects != DefaultMaxRedirects || c.userAgent != DefaultUserAgent || c.dialGuard == nil {
		t.Errorf("defaults: %+v", c)
	}
	if New(Config{AllowPrivate: true}).dialGuard != nil {
		t.Error("AllowPrivate still guards")
	}
	if New(Config{MaxRedirects: -1}).maxRedirects != 0 {
		t.Error("negative MaxRedirects does not mean none")
	}
}
