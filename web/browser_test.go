package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

// These tests look at the reader's site as a person's browser shows it:
// directions and languages as computed by Chromium, what a click reveals,
// where a form leads, and whether hostile HTML in a reply stays inert when a
// real engine parses it. They need Debian's chromium (bash .ci/run installs
// it); without it they skip, except under CI=true, where they fail.

const (
	// browserRunTimeout bounds every exchange with the browser, so a hung
	// Chromium fails the test instead of blocking CI.
	browserRunTimeout = 15 * time.Second
	// browserLifetime bounds the browser process itself.
	browserLifetime = 3 * time.Minute
)

// browser is one headless Chromium shared by the subtests; each opens its
// own tab.
type browser struct {
	ctx       context.Context // the first tab; new tabs are made from it
	artifacts string          // where screenshots go
}

// findChromium returns the browser to run: TADAMUN_CHROMIUM, else chromium
// on PATH.
func findChromium(t *testing.T) string {
	t.Helper()
	name := os.Getenv("TADAMUN_CHROMIUM")
	if name == "" {
		name = "chromium"
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("browser tests need Chromium: %v (apt-get install chromium, or set TADAMUN_CHROMIUM)", err)
	if os.Getenv("CI") == "true" || os.Getenv("TADAMUN_CHROMIUM") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	exe := findChromium(t)
	dir := os.Getenv("TADAMUN_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir() // removed after the browser has stopped (cleanups run last-in, first-out)
	life, stop := context.WithTimeout(context.Background(), browserLifetime)
	alloc, cancelAlloc := chromedp.NewExecAllocator(life,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// With no network but the package mirrors, anything Chromium does
		// on its own (QUIC probes, component and sync updates) hangs.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Containers have a small /dev/shm; Chromium crashes tabs there.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1024, 768),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		stop()
	})
	// The first run starts the process and binds it to ctx, so it cannot
	// carry a timeout of its own; a watchdog bounds it instead.
	if err := within(ctx, cancel); err != nil {
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	return &browser{ctx: ctx, artifacts: dir}
}

// within runs chromedp's first (binding) run on ctx, and cancels ctx if it
// takes longer than browserRunTimeout.
func within(ctx context.Context, cancel context.CancelFunc) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(browserRunTimeout):
		cancel()
		<-done
		return fmt.Errorf("no answer from the browser in %s", browserRunTimeout)
	}
}

// tab opens a new tab, closed when the test ends.
func (b *browser) tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	if err := within(ctx, cancel); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// run runs one action in the tab with a timeout.
func run[T any](t *testing.T, tab context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserRunTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	return run(t, tab, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// visit loads a page, requires a 200 and saves a screenshot of it.
func (b *browser) visit(t *testing.T, tab context.Context, u, shot string) {
	t.Helper()
	res := run(t, tab, "load "+u, chromedp.NavigateResponse(u))
	if res.Status != http.StatusOK {
		t.Fatalf("GET %s in the browser = %d", u, res.Status)
	}
	b.shot(t, tab, shot)
}

// follow runs a step that navigates (a click, a submit), waits for the page
// it leads to, requires a 200 there and saves a screenshot.
func (b *browser) follow(t *testing.T, tab context.Context, what, shot string, step chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserRunTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, step)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("%s: landed on %s with %d", what, res.URL, res.Status)
	}
	b.shot(t, tab, shot)
}

