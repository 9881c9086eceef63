package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The admin interface as a person's browser uses it. These tests need
// Debian's chromium (bash .ci/run installs it); without it they skip,
// except under CI=true or with TADAMUN_CHROMIUM set, where they fail.
// Screenshots go to $TADAMUN_ARTIFACTS.

const browserRunTimeout = 15 * time.Second

// browser is one headless Chromium; each test opens tabs in it.
type browser struct {
	ctx       context.Context
	artifacts string
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	name := os.Getenv("TADAMUN_CHROMIUM")
	if name == "" {
		name = "chromium"
	}
	exe, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("browser tests need Chromium: %v (apt-get install chromium, or set TADAMUN_CHROMIUM)", err)
		if os.Getenv("CI") == "true" || os.Getenv("TADAMUN_CHROMIUM") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := os.Getenv("TADAMUN_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	life, stop := context.WithTimeout(context.Background(), 3*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(life, chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(profile), chromedp.WindowSize(1024, 768))
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc(); stop() })
	if err := within(ctx, cancel); err != nil {
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	return &browser{ctx: ctx, artifacts: dir}
}

// within runs chromedp's first (binding) run on ctx, cancelling it after
// browserRunTimeout.
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

// tab opens a tab (with its own cookies only if the browser is new: tabs of
// one browser share them), closed when the test ends.
func (b *browser) tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	if err := within(ctx, cancel); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// run runs one action in the tab with a timeout and returns its result.
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

// do runs steps in the tab with a timeout.
func do(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	run(t, tab, what, chromedp.Steps(steps...))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	return run(t, tab, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// text is the visible text of the page's main element.
func text(t *testing.T, tab context.Context) string {
	t.Helper()
	return run(t, tab, "read the page", chromedp.Text(chromedp.CSS("main")))
}

// navigate runs a step that loads a page (a visit, a submit) and returns
// the status the page came with.
func navigate(t *testing.T, tab context.Context, what string, step chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserRunTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, step)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return res.Status
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// shot saves a full-page PNG of the tab as <test>-<name>.png.
func (b *browser) shot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	type size struct {
		W int64 `json:"w"`
		H int64 `json:"h"`
	}
	sz := eval[size](t, tab, `({w: document.documentElement.clientWidth, h: Math.ceil(document.documentElement.scrollHeight)})`)
	run(t, tab, "stretch the viewport", chromedp.EmulateViewport(sz.W, sz.H))
	png := run(t, tab, "screenshot "+name, chromedp.CaptureScreenshot())
	run(t, tab, "restore the viewport", restoreViewport())
	file := unsafeFileChars.ReplaceAllString(t.Name()+"-"+name, "_") + ".png"
	if err := os.WriteFile(filepath.Join(b.artifacts, file), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signInBrowser signs in as user with the keyboard alone (type, Tab,
// type, Enter) and requires the dashboard.
func signInBrowser(t *testing.T, tab context.Context, n *testNode, user string) {
	t.Helper()
	if st := navigate(t, tab, "open the sign-in page", chromedp.Navigate(n.URL+"/admin/login")); st != http.StatusOK {
		t.Fatalf("sign-in page = %d", st)
	}
	do(t, tab, "type the name", chromedp.Focus(chromedp.CSS("#username")), chromedp.KeyEvent(user))
	step := chromedp.Steps(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(testPassword), chromedp.KeyEvent(kb.Enter))
	if st := navigate(t, tab, "submit the sign-in form", step); st != http.StatusOK {
		t.Fatalf("after sign-in: %d", st)
	}
	if path := eval[string](t, tab, `location.pathname`); path != "/admin" {
		t.Fatalf("after sign-in the browser is at %s", path)
	}
}

// TestBrowserSignInAndOut: in Chromium, sign in with the keyboard, see the
// dashboard (also 360 px wide), the account page, and sign out.
func TestBrowserSignInAndOut(t *testing.T) {
	b := startBrowser(t)
	n := adminTestNode(t, "http")
	tab := b.tab(t)
	if st := navigate(t, tab, "open the sign-in page", chromedp.Navigate(n.URL+"/admin/login")); st != http.StatusOK {
		t.Fatalf("sign-in page = %d", st)
	}
	if bg := eval[string](t, tab, `getComputedStyle(document.querySelector('header')).backgroundColor`); bg != "rgb(31, 59, 77)" {
		t.Errorf("the style sheet did not apply (header background %s)", bg)
	}
	if lang := eval[string](t, tab, `document.documentElement.lang + " " + document.documentElement.dir`); lang != "en ltr" {
		t.Errorf("lang and dir: %q", lang)
	}
	b.shot(t, tab, "login")
	// A wrong password first: the same page, with the message.
	do(t, tab, "type a wrong password", chromedp.SendKeys(chromedp.CSS("#username"), adminName),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"))
	if st := navigate(t, tab, "submit", chromedp.Submit(chromedp.CSS("#password"))); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "Wrong user name or password.") {
		t.Errorf("wrong password page: %q", got)
	}
	b.shot(t, tab, "login-wrong")
	signInBrowser(t, tab, n, adminName)
	if got := text(t, tab); !strings.Contains(got, "ICSSI") || !strings.Contains(got, "OTHER") {
		t.Errorf("dashboard: %q", got)
	}
	if eval[bool](t, tab, `document.cookie.includes("tadamun_session")`) {
		t.Error("the session cookie is readable by scripts")
	}
	b.shot(t, tab, "dashboard")
	do(t, tab, "narrow", chromedp.EmulateViewport(360, 640))
	if eval[bool](t, tab, `document.documentElement.scrollWidth > 360`) {
		t.Error("the dashboard is wider than a 360 px phone")
	}
	b.shot(t, tab, "dashboard-360")
	do(t, tab, "widen", restoreViewport())
	if st := navigate(t, tab, "open the account page", chromedp.Navigate(n.URL+"/admin/account")); st != http.StatusOK {
		t.Fatalf("account = %d", st)
	}
	b.shot(t, tab, "account")
	if st := navigate(t, tab, "sign out", chromedp.Click(chromedp.CSS(`nav form button`))); st != http.StatusOK {
		t.Fatalf("after sign-out: %d", st)
	}
	if got := text(t, tab); !strings.Contains(got, "You are signed out.") {
		t.Errorf("after sign-out: %q", got)
	}
	b.shot(t, tab, "signed-out")
	if st := navigate(t, tab, "dashboard again", chromedp.Navigate(n.URL+"/admin")); st != http.StatusOK {
		t.Fatalf("dashboard after sign-out = %d", st)
	}
	if path := eval[string](t, tab, `location.pathname`); path != "/admin/login" {
		t.Errorf("signed out, /admin led to %s", path)
	}
}

// restoreViewport ends a viewport emulation.
func restoreViewport() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tgt, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	})
}
