package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAdminInArabic: in Chromium, an admin signed in on a node whose
// default is English chooses العربية with the picker at the foot of the
// page (a plain form: no script runs) and the admin interface is laid out
// right to left: the document's computed direction is rtl, the navigation
// starts at the right edge, table headings align to the right, counts are
// in Arabic-Indic digits, and nothing overflows a 360 px phone. Saved as
// screenshots (admin-ar-*.png).
func TestBrowserAdminInArabic(t *testing.T) {
	b := startBrowser(t)
	n := adminTestNode(t, "http")
	tab := b.tab(t)
	signInBrowser(t, tab, n, adminName)
	if got := eval[string](t, tab, `document.documentElement.lang + " " + getComputedStyle(document.body).direction`); got != "en ltr" {
		t.Fatalf("before choosing: %q", got)
	}
	if st := navigate(t, tab, "choose Arabic", chromedp.Click(chromedp.CSS(`footer button[value="ar"]`))); st != http.StatusOK {
		t.Fatalf("after choosing Arabic: %d", st)
	}
	if path := eval[string](t, tab, `location.pathname`); path != "/admin" {
		t.Errorf("the picker led to %s, not back to the dashboard", path)
	}
	type layout struct {
		Lang, HTMLDir, BodyDir, MainDir, ThAlign string
		BrandRight, WhoRight, NavRight           float64
		Scripts                                  int
	}
	const read = `(() => {
		const r = s => document.querySelector(s).getBoundingClientRect();
		return {Lang: document.documentElement.lang, HTMLDir: document.documentElement.dir,
			BodyDir: getComputedStyle(document.body).direction,
			MainDir: getComputedStyle(document.querySelector('main')).direction,
			ThAlign: getComputedStyle(document.querySelector('th')).textAlign,
			BrandRight: r('nav .brand').right, WhoRight: r('nav .who').right, NavRight: r('nav').right,
			Scripts: document.scripts.length};
	})()`
	l := eval[layout](t, tab, read)
	if l.Lang != "ar" || l.HTMLDir != "rtl" || l.BodyDir != "rtl" || l.MainDir != "rtl" {
		t.Errorf("not right to left: %+v", l)
	}
	// The brand opens the navigation: at its right edge, the user's name
	// (margin-inline-start:auto) pushed to the far left.
	if l.BrandRight < l.NavRight-40 || l.WhoRight > l.BrandRight {
		t.Errorf("the navigation is not laid out right to left: %+v", l)
	}
	if th := eval[bool](t, tab, `(() => { const th = document.querySelector('th'), tr = th.closest('tr');
		return Math.abs(th.getBoundingClientRect().right - tr.getBoundingClientRect().right) < 2; })()`); !th {
		t.Errorf("the first table heading is not at the right (text-align %s)", l.ThAlign)
	}
	// An account's handle reads @icssi, not icssi@: it is isolated, left to
	// right, inside the right-to-left line.
	if h := eval[string](t, tab, `(() => { const s = document.querySelector('td .muted');
		return getComputedStyle(s).direction + " " + getComputedStyle(s).unicodeBidi + " " + s.textContent; })()`); h != "ltr isolate @icssi" {
		t.Errorf("the handle in the dashboard: %q", h)
	}
	if l.Scripts != 0 {
		t.Errorf("the dashboard runs %d scripts; the picker must need none", l.Scripts)
	}
	if got := text(t, tab); !strings.Contains(got, "لوحة التحكم") || strings.ContainsAny(got, "0123456789") {
		t.Errorf("the dashboard is not in Arabic with its numerals: %q", got)
	}
	b.shot(t, tab, "dashboard")
	do(t, tab, "narrow", chromedp.EmulateViewport(360, 640))
	if eval[bool](t, tab, `document.documentElement.scrollWidth > 360`) {
		t.Error("the Arabic dashboard is wider than a 360 px phone")
	}
	b.shot(t, tab, "dashboard-360")
	do(t, tab, "widen", restoreViewport())
	if st := navigate(t, tab, "open the account page", chromedp.Navigate(n.URL+"/admin/account")); st != http.StatusOK {
		t.Fatalf("account = %d", st)
	}
	if got := eval[string](t, tab, `getComputedStyle(document.body).direction`); got != "rtl" {
		t.Errorf("the account page is %s", got)
	}
	b.shot(t, tab, "account")
}
