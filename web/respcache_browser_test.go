package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tadamun/tadamun/federation"
)

// wireSizes is what the browser itself says of a page it loaded.
type wireSizes struct {
	Encoded float64 `json:"encoded"`
	Decoded float64 `json:"decoded"`
	Title   string  `json:"title"`
	Text    string  `json:"text"`
}

// readCompressed loads the statement page twice (a miss, then a hit of the
// cache) and requires it whole on screen, compressed on the wire in coding,
// as the browser's own network log and timing entries tell.
func readCompressed(t *testing.T, b *browser, tab context.Context, u, coding string) {
	t.Helper()
	for i, shot := range []string{coding + "-statement", coding + "-statement-cached"} {
		res := run(t, tab, "load "+u, chromedp.NavigateResponse(u))
		if res.Status != http.StatusOK {
			t.Fatalf("visit %d: GET %s in the browser = %d", i, u, res.Status)
		}
		b.shot(t, tab, shot)
		if got := header(res.Headers, "Content-Encoding"); got != coding {
			t.Errorf("visit %d: Content-Encoding %q, want %q", i, got, coding)
		}
		got := eval[wireSizes](t, tab, `(() => { const e = performance.getEntriesByType('navigation')[0]; return {
			encoded: e.encodedBodySize, decoded: e.decodedBodySize, title: document.querySelector('h1').innerText,
			text: document.body.innerText}; })()`)
		if got.Title != "We Stand Together" || !strings.Contains(got.Text, "feasible") {
			t.Errorf("visit %d: heading %q, the statement's end shown: %v", i, got.Title, strings.Contains(got.Text, "feasible"))
		}
		if got.Encoded <= 0 || got.Encoded*2 > got.Decoded {
			t.Errorf("visit %d: %v bytes on the wire for %v bytes of page: not compressed", i, got.Encoded, got.Decoded)
		}
	}
}

// header reads one header of the browser's network log, whatever its case.
func header(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// TestBrowserReadsCompressed: Chromium gets the statement page in brotli
// (Chromium 156 offers "gzip, deflate, br, zstd" even over plain HTTP to
// the loopback test server), and in gzip when its Accept-Encoding is made
// gzip only, and shows it whole both ways, from a miss and from a hit.
func TestBrowserReadsCompressed(t *testing.T) {
	b := startBrowser(t)
	n := newBrowserNode(t)
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\n---\n"+seedBody+"\n")
	u := n.srv.URL + "/@icssi/" + st.Slug
	t.Run("br", func(t *testing.T) { readCompressed(t, b, b.tab(t), u, "br") })
	t.Run("gzip", func(t *testing.T) {
		tab := b.tab(t)
		run(t, tab, "ask for gzip only", protocol(network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Encoding": "gzip"}}))
		readCompressed(t, b, tab, u, "gzip")
	})
}
