package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

// TestQueriesPerPage counts the SQL statements a reader's request makes,
// after a first request has warmed what may be kept (node settings, the
// feed cache, the languages list), so that a handler that starts making
// more queries fails here rather than in production. The limits are the
// counts measured when they were set (before this work the statement page
// made 8 queries in its handler alone, the home page 6 of which two scanned
// every statement); lower is fine.
//
// It runs twice: as configured, where the response cache answers the second
// request, and with a response cache too small to keep anything, where every
// request runs its handler.
func TestQueriesPerPage(t *testing.T) {
	t.Run("cached", func(t *testing.T) { testQueriesPerPage(t, nil, false) })
	t.Run("rendered", func(t *testing.T) {
		testQueriesPerPage(t, func(c *web.Config) { c.ResponseCacheBytes = 1 }, true)
	})
}

func testQueriesPerPage(t *testing.T, edit func(*web.Config), rendered bool) {
	n := newNodeConfig(t, storagetest.SQLiteURL(t), edit)
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	var slug, id string
	for i := 0; i < 25; i++ {
		st := n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\ntags: [Iraq, تضامن]\n---\n"+seedBody+"\n")
		slug, id = st.Slug, st.ID
	}
	cases := []struct {
		name, path, accept string
		cached, rendered   int64 // most queries allowed
	}{
		{"statement page", "/@icssi/" + slug, "", 3, 11},
		{"statement JSON", "/users/icssi/statements/" + id, "application/activity+json", 3, 7},
		{"home page", "/", "", 2, 5},
		{"profile page", "/@icssi", "", 3, 8},
		{"actor JSON", "/users/icssi", "application/activity+json", 1, 2},
		{"node feed", "/feed.atom", "", 2, 2},
		{"actor feed", "/@icssi/feed.atom", "", 3, 3},
		{"outbox head", "/users/icssi/outbox", "application/activity+json", 2, 6},
		{"outbox page", "/users/icssi/outbox?page=true", "application/activity+json", 2, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.accept != "" {
				hdr = []string{"Accept", c.accept}
			}
			if res, body := n.get(t, c.path, hdr...); res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", c.path, res.StatusCode, body)
			}
			before := n.store.QueryCount()
			if res, _ := n.get(t, c.path, hdr...); res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", c.path, res.StatusCode)
			}
			got := n.store.QueryCount() - before
			t.Logf("%s: %d queries", c.path, got)
			max := c.cached
			if rendered {
				max = c.rendered
			}
			if got > max {
				t.Errorf("GET %s made %d queries, at most %d expected", c.path, got, max)
			}
		})
	}
}
