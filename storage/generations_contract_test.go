package storage_test

import (
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

func generation(t *testing.T, s *storage.Store) uint64 {
	t.Helper()
	g, err := s.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGenerationOwnWrites: on both databases, a write of this Store moves
// its generation at once, with no wait for a poll: through an Exec on the
// pool and through a transaction. Inside a transaction there is none.
func TestGenerationOwnWrites(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := storagetest.Open(t, b.URL)
			a := newActor(t, s, "icssi")
			g0 := generation(t, s)
			if err := s.SetActorAliases(ctx, a.ID, []string{"https://old.example/users/icssi"}); err != nil {
				t.Fatal(err)
			}
			g1 := generation(t, s)
			if g1 == g0 {
				t.Fatalf("an Exec on the pool left the generation at %d", g0)
			}
			newStatement(t, s, a.ID, "first", "en", at("2026-11-23T10:00:00Z"), storage.StatePublished)
			if g2 := generation(t, s); g2 == g1 {
				t.Fatalf("a transaction left the generation at %d", g1)
			}
			err := s.Tx(ctx, func(tx *storage.Store) error {
				_, err := tx.Generation(ctx)
				return err
			})
			if err == nil {
				t.Fatal("Generation inside a transaction answered; it must not (uncommitted changes)")
			}
		})
	}
}

// TestGenerationOtherProcess: a write made through a second pool on the
// same database (another serve process on PostgreSQL, a CLI command on the
// SQLite file) moves the first pool's generation within GenerationBound.
// On SQLite, where nothing else writes the test's file, the generation
// also stays put when nothing was written.
func TestGenerationOtherProcess(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			serve := storagetest.Open(t, b.URL)
			cli := storagetest.Open(t, b.URL)
			a := newActor(t, cli, "icssi")
			time.Sleep(storage.GenerationBound)
			g0 := generation(t, serve)
			if b.Name == "sqlite" {
				time.Sleep(storage.GenerationBound)
				if g := generation(t, serve); g != g0 {
					t.Fatalf("the generation moved from %d to %d with nothing written", g0, g)
				}
			}
			if err := cli.SetActorAliases(ctx, a.ID, []string{"https://old.example/users/icssi"}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(storage.GenerationBound)
			if g := generation(t, serve); g == g0 {
				t.Fatalf("another pool's write was not seen after %v: generation still %d", storage.GenerationBound, g)
			}
			// A statement written by the other side, then read at once
			// after the bound: the generation moved again.
			g1 := generation(t, serve)
			newStatement(t, cli, a.ID, "first", "en", at("2026-11-23T10:00:00Z"), storage.StatePublished)
			time.Sleep(storage.GenerationBound)
			if g := generation(t, serve); g == g1 {
				t.Fatalf("another pool's transaction was not seen after %v: generation still %d", storage.GenerationBound, g)
			}
		})
	}
}

// TestNextVisible: the earliest publish time still to come, on both
// databases.
func TestNextVisible(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := storagetest.Open(t, b.URL)
			a := newActor(t, s, "icssi")
			now := *at("2026-11-23T12:00:00Z")
			if _, ok, err := s.NextVisible(ctx, now); err != nil || ok {
				t.Fatalf("NextVisible with no statements = %v, %v", ok, err)
			}
			newStatement(t, s, a.ID, "past", "en", at("2026-11-23T10:00:00Z"), storage.StatePublished)
			newStatement(t, s, a.ID, "later", "en", at("2026-11-25T10:00:00Z"), storage.StateScheduled)
			newStatement(t, s, a.ID, "soon", "en", at("2026-11-24T10:00:00Z"), storage.StateScheduled)
			next, ok, err := s.NextVisible(ctx, now)
			if err != nil || !ok || !next.Equal(*at("2026-11-24T10:00:00Z")) {
				t.Fatalf("NextVisible = %v, %v, %v; want 2026-11-24T10:00:00Z", next, ok, err)
			}
			if _, ok, err := s.NextVisible(ctx, *at("2026-11-26T00:00:00Z")); err != nil || ok {
				t.Fatalf("NextVisible after the last = %v, %v", ok, err)
			}
		})
	}
}
