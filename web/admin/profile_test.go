package admin_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// profilePNG is a small PNG picture.
func profilePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			m.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// addProfileFollower makes a remote actor an accepted follower of the local actor
// username and returns the follower's inbox.
func addProfileFollower(t testing.TB, n *testNode, username string) string {
	t.Helper()
	ctx := context.Background()
	a, err := n.store.ActorByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	r := &storage.RemoteActor{IRI: "https://remote.example/users/reader", Host: "remote.example", Type: "Person",
		Username: "reader", Inbox: "https://remote.example/users/reader/inbox", URL: "https://remote.example/@reader"}
	if err := n.store.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := n.store.PutFollower(ctx, a.ID, r.ID, "https://remote.example/follows/1", storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	return r.Inbox
}

// actorUpdates counts the Update activities of the actor username whose
// body holds want, and their delivery rows to inbox.
func actorUpdates(t testing.TB, n *testNode, username, want, inbox string) (acts, deliveries int) {
	t.Helper()
	actor := n.fed.IRI().Actor(username)
	acts = storagetest.Count(t, n.dbURL, `SELECT COUNT(*) FROM activities WHERE activity_type = 'Update' AND object_iri = $1
		AND direction = 'out' AND body LIKE $2`, actor, "%"+want+"%")
	deliveries = storagetest.Count(t, n.dbURL, `SELECT COUNT(*) FROM deliveries d JOIN activities a ON a.id = d.activity_id
		WHERE a.activity_type = 'Update' AND a.object_iri = $1 AND d.inbox = $2`, actor, inbox)
	return acts, deliveries
}

// profileTestForm is a complete profile form as the page sends it.
func profileTestForm(name string) url.Values {
	return url.Values{"name": {name}, "summary": {"Solidarity **now**."},
		"field_name": {"Web", "Founded", ""}, "field_value": {"https://icssi.example", "2003", ""},
		"languages": {"ar, en ckb"}, "object_type": {"Article"}, "approve": {"on"}}
}

// TestProfileSaveSendsUpdate: an editor of icssi changes its profile with
// an avatar; the actor changes, its followers get one Update of the actor
// (delivery rows), the public page shows the new name, and saving the same
// again sends nothing. Both databases.
func TestProfileSaveSendsUpdate(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := adminTestNodeDB(t, "http", b.URL)
			inbox := addProfileFollower(t, n, "icssi")
			c := n.signedIn(t, editorName, "127.0.0.3")
			if res, body := c.get("/admin/actors/icssi/profile"); res.StatusCode != 200 || !strings.Contains(body, `value="ICSSI"`) {
				t.Fatalf("profile form = %d %.500s", res.StatusCode, body)
			}
			name := "تضامن ICSSI"
			res, body := c.postMultipart("/admin/actors/icssi/profile", profileTestForm(name),
				map[string][]byte{"avatar": profilePNG(t, 40, 30)})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("save = %d %.500s", res.StatusCode, body)
			}
			a, err := n.store.ActorByUsername(context.Background(), "icssi")
			if err != nil {
				t.Fatal(err)
			}
			if a.DisplayName != name || a.Summary != "Solidarity **now**." || a.ObjectType != "Article" ||
				!a.ManuallyApprovesFollowers || strings.Join(a.Languages, ",") != "ar,en,ckb" || len(a.Fields) != 2 ||
				a.Fields[1] != (storage.Field{Name: "Founded", Value: "2003"}) {
				t.Fatalf("actor after save: %+v", a)
			}
			if !strings.HasPrefix(a.AvatarPath, "actors/"+a.ID+"/avatar-") {
				t.Fatalf("avatar path %q", a.AvatarPath)
			}
			if _, err := os.Stat(filepath.Join(n.fed.MediaDir(), filepath.FromSlash(a.AvatarPath))); err != nil {
				t.Fatalf("avatar file: %v", err)
			}
			if acts, dels := actorUpdates(t, n, "icssi", "تضامن", inbox); acts != 1 || dels != 1 {
				t.Fatalf("Update activities %d, deliveries to the follower %d; want 1 and 1", acts, dels)
			}
			if res, body := c.get("/admin/actors/icssi/profile"); res.StatusCode != 200 ||
				!strings.Contains(body, "The profile is saved.") || !strings.Contains(body, "/media/"+a.AvatarPath) {
				t.Fatalf("after save = %d %.800s", res.StatusCode, body)
			}
			res, err = http.Get(n.URL + "/@icssi")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(page), name) {
				t.Fatalf("public profile = %d, without %q: %.500s", res.StatusCode, name, page)
			}
			// The same form again: nothing followers see changed, no Update.
			if res, body := c.postMultipart("/admin/actors/icssi/profile", profileTestForm(name), nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("save again = %d %.500s", res.StatusCode, body)
			}
			if acts, _ := actorUpdates(t, n, "icssi", "", inbox); acts != 1 {
				t.Fatalf("%d Update activities after an unchanged save, want 1", acts)
			}
		})
	}
}

