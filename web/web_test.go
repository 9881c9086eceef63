package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

type node struct {
	srv   *httptest.Server
	store *storage.Store
	fed   *federation.Service
	clock *time.Time
}

func newNode(t testing.TB, dbURL string) *node {
	t.Helper()
	return newNodeConfig(t, dbURL, nil)
}

// newNodeConfig is newNode with the web configuration changed by edit.
func newNodeConfig(t testing.TB, dbURL string, edit func(*web.Config)) *node {
	t.Helper()
	st := storagetest.Open(t, dbURL)
	clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	n := &node{store: st, clock: &clock}
	now := func() time.Time { return *n.clock }
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n.fed = federation.New(federation.Config{Scheme: "http", Host: "node.test", Now: now, Logger: quiet, MediaDir: t.TempDir()}, st)
	cfg := web.Config{Version: "test", Now: now, Logger: quiet, BodyLimit: 1024, Metrics: prometheus.NewRegistry()}
	if edit != nil {
		edit(&cfg)
	}
	s, err := web.New(cfg, st, n.fed)
	if err != nil {
		t.Fatal(err)
	}
	n.srv = httptest.NewServer(s.Handler())
	t.Cleanup(n.srv.Close)
	return n
}

func (n *node) get(t testing.TB, path string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, n.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func (n *node) publish(t testing.TB, actor, src string) *storage.Statement {
	t.Helper()
	d, err := content.ParseStatementFile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	st, err := n.fed.Publish(context.Background(), actor, d)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestServer(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testServer(t, b.URL) })
	}
}

