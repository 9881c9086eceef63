package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestLatecomersJoinTheGroup: on SQLite, activities that queue while a
// group's transaction is open are written by it and committed with it (the
// group that commitGroup returns includes them); a redelivery among them is
// queued too, and dropped when the queue is filed.
func TestLatecomersJoinTheGroup(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	save := func(i int) *groupedSave {
		iri := fmt.Sprintf("https://peer.test/activities/%d", i)
		return &groupedSave{a: &Activity{IRI: iri, Direction: Inbound, Type: "Like", ActorIRI: "https://peer.test/u",
			ObjectIRI: "https://node.test/s/1", Body: []byte(`{"id":"` + iri + `"}`)}, done: make(chan bool, 1)}
	}
	first := []*groupedSave{save(0), save(1)}
	// Three wait in the queue, as callers arriving during the transaction
	// would; one of them repeats the first's IRI.
	late := []*groupedSave{save(2), save(3), save(0)}
	s.saves.queue = append(s.saves.queue, late...)
	var grown []*groupedSave
	all := s.commitGroup(ctx, first, func(g []*groupedSave) { grown = g })
	if len(all) != 5 || len(grown) != 5 {
		t.Fatalf("the group wrote %d activities (grew to %d), want 5", len(all), len(grown))
	}
	if len(s.saves.queue) != 0 {
		t.Fatalf("%d left in the queue", len(s.saves.queue))
	}
	for _, w := range all {
		if w.err != nil || !w.fresh {
			t.Errorf("%s: fresh %v err %v, want stored", w.a.IRI, w.fresh, w.err)
		}
	}
	if n, err := s.FileInbound(ctx, 10); err != nil || n != 5 {
		t.Fatalf("filed %d (%v), want 5", n, err)
	}
	n, err := s.CountActivities(ctx, Inbound, "")
	if err != nil || n != 4 {
		t.Fatalf("%d activities stored (%v), want 4", n, err)
	}
}

// TestGroupPanicReleasesTheDatabase: a panic while a group's transaction
// is open (here in the hook that hears of latecomers) reaches every caller
// as an error, and the transaction is rolled back: the next save goes
// through rather than waiting on SQLite's write lock.
func TestGroupPanicReleasesTheDatabase(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	save := func(i int) *groupedSave {
		iri := fmt.Sprintf("https://peer.test/activities/p%d", i)
		return &groupedSave{a: &Activity{IRI: iri, Direction: Inbound, Type: "Like", ActorIRI: "https://peer.test/u",
			Body: []byte(`{}`)}, done: make(chan bool, 1)}
	}
	first, late := []*groupedSave{save(0), save(1)}, save(2)
	s.saves.queue = append(s.saves.queue, late)
	out := func() (out []*groupedSave) {
		out = first
		defer func() {
			if p := recover(); p != nil {
				for _, w := range out {
					w.err = fmt.Errorf("%v", p)
				}
			}
		}()
		return s.commitGroup(ctx, first, func(g []*groupedSave) { out = g; panic("hook") })
	}()
	if len(out) != 3 {
		t.Fatalf("%d callers hold the panic's error, want 3 (the latecomer too)", len(out))
	}
	for _, w := range out {
		if w.err == nil {
			t.Errorf("%s: no error after the panic", w.a.IRI)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := s.SaveActivity(cctx, save(3).a); err != nil {
		t.Fatalf("the next save after the panic: %v", err)
	}
}

// openSQLite opens a migrated SQLite store in a temporary directory,
// closed at the end of the test.
func openSQLite(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "sqlite:" + filepath.Join(t.TempDir(), "tadamun.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