// TestProfileRefusesBadInput: an avatar that is not an image, one over the
// size cap, a bad language, a bad representation or fields without values
// are refused with a clear 4xx and the form as sent, and nothing is
// stored: not the other changes of the same form, no file, no activity.
func TestProfileRefusesBadInput(t *testing.T) {
	n := adminTestNode(t, "http")
	inbox := addProfileFollower(t, n, "icssi")
	c := n.signedIn(t, adminName, "127.0.0.3")
	c.get("/admin/actors/icssi/profile")
	before := fingerprint(t, n)
	ctx := context.Background()
	orig, err := n.store.ActorByUsername(ctx, "icssi")
	if err != nil {
		t.Fatal(err)
	}
	big := append(profilePNG(t, 8, 8), bytes.Repeat([]byte{0}, 11<<20)...)
	for _, tc := range []struct {
		name  string
		form  url.Values
		files map[string][]byte
		code  int
		msg   string
	}{
		{"text as avatar", profileTestForm("Changed"), map[string][]byte{"avatar": []byte("just some text, no picture")},
			http.StatusBadRequest, "The avatar is not an image"},
		{"html as header", profileTestForm("Changed"), map[string][]byte{"header": []byte("<html><body>x</body></html>")},
			http.StatusBadRequest, "The header is not an image"},
		{"avatar over the cap", profileTestForm("Changed"), map[string][]byte{"avatar": big},
			http.StatusRequestEntityTooLarge, "The avatar image is too large: at most 10 MB."},
		{"bad language", func() url.Values {
			f := profileTestForm("Changed")
			f.Set("languages", "ar, not a language!")
			return f
		}(), nil,
			http.StatusBadRequest, "language"},
		{"bad representation", func() url.Values { f := profileTestForm("Changed"); f.Set("object_type", "Video"); return f }(), nil,
			http.StatusBadRequest, "Note or Article"},
		{"field without value", func() url.Values { f := profileTestForm("Changed"); f["field_value"] = f["field_value"][:1]; return f }(), nil,
			http.StatusBadRequest, "needs a name and a value"},
		{"value without name", func() url.Values {
			f := profileTestForm("Changed")
			f["field_name"] = []string{"", "Founded", ""}
			return f
		}(), nil, http.StatusBadRequest, "needs a name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := c.postMultipart("/admin/actors/icssi/profile", tc.form, tc.files)
			if res.StatusCode != tc.code || !strings.Contains(body, tc.msg) {
				t.Fatalf("= %d, want %d with %q: %.800s", res.StatusCode, tc.code, tc.msg, body)
			}
			if !strings.Contains(body, `id="name" name="name" value="Changed"`) || !strings.Contains(body, `class="error" role="alert"`) {
				t.Errorf("the refused form does not come back as sent, with its reason: %.1500s", body)
			}
			a, err := n.store.ActorByUsername(ctx, "icssi")
			if err != nil {
				t.Fatal(err)
			}
			if a.DisplayName != orig.DisplayName || a.AvatarPath != "" || a.HeaderPath != "" || a.ObjectType != orig.ObjectType {
				t.Fatalf("actor changed: %+v", a)
			}
			if got := fingerprint(t, n); got != before {
				t.Fatalf("database changed:\n%s\n%s", before, got)
			}
			if acts, _ := actorUpdates(t, n, "icssi", "", inbox); acts != 0 {
				t.Fatalf("%d Update activities", acts)
			}
			if entries, _ := os.ReadDir(filepath.Join(n.fed.MediaDir(), "actors")); len(entries) != 0 {
				t.Fatalf("files stored: %v", entries)
			}
		})
	}
}

// TestEditorForbidden: an editor gets 403 on another actor's profile (read
// and save) and on every admin-only page and form, and nothing changes.
func TestEditorForbidden(t *testing.T) {
	n := adminTestNode(t, "http")
	c := n.signedIn(t, editorName, "127.0.0.3")
	before := fingerprint(t, n)
	for _, p := range []string{"/admin/actors/other/profile", "/admin/users", "/admin/users/" + adminName,
		"/admin/users/" + editorName, "/admin/settings", "/admin/new-actor"} {
		if res, body := c.get(p); res.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s = %d, want 403: %.300s", p, res.StatusCode, body)
		}
	}
	c.get("/admin/actors/icssi/profile") // a page of theirs, for the token
	if res, body := c.postMultipart("/admin/actors/other/profile", profileTestForm("Taken over"), nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("POST another actor's profile = %d: %.300s", res.StatusCode, body)
	}
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/admin/users", url.Values{"username": {"mallory"}, "password": {"a long password"}, "confirm": {"a long password"}, "role": {"admin"}}},
		{"/admin/users/" + editorName + "/role", url.Values{"role": {"admin"}}},
		{"/admin/users/" + adminName + "/password", url.Values{"password": {"a long password"}, "confirm": {"a long password"}}},
		{"/admin/users/" + adminName + "/delete", url.Values{"sure": {"on"}}},
		{"/admin/settings", url.Values{"name": {"Taken over"}}},
		{"/admin/new-actor", url.Values{"username": {"mallory"}}},
	} {
		if res, body := c.postForm(tc.path, tc.form); res.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s = %d, want 403: %.300s", tc.path, res.StatusCode, body)
		}
	}
	if got := fingerprint(t, n); got != before {
		t.Fatalf("database changed:\n%s\n%s", before, got)
	}
	a, err := n.store.ActorByUsername(context.Background(), "other")
	if err != nil || a.DisplayName != "OTHER" {
		t.Fatalf("other = %+v, %v", a, err)
	}
	if res, body := c.get("/admin"); strings.Contains(body, `href="/admin/users"`) || res.StatusCode != 200 {
		t.Errorf("an editor's menu links to the users page: %.500s", body)
	}
}

