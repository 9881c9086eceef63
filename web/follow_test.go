package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

// TestRemoteFollowForm: a reader gives their address; the node asks their
// server's WebFinger for its subscribe template and sends them there.
func TestRemoteFollowForm(t *testing.T) {
	reader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/webfinger" || r.URL.Query().Get("resource") != "acct:amal@"+r.Host {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		io.WriteString(w, `{"subject":"acct:amal@`+r.Host+`","links":[{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"http://`+r.Host+`/authorize_interaction?uri={uri}"}]}`)
	}))
	defer reader.Close()
	st := storagetest.Open(t, storagetest.SQLiteURL(t))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := transport.New(transport.Config{AllowPrivate: true})
	fed := federation.New(federation.Config{Scheme: "http", Host: "node.test", Logger: quiet, Client: client, InsecureRemote: true}, st)
	if _, err := fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{Logger: quiet}, st, fed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	readerHost := strings.TrimPrefix(reader.URL, "http://")
	res, err := noRedirect.Get(srv.URL + "/@icssi/follow?address=" + url.QueryEscape("@amal@"+readerHost))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	want := "http://" + readerHost + "/authorize_interaction?uri=" + url.QueryEscape("acct:icssi@node.test")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("got %d → %q, want 303 → %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	res, err = noRedirect.Get(srv.URL + "/@icssi/follow?address=not-an-address")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `role="alert"`) {
		t.Fatalf("bad address: %d\n%s", res.StatusCode, body)
	}
	res, _ = noRedirect.Get(srv.URL + "/@icssi")
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "@icssi@node.test") || !strings.Contains(string(body), `<label for="address">`) {
		t.Fatalf("profile lacks the handle or a labelled follow form:\n%s", body)
	}
}

// followReader is a reader's server on a loopback address: it answers
// WebFinger with the subscribe template made by tmpl from its own origin,
// and counts WebFinger requests and how many were in flight at once.
type followReader struct {
	*httptest.Server
	host        string
	hits        atomic.Int32
	now, maxNow atomic.Int32
	delay       time.Duration
	tmpl        func(origin string) string
}

func startReader(t *testing.T, ip string, tls bool, tmpl func(origin string) string) *followReader {
	t.Helper()
	rs := &followReader{tmpl: tmpl}
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	rs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/webfinger" {
			http.NotFound(w, r)
			return
		}
		rs.hits.Add(1)
		n := rs.now.Add(1)
		defer rs.now.Add(-1)
		for old := rs.maxNow.Load(); n > old && !rs.maxNow.CompareAndSwap(old, n); old = rs.maxNow.Load() {
		}
		time.Sleep(rs.delay)
		origin := "https://" + r.Host
		w.Header().Set("Content-Type", "application/jrd+json")
		io.WriteString(w, `{"subject":"`+r.URL.Query().Get("resource")+`","links":[{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"`+rs.tmpl(origin)+`"}]}`)
	}))
	rs.Server.Listener.Close()
	rs.Server.Listener = ln
	if tls {
		rs.StartTLS()
	} else {
		rs.Start()
	}
	t.Cleanup(rs.Close)
	rs.host = ln.Addr().String()
	return rs
}

// TestRemoteFollowFormSafety: the follow form looks readers' servers up over
// https only, redirects only to a page on the reader's own server, caches
// what it found and caps the look-ups in flight.
func TestRemoteFollowFormSafety(t *testing.T) {
	own := func(origin string) string { return origin + "/authorize_interaction?uri={uri}" }
	good := startReader(t, "127.0.0.1", true, own)
	hostile := startReader(t, "127.0.0.1", true, func(string) string { return "https://evil.test/phish?uri={uri}" })
	userinfo := startReader(t, "127.0.0.1", true, func(origin string) string {
		return origin + "@evil.test/phish?uri={uri}"
	})
	downgrade := startReader(t, "127.0.0.1", true, func(origin string) string {
		return "http://" + strings.TrimPrefix(origin, "https://") + "/authorize_interaction?uri={uri}"
	})
	plain := startReader(t, "127.0.0.1", false, own)
	slow := startReader(t, "127.0.0.1", true, own)
	slow.delay = 100 * time.Millisecond

	st := storagetest.Open(t, storagetest.SQLiteURL(t))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Loopback allowed, and the test servers' certificate trusted; no
	// InsecureRemote: the node is configured as on the public network.
	client := transport.New(transport.Config{AllowPrivate: true, Transport: good.Client().Transport})
	fed := federation.New(federation.Config{Scheme: "https", Host: "node.test", Logger: quiet, Client: client}, st)
	if _, err := fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{Logger: quiet}, st, fed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	submit := func(address string) (int, string) {
		t.Helper()
		res, err := noRedirect.Get(srv.URL + "/@icssi/follow?address=" + url.QueryEscape(address))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Location")
	}
	target := url.QueryEscape("acct:icssi@node.test")

	t.Run("own host, cached", func(t *testing.T) {
		want := "https://" + good.host + "/authorize_interaction?uri=" + target
		for i := 0; i < 3; i++ {
			if code, loc := submit("@amal@" + good.host); code != http.StatusSeeOther || loc != want {
				t.Fatalf("got %d → %q, want 303 → %q", code, loc, want)
			}
		}
		if h := good.hits.Load(); h != 1 {
			t.Fatalf("three submissions made %d WebFinger requests, want 1 (cached)", h)
		}
	})
	for _, c := range []struct {
		name string
		rs   *followReader
	}{{"template on another host", hostile}, {"template with userinfo", userinfo}, {"template over http", downgrade}} {
		t.Run(c.name, func(t *testing.T) {
			if code, loc := submit("amal@" + c.rs.host); code != http.StatusBadRequest || loc != "" {
				t.Fatalf("got %d → %q, want 400 and no redirect", code, loc)
			}
		})
	}
	t.Run("plain http server is not asked", func(t *testing.T) {
		if code, loc := submit("amal@" + plain.host); code != http.StatusBadRequest || loc != "" {
			t.Fatalf("got %d → %q, want 400", code, loc)
		}
		if h := plain.hits.Load(); h != 0 {
			t.Fatalf("WebFinger was fetched over plain http %d times", h)
		}
		if code, _ := submit("amal@" + plain.host); code != http.StatusBadRequest {
			t.Fatalf("second try: %d, want 400 (from the cache)", code)
		}
	})
	t.Run("look-ups in flight are capped per host", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := noRedirect.Get(srv.URL + "/@icssi/follow?address=" + url.QueryEscape(fmt.Sprintf("reader%d@%s", i, slow.host)))
				if err == nil {
					res.Body.Close()
				}
			}()
		}
		wg.Wait()
		if h, m := slow.hits.Load(), slow.maxNow.Load(); h != 8 || m > 2 {
			t.Fatalf("%d look-ups, %d in flight at once; want 8, at most 2", h, m)
		}
	})
}
