package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tadamun/tadamun/storage"
)

// TestBrowserWriting: in Chromium, write an Arabic statement with a
// hashtag and an image with alt text, see the live preview and the
// preview button's, schedule it, add an English translation beside the
// original, find it in the list as scheduled, publish it now, and read it
// on the public page. Screenshots of each screen.
func TestBrowserWriting(t *testing.T) {
	b := startBrowser(t)
	n := adminTestNode(t, "http")
	tab := b.tab(t)
	signInBrowser(t, tab, n, adminName)
	pic := filepath.Join(t.TempDir(), "pattern.png")
	if err := os.WriteFile(pic, statementPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}

	if st := navigate(t, tab, "open compose", chromedp.Navigate(n.URL+"/admin/statements/new?actor=icssi")); st != http.StatusOK {
		t.Fatalf("compose = %d", st)
	}
	if size := eval[int](t, tab, `document.documentElement.outerHTML.length`); size > 60_000 {
		t.Errorf("the compose page is %d bytes", size)
	}
	do(t, tab, "write", chromedp.SendKeys(chromedp.CSS("#title"), "نقف مع المجتمع المدني"),
		chromedp.SendKeys(chromedp.CSS("#summary"), "بيان تضامن"),
		chromedp.SetValue(chromedp.CSS("#language"), "ar"),
		chromedp.SendKeys(chromedp.CSS("#tags"), "#تضامن"),
		chromedp.SendKeys(chromedp.CSS("#body"), "نحن **نقف** معاً"))
	// The live preview: rendered by the server a moment after typing stops.
	run(t, tab, "wait for the live preview",
		chromedp.Poll[bool](`document.querySelector('#preview strong') !== null && document.querySelector('#preview strong').textContent === 'نقف'`))
	b.shot(t, tab, "live-preview")
	do(t, tab, "narrow", chromedp.EmulateViewport(360, 640))
	if eval[bool](t, tab, `document.documentElement.scrollWidth > 360`) {
		t.Error("the compose page is wider than a 360 px phone")
	}
	b.shot(t, tab, "compose-360")
	do(t, tab, "widen", restoreViewport())

	// The Preview button (what works without JavaScript) keeps the form.
	if st := navigate(t, tab, "preview", chromedp.Click(chromedp.CSS(`button[value=preview]`))); st != http.StatusOK {
		t.Fatalf("preview = %d", st)
	}
	if got := eval[string](t, tab, `document.querySelector('#preview').innerHTML + '|' + document.querySelector('#title').value`); !strings.Contains(got, "<strong>نقف</strong>") ||
		!strings.HasSuffix(got, "|نقف مع المجتمع المدني") {
		t.Errorf("after Preview: %q", got)
	}
	b.shot(t, tab, "preview")

	// An image with its description, and a time: schedule.
	do(t, tab, "add the image", chromedp.SetUploadFiles(chromedp.CSS("#image0"), []string{pic}),
		chromedp.SendKeys(chromedp.CSS("#alt0"), "نمط ملون للاختبار"),
		chromedp.SetValue(chromedp.CSS("#when"), "2030-01-01T09:00"))
	if st := navigate(t, tab, "schedule", chromedp.Click(chromedp.CSS(`button[value=schedule]`))); st != http.StatusOK {
		t.Fatalf("schedule = %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "The statement is scheduled.") {
		t.Fatalf("after scheduling: %q", got)
	}
	id := strings.TrimPrefix(eval[string](t, tab, `location.pathname`), "/admin/statements/")
	st, err := n.store.StatementByID(context.Background(), id)
	if err != nil || st.State != storage.StateScheduled || len(st.Media) != 1 || st.Media[0].AltText != "نمط ملون للاختبار" ||
		len(st.Tags) != 1 || st.Language != "ar" {
		t.Fatalf("scheduled statement = %+v %v", st, err)
	}
	b.shot(t, tab, "scheduled")

	// An English translation, written beside the original.
	do(t, tab, "translate", chromedp.SendKeys(chromedp.CSS("#tlang"), "en"),
		chromedp.SendKeys(chromedp.CSS("#ttitle"), "We stand with civil society"),
		chromedp.SendKeys(chromedp.CSS("#tbody"), "We **stand** together"))
	if st := navigate(t, tab, "save the translation", chromedp.Click(chromedp.CSS(`form[action$="/translations"] button`))); st != http.StatusOK {
		t.Fatalf("translate = %d", st)
	}
	if got := eval[int](t, tab, `document.querySelectorAll('.side').length`); got != 2 {
		t.Errorf("%d side-by-side blocks, want the translation and a new one", got)
	}
	b.shot(t, tab, "translation")

	// The list shows it as scheduled.
	if st := navigate(t, tab, "list", chromedp.Navigate(n.URL+"/admin/statements?state=scheduled")); st != http.StatusOK {
		t.Fatalf("list = %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "نقف مع المجتمع المدني") || !strings.Contains(got, "scheduled") || !strings.Contains(got, "ar en") {
		t.Errorf("list: %q", got)
	}
	b.shot(t, tab, "list")

	// Publish now, then read it on the public page.
	if st := navigate(t, tab, "edit", chromedp.Navigate(n.URL+"/admin/statements/"+id)); st != http.StatusOK {
		t.Fatalf("edit = %d", st)
	}
	do(t, tab, "keep the image", chromedp.SetValue(chromedp.CSS("#when"), ""))
	if st := navigate(t, tab, "publish now", chromedp.Click(chromedp.CSS(`button[value=publish]`))); st != http.StatusOK {
		t.Fatalf("publish = %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "The statement is published.") {
		t.Fatalf("after publishing: %q", got)
	}
	st, err = n.store.StatementByID(context.Background(), id)
	if err != nil || st.State != storage.StatePublished || st.FederatedAt == nil || len(st.Media) != 1 {
		t.Fatalf("published statement = %+v %v", st, err)
	}
	u, err := url.Parse(n.fed.StatementURL(st))
	if err != nil {
		t.Fatal(err)
	}
	if code := navigate(t, tab, "public page", chromedp.Navigate(n.URL+u.Path)); code != http.StatusOK {
		t.Fatalf("public page %s = %d", u.Path, code)
	}
	if got := eval[string](t, tab, `document.body.innerText + '|' + [...document.images].map(i => i.alt).join(',')`); !strings.Contains(got, "نقف مع المجتمع المدني") ||
		!strings.Contains(got, "نمط ملون للاختبار") {
		t.Errorf("public page: %q", got)
	}
	b.shot(t, tab, "public")

	// Delete, after the confirmation page.
	if st := navigate(t, tab, "edit again", chromedp.Navigate(n.URL+"/admin/statements/"+id)); st != http.StatusOK {
		t.Fatalf("edit = %d", st)
	}
	if st := navigate(t, tab, "ask to delete", chromedp.Click(chromedp.CSS(`a[href$="/delete"]`))); st != http.StatusOK {
		t.Fatalf("delete page = %d", st)
	}
	b.shot(t, tab, "delete")
	if st := navigate(t, tab, "delete", chromedp.Click(chromedp.CSS(`button.danger`))); st != http.StatusOK {
		t.Fatalf("after deleting = %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "The statement is deleted.") || !strings.Contains(got, id) {
		t.Errorf("after deleting: %q", got)
	}
	if c := eval[string](t, tab, `getComputedStyle(document.querySelector('nav.pages span')).color`); c == "rgb(255, 255, 255)" {
		t.Error("the page numbers are white on white")
	}
	b.shot(t, tab, "list-deleted")
	// (Asked without the browser, whose cache may keep the page a while.)
	gone, err := http.Get(n.URL + u.Path)
	if err != nil {
		t.Fatal(err)
	}
	gone.Body.Close()
	if gone.StatusCode != http.StatusGone {
		t.Errorf("public page of a deleted statement = %d", gone.StatusCode)
	}
}