// TestCreateActorInUI: an admin creates an actor as `tadamun actor create`
// does; a taken or malformed name is a 400 that creates nothing.
func TestCreateActorInUI(t *testing.T) {
	n := adminTestNode(t, "http")
	c := n.signedIn(t, adminName, "127.0.0.3")
	if res, body := c.get("/admin/new-actor"); res.StatusCode != 200 || !strings.Contains(body, `name="username"`) {
		t.Fatalf("form = %d %.300s", res.StatusCode, body)
	}
	form := url.Values{"username": {"kurd"}, "name": {"Kurdish desk"}, "summary": {"News"}, "type": {"Group"},
		"languages": {"ckb, en"}, "object_type": {"Article"}, "approve": {"on"}}
	res, body := c.postForm("/admin/new-actor", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/actors/kurd/profile" {
		t.Fatalf("create = %d %s %.300s", res.StatusCode, res.Header.Get("Location"), body)
	}
	a, err := n.store.ActorByUsername(context.Background(), "kurd")
	if err != nil {
		t.Fatal(err)
	}
	if a.DisplayName != "Kurdish desk" || a.Type != "Group" || a.ObjectType != "Article" || !a.ManuallyApprovesFollowers ||
		strings.Join(a.Languages, ",") != "ckb,en" || !strings.Contains(a.PublicKeyPEM, "PUBLIC KEY") {
		t.Fatalf("created %+v", a)
	}
	before := fingerprint(t, n)
	for _, bad := range []url.Values{{"username": {"kurd"}}, {"username": {"Not Valid"}}, {"username": {"x"}, "type": {"Robot"}},
		{"username": {"y"}, "object_type": {"Video"}}} {
		if res, body := c.postForm("/admin/new-actor", bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("create %v = %d, want 400: %.300s", bad, res.StatusCode, body)
		}
	}
	if got := fingerprint(t, n); got != before {
		t.Fatalf("database changed:\n%s\n%s", before, got)
	}
}

// TestNodeSettingsInUI: an admin sets the node's name, description and
// language (as `tadamun node set`); the home page shows the name; a bad
// language is a 400 that changes nothing. Both databases.
func TestNodeSettingsInUI(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := adminTestNodeDB(t, "http", b.URL)
			c := n.signedIn(t, adminName, "127.0.0.3")
			if res, body := c.get("/admin/settings"); res.StatusCode != 200 || !strings.Contains(body, `id="description"`) {
				t.Fatalf("settings = %d %.300s", res.StatusCode, body)
			}
			res, body := c.postForm("/admin/settings", url.Values{"name": {"  شبكة تضامن  "},
				"description": {"Civil society\r\nsolidarity."}, "language": {"AR"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("save = %d %.300s", res.StatusCode, body)
			}
			ctx := context.Background()
			s, err := n.store.NodeSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != "شبكة تضامن" || s.Description != "Civil society\nsolidarity." || s.Language != "ar" {
				t.Fatalf("settings %+v", s)
			}
			res, err = http.Get(n.URL + "/")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !strings.Contains(string(page), "شبكة تضامن") {
				t.Errorf("home page without the name: %.500s", page)
			}
			for _, bad := range []url.Values{{"name": {"x"}, "language": {"not a language!"}},
				{"name": {strings.Repeat("n", 101)}}, {"name": {"a\x01b"}}} {
				if res, body := c.postForm("/admin/settings", bad); res.StatusCode != http.StatusBadRequest ||
					!strings.Contains(body, `role="alert"`) || !strings.Contains(body, `value="`+bad.Get("name")[:1]) {
					t.Errorf("save %v = %d, want 400 with the form as sent: %.300s", bad, res.StatusCode, body)
				}
			}
			if s2, err := n.store.NodeSettings(ctx); err != nil || s2.Name != s.Name || s2.Language != "ar" {
				t.Fatalf("after refusals: %+v %v", s2, err)
			}
		})
	}
}
