package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

// TestStorageErrorsAre500: a lookup that fails because the database fails
// (here: the table it reads is gone) answers 500 and is logged; only a
// thing that does not exist answers 404. A 404 would tell a monitor, a
// reader and a remote server that the account or statement is gone.
func TestStorageErrorsAre500(t *testing.T) {
	cases := []struct {
		name, table, path, accept string
	}{
		{"actor feed", "actors", "/@icssi/feed.rss", ""},
		{"profile", "actors", "/@icssi", ""},
		{"statement page: actor", "actors", "/@icssi/we-stand", ""},
		{"statement page: statement", "statements", "/@icssi/we-stand", ""},
		{"actor document", "actors", "/users/icssi", "application/activity+json"},
		{"actor collection", "actors", "/users/icssi/outbox", "application/activity+json"},
		{"statement document", "statements", "/users/icssi/statements/{statement}", "application/activity+json"},
		{"activity document", "activities", "/users/icssi/activities/{activity}", "application/activity+json"},
		{"webfinger", "actors", "/.well-known/webfinger?resource=acct:icssi@node.test", ""},
		{"statement media", "media", "/media/{statement}/photo.png", ""},
		{"actor media", "actors", "/media/actors/{actor}/avatar.png", ""},
		{"remote follow form", "actors", "/@icssi/follow?address=someone%40example.org", ""},
		{"partners page: partners", "following", "/partners", ""},
		{"partners page: posts", "remote_objects", "/partners", ""},
		{"partners feed", "remote_objects", "/partners/feed.atom", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNode(t, storagetest.SQLiteURL(t))
			ctx := context.Background()
			a, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"})
			if err != nil {
				t.Fatal(err)
			}
			st := n.publish(t, "icssi", "---\ntitle: We Stand\nlanguage: en\n---\nBody.\n")
			activity := storage.NewID()
			if _, err := n.store.SaveActivity(ctx, &storage.Activity{ID: activity, IRI: "http://node.test/users/icssi/activities/" + activity,
				Direction: storage.Outbound, Type: "Accept", ActorIRI: "http://node.test/users/icssi", LocalActorID: a.ID,
				Body: []byte(`{"type":"Accept"}`)}); err != nil {
				t.Fatal(err)
			}
			path := strings.NewReplacer("{statement}", st.ID, "{activity}", activity, "{actor}", a.ID).Replace(c.path)
			// The same request answers before the failure, so the 500 below
			// is the storage error and nothing else.
			before, _ := n.get(t, path, "Accept", c.accept)
			if _, err := n.store.DB().ExecContext(ctx, `ALTER TABLE `+c.table+` RENAME TO `+c.table+`_gone`); err != nil {
				t.Fatal(err)
			}
			// The raw pool bypasses the store, as another process would:
			// cached answers see its change within the generation's bound.
			time.Sleep(storage.GenerationBound)
			res, body := n.get(t, path, "Accept", c.accept)
			if res.StatusCode != http.StatusInternalServerError {
				t.Errorf("GET %s with table %s gone = %d (before: %d), want 500\n%.300s", path, c.table, res.StatusCode,
					before.StatusCode, body)
			}
		})
	}
}

// TestSearchInput: the query is text of at most 200 characters (not bytes:
// an Arabic letter is two bytes); NUL, which PostgreSQL cannot store in
// text, is refused as bad input instead of failing in the database.
func TestSearchInput(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := newNode(t, b.URL)
			if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
				t.Fatal(err)
			}
			n.publish(t, "icssi", "---\ntitle: نقف معاً\nlanguage: ar\nslug: naqif\n---\nناشطو المجتمع المدني.\n")
			arabic150 := strings.Repeat("مدني ", 30) // 150 characters, 270 bytes
			for _, c := range []struct {
				q    string
				want int
			}{
				{"\x00", 400},
				{"civil\x00society", 400},
				{"\xff\xfe", 400},
				{strings.TrimSpace(arabic150), 200},
				{strings.Repeat("م", 200), 200},
				{strings.Repeat("م", 201), 400},
				{strings.Repeat("x", 201), 400},
			} {
				res, body := n.get(t, "/search?q="+url.QueryEscape(c.q))
				if res.StatusCode != c.want {
					t.Errorf("search %q (%d bytes) = %d, want %d\n%.300s", c.q, len(c.q), res.StatusCode, c.want, body)
				}
			}
		})
	}
}

// TestRemoteNamesEscapedOnce: a remote name is stored as the text it is and
// escaped once, by the template, when the page is written.
func TestRemoteNamesEscapedOnce(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\n---\nBody.\n")
	// As federation stores them: the name and the content warning of a
	// remote post go through content.PlainText.
	r := &storage.RemoteActor{IRI: "https://evil.test/users/x", Host: "evil.test", Username: "x",
		DisplayName: content.PlainText("Evil & Co"), URL: "https://evil.test/@x", Inbox: "https://evil.test/inbox"}
	if err := n.store.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	o := &storage.RemoteObject{IRI: "https://evil.test/n/1", RemoteActorID: r.ID, Type: "Note", StatementID: st.ID,
		InReplyTo: "x", URL: "https://evil.test/n/1", Summary: content.PlainText("Tom & Jerry"),
		ContentHTML: content.SanitizeRemote("<p>Solidarity</p>"), Moderation: storage.ModerationApproved}
	if err := n.store.UpsertRemoteObject(ctx, o); err != nil {
		t.Fatal(err)
	}
	_, page := n.get(t, "/@icssi/we-stand-together")
	for _, want := range []string{"Evil &amp; Co", "Tom &amp; Jerry"} {
		if got := strings.Count(page, want); got != 1 {
			t.Errorf("%q appears %d times, want 1", want, got)
		}
	}
	if strings.Contains(page, "&amp;amp;") {
		t.Error("the page escapes remote text twice")
	}
}

