package web_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/tadamun/tadamun/storage"
)

// TestBrowserPartners: /partners as Chromium shows it. The Arabic partner's
// post is laid out right to left and the English one left to right; the
// picture is our local copy, loaded, with its alt text; no request of the
// page (pictures, styles, anything) goes to a partner's server or to any
// host but the node; a content warning hides its post until clicked; and a
// hostile post, sanitized as the inbox stores it, runs nothing even with
// the page's Content-Security-Policy switched off.
func TestBrowserPartners(t *testing.T) {
	b := startBrowser(t)
	p := partnerNetOn(t, newBrowserNode(t))
	p.seed(t)

	tab := b.tab(t)
	b.visit(t, tab, p.srv.URL+"/partners", "partners")
	run(t, tab, "wait for the pictures", chromedp.Poll[bool](`[...document.images].every(i => i.complete)`,
		chromedp.WithPollingTimeout(browserRunTimeout)))

	type post struct {
		Text string `json:"text"`
		Lang string `json:"lang"`
		Dir  string `json:"dir"`
	}
	posts := eval[[]post](t, tab, `[...document.querySelectorAll('ol.partner-posts > li')].map(li => ({
		text: li.querySelector('.body').innerText.trim(), lang: li.lang, dir: getComputedStyle(li.querySelector('.body')).direction}))`)
	dirs := map[string]post{}
	for _, x := range posts {
		dirs[x.Lang] = x
	}
	if got := dirs["ar"]; got.Dir != "rtl" || got.Text == "" {
		t.Errorf("the Arabic post: %+v, want right to left (all: %+v)", got, posts)
	}
	if got := dirs["en"]; got.Dir != "ltr" {
		t.Errorf("an English post: %+v, want left to right", got)
	}

	type img struct {
		Src    string `json:"src"`
		Alt    string `json:"alt"`
		Width  int    `json:"width"`
		Origin bool   `json:"origin"`
	}
	imgs := eval[[]img](t, tab, `[...document.images].map(i => ({src: i.src, alt: i.alt, width: i.naturalWidth,
		origin: new URL(i.src).origin === location.origin}))`)
	if len(imgs) != 1 {
		t.Fatalf("pictures on the page: %+v, want the one local copy", imgs)
	}
	if im := imgs[0]; !im.Origin || im.Alt != "متظاهرون في بغداد" || im.Width != 320 {
		t.Errorf("picture %+v: want our own copy, loaded, with its alt text", im)
	}
	// Every request the page made, as the browser's resource timing saw it.
	requests := eval[[]string](t, tab, `[location.href, ...performance.getEntriesByType('resource').map(e => e.name)]`)
	self, err := url.Parse(p.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil || u.Host != self.Host {
			t.Errorf("the page requested %s, which is not the node", r)
		}
	}
	if len(requests) < 3 {
		t.Errorf("resource timing saw only %v: the check above sees nothing", requests)
	}

	type cw struct {
		Open    bool   `json:"open"`
		Summary string `json:"summary"`
		Visible bool   `json:"visible"`
	}
	read := func() cw {
		return eval[cw](t, tab, `(() => { const d = document.querySelector('details.cw');
			return {open: d.open, summary: d.querySelector('summary').innerText.trim(), visible: d.querySelector('.body').checkVisibility()}; })()`)
	}
	if s := read(); s.Open || s.Summary != "Violence" || s.Visible {
		t.Errorf("before the click: %+v; want closed with the warning", s)
	}
	run(t, tab, "click the warning", chromedp.Click(chromedp.CSS(`details.cw > summary`)))
	run(t, tab, "wait for it to open", chromedp.Poll[bool](`document.querySelector('details.cw').open`,
		chromedp.WithPollingTimeout(browserRunTimeout)))
	if s := read(); !s.Visible {
		t.Errorf("after the click: %+v; want the post shown", s)
	}
	b.shot(t, tab, "warning-open")

	// A hostile partner: its post, sanitized as the inbox stores it, runs
	// nothing even with the page's Content-Security-Policy switched off
	// (it would stop inline script on its own), and its picture, of which
	// we hold no copy, is not fetched.
	evil := p.partner(t, "mallory", "evil.test", "Mallory", false)
	p.post(t, evil, "x", "en", hostileReply, time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), func(o *storage.RemoteObject) {
		o.Attachments = []storage.RemoteAttachment{{URL: "https://evil.test/track.png", MediaType: "image/png", Alt: "tracker"}}
	})
	run(t, tab, "bypass CSP", protocol(page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}))
	// Another address: the browser keeps /partners a minute (max-age).
	b.visit(t, tab, p.srv.URL+"/partners?again", "hostile")
	if n := eval[int](t, tab, `document.images.length`); n != 1 {
		t.Errorf("%d pictures with the hostile post, want our one copy", n)
	}

	type report struct {
		Pwned    string   `json:"pwned"`
		Elements []string `json:"elements"`
		Attrs    []string `json:"attrs"`
		Shown    bool     `json:"shown"`
	}
	got := eval[report](t, tab, `(() => {
		const sec = document.querySelector('section.partner-posts');
		return {
			pwned: typeof window.__pwned === 'undefined' ? '' : String(window.__pwned),
			elements: [...sec.querySelectorAll('script, iframe, style, object, embed, form')].map(e => e.outerHTML),
			attrs: [...sec.querySelectorAll('*')].flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on') || a.name === 'style')
				.map(a => e.localName + ' ' + a.name + '=' + a.value)),
			shown: getComputedStyle(document.body).display !== 'none' && sec.innerText.includes('Solidarity from Oslo'),
		};
	})()`)
	if got.Pwned != "" || len(got.Elements) > 0 || len(got.Attrs) > 0 || !got.Shown {
		t.Errorf("hostile partner post: %+v", got)
	}
}
