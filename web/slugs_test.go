package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestReservedSlugs: a statement whose slug would be the name of one of the
// actor's own pages (iri.ActorPages) gets another, so both stay reachable.
func TestReservedSlugs(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, page := range iri.ActorPages() {
		d, err := content.ParseStatementFile([]byte("---\ntitle: On " + page + "\nlanguage: en\nslug: " + page + "\n---\n\nText about " + page + ".\n"))
		if err != nil {
			// Not a possible slug at all ("feed.rss": no dots in slugs).
			t.Logf("%s: %v", page, err)
			continue
		}
		tested++
		st, err := n.fed.Publish(context.Background(), "icssi", d)
		if err != nil {
			t.Fatal(err)
		}
		if st.Slug != page+"-statement" {
			t.Errorf("slug %q became %q, want %q", page, st.Slug, page+"-statement")
			continue
		}
		res, body := n.get(t, iri.StatementPath("icssi", st.Slug, ""))
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Text about "+page) {
			t.Errorf("%s: %d, statement text missing", st.Slug, res.StatusCode)
		}
		// The page keeps its address: the follow form (no address given) or the feed.
		res, body = n.get(t, iri.ProfilePath("icssi")+"/"+page)
		if strings.Contains(body, "Text about "+page) || res.StatusCode == http.StatusNotFound {
			t.Errorf("/@icssi/%s: %d, and the statement took its place", page, res.StatusCode)
		}
	}
	if tested == 0 {
		t.Fatal("no actor page name is a possible slug: the test checks nothing")
	}
}