// TestChunkedBodyOverLimit: a body sent chunked (no Content-Length) is cut
// at the limit and answered 413, as one with a Content-Length is.
func TestChunkedBodyOverLimit(t *testing.T) {
	n := newNodeConfig(t, storagetest.SQLiteURL(t), func(c *web.Config) { c.BodyLimit = 0 }) // the default, 1 MiB
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/inbox", "/users/icssi/inbox"} {
		body := io.MultiReader(strings.NewReader(`{"type":"Create","x":"`), bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)),
			strings.NewReader(`"}`))
		req, err := http.NewRequest(http.MethodPost, n.srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/activity+json")
		req.TransferEncoding = []string{"chunked"}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked 2 MiB POST %s = %d, want 413", path, res.StatusCode)
		}
	}
}

// TestPageNumbers: page numbers are positive integers that fit; anything
// else is a bad request rather than an overflow in an OFFSET.
func TestPageNumbers(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	as := "application/activity+json"
	for _, c := range []struct {
		path string
		want int
	}{
		{"/users/icssi/following?page=1", 200},
		{"/users/icssi/following?page=99999999999999999999", 400},
		{"/users/icssi/following?page=9223372036854775807", 400},
		{"/users/icssi/following?page=-1", 400},
		{"/users/icssi/following?page=x", 400},
		{"/search?q=x&page=2", 200},
		{"/search?q=x&page=99999999999999999999", 400},
		{"/search?q=x&page=9223372036854775807", 400},
		{"/search?q=x&page=0", 400},
	} {
		if res, body := n.get(t, c.path, "Accept", as); res.StatusCode != c.want {
			t.Errorf("GET %s = %d, want %d\n%.200s", c.path, res.StatusCode, c.want, body)
		}
	}
}

// TestMetricsAccess: /metrics is off, served to this machine only (the
// default), or served with a bearer token.
func TestMetricsAccess(t *testing.T) {
	st := storagetest.Open(t, storagetest.SQLiteURL(t))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fed := federation.New(federation.Config{Scheme: "http", Host: "node.test", Logger: quiet}, st)
	const token = "s3cret-token-of-32-characters-xx"
	server := func(access web.MetricsAccess, tok string) http.Handler {
		s, err := web.New(web.Config{Logger: quiet, MetricsAccess: access, MetricsToken: tok}, st, fed)
		if err != nil {
			t.Fatal(err)
		}
		return s.Handler()
	}
	// get asks h for /metrics from peer (an address, as the TCP connection
	// gives it), with headers.
	get := func(h http.Handler, peer string, hdr ...string) int {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = peer
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	local, v6local, remote := "127.0.0.1:50000", "[::1]:50000", "203.0.113.9:50000"
	def, off, tok := server("", ""), server(web.MetricsOff, ""), server(web.MetricsBearer, token)
	for _, c := range []struct {
		name string
		h    http.Handler
		peer string
		hdr  []string
		want int
	}{
		{"default: loopback", def, local, nil, 200},
		{"default: loopback v6", def, v6local, nil, 200},
		{"default: another machine", def, remote, nil, 403},
		{"default: through a proxy on this machine", def, local, []string{"X-Forwarded-For", "203.0.113.9"}, 403},
		{"default: Forwarded header", def, local, []string{"Forwarded", "for=203.0.113.9"}, 403},
		{"off: loopback", off, local, nil, 404},
		{"off: another machine", off, remote, nil, 404},
		{"token: none", tok, remote, nil, 401},
		{"token: wrong", tok, remote, []string{"Authorization", "Bearer " + token + "x"}, 401},
		{"token: not bearer", tok, local, []string{"Authorization", "Basic " + token}, 401},
		{"token: right", tok, remote, []string{"Authorization", "Bearer " + token}, 200},
	} {
		if got := get(c.h, c.peer, c.hdr...); got != c.want {
			t.Errorf("%s: /metrics = %d, want %d", c.name, got, c.want)
		}
	}
	// Over a real connection from loopback, as a local Prometheus scrapes.
	srv := httptest.NewServer(def)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("/metrics from 127.0.0.1 = %d", res.StatusCode)
	}
	for _, bad := range []web.Config{{MetricsAccess: web.MetricsBearer, MetricsToken: "short"}, {MetricsAccess: "public"}} {
		bad.Logger = quiet
		if _, err := web.New(bad, st, fed); err == nil {
			t.Errorf("web.New accepted %q with token %q", bad.MetricsAccess, bad.MetricsToken)
		}
	}
}
