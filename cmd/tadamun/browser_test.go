package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Headless Chromium driving real nodes. Debian's chromium is needed (bash
// .ci/run installs it); without it the test skips, except under CI=true or
// with TADAMUN_CHROMIUM set, where it fails. Screenshots go to
// $TADAMUN_ARTIFACTS when it is set.

// chromeStep bounds one browser step: a page load, a key press, a read.
const chromeStep = 20 * time.Second

// chrome is one headless Chromium with one tab.
type chrome struct {
	tab       context.Context
	artifacts string // "" writes no screenshots
}

// startChrome starts Chromium for at most life; it is stopped when the
// test ends.
func startChrome(t *testing.T, life time.Duration) *chrome {
	t.Helper()
	name := os.Getenv("TADAMUN_CHROMIUM")
	if name == "" {
		name = "chromium"
	}
	exe, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("this test needs Chromium: %v (apt-get install chromium, or set TADAMUN_CHROMIUM)", err)
		if os.Getenv("CI") == "true" || os.Getenv("TADAMUN_CHROMIUM") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c := &chrome{artifacts: os.Getenv("TADAMUN_ARTIFACTS")}
	if c.artifacts != "" {
		if err := os.MkdirAll(c.artifacts, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lifeCtx, stop := context.WithTimeout(context.Background(), life)
	alloc, cancelAlloc := chromedp.NewExecAllocator(lifeCtx, chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1024, 768))
	tab, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc(); stop() })
	// The first run starts the browser; bound it, since a browser that
	// never answers would otherwise hang until life runs out.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(tab) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("start Chromium %s: %v", exe, err)
		}
	case <-time.After(60 * time.Second):
		cancel()
		<-done
		t.Fatalf("Chromium %s did not answer in 60 s", exe)
	}
	c.tab = tab
	return c
}

// chromeRun runs one action in the tab within chromeStep.
func chromeRun[T any](t *testing.T, c *chrome, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.tab, chromeStep)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// steps runs actions in order within chromeStep.
func (c *chrome) steps(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	chromeRun(t, c, what, chromedp.Steps(steps...))
}

// eval evaluates a JavaScript expression in the page.
func chromeEval[T any](t *testing.T, c *chrome, expr string) T {
	t.Helper()
	return chromeRun(t, c, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// load runs a step that loads a page (a visit, a key that submits a form
// or follows a link) and returns the page's HTTP status.
func (c *chrome) load(t *testing.T, what string, step chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.tab, chromeStep)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, step)
	if err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
	return res.Status
}

// mainText is the visible text of the page's main element.
func (c *chrome) mainText(t *testing.T) string {
	t.Helper()
	return chromeRun(t, c, "read the page", chromedp.Text(chromedp.CSS("main")))
}

var notInFileName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// shot saves a full-page PNG as <test>-<name>.png in the artifacts folder.
func (c *chrome) shot(t *testing.T, name string) {
	t.Helper()
	if c.artifacts == "" {
		return
	}
	type size struct {
		W int64 `json:"w"`
		H int64 `json:"h"`
	}
	sz := chromeEval[size](t, c, `({w: document.documentElement.clientWidth, h: Math.ceil(document.documentElement.scrollHeight)})`)
	c.steps(t, "stretch the viewport", chromedp.EmulateViewport(sz.W, sz.H))
	png := chromeRun(t, c, "screenshot "+name, chromedp.CaptureScreenshot())
	c.steps(t, "restore the viewport", chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tgt, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	}))
	file := notInFileName.ReplaceAllString(t.Name()+"-"+name, "_") + ".png"
	if err := os.WriteFile(filepath.Join(c.artifacts, file), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
