package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
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

// TestFilingBounds: a filing stops before the activity that would take its
// bodies past fileBytes (but always takes the first, however large), says
// that more may be queued, and fileAll goes on until the queue is empty.
func TestFilingBounds(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	defer func(old int64) { fileBytes = old }(fileBytes)
	fileBytes = 1000
	body := func(n int) []byte { return []byte(`{"pad":"` + strings.Repeat("x", n-10) + `"}`) }
	sizes := []int{400, 400, 400, 1500, 100}
	for i, n := range sizes {
		a := &Activity{IRI: fmt.Sprintf("https://peer.test/activities/b%d", i), Direction: Inbound, Type: "Like",
			ActorIRI: "https://peer.test/u", Body: body(n)}
		if _, err := s.SaveActivity(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []struct {
		n    int
		more bool
	}{{2, true}, {1, true}, {1, true}, {1, false}, {0, false}} {
		n, more, err := s.fileOnce(ctx, 10)
		if err != nil || n != want.n || more != want.more {
			t.Fatalf("filed %d (more %v, %v), want %d (more %v)", n, more, err, want.n, want.more)
		}
	}
	for i := range sizes {
		a := &Activity{IRI: fmt.Sprintf("https://peer.test/activities/c%d", i), Direction: Inbound, Type: "Like",
			ActorIRI: "https://peer.test/u", Body: body(sizes[i])}
		if _, err := s.SaveActivity(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.fileAll(ctx); err != nil {
		t.Fatal(err)
	}
	var queued int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_queue`).Scan(&queued); err != nil || queued != 0 {
		t.Fatalf("%d left queued after fileAll (%v)", queued, err)
	}
	if n, err := s.CountActivities(ctx, Inbound, ""); err != nil || n != 2*len(sizes) {
		t.Fatalf("%d filed (%v), want %d", n, err, 2*len(sizes))
	}
}
