package web_test

import (
	"testing"

	"github.com/tadamun/tadamun/storage"
)

// TestBrowserSiteName: in Chromium, an Arabic site name on an English node
// (no default language set) is laid out right to left inside a left-to-right
// page, and it is the tab's title.
func TestBrowserSiteName(t *testing.T) {
	b := startBrowser(t)
	n := newBrowserNode(t)
	name := "شبكة التضامن"
	if err := n.store.SetNodeSettings(t.Context(), storage.NodeSettings{Name: name}); err != nil {
		t.Fatal(err)
	}
	tab := b.tab(t)
	b.visit(t, tab, n.srv.URL+"/", "home")
	type page struct {
		Title     string `json:"title"`
		Header    string `json:"header"`
		HeaderDir string `json:"headerDir"`
		PageDir   string `json:"pageDir"`
	}
	got := eval[page](t, tab, `(() => { const a = document.querySelector('header.site a.home'); return {
		title: document.title, header: a.innerText.trim(), headerDir: getComputedStyle(a).direction,
		pageDir: getComputedStyle(document.body).direction}; })()`)
	if want := (page{name, name, "rtl", "ltr"}); got != want {
		t.Errorf("page = %+v, want %+v", got, want)
	}
}
