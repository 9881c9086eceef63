package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

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
