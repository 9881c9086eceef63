package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tlsTarget is a self-signed TLS server on 127.0.0.1 (httptest's own
// certificate, made for 127.0.0.1, ::1 and example.com), the PEM file of
// its certificate, and how many requests it has answered.
func tlsTarget(t *testing.T) (srv *httptest.Server, pemFile string, requests *atomic.Int64) {
	t.Helper()
	requests = new(atomic.Int64)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello over TLS")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pemFile = filepath.Join(t.TempDir(), "server.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(pemFile, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, pemFile, requests
}

// runJSON runs the tool with -json and gives its exit status, summary (when
// it printed one) and stderr.
func runJSON(t *testing.T, args ...string) (int, summary, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli(context.Background(), append([]string{"-json", "-c", "2"}, args...), &stdout, &stderr)
	var s summary
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
			t.Fatalf("%v\n%s", err, stdout.String())
		}
	}
	return code, s, stderr.String()
}

func TestSelfSignedTarget(t *testing.T) {
	srv, pemFile, requests := tlsTarget(t)
	url := srv.URL + "/feed.atom"

	t.Run("refused without options", func(t *testing.T) {
		code, s, stderr := runJSON(t, "-d", "200ms", url)
		if code != 1 || len(s.URLs) != 0 {
			t.Errorf("exit %d, %d URLs measured; want 1 and none", code, len(s.URLs))
		}
		for _, want := range []string{"certificate", "-ca FILE", "-insecure"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q: %s", want, stderr)
			}
		}
		if n := requests.Load(); n != 0 {
			t.Errorf("%d requests reached the server over an untrusted connection", n)
		}
	})

	good := func(t *testing.T, s summary) {
		t.Helper()
		if len(s.URLs) != 1 {
			t.Fatalf("%d URLs measured", len(s.URLs))
		}
		node := s.URLs[0].Node
		if node.Requests == 0 || node.Errors != 0 || node.Status["200"] != node.Requests {
			t.Errorf("node: %d requests, %d errors, answers %v (%v)", node.Requests, node.Errors, node.Status, node.ErrorKinds)
		}
	}

	t.Run("-ca with the server's certificate", func(t *testing.T) {
		code, s, stderr := runJSON(t, "-d", "200ms", "-ca", pemFile, url)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		good(t, s)
		if s.CA != pemFile || s.Insecure {
			t.Errorf("reported ca %q, insecure %v", s.CA, s.Insecure)
		}
	})

	t.Run("-insecure on loopback", func(t *testing.T) {
		code, s, stderr := runJSON(t, "-d", "200ms", "-insecure", url)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		good(t, s)
		if !s.Insecure {
			t.Error("the JSON report does not say verification was off")
		}
		var stdout bytes.Buffer
		if code := cli(context.Background(), []string{"-c", "1", "-d", "100ms", "-insecure", url}, &stdout, io.Discard); code != 0 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(stdout.String(), "certificates were NOT verified") {
			t.Errorf("the text report does not say verification was off:\n%s", stdout.String())
		}
		// Allowed with -allow-remote too, as long as the address is loopback.
		if code, _, stderr := runJSON(t, "-d", "100ms", "-insecure", "-allow-remote", url); code != 0 {
			t.Errorf("-insecure -allow-remote on loopback: exit %d: %s", code, stderr)
		}
	})

	// The baseline fetches the https URL through the trusted client and
	// serves its answer from memory over TLS.
	t.Run("-baseline", func(t *testing.T) {
		code, s, stderr := runJSON(t, "-d", "400ms", "-rounds", "2", "-baseline", "-ca", pemFile, url)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		good(t, s)
		u := s.URLs[0]
		if u.Stored == nil || !u.Stored.TLS || u.Memory == nil {
			t.Fatalf("stored %+v, memory %+v", u.Stored, u.Memory)
		}
		if u.Memory.Requests == 0 || u.Memory.Errors != 0 || u.Ratio <= 0 {
			t.Errorf("memory: %d requests, %d errors (%v), ratio %.2f", u.Memory.Requests, u.Memory.Errors, u.Memory.ErrorKinds, u.Ratio)
		}
		if u.Memory.BytesPerRequest != float64(len("hello over TLS")) {
			t.Errorf("memory served %.0f bytes a request", u.Memory.BytesPerRequest)
		}
	})

	// A Host header names the server for TLS too: httptest's certificate
	// is made for example.com, not for other.example.
	t.Run("-H Host", func(t *testing.T) {
		code, s, stderr := runJSON(t, "-d", "100ms", "-ca", pemFile, "-H", "Host: example.com:443", url)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		good(t, s)
		code, _, stderr = runJSON(t, "-d", "100ms", "-ca", pemFile, "-H", "Host: other.example", url)
		if code != 1 || !strings.Contains(stderr, "certificate is valid for") || !strings.Contains(stderr, "other.example") {
			t.Errorf("Host other.example: exit %d: %s", code, stderr)
		}
	})

	t.Run("-ca and -insecure together", func(t *testing.T) {
		if code, _, stderr := runJSON(t, "-d", "100ms", "-ca", pemFile, "-insecure", url); code != 2 || !strings.Contains(stderr, "not both") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

// The memory side of an https URL really speaks TLS, on a certificate its
// own client trusts and no other does.
func TestMemoryOverTLS(t *testing.T) {
	cert, roots, err := memoryCert()
	if err != nil {
		t.Fatal(err)
	}
	mem, err := startMemory(&cert)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.close()
	at := mem.add(&stored{status: 200, header: http.Header{"Content-Type": {"text/plain"}}, body: []byte("from memory")})
	if !strings.HasPrefix(at, "https://127.0.0.1:") {
		t.Fatalf("memory at %s", at)
	}
	client := newClient(newTransport(1, errRemote, nodeTLS(config{roots: roots})))
	res, err := client.Get(at)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.TLS == nil || res.ProtoMajor != 1 || string(body) != "from memory" {
		t.Errorf("TLS %v, %s, body %q", res.TLS != nil, res.Proto, body)
	}
	// The node's client, on the system's roots, does not trust it.
	_, err = newClient(newTransport(1, errRemote, nodeTLS(config{}))).Get(at)
	if !isCertError(err) {
		t.Errorf("memory's certificate trusted by the system's roots: %v", err)
	}
}

func TestCAFileErrors(t *testing.T) {
	srv, pemFile, requests := tlsTarget(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	server, err := os.ReadFile(pemFile)
	if err != nil {
		t.Fatal(err)
	}
	unreadable := write("unreadable.pem", string(server))
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, file, want string }{
		{"missing", filepath.Join(dir, "nowhere.pem"), "no such file"},
		{"directory", dir, "is a directory"},
		{"empty", write("empty.pem", ""), "is empty"},
		{"not PEM", write("der.crt", "\x30\x82\x01\x0a garbage"), "no certificate in it"},
		{"a key, not a certificate", write("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "no certificate in it"},
		{"a broken certificate", write("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "certificate 1"},
	}
	if os.Geteuid() != 0 { // root reads a file whatever its mode
		cases = append(cases, struct{ name, file, want string }{"unreadable", unreadable, "permission denied"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, s, stderr := runJSON(t, "-d", "100ms", "-ca", c.file, srv.URL+"/")
			if code != 2 || len(s.URLs) != 0 {
				t.Errorf("exit %d, %d URLs; want 2 and none", code, len(s.URLs))
			}
			if !strings.Contains(stderr, "-ca") || !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q, want -ca and %q", stderr, c.want)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests made despite a bad -ca", n)
	}

	// A file with other blocks around the certificate is fine.
	mixed := write("mixed.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"+string(server))
	if code, _, stderr := runJSON(t, "-d", "100ms", "-ca", mixed, srv.URL+"/"); code != 0 {
		t.Errorf("key then certificate: exit %d: %s", code, stderr)
	}
}

// -insecure is refused for an address that is not loopback, even with
// -allow-remote, before any connection is made.
func TestInsecureRemoteRefused(t *testing.T) {
	ctx := context.Background()
	_, err := checkTarget(ctx, "https://192.0.2.1/", config{insecure: true, allowRemote: true}.refusal())
	if !errors.Is(err, errInsecureRemote) {
		t.Errorf("checkTarget: %v, want the -insecure refusal", err)
	}
	// The dialler refuses too (192.0.2.0/24 is never routed).
	_, err = newClient(newTransport(1, errInsecureRemote, nil)).Get("https://192.0.2.1:9/")
	if !errors.Is(err, errInsecureRemote) {
		t.Errorf("dialler: %v, want the -insecure refusal", err)
	}
	start := time.Now()
	code, _, stderr := runJSON(t, "-d", "1s", "-insecure", "-allow-remote", "https://192.0.2.1:9/")
	if code != 2 || !strings.Contains(stderr, "-insecure") || !strings.Contains(stderr, "loopback") || !strings.Contains(stderr, "even with -allow-remote") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusal took %v", d)
	}

	// Against a real server on this machine's own non-loopback address:
	// not one connection with -insecure, while without it the same server
	// is reached (and its certificate, not made for that address, refused).
	ip := nonLoopbackIP(t)
	if ip == nil {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Skipf("listen on %s: %v", ip, err)
	}
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	code, _, stderr = runJSON(t, "-d", "100ms", "-insecure", "-allow-remote", srv.URL+"/")
	if code != 2 || !strings.Contains(stderr, "-insecure") || conns.Load() != 0 {
		t.Errorf("-insecure -allow-remote %s: exit %d, %d connections: %s", srv.URL, code, conns.Load(), stderr)
	}
	code, _, stderr = runJSON(t, "-d", "100ms", "-allow-remote", srv.URL+"/")
	if code != 1 || !strings.Contains(stderr, "certificate") || conns.Load() == 0 {
		t.Errorf("-allow-remote %s: exit %d, %d connections: %s", srv.URL, code, conns.Load(), stderr)
	}
}

// nonLoopbackIP is one of this machine's IPv4 addresses that is not
// loopback or link-local, nil if there is none.
func nonLoopbackIP(t *testing.T) net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Logf("interface addresses: %v", err)
		return nil
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.To4()
		}
	}
	return nil
}
