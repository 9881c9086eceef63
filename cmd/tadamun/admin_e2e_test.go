package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// The words of the statement the test writes.
const (
	e2eTitle   = "نقف مع المجتمع المدني في العراق"
	e2eBody    = "نحن **نقف** مع الناشطين"
	e2eEdited  = "نحن نقف مع الناشطين والناشطات"
	e2eTag     = "تضامن"
	e2eAlt     = "نمط ملون للاختبار"
	e2eEnTitle = "We stand with civil society in Iraq"
	e2eEnBody  = "We **stand** with the activists"
	e2ePass    = "correct horse battery"
)

// getPage GETs url (with accept, if given) and returns its status and body.
func getPage(t *testing.T, url, accept string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	cl := &http.Client{Timeout: 20 * time.Second}
	res, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// keyboardSignIn signs in on the sign-in page with the keyboard alone:
// the name, Tab, the password, Enter; it requires the dashboard.
func keyboardSignIn(t *testing.T, c *chrome, n *node, user string) {
	t.Helper()
	if st := c.load(t, "open the sign-in page", chromedp.Navigate("http://"+n.domain+"/admin/login")); st != http.StatusOK {
		t.Fatalf("sign-in page = %d", st)
	}
	c.steps(t, "type the name", chromedp.Focus(chromedp.CSS("#username")), chromedp.KeyEvent(user))
	submit := chromedp.Steps(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(e2ePass), chromedp.KeyEvent(kb.Enter))
	if st := c.load(t, "sign in", submit); st != http.StatusOK {
		t.Fatalf("after signing in as %s: %d", user, st)
	}
	if path := chromeEval[string](t, c, `location.pathname`); path != "/admin" {
		t.Fatalf("after signing in as %s the browser is at %s", user, path)
	}
}

// pressEnterOn focuses the element sel and presses Enter, which loads a
// page (a button submits its form, a link is followed); it returns the
// page's status.
func pressEnterOn(t *testing.T, c *chrome, what, sel string) int64 {
	t.Helper()
	return c.load(t, what, chromedp.Steps(chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent(kb.Enter)))
}

// retype selects the text of the field sel and types text over it.
func retype(sel, text string) chromedp.Action[chromedp.Void] {
	selectAll := chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(document.querySelector('`+sel+`').select(), true)`)(ctx, tgt)
		return err
	})
	return chromedp.Steps(chromedp.Focus(chromedp.CSS(sel)), selectAll, chromedp.KeyEvent(text))
}

// patternPNG is a small PNG picture to upload.
func patternPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for x := range 48 {
		for y := range 32 {
			img.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 7), 140, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAdminEndToEnd is issue 8's first acceptance test, in Chromium
// against two real nodes: the follower B follows A's actor; on A an admin
// signs in with the keyboard, writes an Arabic statement with a hashtag,
// an image with its description and an English translation, and schedules
// it a minute ahead. Until its time it is on none of A's pages, feeds or
// its outbox; at its time it is on all of them and reaches B. An edit
// reaches B as an Update, the deletion (after its confirmation) as a
// Delete. Then an editor given only A's first actor gets 403 on the other
// actor's statement list, compose and edit pages, and writes for their own.
func TestAdminEndToEnd(t *testing.T) {
	start := time.Now()
	c := startChrome(t, 8*time.Minute)
	a := startNode(t, "127.0.0.2", storagetest.SQLiteURL(t), "icssi")
	b := startNode(t, "127.0.0.3", storagetest.SQLiteURL(t), "partner")
	base := "http://" + a.domain
	a.run(t, "actor", "create", "other", "--name", "OTHER")
	otherURL := strings.TrimSpace(a.run(t, "publish", "--actor", "other", seedFile(t)).stdout)
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(e2ePass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.run(t, "user", "create", "amal", "--role", "admin", "--password-file", pw)
	a.run(t, "user", "create", "nour", "--role", "editor", "--actors", "icssi", "--password-file", pw)
	b.run(t, "follow", "partner", "@icssi@"+a.domain)
	eventually(t, "B's follow is accepted", func() bool {
		return a.count(t, `SELECT COUNT(*) FROM followers WHERE state = 'accepted'`) == 1 &&
			b.count(t, `SELECT COUNT(*) FROM following WHERE state = 'accepted'`) == 1
	}, a, b)

	// 1. Sign in as the admin with the keyboard.
	keyboardSignIn(t, c, a, "amal")
	c.shot(t, "1-dashboard")

	// 2. Compose: the text fields in Tab order, the image, the time.
	if st := c.load(t, "open compose", chromedp.Navigate(base+"/admin/statements/new?actor=icssi")); st != http.StatusOK {
		t.Fatalf("compose = %d", st)
	}
	pic := filepath.Join(t.TempDir(), "pattern.png")
	if err := os.WriteFile(pic, patternPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	c.steps(t, "write the statement",
		chromedp.Focus(chromedp.CSS("#title")), chromedp.KeyEvent(e2eTitle),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("بيان تضامن"),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(e2eBody),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("#"+e2eTag),
		retype("#language", "ar"),
		chromedp.SetUploadFiles(chromedp.CSS("#image0"), []string{pic}),
		chromedp.Focus(chromedp.CSS("#alt0")), chromedp.KeyEvent(e2eAlt))
	if got := chromeEval[string](t, c, `['title','summary','body','tags','language','zone'].map(i => document.getElementById(i).value).join('|')`); got != e2eTitle+"|بيان تضامن|"+e2eBody+"|#"+e2eTag+"|ar|UTC" {
		t.Fatalf("the form after typing: %q", got)
	}
	// The form takes whole minutes: the first one at least 40 s ahead
	// leaves time to check the statement is nowhere before it is due.
	when := time.Now().UTC().Add(40 * time.Second).Truncate(time.Minute).Add(time.Minute)
	c.steps(t, "set the time", chromedp.SetValue(chromedp.CSS("#when"), when.Format("2006-01-02T15:04")))
	c.shot(t, "2-compose")
	if st := pressEnterOn(t, c, "schedule", `button[value=schedule]`); st != http.StatusOK {
		t.Fatalf("schedule = %d: %s", st, c.mainText(t))
	}
	if got := c.mainText(t); !strings.Contains(got, "The statement is scheduled.") {
		t.Fatalf("after scheduling: %q", got)
	}
	id := strings.TrimPrefix(chromeEval[string](t, c, `location.pathname`), "/admin/statements/")
	objIRI := base + "/users/icssi/statements/" + id
	page := base + iri.StatementPath("icssi", content.Slugify(e2eTitle), "")
	t.Logf("scheduled %s for %s (%s from now), public page %s", id, when.Format(time.TimeOnly), time.Until(when).Round(time.Second), page)

	// The English translation, beside the original.
	c.steps(t, "translate", chromedp.Focus(chromedp.CSS("#tlang")), chromedp.KeyEvent("en"),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(e2eEnTitle),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(e2eEnBody))
	if st := pressEnterOn(t, c, "save the translation", `form[action$="/translations"] button`); st != http.StatusOK {
		t.Fatalf("translation = %d: %s", st, c.mainText(t))
	}
	if n := a.count(t, `SELECT COUNT(*) FROM statements WHERE id = $1 AND state = 'scheduled'`, id); n != 1 {
		t.Fatalf("the statement is not scheduled")
	}
	if n := a.count(t, `SELECT COUNT(*) FROM statement_translations WHERE statement_id = $1 AND language = 'en'`, id); n != 1 {
		t.Fatalf("the translation is not stored")
	}
	c.shot(t, "2-scheduled-translated")

	// 3. Before its time: nowhere on A, nothing at B.
	feeds := []string{"/feed.rss", "/feed.atom", "/feed.json", "/@icssi/feed.rss", "/@icssi/feed.atom", "/@icssi/feed.json"}
	pages := append([]string{"/", "/@icssi", "/tags/" + e2eTag}, feeds...)
	for _, p := range pages {
		if code, body := getPage(t, base+p, ""); strings.Contains(body, e2eTitle) || strings.Contains(body, id) {
			t.Errorf("before its time, %s (%d) shows the statement", p, code)
		}
	}
	if code, _ := getPage(t, page, ""); code != http.StatusNotFound {
		t.Errorf("before its time, the public page answers %d", code)
	}
	if code, _ := getPage(t, objIRI, "application/activity+json"); code != http.StatusNotFound {
		t.Errorf("before its time, the object answers %d", code)
	}
	for _, p := range []string{"/users/icssi/outbox", "/users/icssi/outbox?page=true"} {
		if code, body := getPage(t, base+p, "application/activity+json"); code != http.StatusOK || strings.Contains(body, id) {
			t.Errorf("before its time, the outbox %s (%d) has it: %s", p, code, body)
		}
	}
	if n := b.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1`, objIRI); n != 0 {
		t.Errorf("before its time, B has it")
	}
	if st := c.load(t, "the actor's page", chromedp.Navigate(base+"/@icssi?before")); st != http.StatusOK {
		t.Fatalf("actor page = %d", st)
	}
	c.shot(t, "3-actor-page-before")
	if left := time.Until(when); left < 0 {
		t.Fatalf("the checks before the statement's time ended %s after it: the machine is too slow for this test", -left)
	}

	// 4. At its time: the scheduler publishes it (never before).
	deadline := when.Add(90 * time.Second)
	for {
		code, _ := getPage(t, objIRI, "application/activity+json")
		if code == http.StatusOK {
			if now := time.Now(); now.Before(when) {
				t.Fatalf("published at %s, before its time %s", now.Format(time.TimeOnly), when.Format(time.TimeOnly))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Logf("log of A:\n%s", a.srv.logText())
			t.Fatalf("not published 90 s after its time (object answers %d)", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("published %s after its time", time.Since(when).Round(100*time.Millisecond))
	for _, p := range pages {
		if code, body := getPage(t, base+p, ""); code != http.StatusOK || !strings.Contains(body, e2eTitle) {
			t.Errorf("after its time, %s (%d) does not show the statement", p, code)
		}
	}
	if code, body := getPage(t, page, ""); code != http.StatusOK || !strings.Contains(body, e2eTitle) || !strings.Contains(body, e2eAlt) {
		t.Errorf("after its time, the public page answers %d: %s", code, body)
	}
	if code, body := getPage(t, page+"/en", ""); code != http.StatusOK || !strings.Contains(body, e2eEnTitle) {
		t.Errorf("after its time, the English page answers %d", code)
	}
	if code, body := getPage(t, base+"/users/icssi/outbox?page=true", "application/activity+json"); code != http.StatusOK || !strings.Contains(body, objIRI) {
		t.Errorf("after its time, the outbox (%d) lacks it: %s", code, body)
	}
	eventually(t, "the statement reaches B with its image, hashtag and translation", func() bool {
		return b.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND content_html LIKE '%<strong>نقف</strong>%'`, objIRI) == 1 &&
			b.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Create' AND body LIKE '%'||$1||'%'
				AND body LIKE '%'||$2||'%' AND body LIKE '%'||$3||'%' AND body LIKE '%'||$4||'%'`, objIRI, e2eAlt, "#"+e2eTag, e2eEnTitle) == 1
	}, a, b)
	if st := c.load(t, "the public page", chromedp.Navigate(page)); st != http.StatusOK {
		t.Fatalf("public page in the browser = %d", st)
	}
	c.shot(t, "4-public-page")

	// 5. Edit the text: B gets an Update.
	if st := c.load(t, "open the statement", chromedp.Navigate(base+"/admin/statements/"+id)); st != http.StatusOK {
		t.Fatalf("edit page = %d", st)
	}
	c.steps(t, "change the text", retype("#body", e2eEdited))
	if st := pressEnterOn(t, c, "save the edit", `button[value=publish]`); st != http.StatusOK {
		t.Fatalf("save = %d: %s", st, c.mainText(t))
	}
	if got := c.mainText(t); !strings.Contains(got, "The statement is published.") {
		t.Fatalf("after the edit: %q", got)
	}
	c.shot(t, "5-edited")
	eventually(t, "the edit reaches B as an Update", func() bool {
		return b.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Update' AND body LIKE '%'||$1||'%'
				AND body LIKE '%'||$2||'%'`, objIRI, e2eAlt) >= 1 &&
			b.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND content_html LIKE '%والناشطات%' AND edited_at IS NOT NULL`, objIRI) == 1
	}, a, b)

	// Delete it, after the confirmation page: B gets a Delete.
	if st := pressEnterOn(t, c, "ask to delete", `a[href$="/delete"]`); st != http.StatusOK {
		t.Fatalf("delete page = %d", st)
	}
	c.shot(t, "5-confirm-delete")
	if st := pressEnterOn(t, c, "delete", `button.danger`); st != http.StatusOK {
		t.Fatalf("delete = %d", st)
	}
	if got := c.mainText(t); !strings.Contains(got, "The statement is deleted.") {
		t.Fatalf("after deleting: %q", got)
	}
	c.shot(t, "5-deleted")
	eventually(t, "the deletion reaches B as a Delete", func() bool {
		return b.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Delete' AND body LIKE '%'||$1||'%'`, objIRI) >= 1 &&
			b.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND deleted_at IS NOT NULL`, objIRI) == 1
	}, a, b)
	if code, _ := getPage(t, objIRI, "application/activity+json"); code != http.StatusGone {
		t.Errorf("the deleted object answers %d", code)
	}

	// 6. An editor of icssi only: refused the other actor, writes for icssi.
	if st := pressEnterOn(t, c, "sign out", `nav form button`); st != http.StatusOK {
		t.Fatalf("sign out = %d", st)
	}
	keyboardSignIn(t, c, a, "nour")
	if got := c.mainText(t); !strings.Contains(got, "ICSSI") || strings.Contains(got, "OTHER") {
		t.Errorf("the editor's dashboard: %q", got)
	}
	c.shot(t, "6-editor-dashboard")
	otherID := strings.Fields(strings.Split(a.run(t, "statement", "list", "--actor", "other").stdout, "\n")[1])[0]
	for _, p := range []string{"/admin/statements?actor=other", "/admin/statements/new?actor=other",
		"/admin/statements/" + otherID, "/admin/statements/" + otherID + "/delete", "/admin/actors/other/profile"} {
		if st := c.load(t, "open "+p, chromedp.Navigate(base+p)); st != http.StatusForbidden {
			t.Errorf("the editor opened %s: %d", p, st)
		}
	}
	if got := c.mainText(t); !strings.Contains(got, "You do not work on this actor.") {
		t.Errorf("the 403 page: %q", got)
	}
	c.shot(t, "6-editor-refused")
	if code, _ := getPage(t, otherURL, ""); code != http.StatusOK {
		t.Errorf("the other actor's statement answers %d after the editor's attempts", code)
	}
	if st := c.load(t, "compose as the editor", chromedp.Navigate(base+"/admin/statements/new?actor=icssi")); st != http.StatusOK {
		t.Fatalf("the editor's compose = %d", st)
	}
	c.steps(t, "write as the editor", chromedp.Focus(chromedp.CSS("#title")), chromedp.KeyEvent("Editors write too"),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Written by an editor."),
		retype("#language", "en"))
	if st := pressEnterOn(t, c, "publish now", `button[value=publish]`); st != http.StatusOK {
		t.Fatalf("the editor's publish = %d: %s", st, c.mainText(t))
	}
	if got := c.mainText(t); !strings.Contains(got, "The statement is published.") {
		t.Fatalf("after the editor's publish: %q", got)
	}
	c.shot(t, "6-editor-published")
	edID := strings.TrimPrefix(chromeEval[string](t, c, `location.pathname`), "/admin/statements/")
	eventually(t, "the editor's statement reaches B", func() bool {
		return b.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND content_html LIKE '%Written by an editor.%'`,
			base+"/users/icssi/statements/"+edID) == 1
	}, a, b)
	t.Logf("the whole walk took %s", time.Since(start).Round(time.Second))
}
