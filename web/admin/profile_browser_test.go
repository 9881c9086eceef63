package admin_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserProfileSettingsUsers: in Chromium, an admin edits an actor's
// profile with an avatar (and sees a text file refused), on a 360 px
// phone too; sets the node settings; creates a user and opens their page;
// creates an actor. Then the editor is refused another actor's profile
// and the users page. Screenshots of each screen; each page under 60 KB.
func TestBrowserProfileSettingsUsers(t *testing.T) {
	n := adminTestNode(t, "http")
	b := startBrowser(t)
	tab := b.tab(t)
	signInBrowser(t, tab, n, adminName)
	dir := t.TempDir()
	avatar, notImage := filepath.Join(dir, "avatar.png"), filepath.Join(dir, "notes.png")
	if err := os.WriteFile(avatar, profilePNG(t, 64, 64), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notImage, []byte("these are notes, not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	submit := chromedp.Click(chromedp.CSS(`main form button[type=submit]`))

	// Profile.
	if st := navigate(t, tab, "open the profile", chromedp.Navigate(n.URL+"/admin/actors/icssi/profile")); st != http.StatusOK {
		t.Fatalf("profile = %d", st)
	}
	b.shot(t, tab, "profile")
	eval[bool](t, tab, `(document.querySelector('#name').value = '', document.querySelector('#languages').value = '', true)`)
	do(t, tab, "fill the profile", chromedp.SendKeys(chromedp.CSS(`#name`), "شبكة ICSSI"),
		chromedp.SendKeys(chromedp.CSS(`#fn1`), "Web"), chromedp.SendKeys(chromedp.CSS(`#fv1`), "https://icssi.example"),
		chromedp.SendKeys(chromedp.CSS(`#languages`), "ar, en"), chromedp.Click(chromedp.CSS(`input[value=Article]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#avatar`), []string{avatar}))
	if st := navigate(t, tab, "save the profile", submit); st != http.StatusOK {
		t.Fatalf("after saving the profile: %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "The profile is saved.") {
		t.Fatalf("after saving: %s", got)
	}
	if w := eval[int](t, tab, `document.querySelector('img.avatar') ? document.querySelector('img.avatar').naturalWidth : 0`); w == 0 {
		t.Fatal("the new avatar is not shown")
	}
	if got := eval[string](t, tab, `getComputedStyle(document.querySelector('#name')).direction`); got != "rtl" {
		t.Errorf("the Arabic display name is laid out %s, want rtl (dir=auto)", got)
	}
	b.shot(t, tab, "profile-saved")
	do(t, tab, "choose a text file", chromedp.SetUploadFiles(chromedp.CSS(`#avatar`), []string{notImage}))
	if st := navigate(t, tab, "save with a text file", submit); st != http.StatusBadRequest {
		t.Fatalf("a text file as avatar: %d, want 400", st)
	}
	if got := text(t, tab); !strings.Contains(got, "The avatar is not an image") {
		t.Fatalf("refusal: %s", got)
	}
	b.shot(t, tab, "profile-refused")
	a, err := n.store.ActorByUsername(context.Background(), "icssi")
	if err != nil || a.DisplayName != "شبكة ICSSI" || a.ObjectType != "Article" || a.AvatarPath == "" {
		t.Fatalf("icssi = %+v, %v", a, err)
	}

	// On a phone.
	do(t, tab, "phone size", chromedp.EmulateViewport(360, 740))
	if st := navigate(t, tab, "profile on a phone", chromedp.Navigate(n.URL+"/admin/actors/icssi/profile")); st != http.StatusOK {
		t.Fatalf("profile = %d", st)
	}
	if w := eval[int](t, tab, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the profile is %d px wide on a 360 px phone", w)
	}
	b.shot(t, tab, "profile-phone")
	do(t, tab, "desktop size", restoreViewport())

	// Node settings.
	if st := navigate(t, tab, "open the settings", chromedp.Navigate(n.URL+"/admin/settings")); st != http.StatusOK {
		t.Fatalf("settings = %d", st)
	}
	do(t, tab, "fill the settings", chromedp.SendKeys(chromedp.CSS(`#name`), "Solidarity Network"),
		chromedp.SendKeys(chromedp.CSS(`#description`), "News from civil society."), chromedp.SendKeys(chromedp.CSS(`#language`), "en"))
	if st := navigate(t, tab, "save the settings", submit); st != http.StatusOK {
		t.Fatalf("after saving the settings: %d", st)
	}
	b.shot(t, tab, "settings")
	if s, err := n.store.NodeSettings(context.Background()); err != nil || s.Name != "Solidarity Network" {
		t.Fatalf("settings %+v %v", s, err)
	}

	// Users.
	if st := navigate(t, tab, "open the users", chromedp.Navigate(n.URL+"/admin/users")); st != http.StatusOK {
		t.Fatalf("users = %d", st)
	}
	do(t, tab, "fill the new user", chromedp.SendKeys(chromedp.CSS(`#username`), "dilan"), chromedp.SendKeys(chromedp.CSS(`#password`), "dilan's long password"),
		chromedp.SendKeys(chromedp.CSS(`#confirm`), "dilan's long password"), chromedp.Click(chromedp.CSS(`input[name=actor][value=other]`)))
	if st := navigate(t, tab, "create the user", submit); st != http.StatusOK {
		t.Fatalf("after creating the user: %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "The user is created.") || !strings.Contains(got, "dilan") {
		t.Fatalf("users after create: %s", got)
	}
	b.shot(t, tab, "users")
	if st := navigate(t, tab, "open dilan", chromedp.Navigate(n.URL+"/admin/users/dilan")); st != http.StatusOK {
		t.Fatalf("user page = %d", st)
	}
	b.shot(t, tab, "user")

	// A new actor.
	if st := navigate(t, tab, "open the new actor form", chromedp.Navigate(n.URL+"/admin/new-actor")); st != http.StatusOK {
		t.Fatalf("new actor = %d", st)
	}
	b.shot(t, tab, "new-actor")
	do(t, tab, "fill the new actor", chromedp.SendKeys(chromedp.CSS(`#username`), "kurd"), chromedp.SendKeys(chromedp.CSS(`#name`), "Kurdish desk"),
		chromedp.SendKeys(chromedp.CSS(`#languages`), "ckb"))
	if st := navigate(t, tab, "create the actor", submit); st != http.StatusOK {
		t.Fatalf("after creating the actor: %d", st)
	}
	if path := eval[string](t, tab, `location.pathname`); path != "/admin/actors/kurd/profile" {
		t.Fatalf("after creating the actor the browser is at %s", path)
	}

	// Page weight, without images.
	c := n.signedIn(t, adminName, "127.0.0.6")
	_, css := c.get("/admin/static/admin.css")
	for _, p := range []string{"/admin/actors/icssi/profile", "/admin/settings", "/admin/users", "/admin/users/dilan", "/admin/new-actor"} {
		if _, body := c.get(p); len(body)+len(css) > 60<<10 {
			t.Errorf("%s weighs %d bytes with its CSS", p, len(body)+len(css))
		}
	}

	// The editor.
	if st := navigate(t, tab, "sign out", chromedp.Click(chromedp.CSS(`nav form button`))); st != http.StatusOK {
		t.Fatalf("sign out: %d", st)
	}
	signInBrowser(t, tab, n, editorName)
	if st := navigate(t, tab, "another actor's profile", chromedp.Navigate(n.URL+"/admin/actors/other/profile")); st != http.StatusForbidden {
		t.Fatalf("editor on another actor's profile: %d, want 403", st)
	}
	b.shot(t, tab, "editor-refused")
	if st := navigate(t, tab, "the users page", chromedp.Navigate(n.URL+"/admin/users")); st != http.StatusForbidden {
		t.Fatalf("editor on the users page: %d, want 403", st)
	}
}
