package admin_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web/admin"
	"github.com/tadamun/tadamun/web/i18n"
)

// adminRoutes returns the admin interface's routes with method, as its
// Register puts them on a group.
func adminRoutes(t *testing.T, n *testNode, method string) []string {
	t.Helper()
	cat, err := i18n.Catalogues()
	if err != nil {
		t.Fatal(err)
	}
	h, err := admin.New(admin.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, n.store, n.fed, i18n.New(cat, "en"))
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	h.Register(e.Group(iri.AdminPrefix))
	var out []string
	for _, r := range e.Routes() {
		if r.Method == method && strings.HasPrefix(r.Path, iri.AdminPrefix) && !slices.Contains(out, r.Path) {
			out = append(out, r.Path)
		}
	}
	slices.Sort(out)
	return out
}

// fill replaces a route's parameters with real values of the test node.
func fill(path string, values map[string]string) string {
	var parts []string
	for _, p := range strings.Split(path, "/") {
		if strings.HasPrefix(p, ":") {
			if v, ok := values[p[1:]]; ok {
				p = v
			} else {
				p = "x"
			}
		}
		if p == "*" {
			p = "x"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "/")
}

// fingerprint sums up what a POST could change: the users, their
// sessions, and the rows of the tables the admin interface writes. Later
// pages add their tables to the list.
func fingerprint(t *testing.T, n *testNode) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, table := range []string{"users", "sessions", "user_actors", "actors", "statements", "statement_translations", "followers", "following",
		"remote_objects", "domain_policies", "deliveries", "media", "reports", "settings", "account_blocks", "relays"} {
		fmt.Fprintf(&b, "%s=%d ", table, storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM "+table))
	}
	for _, u := range []*storage.User{n.admin, n.editor} {
		got, err := n.store.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s:%s:%s:%v ", got.Username, got.PasswordHash, got.Role, got.Language, got.DisabledAt)
		list, err := n.store.ListSessions(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Sessions by id: their listed order follows last use, which every
		// request moves.
		sids := make([]string, 0, len(list))
		for _, s := range list {
			sids = append(sids, s.ID)
		}
		sort.Strings(sids)
		fmt.Fprint(&b, sids, " ")
		ids, err := n.store.UserActors(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(&b, ids)
	}
	return b.String()
}

// TestPOSTNeedsCSRF: every POST route of the admin interface refuses a
// request without the CSRF token, with a wrong one, and from another site,
// with 403, and changes nothing.
func TestPOSTNeedsCSRF(t *testing.T) {
	n := adminTestNode(t, "http")
	c := n.signedIn(t, adminName, "127.0.0.3")
	other := n.signedIn(t, adminName, "127.0.0.4") // a session that a revoke could end
	list, err := n.store.ListSessions(context.Background(), n.admin.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("sessions: %v %v", list, err)
	}
	values := map[string]string{"username": "icssi", "id": list[0].ID, "user": editorName}
	routes := adminRoutes(t, n, http.MethodPost)
	if len(routes) < 4 {
		t.Fatalf("only %d POST routes found: %v", len(routes), routes)
	}
	form := url.Values{"username": {adminName}, "password": {testPassword}, "current": {testPassword},
		"new": {"a new password 1"}, "confirm": {"a new password 1"}}
	before := fingerprint(t, n)
	for _, r := range routes {
		path := fill(r, values)
		for _, tc := range []struct {
			name  string
			token string
			hdr   [2]string
		}{
			{"no token", "", [2]string{}},
			{"wrong token", "AAAA" + c.csrf[4:], [2]string{}},
			{"another session's token", other.csrf, [2]string{}},
			{"cross-site with the right token", c.csrf, [2]string{"Sec-Fetch-Site", "cross-site"}},
			{"foreign origin with the right token", c.csrf, [2]string{"Origin", "https://evil.example"}},
		} {
			t.Run(r+"/"+tc.name, func(t *testing.T) {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				if tc.token != "" {
					f.Set("csrf", tc.token)
				}
				req, err := http.NewRequest(http.MethodPost, n.URL+path, strings.NewReader(f.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tc.hdr[0] != "" {
					req.Header.Set(tc.hdr[0], tc.hdr[1])
				}
				if res, body := c.do(req); res.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s = %d, want 403: %.300s", path, res.StatusCode, body)
				}
				if got := fingerprint(t, n); got != before {
					t.Fatalf("POST %s changed the database:\n%s\n%s", path, before, got)
				}
			})
		}
	}
	// The same requests signed out (the sign-in form's token is missing).
	anon := n.newClient(t, "127.0.0.5")
	for _, r := range routes {
		if res, _ := anon.post(fill(r, values), form); res.StatusCode != http.StatusForbidden {
			t.Errorf("signed-out POST %s = %d, want 403", r, res.StatusCode)
		}
	}
	if anon.cookie(admin.SessionCookie) != "" {
		t.Error("a sign-in without token made a session")
	}
	if got := fingerprint(t, n); got != before {
		t.Fatalf("signed-out POSTs changed the database")
	}
}

// TestCookieFlags: the session cookie is HttpOnly, SameSite=Lax, limited to
// /admin, and Secure when the node is on https (only then: a Secure cookie
// would never come back over plain http).
func TestCookieFlags(t *testing.T) {
	for _, scheme := range []string{"https", "http"} {
		t.Run(scheme, func(t *testing.T) {
			n := adminTestNode(t, scheme)
			c := n.newClient(t, "127.0.0.3")
			c.http.Jar = nil // cookies by hand: the jar keeps Secure ones from plain http
			res, _ := c.get("/admin/login")
			var pre *http.Cookie
			for _, ck := range res.Cookies() {
				if ck.Name == admin.LoginCSRFCookie {
					pre = ck
				}
			}
			if pre == nil {
				t.Fatal("the sign-in form set no CSRF cookie")
			}
			form := url.Values{"username": {adminName}, "password": {testPassword}, "csrf": {c.csrf}}
			req, _ := http.NewRequest(http.MethodPost, n.URL+"/admin/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: pre.Name, Value: pre.Value})
			res, body := c.do(req)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in = %d %s", res.StatusCode, body)
			}
			var sess *http.Cookie
			for _, ck := range res.Cookies() {
				if ck.Name == admin.SessionCookie {
					sess = ck
				}
			}
			if sess == nil {
				t.Fatal("no session cookie")
			}
			for _, ck := range []*http.Cookie{pre, sess} {
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/admin" || ck.Secure != (scheme == "https") {
					t.Errorf("%s: HttpOnly=%v SameSite=%v Path=%q Secure=%v", ck.Name, ck.HttpOnly, ck.SameSite, ck.Path, ck.Secure)
				}
			}
		})
	}
}

// TestSessionRotatesAtSignIn: signing in again gives a new session id, and
// the session the browser presented ends.
func TestSessionRotatesAtSignIn(t *testing.T) {
	n := adminTestNode(t, "http")
	c := n.signedIn(t, adminName, "127.0.0.3")
	first := c.cookie(admin.SessionCookie)
	if res, _ := c.login(editorName, testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second sign-in = %d", res.StatusCode)
	}
	second := c.cookie(admin.SessionCookie)
	if second == "" || second == first {
		t.Fatalf("session not rotated: %q then %q", first, second)
	}
	if _, err := n.store.UserBySession(context.Background(), first); err == nil {
		t.Error("the session presented at sign-in still works")
	}
	if u, err := n.store.UserBySession(context.Background(), second); err != nil || u.Username != editorName {
		t.Errorf("new session: %v %v", u, err)
	}
}

// TestThrottle: failures from one address get 429 with Retry-After, while
// the real user signs in from another address.
func TestThrottle(t *testing.T) {
	n := adminTestNode(t, "http")
	attacker := n.newClient(t, "127.0.0.3")
	var last *http.Response
	for i := 0; i < 6; i++ {
		last, _ = attacker.login(adminName, fmt.Sprintf("guess number %d", i))
		if last.StatusCode == http.StatusTooManyRequests {
			break
		}
		if last.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d = %d", i, last.StatusCode)
		}
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("after failures: %d Retry-After=%q, want 429 with Retry-After", last.StatusCode, last.Header.Get("Retry-After"))
	}
	// Even the right password from that address waits.
	if res, _ := attacker.login(adminName, testPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right password from the throttled address = %d, want 429", res.StatusCode)
	}
	n.signedIn(t, adminName, "127.0.0.4")
}

// TestPasswordChangeSignsOutEverywhereElse.
func TestPasswordChangeSignsOutEverywhereElse(t *testing.T) {
	n := adminTestNode(t, "http")
	here := n.signedIn(t, adminName, "127.0.0.3")
	there := n.signedIn(t, adminName, "127.0.0.4")
	if res, _ := here.get("/admin/account"); res.StatusCode != 200 {
		t.Fatalf("account = %d", res.StatusCode)
	}
	if res, body := here.postForm("/admin/account/password", url.Values{"current": {"not it at all"},
		"new": {"a new password 1"}, "confirm": {"a new password 1"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("wrong current password = %d %s", res.StatusCode, body)
	}
	res, body := here.postForm("/admin/account/password", url.Values{"current": {testPassword},
		"new": {"a new password 1"}, "confirm": {"a new password 1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change = %d %s", res.StatusCode, body)
	}
	if res, _ := there.get("/admin"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the other session still works: %d", res.StatusCode)
	}
	if res, body := here.get("/admin/account"); res.StatusCode != 200 || !strings.Contains(body, "Every other session is signed out.") {
		t.Errorf("this browser after the change = %d %.300s", res.StatusCode, body)
	}
	list, err := n.store.ListSessions(context.Background(), n.admin.ID)
	if err != nil || len(list) != 1 {
		t.Errorf("sessions after the change: %d %v", len(list), err)
	}
	if res, _ := n.newClient(t, "127.0.0.5").login(adminName, testPassword); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password = %d", res.StatusCode)
	}
	if res, _ := n.newClient(t, "127.0.0.5").login(adminName, "a new password 1"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("new password = %d", res.StatusCode)
	}
}

// TestRevokeSession: the account page lists the sessions; one is signed
// out from another, and an id of another user's session is a 404.
func TestRevokeSession(t *testing.T) {
	n := adminTestNode(t, "http")
	here := n.signedIn(t, adminName, "127.0.0.3")
	there := n.signedIn(t, adminName, "127.0.0.4")
	ed := n.signedIn(t, editorName, "127.0.0.5")
	thereID := storage.SessionID(there.cookie(admin.SessionCookie))
	if res, body := ed.postForm("/admin/account/sessions/"+thereID+"/revoke", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("editor revoking the admin's session = %d %.200s", res.StatusCode, body)
	}
	res, body := here.get("/admin/account")
	if res.StatusCode != 200 || !strings.Contains(body, thereID) || !strings.Contains(body, "this browser") {
		t.Fatalf("account = %d %s", res.StatusCode, body)
	}
	if res, _ := here.postForm("/admin/account/sessions/"+thereID+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke = %d", res.StatusCode)
	}
	if res, _ := there.get("/admin"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("revoked session still works: %d", res.StatusCode)
	}
	if res, _ := here.get("/admin"); res.StatusCode != 200 {
		t.Errorf("revoking another session signed this one out: %d", res.StatusCode)
	}
}

// TestEditorActors: an editor sees and opens only the actors given to
// them; another actor's page is 403, an unknown one 404; an admin opens
// every actor.
func TestEditorActors(t *testing.T) {
	n := adminTestNode(t, "http")
	ed := n.signedIn(t, editorName, "127.0.0.3")
	res, body := ed.get("/admin")
	if res.StatusCode != 200 || !strings.Contains(body, "/admin/actors/icssi") || strings.Contains(body, "/admin/actors/other") {
		t.Errorf("editor's dashboard = %d %s", res.StatusCode, body)
	}
	for path, want := range map[string]int{"/admin/actors/icssi": 200, "/admin/actors/other": 403, "/admin/actors/nobody": 404, "/admin/actors/instance.actor": 404} {
		if res, body := ed.get(path); res.StatusCode != want {
			t.Errorf("editor GET %s = %d, want %d: %.300s", path, res.StatusCode, want, body)
		} else if want == 403 && !strings.Contains(body, "You do not work on this actor.") {
			t.Errorf("403 page lacks its message: %s", body)
		}
	}
	ad := n.signedIn(t, adminName, "127.0.0.4")
	for _, p := range []string{"/admin/actors/icssi", "/admin/actors/other"} {
		if res, _ := ad.get(p); res.StatusCode != 200 {
			t.Errorf("admin GET %s = %d", p, res.StatusCode)
		}
	}
}

// TestNoStore: every admin answer, page or error, signed in or not, says
// no-store.
func TestNoStore(t *testing.T) {
	n := adminTestNode(t, "http")
	c := n.signedIn(t, adminName, "127.0.0.3")
	anon := n.newClient(t, "127.0.0.4")
	paths := []string{"/admin/login", "/admin/static/admin.css", "/admin/actors/nobody", "/admin/static/nothing", "/admin/no/such/page"}
	for _, r := range adminRoutes(t, n, http.MethodGet) {
		paths = append(paths, fill(r, map[string]string{"username": "icssi", "*": "admin.css"}))
	}
	for _, p := range paths {
		for _, cl := range []*client{c, anon} {
			res, _ := cl.get(p)
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("GET %s = %d with Cache-Control %q", p, res.StatusCode, got)
			}
		}
	}
	res, _ := anon.post("/admin/logout", nil)
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("refused POST lacks no-store")
	}
}

// TestFramingAndSources: admin pages may not be framed and load nothing
// from elsewhere.
func TestFramingAndSources(t *testing.T) {
	n := adminTestNode(t, "http")
	res, _ := n.newClient(t, "127.0.0.3").get("/admin/login")
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "form-action 'self'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if res.Header.Get("X-Frame-Options") != "DENY" {
		t.Error("no X-Frame-Options: DENY")
	}
}
