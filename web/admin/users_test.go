package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestUsersInUI: an admin lists, creates, re-roles, resets and deletes
// users with the effects of `tadamun user create|role|passwd|delete`;
// bad input is a 4xx that changes nothing, and the last admin stays.
// Both databases.
func TestUsersInUI(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := adminTestNodeDB(t, "http", b.URL)
			ctx := context.Background()
			icssi, err := n.store.ActorByUsername(ctx, "icssi")
			if err != nil {
				t.Fatal(err)
			}
			other, err := n.store.ActorByUsername(ctx, "other")
			if err != nil {
				t.Fatal(err)
			}
			c := n.signedIn(t, adminName, "127.0.0.3")
			res, body := c.get("/admin/users")
			if res.StatusCode != 200 || !strings.Contains(body, ">"+editorName+"</a>") || !strings.Contains(body, "icssi") {
				t.Fatalf("users = %d %.800s", res.StatusCode, body)
			}

			// Create an editor of both actors.
			newUser := url.Values{"username": {"dilan"}, "password": {"dilan's long password"},
				"confirm": {"dilan's long password"}, "role": {"editor"}, "actor": {"icssi", "other"}}
			if res, body := c.postForm("/admin/users", newUser); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("create = %d %.300s", res.StatusCode, body)
			}
			u, err := n.store.UserByUsername(ctx, "dilan")
			if err != nil || u.Role != storage.RoleEditor || !u.CheckPassword("dilan's long password") {
				t.Fatalf("created %+v %v", u, err)
			}
			if ids, _ := n.store.UserActors(ctx, u.ID); len(ids) != 2 {
				t.Fatalf("dilan's actors %v", ids)
			}

			// Refusals change nothing.
			before := fingerprint(t, n)
			users := storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM users")
			for _, tc := range []struct {
				path string
				form url.Values
				code int
			}{
				{"/admin/users", newUser, http.StatusConflict},
				{"/admin/users", url.Values{"username": {"Bad Name"}, "password": {"long enough pw"}, "confirm": {"long enough pw"}, "role": {"editor"}}, http.StatusBadRequest},
				{"/admin/users", url.Values{"username": {"short"}, "password": {"short"}, "confirm": {"short"}, "role": {"editor"}}, http.StatusBadRequest},
				{"/admin/users", url.Values{"username": {"twice"}, "password": {"long enough pw"}, "confirm": {"other enough pw"}, "role": {"editor"}}, http.StatusBadRequest},
				{"/admin/users", url.Values{"username": {"boss"}, "password": {"long enough pw"}, "confirm": {"long enough pw"}, "role": {"admin"}, "actor": {"icssi"}}, http.StatusBadRequest},
				{"/admin/users", url.Values{"username": {"king"}, "password": {"long enough pw"}, "confirm": {"long enough pw"}, "role": {"king"}}, http.StatusBadRequest},
				{"/admin/users", url.Values{"username": {"ghost"}, "password": {"long enough pw"}, "confirm": {"long enough pw"}, "role": {"editor"}, "actor": {"nobody"}}, http.StatusBadRequest},
				{"/admin/users/dilan/role", url.Values{"role": {"owner"}}, http.StatusBadRequest},
				{"/admin/users/nobody/role", url.Values{"role": {"editor"}}, http.StatusNotFound},
				{"/admin/users/" + adminName + "/role", url.Values{"role": {"editor"}}, http.StatusConflict}, // the last admin
				{"/admin/users/" + adminName + "/password", url.Values{"password": {"long enough pw"}, "confirm": {"long enough pw"}}, http.StatusBadRequest},
				{"/admin/users/dilan/password", url.Values{"password": {"long enough pw"}, "confirm": {"not the same pw"}}, http.StatusBadRequest},
				{"/admin/users/dilan/delete", url.Values{}, http.StatusBadRequest}, // not confirmed
				{"/admin/users/" + adminName + "/delete", url.Values{"sure": {"on"}}, http.StatusBadRequest},
			} {
				if res, body := c.postForm(tc.path, tc.form); res.StatusCode != tc.code {
					t.Errorf("POST %s %v = %d, want %d: %.300s", tc.path, tc.form, res.StatusCode, tc.code, body)
				}
			}
			if got := fingerprint(t, n); got != before {
				t.Fatalf("database changed:\n%s\n%s", before, got)
			}
			// A refused new user comes back as sent, but for the password.
			res, body = c.postForm("/admin/users", url.Values{"username": {"ghost"}, "password": {"long enough pw"},
				"confirm": {"other enough pw"}, "role": {"editor"}, "actor": {"other"}})
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `value="ghost"`) ||
				!strings.Contains(body, `value="other" checked`) || strings.Contains(body, "long enough pw") ||
				!strings.Contains(body, "The password and its repetition differ.") {
				t.Errorf("refused new user = %d: %.1500s", res.StatusCode, body)
			}
			if got := storagetest.Count(t, n.dbURL, "SELECT COUNT(*) FROM users"); got != users {
				t.Fatalf("%d users, want %d", got, users)
			}
			if u2, _ := n.store.UserByUsername(ctx, "dilan"); u2.PasswordHash != u.PasswordHash || u2.Role != u.Role {
				t.Fatalf("dilan changed: %+v", u2)
			}

			// Role and actors: dilan now works on other only.
			if res, body := c.get("/admin/users/dilan"); res.StatusCode != 200 || !strings.Contains(body, `value="icssi" checked`) {
				t.Fatalf("user page = %d %.800s", res.StatusCode, body)
			}
			if res, body := c.postForm("/admin/users/dilan/role", url.Values{"role": {"editor"}, "actor": {"other"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("role = %d %.300s", res.StatusCode, body)
			}
			if ids, _ := n.store.UserActors(ctx, u.ID); !slices.Equal(ids, []string{other.ID}) {
				t.Fatalf("dilan's actors %v, want [%s] (not %s)", ids, other.ID, icssi.ID)
			}

			// Reset dilan's password: dilan's browser is signed out.
			d := n.newClient(t, "127.0.0.4")
			if res, body := d.login("dilan", "dilan's long password"); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("dilan signs in = %d %.300s", res.StatusCode, body)
			}
			if res, _ := d.get("/admin"); res.StatusCode != 200 {
				t.Fatalf("dilan's dashboard = %d", res.StatusCode)
			}
			if res, body := c.postForm("/admin/users/dilan/password", url.Values{"password": {"a brand new password"},
				"confirm": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("reset = %d %.300s", res.StatusCode, body)
			}
			if res, _ := d.get("/admin"); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("dilan's old session still works after a reset: %d", res.StatusCode)
			}
			if res, body := d.login("dilan", "a brand new password"); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in with the new password = %d %.300s", res.StatusCode, body)
			}

			// Make dilan admin, and delete basel.
			if res, body := c.postForm("/admin/users/dilan/role", url.Values{"role": {"admin"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("make admin = %d %.300s", res.StatusCode, body)
			}
			if u2, _ := n.store.UserByUsername(ctx, "dilan"); u2.Role != storage.RoleAdmin {
				t.Fatalf("dilan is %s", u2.Role)
			}
			if res, body := c.postForm("/admin/users/"+editorName+"/delete", url.Values{"sure": {"on"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete = %d %.300s", res.StatusCode, body)
			}
			if _, err := n.store.UserByUsername(ctx, editorName); err == nil {
				t.Fatal("basel still exists")
			}
			if res, body := c.get("/admin/users"); strings.Contains(body, ">"+editorName+"</a>") || !strings.Contains(body, "The user is deleted.") {
				t.Fatalf("users after delete = %d %.800s", res.StatusCode, body)
			}
		})
	}
}
