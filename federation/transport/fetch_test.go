package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/httpsig"
)

// TestFetch runs Fetch against one loopback server with a handler per
// case.
func TestFetch(t *testing.T) {
	mux := http.NewServeMux()
	srv := newTestServer(t, mux)
	base := srv.URL
	doc := func(ct, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if ct == "" {
				w.Header()["Content-Type"] = nil // no sniffing either
			} else {
				w.Header().Set("Content-Type", ct)
			}
			fmt.Fprint(w, body)
		}
	}
	idDoc := func(path string) string { return `{"id":"` + base + path + `","type":"Note"}` }
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if code == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "30")
			}
			http.Error(w, "nope\x1b[31m\nforged log line", code)
		}
	}
	redirect := func(to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) }
	}

	mux.HandleFunc("/activity", doc(ContentTypeActivity, idDoc("/activity")))
	mux.HandleFunc("/ldjson", doc(`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, idDoc("/ldjson")))
	mux.HandleFunc("/json", doc("application/json; charset=utf-8", idDoc("/json")))
	mux.HandleFunc("/upper", doc("Application/Activity+JSON", idDoc("/upper")))
	mux.HandleFunc("/html", doc("text/html; charset=utf-8", idDoc("/html")))
	mux.HandleFunc("/plain", doc("text/plain", idDoc("/plain")))
	mux.HandleFunc("/jrd", doc("application/jrd+json", idDoc("/jrd")))
	mux.HandleFunc("/no-type", doc("", idDoc("/no-type")))
	mux.HandleFunc("/bad-type", doc("application/activity+json; =", idDoc("/bad-type")))
	mux.HandleFunc("/big", doc(ContentTypeActivity, `{"id":"`+base+`/big","pad":"`+strings.Repeat("x", 2000)+`"}`))
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentTypeActivity)
		fmt.Fprint(w, `{"id":"`+base+`/big-chunked","pad":"`)
		w.(http.Flusher).Flush() // no Content-Length: the cap must hold while reading
		for range 100 {
			fmt.Fprint(w, strings.Repeat("x", 100))
		}
		fmt.Fprint(w, `"}`)
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		// Streams until the client hangs up: only a bounded read ends it.
		w.Header().Set("Content-Type", ContentTypeActivity)
		chunk := []byte(strings.Repeat(" ", 512))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/declared-huge", func(w http.ResponseWriter, r *http.Request) {
		// Declares more than the cap and then stalls: refused on the
		// header, without waiting for the body.
		w.Header().Set("Content-Type", ContentTypeActivity)
		w.Header().Set("Content-Length", "10000000")
		fmt.Fprint(w, `{"id":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/exact", doc(ContentTypeActivity, `{"id":"`+base+`/exact","pad":"`+strings.Repeat("x", 1024-len(`{"id":"`+base+`/exact","pad":""}`))+`"}`))
	mux.HandleFunc("/other-host", doc(ContentTypeActivity, `{"id":"https://elsewhere.example/other-host"}`))
	mux.HandleFunc("/other-path", doc(ContentTypeActivity, idDoc("/somewhere-else")))
	mux.HandleFunc("/no-id", doc(ContentTypeActivity, `{"type":"Note"}`))
	mux.HandleFunc("/two-ids", doc(ContentTypeActivity, `{"id":"`+base+`/two-ids","id":"https://elsewhere.example/x"}`))
	mux.HandleFunc("/array", doc(ContentTypeActivity, `[`+idDoc("/array")+`]`))
	mux.HandleFunc("/not-json", doc(ContentTypeActivity, `<html>`))
	mux.HandleFunc("/gone", status(http.StatusGone))
	mux.HandleFunc("/missing", status(http.StatusNotFound))
	mux.HandleFunc("/unauthorized", status(http.StatusUnauthorized))
	mux.HandleFunc("/forbidden", status(http.StatusForbidden))
	mux.HandleFunc("/busy", status(http.StatusServiceUnavailable))
	mux.HandleFunc("/no-content", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/old", redirect("/new"))
	mux.HandleFunc("/new", doc(ContentTypeActivity, idDoc("/new")))
	mux.HandleFunc("/old-keeps-id", redirect("/serves-old-id"))
	mux.HandleFunc("/serves-old-id", doc(ContentTypeActivity, idDoc("/old-keeps-id")))
	mux.HandleFunc("/hop/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/hop/"), "%d", &n)
		if n == 0 {
			doc(ContentTypeActivity, idDoc(r.URL.Path))(w, r)
			return
		}
		redirect(fmt.Sprintf("/hop/%d", n-1))(w, r)
	})
	mux.HandleFunc("/to-userinfo", redirect("http://user:pw@"+strings.TrimPrefix(base, "http://")+"/new"))
	mux.HandleFunc("/to-ftp", redirect("ftp://files.example/new"))
	mux.HandleFunc("/actor", doc(ContentTypeActivity, idDoc("/actor")))

	tests := []struct {
		path   string
		wantID string // path of the expected id, on success
		err    error
		code   int // expected StatusError code, if any
	}{
		{path: "/activity", wantID: "/activity"},
		{path: "/ldjson", wantID: "/ldjson"},
		{path: "/json", wantID: "/json"},
		{path: "/upper", wantID: "/upper"},
		{path: "/exact", wantID: "/exact"},
		{path: "/actor#main-key", wantID: "/actor"},
		{path: "/html", err: ErrContentType},
		{path: "/plain", err: ErrContentType},
		{path: "/jrd", err: ErrContentType},
		{path: "/no-type", err: ErrContentType},
		{path: "/bad-type", err: ErrContentType},
		{path: "/big", err: ErrTooLarge},
		{path: "/big-chunked", err: ErrTooLarge},
		{path: "/endless", err: ErrTooLarge},
		{path: "/declared-huge", err: ErrTooLarge},
		{path: "/other-host", err: ErrIDMismatch},
		{path: "/other-path", err: ErrIDMismatch},
		{path: "/no-id", err: ErrIDMismatch},
		{path: "/two-ids", err: ErrIDMismatch},
		{path: "/array", err: ErrMalformed},
		{path: "/not-json", err: ErrMalformed},
		{path: "/gone", err: ErrGone, code: 410},
		{path: "/missing", err: ErrNotFound, code: 404},
		{path: "/unauthorized", err: ErrForbidden, code: 401},
		{path: "/forbidden", err: ErrForbidden, code: 403},
		{path: "/busy", code: 503},
		{path: "/no-content", code: 204},
		{path: "/old", wantID: "/new"},
		{path: "/old-keeps-id", wantID: "/old-keeps-id"},
		{path: "/hop/3", wantID: "/hop/0"},
		{path: "/hop/4", err: ErrRedirect},
		{path: "/to-userinfo", err: ErrBadURL},
		{path: "/to-ftp", err: ErrBadURL},
	}
	// The timeout only stops cases that would otherwise hang.
	c := newTestClient(t, Config{AllowPrivate: true, MaxBody: 1024, Timeout: 3 * time.Second})
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			d, err := c.Fetch(context.Background(), base+tt.path, nil)
			if tt.wantID != "" {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if d.ID != base+tt.wantID {
					t.Errorf("ID = %q, want %q", d.ID, base+tt.wantID)
				}
				if !strings.Contains(string(d.Body), `"id"`) || !strings.HasPrefix(d.ContentType, "application/") {
					t.Errorf("document = %+v", d)
				}
				return
			}
			if d != nil {
				t.Errorf("document returned with error: %+v", d)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
			if !strings.HasPrefix(fmt.Sprint(err), "transport: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			var se *StatusError
			if got := errors.As(err, &se); got != (tt.code != 0) {
				t.Fatalf("StatusError = %v for %v, want one: %v", got, err, tt.code != 0)
			}
			if se == nil {
				return
			}
			if se.Code != tt.code || se.Method != http.MethodGet || se.URL != base+tt.path {
				t.Errorf("StatusError = %+v", se)
			}
			if tt.code >= 400 && se.Body != "nope [31m forged log line" {
				t.Errorf("Body = %q", se.Body)
			}
			if tt.code == 503 && se.RetryAfter.Seconds() != 30 {
				t.Errorf("RetryAfter = %v", se.RetryAfter)
			}
		})
	}
}

// TestFetchCrossHost serves made-up hosts through Config.Transport to
// check the id rules across hosts and schemes.
func TestFetchCrossHost(t *testing.T) {
	fake := &fakeHosts{handlers: map[string]http.Handler{
		"a.example": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/moved":
				http.Redirect(w, r, "https://b.example/here", http.StatusMovedPermanently)
			case "/moved-claims-a":
				http.Redirect(w, r, "https://b.example/claims-a", http.StatusMovedPermanently)
			case "/downgrade":
				http.Redirect(w, r, "http://a.example/plain", http.StatusFound)
			case "/impersonate":
				serveDoc("https://b.example/impersonate")(w, r)
			}
		}),
		"b.example": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/here":
				serveDoc("https://b.example/here")(w, r)
			case "/claims-a":
				serveDoc("https://a.example/moved-claims-a")(w, r)
			}
		}),
	}}
	c := newTestClient(t, Config{Transport: fake})
	tests := []struct {
		url, id string
		err     error
	}{
		{"https://a.example/moved", "https://b.example/here", nil},
		{"https://a.example/moved-claims-a", "", ErrIDMismatch},
		{"https://a.example/impersonate", "", ErrIDMismatch},
		{"https://a.example/downgrade", "", ErrRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			d, err := c.Fetch(context.Background(), tt.url, nil)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || d.ID != tt.id {
				t.Errorf("got %+v, %v; want id %s", d, err, tt.id)
			}
		})
	}
}

// TestFetchSigned checks what a signed GET looks like on the wire, also
// after a redirect, where it must be signed again for the new path.
func TestFetchSigned(t *testing.T) {
	signer := testSigner(t)
	var mu sync.Mutex
	var problems []string
	var seen []string
	check := func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.URL.Path)
		fail := func(format string, args ...any) {
			problems = append(problems, r.URL.Path+": "+fmt.Sprintf(format, args...))
		}
		if got := r.Header.Get("Accept"); got != AcceptActivity {
			fail("Accept = %q", got)
		}
		if got := r.Header.Get("User-Agent"); got != "Tadamun/test (+https://node.example/)" {
			fail("User-Agent = %q", got)
		}
		if r.Header.Get("Date") == "" || r.Host == "" {
			fail("Date %q, Host %q", r.Header.Get("Date"), r.Host)
		}
		if r.Header.Get("Referer") != "" {
			fail("Referer %q leaked", r.Header.Get("Referer"))
		}
		sig, err := httpsig.Parse(r, httpsig.Options{Scheme: "http"})
		if err != nil {
			fail("parse signature: %v", err)
			return
		}
		if sig.KeyID != testKeyID {
			fail("keyId = %q", sig.KeyID)
		}
		for _, h := range []string{"(request-target)", "host", "date"} {
			if !sig.Covers(h) {
				fail("signature does not cover %s", h)
			}
		}
		if err := sig.Verify(&signer.Key.PublicKey); err != nil {
			fail("verify: %v", err)
		}
	}
	mux := http.NewServeMux()
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		check(r)
		mux.ServeHTTP(w, r)
	}))
	mux.HandleFunc("/actor", serveDoc(srv.URL+"/actor"))
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/actor", http.StatusFound) })

	c := newTestClient(t, Config{AllowPrivate: true, UserAgent: "Tadamun/test (+https://node.example/)"})
	for _, path := range []string{"/actor", "/old"} {
		d, err := c.Fetch(context.Background(), srv.URL+path, signer)
		if err != nil {
			t.Fatalf("Fetch %s: %v", path, err)
		}
		if d.ID != srv.URL+"/actor" {
			t.Errorf("ID = %q", d.ID)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, " ") != "/actor /old /actor" {
		t.Errorf("server saw %v", seen)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func TestFetchUnsigned(t *testing.T) {
	var sigs, ua []string
	var mu sync.Mutex
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sigs = append(sigs, r.Header.Get("Signature"))
		ua = append(ua, r.Header.Get("User-Agent"))
		mu.Unlock()
		serveDoc("http://"+r.Host+r.URL.Path)(w, r)
	}))
	c := newTestClient(t, Config{AllowPrivate: true})
	if _, err := c.Fetch(context.Background(), srv.URL+"/note", nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sigs) != 1 || sigs[0] != "" || ua[0] != DefaultUserAgent {
		t.Errorf("Signature %q, User-Agent %q", sigs, ua)
	}
}

func TestFetchJSON(t *testing.T) {
	var mu sync.Mutex
	var accepts []string
	mux := http.NewServeMux()
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		accepts = append(accepts, r.Header.Get("Accept"))
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	jrd := `{"subject":"acct:alice@a.example","links":[{"rel":"self","type":"application/activity+json","href":"https://a.example/users/alice"}]}`
	mux.HandleFunc("/.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jrd+json")
		fmt.Fprint(w, jrd)
	})
	mux.HandleFunc("/nodeinfo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"version":"2.1"}`) // no declared type, sniffed as text/plain: fine here
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>") })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "[%q]", strings.Repeat("x", 2048)) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/nodeinfo", http.StatusFound) })

	c := newTestClient(t, Config{AllowPrivate: true, MaxBody: 1024})
	tests := []struct {
		path, accept, wantAccept, body string
		err                            error
	}{
		{"/.well-known/webfinger?resource=acct:alice@a.example", "application/jrd+json, application/json", "application/jrd+json, application/json", jrd, nil},
		{"/nodeinfo", "", "application/json", `{"version":"2.1"}`, nil},
		{"/moved", "", "application/json", `{"version":"2.1"}`, nil},
		{"/html", "", "application/json", "", ErrMalformed},
		{"/big", "", "application/json", "", ErrTooLarge},
		{"/missing", "", "application/json", "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			mu.Lock()
			accepts = nil
			mu.Unlock()
			body, err := c.FetchJSON(context.Background(), srv.URL+tt.path, tt.accept, nil)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("err = %v, want %v", err, tt.err)
				}
			} else if err != nil || string(body) != tt.body {
				t.Errorf("got %q, %v", body, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(accepts) == 0 || accepts[0] != tt.wantAccept {
				t.Errorf("Accept = %q, want %q", accepts, tt.wantAccept)
			}
		})
	}
}
