package admin_test

import (
	"net/http"
	"strings"
	"testing"
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
