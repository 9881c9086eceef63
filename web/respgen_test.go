package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestResponseCacheOtherProcess: on both databases, a change written by
// another process (here a second pool on the same database, as a second
// serve process on PostgreSQL or `tadamun publish` on the SQLite file
// would) reaches the cached answers within storage.GenerationBound, although
// this process's memory of the versions never saw it being made.
func TestResponseCacheOtherProcess(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testResponseCacheOtherProcess(t, b.URL) })
	}
}

func testResponseCacheOtherProcess(t *testing.T, dbURL string) {
	n := newNode(t, dbURL)
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	n.publish(t, "icssi", "---\ntitle: We Stand Together\nlanguage: en\n---\nFor more than 12 years.\n")
	other := storagetest.Open(t, dbURL)
	asJSON := []string{"Accept", "application/activity+json"}

	// seen asks for path until the answer holds want, for at most the
	// bound (and a little for the request itself); a warm cache first.
	seen := func(t *testing.T, path string, hdr []string, want string, change func()) {
		t.Helper()
		for i := 0; i < 2; i++ {
			if res, body := n.get(t, path, hdr...); res.StatusCode != 200 || strings.Contains(body, want) {
				t.Fatalf("%s = %d before the change, showing %q: %v", path, res.StatusCode, want, strings.Contains(body, want))
			}
		}
		change()
		time.Sleep(storage.GenerationBound)
		if res, body := n.get(t, path, hdr...); res.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s = %d and lacks %q %v after another process's change", path, res.StatusCode, want, storage.GenerationBound)
		}
	}

	t.Run("actor JSON", func(t *testing.T) {
		seen(t, "/users/icssi", asJSON, "Renamed Elsewhere", func() {
			a, err := other.ActorByUsername(ctx, "icssi")
			if err != nil {
				t.Fatal(err)
			}
			a.DisplayName = "Renamed Elsewhere"
			if err := other.UpdateActor(ctx, a); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("Atom feed", func(t *testing.T) {
		seen(t, "/feed.atom", nil, "Published Elsewhere", func() {
			a, err := other.ActorByUsername(ctx, "icssi")
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
			st := &storage.Statement{ActorID: a.ID, Slug: "elsewhere", Language: "en", Title: "Published Elsewhere",
				BodyMarkdown: "body", BodyHTML: "<p>body</p>", State: storage.StatePublished, PublishedAt: &at}
			if err := other.CreateStatement(ctx, st); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("raw SQL", func(t *testing.T) {
		// Not through a Store at all: an administrator's SQL (which moves
		// updated_at, as the versions expect of every change).
		seen(t, "/users/icssi", asJSON, "Summary by hand", func() {
			if _, err := other.DB().ExecContext(ctx, `UPDATE actors SET summary = 'Summary by hand', updated_at = $1`,
				time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
		})
	})
}