func testServer(t *testing.T, dbURL string) {
	n := newNode(t, dbURL)
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI", Languages: []string{"ar", "en"}}); err != nil {
		t.Fatal(err)
	}
	n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\nsummary: The lead.\ntags: [Iraq]\n---\nFor more than *12 years*.\n")
	ar := n.publish(t, "icssi", "---\ntitle: نقف معاً\nlanguage: ar\nslug: naqif\ncontent_warning: عنف\n---\nنص البيان.\n")
	n.publish(t, "icssi", "---\ntitle: Later\nlanguage: en\npublish: 2026-11-24T09:00:00Z\n---\nNot yet.\n")
	gone := n.publish(t, "icssi", "---\ntitle: Withdrawn\nlanguage: en\n---\nx\n")
	if _, err := n.fed.DeleteStatement(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}

	t.Run("healthz and readyz", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/readyz"} {
			if res, body := n.get(t, p); res.StatusCode != 200 {
				t.Errorf("%s = %d %s", p, res.StatusCode, body)
			}
		}
	})
	t.Run("home lists what is visible", func(t *testing.T) {
		res, body := n.get(t, "/")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("home = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, want := range []string{"We Stand Together", "نقف معاً", `lang="ar" dir="rtl"`, "The lead."} {
			if !strings.Contains(body, want) {
				t.Errorf("home lacks %q", want)
			}
		}
		for _, hidden := range []string{"Later", "Withdrawn"} {
			if strings.Contains(body, hidden) {
				t.Errorf("home shows %q", hidden)
			}
		}
		if res.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id")
		}
	})
	t.Run("statement page", func(t *testing.T) {
		res, body := n.get(t, "/@icssi/we-stand-together")
		if res.StatusCode != 200 || !strings.Contains(body, "<em>12 years</em>") || !strings.Contains(body, "#Iraq") {
			t.Fatalf("statement = %d\n%s", res.StatusCode, body)
		}
		res, body = n.get(t, "/@icssi/"+ar.Slug)
		// The statement reads right to left in its own block; the interface
		// around it is the reader's (English here: nothing asks otherwise).
		if res.StatusCode != 200 || !strings.Contains(body, `<article class="statement" lang="ar" dir="rtl">`) ||
			!strings.Contains(body, `<html lang="en" dir="ltr">`) || !strings.Contains(body, `<details class="cw"><summary>عنف</summary>`) {
			t.Fatalf("arabic statement = %d\n%s", res.StatusCode, body)
		}
	})
	t.Run("missing, deleted and scheduled", func(t *testing.T) {
		for path, want := range map[string]int{
			"/@icssi/nothing-here": 404, "/@nobody/we-stand-together": 404, "/@nobody": 404,
			"/@icssi/withdrawn": 410, "/@icssi/later": 404, "/@icssi/we-stand-together/fr": 404,
		} {
			if res, _ := n.get(t, path); res.StatusCode != want {
				t.Errorf("GET %s = %d, want %d", path, res.StatusCode, want)
			}
		}
		// When the scheduled time comes, it appears.
		*n.clock = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		if res, _ := n.get(t, "/@icssi/later"); res.StatusCode != 200 {
			t.Errorf("scheduled statement at its time = %d", res.StatusCode)
		}
		if _, body := n.get(t, "/"); !strings.Contains(body, "Later") {
			t.Error("scheduled statement missing from home at its time")
		}
	})
	t.Run("errors as JSON carry the request id", func(t *testing.T) {
		res, body := n.get(t, "/@icssi/nothing-here", "Accept", "application/json", "X-Request-Id", "abc-123")
		var m map[string]string
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("not JSON: %s", body)
		}
		if res.StatusCode != 404 || m["error"] == "" || m["request_id"] != "abc-123" {
			t.Fatalf("got %d %v", res.StatusCode, m)
		}
		res, _ = n.get(t, "/", "X-Request-Id", "evil id; with spaces")
		if got := res.Header.Get("X-Request-Id"); len(got) != 26 {
			t.Errorf("a request id with spaces was kept: %q", got)
		}
		res, _ = n.get(t, "/", "X-Request-Id", strings.Repeat("a", 65))
		if got := res.Header.Get("X-Request-Id"); len(got) != 26 {
			t.Errorf("an over-long request id was kept: %q", got)
		}
	})
	t.Run("body limit", func(t *testing.T) {
		res, err := http.Post(n.srv.URL+"/", "application/json", strings.NewReader(strings.Repeat("x", 2048)))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized body = %d, want 413", res.StatusCode)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		res, body := n.get(t, "/metrics")
		if res.StatusCode != 200 || !strings.Contains(body, `tadamun_http_requests_total{code="404",method="GET",route="/@:username/:slug"}`) {
			t.Fatalf("metrics = %d\n%s", res.StatusCode, body)
		}
	})
	t.Run("security headers on pages", func(t *testing.T) {
		res, _ := n.get(t, "/")
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("headers = %v", res.Header)
		}
	})
}

