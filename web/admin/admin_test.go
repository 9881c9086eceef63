package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage/storagetest"
)

func TestSignInAndOut(t *testing.T) {
	n := adminTestNode(t, "http")
	c := n.newClient(t, "127.0.0.3")
	if res, _ := c.get("/admin"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/login" {
		t.Fatalf("signed-out dashboard = %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, body := c.login(adminName, testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in = %d %s", res.StatusCode, body)
	}
	res, body := c.get("/admin")
	if res.StatusCode != 200 || !strings.Contains(body, "icssi") || !strings.Contains(body, "other") {
		t.Fatalf("dashboard = %d %s", res.StatusCode, body)
	}
	if res, _ := c.postForm("/admin/logout", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out = %d", res.StatusCode)
	}
	if res, _ := c.get("/admin"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("dashboard after sign-out = %d, want 303 to sign-in", res.StatusCode)
	}
	if res, body := c.get("/admin/login"); !strings.Contains(body, "You are signed out.") {
		t.Errorf("sign-in page after sign-out has no flash: %d %s", res.StatusCode, body)
	}
}

func TestWrongPasswordAndUnknownUserLookAlike(t *testing.T) {
	n := adminTestNode(t, "http")
	c := n.newClient(t, "127.0.0.3")
	r1, b1 := c.login(adminName, "wrong password!")
	r2, b2 := c.login("nobody", "wrong password!")
	if r1.StatusCode != http.StatusUnauthorized || r2.StatusCode != http.StatusUnauthorized {
		t.Fatalf("statuses %d %d, want 401", r1.StatusCode, r2.StatusCode)
	}
	for _, b := range []string{b1, b2} {
		if !strings.Contains(b, "Wrong user name or password.") {
			t.Errorf("answer lacks the one message: %s", b)
		}
	}
	if c.cookie("tadamun_session") != "" {
		t.Error("a failed sign-in set a session")
	}
}

// TestOddSignInInput: on both databases, names and user agents that are not
// UTF-8 or hold control characters get the ordinary answers, never a 500;
// an over-long password is a 400.
func TestOddSignInInput(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := adminTestNodeDB(t, "http", b.URL)
			c := n.newClient(t, "127.0.0.3")
			for _, name := range []string{"\xff\xfe", "amal\x00", "AMAL", strings.Repeat("a", 64)} {
				if res, body := c.login(name, testPassword); res.StatusCode != http.StatusUnauthorized {
					t.Errorf("name %q = %d %.200s", name, res.StatusCode, body)
				}
			}
			if res, _ := c.login(adminName, strings.Repeat("x", 2000)); res.StatusCode != http.StatusBadRequest {
				t.Errorf("long password = %d", res.StatusCode)
			}
			if res, _ := c.get("/admin/login"); res.StatusCode != 200 {
				t.Fatal(res.StatusCode)
			}
			req, _ := http.NewRequest(http.MethodPost, n.URL+"/admin/login", strings.NewReader(url.Values{
				"username": {adminName}, "password": {testPassword}, "csrf": {c.csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("User-Agent", "Bad\xff\tagent \xc3")
			if res, body := c.do(req); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-in with an odd user agent = %d %.300s", res.StatusCode, body)
			}
			list, err := n.store.ListSessions(context.Background(), n.admin.ID)
			if err != nil || len(list) != 1 || list[0].UserAgent != "Badagent " {
				t.Errorf("stored sessions: %+v %v", list, err)
			}
		})
	}
}
