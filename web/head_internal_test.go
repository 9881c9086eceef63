package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestHeadEverywhere: every GET route of the route table answers HEAD with
// the status and headers of its GET and no body (RFC 9110 §9.3.2), as
// uptime monitors and link checkers send it.
func TestHeadEverywhere(t *testing.T) {
	st := storagetest.Open(t, storagetest.SQLiteURL(t))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fed := federation.New(federation.Config{Scheme: "http", Host: "node.test", Logger: quiet, MediaDir: t.TempDir()}, st)
	s, err := New(Config{Logger: quiet}, st, fed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx := context.Background()
	if _, err := fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	d, err := content.ParseStatementFile([]byte("---\ntitle: We Stand\nlanguage: en\ntags: [iraq]\n---\nBody.\n"))
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := fed.Publish(ctx, "icssi", d)
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer(":username", "icssi", ":slug", "we-stand", ":lang", "en", ":tag", "iraq",
		":id", stmt.ID, "*", "style.css")
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string) (*http.Response, []byte) {
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	n := 0
	for _, r := range s.echo.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		n++
		path := fill.Replace(r.Path)
		if strings.HasSuffix(path, "/follow") {
			path += "?address=x" // the remote follow form, answered without any lookup
		}
		get, _ := do(http.MethodGet, path)
		head, body := do(http.MethodHead, path)
		if head.StatusCode == http.StatusMethodNotAllowed || head.StatusCode != get.StatusCode || len(body) != 0 {
			t.Errorf("HEAD %s (route %s) = %d with %d bytes; GET = %d", path, r.Path, head.StatusCode, len(body), get.StatusCode)
		}
		if ct := get.Header.Get("Content-Type"); head.Header.Get("Content-Type") != ct {
			t.Errorf("HEAD %s: Content-Type %q, GET's %q", path, head.Header.Get("Content-Type"), ct)
		}
	}
	if n < 30 {
		t.Fatalf("only %d GET routes in the table", n)
	}
}