// protocol is an action that sends one DevTools command to the tab.
func protocol[P, R any](cmd cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tgt, cmd, params)
		return err
	})
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// shot saves a full-page PNG of the tab as <test>-<name>.png: the viewport
// is stretched to the page's height, captured, and put back. It does not use
// chromedp.FullScreenshot (captureBeyondViewport): Chromium 156 draws a
// right-to-left page shorter than the window shifted 154 px sideways in it,
// the very kind of fault these pictures are there to show, and so a false one.
func (b *browser) shot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	type size struct {
		W int64 `json:"w"`
		H int64 `json:"h"`
	}
	sz := eval[size](t, tab, `({w: document.documentElement.clientWidth, h: Math.ceil(document.documentElement.scrollHeight)})`)
	run(t, tab, "stretch the viewport", chromedp.EmulateViewport(sz.W, sz.H))
	png := run(t, tab, "screenshot "+name, chromedp.CaptureScreenshot())
	run(t, tab, "restore the viewport", protocol(emulation.ClearDeviceMetricsOverride, cdp.Empty{}))
	file := unsafeFileChars.ReplaceAllString(t.Name()+"-"+name, "_") + ".png"
	if err := os.WriteFile(filepath.Join(b.artifacts, file), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newBrowserNode is newNode with two differences a browser needs: the node's
// public host is the test server's own address, so the absolute links it
// writes (language switcher, hreflang) lead back to it; and it may look up
// readers' servers on loopback over plain HTTP, for the follow form.
func newBrowserNode(t *testing.T) *node {
	t.Helper()
	st := storagetest.Open(t, storagetest.SQLiteURL(t))
	srv := httptest.NewUnstartedServer(nil) // its listener, and so its address, exists already
	t.Cleanup(srv.Close)
	clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	n := &node{store: st, clock: &clock, srv: srv}
	now := func() time.Time { return *n.clock }
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n.fed = federation.New(federation.Config{Scheme: "http", Host: srv.Listener.Addr().String(), Now: now, Logger: quiet,
		MediaDir: t.TempDir(), Client: transport.New(transport.Config{AllowPrivate: true}), InsecureRemote: true}, st)
	s, err := web.New(web.Config{Version: "test", Now: now, Logger: quiet, Metrics: prometheus.NewRegistry()}, st, n.fed)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	return n
}

// readerServer is a reader's own fediverse server: WebFinger names its
// subscribe page, which is where the follow form must send the reader. The
// page is not the /authorize_interaction the node falls back to when
// WebFinger fails, so landing there proves the look-up happened.
func readerServer(t *testing.T, lookups *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/webfinger":
			if r.URL.Query().Get("resource") != "acct:amal@"+r.Host {
				http.NotFound(w, r)
				return
			}
			lookups.Add(1)
			w.Header().Set("Content-Type", "application/jrd+json")
			io.WriteString(w, `{"subject":"acct:amal@`+r.Host+`","links":[{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"http://`+r.Host+`/interact/follow?uri={uri}"}]}`)
		case "/interact/follow":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<!doctype html><html lang="en"><title>Follow</title><h1 id="follow">Follow `+
				html.EscapeString(r.URL.Query().Get("uri"))+`?</h1></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

const (
	arTitle = "نقف معاً مع ناشطي المجتمع المدني العراقي"
	enTitle = "We stand with Iraqi civil society activists"
	cwText  = "Descriptions of violence against protesters"
	cwBody  = "Witnesses described how the protest in Basra was broken up."
	// hostileReply is a reply as a hostile server might send it: every
	// way of running script, hiding the page or covering it.
	hostileReply = `<style>body{display:none}</style>` +
		`<div style="position:fixed;inset:0;background:red;z-index:9">covered</div>` +
		`<p onclick="window.__pwned=5">Solidarity from Oslo.<script>window.__pwned=1</script> ` +
		`<img src=x onerror="window.__pwned=2"> ` +
		`<a href="javascript:window.__pwned=3" onclick="window.__pwned=4">read more</a></p>`
)

func TestBrowser(t *testing.T) {
	b := startBrowser(t)
	n := newBrowserNode(t)
	ctx := context.Background()
	host := n.fed.IRI().Host()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi",
		DisplayName: "Iraqi Civil Society Solidarity Initiative", Languages: []string{"ar", "en"}}); err != nil {
		t.Fatal(err)
	}
	en := n.publish(t, "icssi", "---\ntitle: We Stand Together With Iraqi Civil Society Activists!\nlanguage: en\n"+
		"summary: ICSSI brings together Iraqi and international civil society.\npublish: 2026-11-20T09:00:00Z\n---\n"+
		"For more than 12 years of invasion, war and occupation, Iraqi activists have kept working.\n")
	ar := n.publish(t, "icssi", "---\ntitle: "+arTitle+"\nlanguage: ar\nsummary: مبادرة التضامن مع المجتمع المدني العراقي.\n"+
		"publish: 2026-11-21T09:00:00Z\n---\nمنذ أكثر من اثني عشر عاماً من الغزو والحرب والاحتلال، يواصل الناشطون العراقيون عملهم.\n")
	cw := n.publish(t, "icssi", "---\ntitle: Report from Basra\nlanguage: en\ncontent_warning: "+cwText+"\n"+
		"publish: 2026-11-22T09:00:00Z\n---\n"+cwBody+"\n")

	// Front matter has no translations yet: the English version of the
	// Arabic statement goes in through the store.
	md := "For more than twelve years of invasion, war and occupation, Iraqi activists have kept working."
	body, err := content.RenderMarkdown(md)
	if err != nil {
		t.Fatal(err)
	}
	ar.Translations = append(ar.Translations, storage.Translation{Language: "en", Title: enTitle,
		Summary: "The Iraqi Civil Society Solidarity Initiative.", BodyMarkdown: md, BodyHTML: body})
	if err := n.store.UpdateStatement(ctx, ar); err != nil {
		t.Fatal(err)
	}
	arPage := n.srv.URL + "/@icssi/" + url.PathEscape(ar.Slug)

	t.Run("home lists statements, the Arabic one right to left", func(t *testing.T) {
		tab := b.tab(t)
		b.visit(t, tab, n.srv.URL+"/", "home")
		type item struct {
			Title string `json:"title"`
			Lang  string `json:"lang"`
			Dir   string `json:"dir"`
		}
		items := eval[[]item](t, tab, `[...document.querySelectorAll('ol.statements > li')].map(li => ({
			title: li.querySelector('h2').innerText.trim(),
			lang: li.closest('[lang]').lang,
			dir: getComputedStyle(li).direction}))`)
		got := map[string]item{}
		for _, it := range items {
			got[it.Title] = it
		}
		for _, want := range []item{{en.Title, "en", "ltr"}, {arTitle, "ar", "rtl"}, {cw.Title, "en", "ltr"}} {
			if got[want.Title] != want {
				t.Errorf("home item %q = %+v, want %+v (all: %+v)", want.Title, got[want.Title], want, items)
			}
		}
		if len(items) != 3 {
			t.Errorf("home lists %d statements, want 3: %+v", len(items), items)
		}
	})

	t.Run("actor page and the follow form", func(t *testing.T) {
		var lookups atomic.Int32
		reader := readerServer(t, &lookups)
		readerHost := strings.TrimPrefix(reader.URL, "http://")
		tab := b.tab(t)
		b.visit(t, tab, n.srv.URL+"/@icssi", "profile")
		if name := eval[string](t, tab, `document.querySelector('h1').innerText.trim()`); name != "Iraqi Civil Society Solidarity Initiative" {
			t.Errorf("profile h1 = %q", name)
		}
		if handle := eval[string](t, tab, `document.querySelector('.handle').innerText.trim()`); handle != "@icssi@"+host {
			t.Errorf("profile handle = %q, want %q", handle, "@icssi@"+host)
		}
		// Find the field as a person would: by its label.
		found := eval[bool](t, tab, `(() => {
			const l = [...document.querySelectorAll('label')].find(l => l.textContent.trim() === 'Your address');
			if (!l || !l.control) return false;
			l.control.setAttribute('data-test-field', 'address');
			return true;
		})()`)
		if !found {
			t.Fatal(`no input labelled "Your address"`)
		}
		field := chromedp.CSS(`[data-test-field="address"]`)
		run(t, tab, "type the address", chromedp.SendKeys(field, "amal@"+readerHost))
		submit := eval[string](t, tab, `(() => {
			const f = document.querySelector('[data-test-field="address"]').form;
			const s = f && f.querySelector('[type=submit]');
			if (!s) return '';
			s.setAttribute('data-test-submit', '');
			return s.innerText.trim();
		})()`)
		if submit == "" {
			t.Fatal("the address field is in no form with a submit button")
		}
		b.follow(t, tab, "submit the follow form", "reader-server", chromedp.Click(chromedp.CSS(`[data-test-submit]`)))
		want := reader.URL + "/interact/follow?uri=" + url.QueryEscape("acct:icssi@"+host)
		if loc := run(t, tab, "location", chromedp.Location()); loc != want {
			t.Errorf("after following: at %s, want %s", loc, want)
		}
		if lookups.Load() != 1 {
			t.Errorf("reader's WebFinger asked %d times, want 1", lookups.Load())
		}
	})

	t.Run("statement page names its languages for search engines", func(t *testing.T) {
		tab := b.tab(t)
		b.visit(t, tab, arPage, "statement")
		type link struct {
			Lang string `json:"lang"`
			Href string `json:"href"`
		}
		got := eval[[]link](t, tab, `[...document.querySelectorAll('link[rel="alternate"][hreflang]')].map(l =>
			({lang: l.hreflang, href: decodeURI(l.href)}))`)
		base := n.srv.URL + "/@icssi/" + ar.Slug
		want := []link{{"ar", base}, {"en", base + "/en"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("hreflang links = %+v, want %+v", got, want)
		}
	})

	t.Run("Arabic statement and its English translation", func(t *testing.T) {
		type state struct {
			Lang     string   `json:"lang"`
			Dir      string   `json:"dir"`
			Computed string   `json:"computed"`
			Title    string   `json:"title"`
			Path     string   `json:"path"`
			Switcher []string `json:"switcher"`
			Current  []string `json:"current"`
		}
		read := func(tab context.Context) state {
			return eval[state](t, tab, `(() => {
				const a = document.querySelector('article.statement');
				const links = [...document.querySelectorAll('nav.languages a')];
				return {
					lang: a.lang,
					dir: a.dir,
					computed: getComputedStyle(a).direction,
					title: a.querySelector('h1').innerText.trim(),
					path: decodeURIComponent(location.pathname),
					switcher: links.map(l => l.textContent.trim()),
					current: links.filter(l => l.getAttribute('aria-current') === 'page').map(l => l.textContent.trim()),
				};
			})()`)
		}
		tab := b.tab(t)
		b.visit(t, tab, arPage, "ar")
		path := "/@icssi/" + ar.Slug
		want := state{Lang: "ar", Dir: "rtl", Computed: "rtl", Title: arTitle, Path: path,
			Switcher: []string{"ar", "en"}, Current: []string{"ar"}}
		if got := read(tab); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Arabic page:\n got  %+v\n want %+v", got, want)
		}
		b.follow(t, tab, `click "en"`, "en", chromedp.Click(chromedp.CSS(`nav.languages a[hreflang="en"]`)))
		want = state{Lang: "en", Dir: "ltr", Computed: "ltr", Title: enTitle, Path: path + "/en",
			Switcher: []string{"ar", "en"}, Current: []string{"en"}}
		if got := read(tab); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("English page:\n got  %+v\n want %+v", got, want)
		}
	})

	t.Run("content warning hides the text until clicked", func(t *testing.T) {
		// Height is how much taller the <details> is than its summary: the
		// room the text takes on the page. (Chromium keeps a layout box for
		// the text of a closed <details>, with content-visibility: hidden, so
		// the text's own bounding box is not 0; checkVisibility sees it.)
		type state struct {
			Open    bool    `json:"open"`
			Summary string  `json:"summary"`
			Visible bool    `json:"visible"`
			Height  float64 `json:"height"`
			Text    string  `json:"text"`
		}
		read := func(tab context.Context) state {
			return eval[state](t, tab, `(() => {
				const d = document.querySelector('details.cw');
				const sum = d.querySelector('summary');
				const body = d.querySelector('.body');
				return {open: d.open, summary: sum.innerText.trim(), visible: body.checkVisibility(),
					height: d.getBoundingClientRect().height - sum.getBoundingClientRect().height,
					text: body.innerText.trim()};
			})()`)
		}
		tab := b.tab(t)
		b.visit(t, tab, n.srv.URL+"/@icssi/"+cw.Slug, "closed")
		if s := read(tab); s.Open || s.Summary != cwText || s.Visible || s.Height != 0 || s.Text != "" {
			t.Fatalf("before the click: %+v; want closed, summary %q, body hidden", s, cwText)
		}
		run(t, tab, "click the warning", chromedp.Click(chromedp.CSS(`details.cw > summary`)))
		run(t, tab, "wait for it to open", chromedp.Poll[bool](`document.querySelector('details.cw').open`,
			chromedp.WithPollingTimeout(browserRunTimeout)))
		b.shot(t, tab, "open")
		if s := read(tab); !s.Open || !s.Visible || s.Height <= 0 || s.Text != cwBody {
			t.Errorf("after the click: %+v; want the body %q shown", s, cwBody)
		}
	})

	t.Run("hostile reply renders inert", func(t *testing.T) {
		r := &storage.RemoteActor{IRI: "https://evil.test/users/mallory", Host: "evil.test", Username: "mallory",
			DisplayName: "Mallory", URL: "https://evil.test/@mallory", Inbox: "https://evil.test/inbox",
			ExpiresAt: time.Now().Add(time.Hour)}
		if err := n.store.UpsertRemoteActor(ctx, r); err != nil {
			t.Fatal(err)
		}
		o := &storage.RemoteObject{IRI: "https://evil.test/notes/1", RemoteActorID: r.ID, Type: "Note",
			StatementID: en.ID, InReplyTo: n.fed.IRI().Statement("icssi", en.ID), URL: "https://evil.test/@mallory/1",
			ContentHTML: content.SanitizeRemote(hostileReply), Moderation: storage.ModerationPending}
		if err := n.store.UpsertRemoteObject(ctx, o); err != nil {
			t.Fatal(err)
		}
		if err := n.store.SetModeration(ctx, o.ID, storage.ModerationApproved); err != nil {
			t.Fatal(err)
		}
		tab := b.tab(t)
		// Switch off the page's Content-Security-Policy: it would stop
		// inline script on its own, and this test is of the sanitizer and
		// the templates, the layer beneath it.
		run(t, tab, "bypass CSP", protocol(page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}))
		b.visit(t, tab, n.srv.URL+"/@icssi/"+en.Slug, "reply")

		// Click where the link was, as a reader would.
		type point struct {
			X float64 `json:"x"`
			Y float64 `json:"y"`
		}
		p := eval[*point](t, tab, `(() => {
			const sec = document.querySelector('section.replies');
			if (!sec) return null;
			const w = document.createTreeWalker(sec, NodeFilter.SHOW_TEXT);
			for (let n = w.nextNode(); n; n = w.nextNode()) {
				const i = n.data.indexOf('read more');
				if (i < 0) continue;
				const r = document.createRange();
				r.setStart(n, i);
				r.setEnd(n, i + 'read more'.length);
				const b = r.getBoundingClientRect();
				return {x: b.x + b.width / 2, y: b.y + b.height / 2};
			}
			return null;
		})()`)
		if p == nil {
			t.Fatal(`no reply with "read more" on the page`)
		}
		run(t, tab, "click the link", chromedp.Steps(chromedp.MouseClickXY(p.X, p.Y), chromedp.Sleep(300*time.Millisecond)))
		b.shot(t, tab, "after-click")

		type report struct {
			Pwned     string   `json:"pwned"`
			Location  string   `json:"location"`
			Elements  []string `json:"elements"`
			Attrs     []string `json:"attrs"`
			BodyShown bool     `json:"bodyShown"`
			Visible   bool     `json:"visible"`
			OnTop     bool     `json:"onTop"`
		}
		got := eval[report](t, tab, `(() => {
			const sec = document.querySelector('section.replies');
			const all = [...sec.querySelectorAll('*')];
			const text = [...sec.querySelectorAll('.body')].find(e => e.innerText.includes('Solidarity from Oslo'));
			let onTop = false;
			if (text) {
				const b = text.getBoundingClientRect();
				const top = document.elementFromPoint(b.x + 5, b.y + b.height / 2);
				onTop = !!top && sec.contains(top);
			}
			return {
				pwned: typeof window.__pwned === 'undefined' ? '' : String(window.__pwned),
				location: location.href,
				elements: [...sec.querySelectorAll('script, iframe, style, object, embed, form')].map(e => e.outerHTML),
				attrs: all.flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on') || a.name === 'style')
					.map(a => e.localName + ' ' + a.name + '=' + a.value)),
				bodyShown: getComputedStyle(document.body).display !== 'none',
				visible: !!text && text.checkVisibility() && text.getBoundingClientRect().height > 0,
				onTop: onTop,
			};
		})()`)
		if got.Pwned != "" {
			t.Errorf("script from the reply ran: window.__pwned = %s", got.Pwned)
		}
		if want := n.srv.URL + "/@icssi/" + en.Slug; got.Location != want {
			t.Errorf("the click went to %s", got.Location)
		}
		if len(got.Elements) > 0 {
			t.Errorf("replies section has active elements: %q", got.Elements)
		}
		if len(got.Attrs) > 0 {
			t.Errorf("replies section has event or style attributes: %q", got.Attrs)
		}
		if !got.BodyShown {
			t.Error("the reply hid the page body")
		}
		if !got.Visible || !got.OnTop {
			t.Errorf("reply text visible %v, not covered %v", got.Visible, got.OnTop)
		}
	})
}
