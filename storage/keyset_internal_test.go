package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKeysetPlans checks on SQLite that readers' lists read the keyset
// index in order and stop after the page, rather than sorting every
// visible statement (SQLite says "USE TEMP B-TREE FOR ORDER BY" when it
// sorts), and that the versions caches key on are index look-ups, not
// scans of the table.
func TestKeysetPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "sqlite:" + filepath.Join(t.TempDir(), "plans.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cursor := &Cursor{PublishedAt: now.Add(-time.Hour), ID: NewID()}
	plan := func(t *testing.T, query string, args ...any) string {
		t.Helper()
		rows, err := s.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return strings.Join(lines, "\n")
	}
	lists := map[string]StatementQuery{
		"home":           {VisibleAt: now},
		"home page 2":    {VisibleAt: now, Before: cursor},
		"actor":          {VisibleAt: now, ActorID: NewID()},
		"outbox page 2":  {VisibleAt: now, ActorID: NewID(), Before: cursor, Limit: 20},
		"feed":           {VisibleAt: now, Limit: 50},
		"language":       {VisibleAt: now, Language: "ar"},
		"tag, page 2":    {VisibleAt: now, Tag: "iraq", Before: cursor},
		"actor's feed":   {VisibleAt: now, ActorID: NewID(), Limit: 50},
		"language feed":  {VisibleAt: now, Language: "ku", Limit: 50},
		"sitemap (200)":  {VisibleAt: now, Limit: 200},
		"actor, page 3":  {VisibleAt: now, ActorID: NewID(), Before: cursor},
		"language, next": {VisibleAt: now, Language: "en", Before: cursor},
	}
	for name, q := range lists {
		t.Run(name, func(t *testing.T) {
			sqlText, args := q.listSQL()
			p := plan(t, sqlText, args...)
			if strings.Contains(p, "TEMP B-TREE") {
				t.Errorf("sorts instead of reading an index in order:\n%s", p)
			}
			if !strings.Contains(p, "statements_published_idx") && !strings.Contains(p, "statements_actor_idx") {
				t.Errorf("does not use a keyset index:\n%s", p)
			}
		})
	}
	t.Run("due statements", func(t *testing.T) {
		p := plan(t, `SELECT id FROM statements WHERE federated_at IS NULL
			AND state IN ('published', 'scheduled') AND published_at <= $1 ORDER BY published_at, id LIMIT $2`, now, 10)
		if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "statements_due_idx") {
			t.Errorf("due statements are not read from their partial index:\n%s", p)
		}
	})
	t.Run("readers version", func(t *testing.T) {
		p := plan(t, `SELECT s.published_at FROM statements s WHERE s.state IN ('published', 'scheduled') AND s.published_at <= $1
			ORDER BY s.published_at DESC, s.id DESC LIMIT 1`, now)
		if strings.Contains(p, "TEMP B-TREE") || strings.Contains(p, "SCAN s\n") || !strings.Contains(p, "statements_published_idx") {
			t.Errorf("newest visible statement is not one index look-up:\n%s", p)
		}
		p = plan(t, `SELECT s.updated_at FROM statements s ORDER BY s.updated_at DESC LIMIT 1`)
		if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "statements_updated_idx") {
			t.Errorf("newest change is not read from the updated_at index:\n%s", p)
		}
	})
}