func TestRateLimit(t *testing.T) {
	st := storagetest.Open(t, storagetest.SQLiteURL(t))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fed := federation.New(federation.Config{Scheme: "http", Host: "node.test", Logger: quiet}, st)
	s, err := web.New(web.Config{Logger: quiet, RateLimit: 5}, st, fed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	limited := 0
	for i := 0; i < 30; i++ {
		res, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			limited++
			if res.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if limited == 0 {
		t.Fatal("30 quick requests at 5/s were never limited")
	}
	// Health checks are never limited.
	for i := 0; i < 30; i++ {
		res, _ := http.Get(srv.URL + "/healthz")
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("healthz limited: %d", res.StatusCode)
		}
	}
}

// TestRepliesRenderInert: an approved reply shows under the statement, and
// nothing hostile in it (stored sanitized) or in its author's profile
// (escaped by the template) survives.
func TestRepliesRenderInert(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\n---\nBody.\n")
	r := &storage.RemoteActor{IRI: "https://evil.test/users/x", Host: "evil.test", Username: "x",
		DisplayName: `<img src=x onerror=alert(1)>Mallory`, URL: "javascript:alert(1)", Inbox: "https://evil.test/inbox",
		ExpiresAt: time.Now().Add(time.Hour)}
	if err := n.store.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	hostile := `<p style="position:fixed">Solidarity<script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">click</a><img src=x onerror=alert(3)><iframe src="https://evil.test"></iframe></p>`
	o := &storage.RemoteObject{IRI: "https://evil.test/n/1", RemoteActorID: r.ID, Type: "Note", StatementID: st.ID,
		InReplyTo: "x", URL: "javascript:alert(4)", ContentHTML: content.SanitizeRemote(hostile), Moderation: storage.ModerationPending}
	if err := n.store.UpsertRemoteObject(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, page := n.get(t, "/@icssi/we-stand-together"); strings.Contains(page, "Solidarity") {
		t.Fatal("a reply awaiting moderation is shown")
	}
	if err := n.store.SetModeration(ctx, o.ID, storage.ModerationApproved); err != nil {
		t.Fatal(err)
	}
	_, page := n.get(t, "/@icssi/we-stand-together")
	if !strings.Contains(page, "Solidarity") || !strings.Contains(page, "1 reply") {
		t.Fatalf("approved reply missing:\n%s", page)
	}
	for _, bad := range []string{"<script", "javascript:", "onerror=alert(3)", "onclick", "<iframe", "position:fixed", "<img src=x"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

func TestDiscoveryPagesAndConditionalGET(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	n.publish(t, "icssi", "---\ntitle: نقف معاً\nlanguage: ar\nslug: naqif\nsummary: الملخص\ntags: [تضامن]\n---\nنص.\n")
	n.publish(t, "icssi", "---\ntitle: Later\nlanguage: en\ntags: [تضامن]\npublish: 2027-01-01T00:00:00Z\n---\nx\n")

	t.Run("304 on pages", func(t *testing.T) {
		for _, p := range []string{"/", "/@icssi", "/@icssi/naqif", "/tags/تضامن", "/ar", "/sitemap.xml"} {
			res, body := n.get(t, p)
			etag := res.Header.Get("ETag")
			if res.StatusCode != 200 || etag == "" || res.Header.Get("Last-Modified") == "" {
				t.Fatalf("%s: %d etag %q last-modified %q", p, res.StatusCode, etag, res.Header.Get("Last-Modified"))
			}
			res2, body2 := n.get(t, p, "If-None-Match", etag)
			if res2.StatusCode != 304 || body2 != "" {
				t.Fatalf("%s with If-None-Match: %d (%d bytes)", p, res2.StatusCode, len(body2))
			}
			res3, _ := n.get(t, p, "If-Modified-Since", res.Header.Get("Last-Modified"))
			if res3.StatusCode != 304 {
				t.Fatalf("%s with If-Modified-Since: %d", p, res3.StatusCode)
			}
			res4, _ := n.get(t, p, "If-None-Match", `"other"`)
			if res4.StatusCode != 200 || len(body) == 0 {
				t.Fatalf("%s with a stale ETag: %d", p, res4.StatusCode)
			}
		}
	})
	t.Run("head metadata", func(t *testing.T) {
		_, page := n.get(t, "/@icssi/naqif")
		page = html.UnescapeString(page) // html/template writes + in attributes as &#43;
		for _, want := range []string{`<link rel="canonical" href="http://node.test/@icssi/naqif">`,
			`<meta name="fediverse:creator" content="@icssi@node.test">`, `<meta property="og:type" content="article">`,
			`<meta property="og:description" content="الملخص">`, `<link rel="alternate" type="application/activity+json"`,
			`<link rel="icon"`} {
			if !strings.Contains(page, want) {
				t.Errorf("statement page lacks %s", want)
			}
		}
		_, page = n.get(t, "/")
		page = html.UnescapeString(page)
		for _, want := range []string{`type="application/rss+xml" href="http://node.test/feed.rss"`, `type="application/atom+xml"`, `type="application/feed+json"`} {
			if !strings.Contains(page, want) {
				t.Errorf("home lacks %s", want)
			}
		}
		if strings.Count(page, "<h1") != 1 {
			t.Error("home has not exactly one h1")
		}
	})
	t.Run("tag, language, sitemap, robots, favicon", func(t *testing.T) {
		if res, body := n.get(t, "/tags/تضامن"); res.StatusCode != 200 || !strings.Contains(body, "نقف معاً") || strings.Contains(body, "Later") {
			t.Errorf("tag page %d", res.StatusCode)
		}
		if res, body := n.get(t, "/ar"); res.StatusCode != 200 || !strings.Contains(body, "نقف معاً") || !strings.Contains(body, `<html lang="ar" dir="rtl">`) {
			t.Errorf("language page %d", res.StatusCode)
		}
		for _, p := range []string{"/xx", "/english", "/tags/two%20words"} {
			if res, _ := n.get(t, p); res.StatusCode != 404 {
				t.Errorf("%s = %d", p, res.StatusCode)
			}
		}
		_, sm := n.get(t, "/sitemap.xml")
		if !strings.Contains(sm, "<loc>http://node.test/@icssi/naqif</loc>") || strings.Contains(sm, "later") {
			t.Errorf("sitemap:\n%s", sm)
		}
		if res, body := n.get(t, "/robots.txt"); res.StatusCode != 200 || !strings.Contains(body, "Sitemap: http://node.test/sitemap.xml") {
			t.Errorf("robots %d %s", res.StatusCode, body)
		}
		if res, _ := n.get(t, "/favicon.ico"); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("favicon %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
}

func TestSearchPage(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := newNode(t, b.URL)
			if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
				t.Fatal(err)
			}
			n.publish(t, "icssi", "---\ntitle: نقف معاً\nlanguage: ar\nslug: naqif\n---\nناشطو المجتمع المدني.\n")
			n.publish(t, "icssi", "---\ntitle: Hidden\nlanguage: ar\npublish: 2027-01-01T00:00:00Z\n---\nالمجتمع المدني لاحقاً.\n")
			res, body := n.get(t, "/search?q="+url.QueryEscape("المدني"))
			if res.StatusCode != 200 || !strings.Contains(body, "نقف معاً") || strings.Contains(body, "Hidden") {
				t.Fatalf("search: %d\n%s", res.StatusCode, body)
			}
			if _, body := n.get(t, "/search?q=nothing"); !strings.Contains(body, "Nothing found") {
				t.Fatal("no results page")
			}
			if res, _ := n.get(t, "/search?q="+strings.Repeat("x", 300)); res.StatusCode != 400 {
				t.Fatalf("over-long query = %d", res.StatusCode)
			}
		})
	}
}

func TestHomePaging(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 25; i++ {
		n.publish(t, "icssi", fmt.Sprintf("---\ntitle: Statement %02d\nlanguage: en\npublish: 2026-01-%02dT00:00:00Z\n---\nx\n", i, i+1))
	}
	_, page := n.get(t, "/")
	i := strings.Index(page, `rel="next"`)
	if strings.Count(page, "<article>") != 20 || i < 0 {
		t.Fatalf("first page: %d statements, next link %v", strings.Count(page, "<article>"), i >= 0)
	}
	href := page[strings.LastIndex(page[:i], `href="`)+6 : i-2]
	res, page2 := n.get(t, html.UnescapeString(href))
	if res.StatusCode != 200 || strings.Count(page2, "<article>") != 5 || strings.Contains(page2, `rel="next"`) ||
		!strings.Contains(page2, "Statement 00") || strings.Contains(page2, "Statement 24") {
		t.Fatalf("second page %d: %d statements", res.StatusCode, strings.Count(page2, "<article>"))
	}
	if res, _ := n.get(t, "/?before=garbage"); res.StatusCode != 400 {
		t.Fatalf("bad cursor = %d", res.StatusCode)
	}
}
