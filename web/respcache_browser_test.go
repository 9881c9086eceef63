package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation"
)

// TestBrowserReadsGzip: Chromium, which asks for gzip (and more), gets the
// statement page compressed and shows it whole; a reload of the cached
// page (a hit) reads the same.
func TestBrowserReadsGzip(t *testing.T) {
	b := startBrowser(t)
	n := newBrowserNode(t)
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	st := n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\n---\n"+seedBody+"\n")
	tab := b.tab(t)
	type sizes struct {
		Encoded float64 `json:"encoded"`
		Decoded float64 `json:"decoded"`
		Title   string  `json:"title"`
		Text    string  `json:"text"`
	}
	for i, shot := range []string{"gzip-statement", "gzip-statement-cached"} {
		b.visit(t, tab, n.srv.URL+"/@icssi/"+st.Slug, shot)
		got := eval[sizes](t, tab, `(() => { const e = performance.getEntriesByType('navigation')[0]; return {
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
