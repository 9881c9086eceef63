package storage

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkPreparedStatements reads a statement by its slug and the first
// page of a list on SQLite, through kept prepared statements and through
// plain queries (what the store did before), on one database in one run.
func BenchmarkPreparedStatements(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "sqlite:" + filepath.Join(b.TempDir(), "prepared.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	a := &Actor{Username: "icssi", DisplayName: "ICSSI", PrivateKeyPEM: "k", PublicKeyPEM: "p"}
	if err := s.CreateActor(ctx, a); err != nil {
		b.Fatal(err)
	}
	pub := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 40; i++ {
		st := &Statement{ActorID: a.ID, Slug: "s-" + strconv.Itoa(i), Language: "en", Title: "T", BodyHTML: "<p>b</p>",
			State: StatePublished, PublishedAt: &pub, Tags: []Tag{{Name: "iraq", Display: "Iraq"}},
			Translations: []Translation{{Language: "ar", Title: "ت"}}}
		if err := s.CreateStatement(ctx, st); err != nil {
			b.Fatal(err)
		}
	}
	plainPrep := newStatements(s.db, false)
	plain := &Store{db: s.db, q: poolQueryer{plainPrep}, dialect: s.dialect, clock: s.clock, prep: plainPrep, memo: &memo{}}
	now := pub.Add(time.Hour)
	for _, c := range []struct {
		name string
		s    *Store
	}{{"prepared", s}, {"plain", plain}} {
		b.Run("by-slug/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := c.s.StatementBySlug(ctx, a.ID, "s-7"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("list-20/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := c.s.ListStatements(ctx, StatementQuery{VisibleAt: now, Limit: 20}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
