package admin_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

// Test accounts of adminTestNode.
const (
	adminName    = "amal"
	editorName   = "basel"
	testPassword = "correct horse battery"
)

// testNode is a running node for admin tests: a real SQLite file, a real
// HTTP server on 127.0.0.2, an admin (amal) and an editor (basel) who is
// given the actor icssi but not the actor other.
type testNode struct {
	srv    *httptest.Server
	URL    string // http://127.0.0.2:PORT
	store  *storage.Store
	fed    *federation.Service
	dbURL  string
	admin  *storage.User
	editor *storage.User
}

// adminTestNode starts a node with scheme as its public scheme (cookies are
// Secure under "https", though the test server itself speaks http).
func adminTestNode(t testing.TB, scheme string) *testNode {
	t.Helper()
	return adminTestNodeDB(t, scheme, storagetest.SQLiteURL(t))
}

// adminTestNodeDB is adminTestNode on the database at dbURL (for the cases
// run on both backends: storagetest.Backends).
func adminTestNodeDB(t testing.TB, scheme, dbURL string) *testNode {
	t.Helper()
	return newTestNode(t, dbURL, federation.Config{Scheme: scheme})
}

// newTestNode starts the node of adminTestNodeDB with the federation
// settings of fc (its scheme, client, ...); host, logger and media folder
// are filled in.
func newTestNode(t testing.TB, dbURL string, fc federation.Config) *testNode {
	t.Helper()
	st := storagetest.Open(t, dbURL)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fc.Host, fc.Logger, fc.MediaDir = "node.test", quiet, t.TempDir()
	fed := federation.New(fc, st)
	s, err := web.New(web.Config{Version: "test", Logger: quiet, Metrics: prometheus.NewRegistry()}, st, fed)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	n := &testNode{srv: srv, URL: srv.URL, store: st, fed: fed, dbURL: dbURL}
	ctx := context.Background()
	for _, name := range []string{"icssi", "other"} {
		if _, err := fed.CreateActor(ctx, federation.NewActor{Username: name, DisplayName: strings.ToUpper(name), Languages: []string{"en"}}); err != nil {
			t.Fatal(err)
		}
	}
	hash, err := storage.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	n.admin = &storage.User{Username: adminName, PasswordHash: hash, Role: storage.RoleAdmin}
	n.editor = &storage.User{Username: editorName, PasswordHash: hash, Role: storage.RoleEditor}
	for _, u := range []*storage.User{n.admin, n.editor} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	icssi, err := st.ActorByUsername(ctx, "icssi")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetUserActors(ctx, n.editor.ID, []string{icssi.ID}); err != nil {
		t.Fatal(err)
	}
	return n
}

// client is a browser-like HTTP client of a test node: a cookie jar, a
// source address of its own (127.0.0.x), and redirects not followed, so
// tests see each answer.
type client struct {
	t    testing.TB
	n    *testNode
	http *http.Client
	csrf string // the CSRF token of the last page read
}

// newClient returns a signed-out client whose requests come from addr
// (such as "127.0.0.3").
func (n *testNode) newClient(t testing.TB, addr string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 5 * time.Second}
	return &client{t: t, n: n, http: &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       20 * time.Second,
	}}
}

// signedIn returns a client signed in as user (password testPassword) from
// addr, holding the CSRF token of the dashboard.
func (n *testNode) signedIn(t testing.TB, user, addr string) *client {
	t.Helper()
	c := n.newClient(t, addr)
	if res, body := c.login(user, testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s = %d %s", user, res.StatusCode, body)
	}
	if res, body := c.get("/admin"); res.StatusCode != 200 {
		t.Fatalf("dashboard = %d %s", res.StatusCode, body)
	}
	return c
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a request and reads the answer; an HTML answer's CSRF field is
// kept in c.csrf.
func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if m := csrfRE.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return res, string(b)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.n.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post sends form as is: add c.csrf under "csrf" to pass the CSRF check.
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.n.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postForm is post with this client's CSRF token added.
func (c *client) postForm(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.csrf)
	return c.post(path, form)
}

// login reads the sign-in form (for its token) and posts it.
func (c *client) login(user, password string) (*http.Response, string) {
	c.t.Helper()
	if res, body := c.get("/admin/login"); res.StatusCode != 200 && res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login form = %d %s", res.StatusCode, body)
	}
	return c.postForm("/admin/login", url.Values{"username": {user}, "password": {password}})
}

// cookie returns the value of the named cookie the client holds for /admin.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.n.URL + "/admin/")
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
