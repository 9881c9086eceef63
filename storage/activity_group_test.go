package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestSaveActivityGrouped: inbound activities saved at once by many callers
// (committed in groups) are each stored before SaveActivity returns, an
// activity that cannot be stored fails alone, and once the queue is filed a
// redelivery, concurrent or not, is there once per IRI: counted once,
// claimed once.
func TestSaveActivityGrouped(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.Open(t, b.URL)
			local := newActor(t, s, "icssi")
			const iris, copies = 150, 3
			var wg sync.WaitGroup
			errs := make(chan error, iris*copies+1)
			for c := 0; c < copies; c++ {
				for i := 0; i < iris; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						iri := fmt.Sprintf("https://peer.test/activities/%d", i)
						a := groupedActivity(i, local.ID)
						if _, err := s.SaveActivity(ctx, a); err != nil {
							errs <- err
							return
						}
						// Stored before the call returned, as given.
						got, err := s.ActivityByIRI(ctx, iri)
						if err != nil {
							errs <- fmt.Errorf("%s not readable after SaveActivity: %w", iri, err)
							return
						}
						if err := sameActivity(got, groupedActivity(i, local.ID)); err != nil {
							errs <- err
						}
					}(i)
				}
			}
			// One activity that cannot be stored: it has no IRI (a CHECK
			// constraint). It must fail, and only it.
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := &storage.Activity{IRI: "", Direction: storage.Inbound, Type: "Like",
					ActorIRI: "https://peer.test/u", Body: []byte(`{}`)}
				if _, err := s.SaveActivity(ctx, a); err == nil {
					errs <- fmt.Errorf("an activity without an IRI was stored")
				}
			}()
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			n, err := s.CountActivities(ctx, storage.Inbound, "")
			if err != nil {
				t.Fatal(err)
			}
			if n != iris {
				t.Errorf("%d inbound activities stored before filing, want %d", n, iris)
			}
			claimed, err := s.ClaimInbound(ctx, 10*iris, time.Minute, 5)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, a := range claimed {
				seen[a.IRI]++
			}
			if len(claimed) != iris || len(seen) != iris {
				t.Errorf("claimed %d activities of %d IRIs, want %d of %d", len(claimed), len(seen), iris, iris)
			}
			if n, err := s.CountActivities(ctx, storage.Inbound, ""); err != nil || n != iris {
				t.Errorf("%d inbound activities stored after filing (%v), want %d", n, err, iris)
			}
		})
	}
}

// groupedActivity is the i-th activity of TestSaveActivityGrouped: every
// other one addressed to the local actor, a Like or an Announce.
func groupedActivity(i int, localID string) *storage.Activity {
	iri := fmt.Sprintf("https://peer.test/activities/%d", i)
	a := &storage.Activity{IRI: iri, Direction: storage.Inbound, Type: "Like",
		ActorIRI: fmt.Sprintf("https://peer.test/u%d", i), ObjectIRI: fmt.Sprintf("https://node.test/s/%d", i),
		Body: []byte(`{"id":"` + iri + `"}`)}
	if i%2 == 0 {
		a.Type, a.LocalActorID = "Announce", localID
	}
	return a
}

// sameActivity compares what was stored of an inbound activity with what
// was saved.
func sameActivity(got, want *storage.Activity) error {
	if got.IRI != want.IRI || got.Direction != storage.Inbound || got.Type != want.Type || got.ActorIRI != want.ActorIRI ||
		got.ObjectIRI != want.ObjectIRI || got.LocalActorID != want.LocalActorID || got.StatementID != "" ||
		string(got.Body) != string(want.Body) || got.ProcessedAt != nil || got.Attempts != 0 || got.CreatedAt.IsZero() {
		return fmt.Errorf("stored %+v, saved %+v", got, want)
	}
	return nil
}

// TestCommitGroupStatements: a group is written with a few statements
// whatever its size (one on PostgreSQL; one per power of two in its size on
// SQLite, in one transaction), and not one INSERT per activity, which is
// what the fallback for a failed group does. A redelivery in the group is
// queued like the others and dropped when the queue is filed.
func TestCommitGroupStatements(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.Open(t, b.URL)
			local := newActor(t, s, "icssi")
			// 23 activities (16 + 4 + 2 + 1), the last a redelivery of the fourth.
			var acts []*storage.Activity
			for i := 0; i < 22; i++ {
				acts = append(acts, groupedActivity(i, local.ID))
			}
			acts = append(acts, groupedActivity(3, local.ID))
			before := s.QueryCount()
			fresh, errs := s.CommitGroup(ctx, acts)
			ran := s.QueryCount() - before
			want := int64(4)
			if b.Name == "postgres" {
				want = 1
			}
			if ran != want {
				t.Errorf("a group of %d ran %d statements, want %d", len(acts), ran, want)
			}
			for i, a := range acts {
				if errs[i] != nil {
					t.Errorf("%s: %v", a.IRI, errs[i])
				}
				if !fresh[i] {
					t.Errorf("%s: fresh %v", a.IRI, fresh[i])
				}
				got, err := s.ActivityByIRI(ctx, a.IRI)
				if err != nil {
					t.Fatal(err)
				}
				if err := sameActivity(got, a); err != nil {
					t.Error(err)
				}
			}
			// Filed, the redelivery is gone: 22 activities, as saved.
			n, err := s.FileInbound(ctx, 100)
			if err != nil || n != len(acts) {
				t.Fatalf("filed %d (%v), want the %d queued", n, err, len(acts))
			}
			for _, a := range acts {
				got, err := s.ActivityByIRI(ctx, a.IRI)
				if err != nil {
					t.Fatal(err)
				}
				if err := sameActivity(got, a); err != nil {
					t.Error(err)
				}
			}
			if n, err := s.CountActivities(ctx, storage.Inbound, ""); err != nil || n != 22 {
				t.Errorf("%d activities after filing (%v), want 22", n, err)
			}
			if n, err := s.FileInbound(ctx, 100); err != nil || n != 0 {
				t.Errorf("filed %d more (%v) from an empty queue", n, err)
			}
		})
	}
}

// TestFilersTakeTurns: on PostgreSQL, a process filing the inbox queue
// waits for one already filing, rather than filing past the rows that one
// holds: otherwise its worker could claim an Undo while the Follow it
// undoes, accepted first, was still being filed elsewhere, and act on the
// two in the wrong order. Here another connection holds the Follow's queue
// row as a filing would; the claim must come back with the Follow first.
func TestFilersTakeTurns(t *testing.T) {
	url := storagetest.PostgresURL(t)
	ctx := context.Background()
	s := storagetest.Open(t, url)
	other := storagetest.Open(t, url) // another process
	follow := &storage.Activity{IRI: "https://peer.test/activities/follow", Direction: storage.Inbound, Type: "Follow",
		ActorIRI: "https://peer.test/u", ObjectIRI: "https://node.test/users/icssi", Body: []byte(`{}`)}
	undo := &storage.Activity{IRI: "https://peer.test/activities/undo", Direction: storage.Inbound, Type: "Undo",
		ActorIRI: "https://peer.test/u", ObjectIRI: follow.IRI, Body: []byte(`{}`)}
	for _, a := range []*storage.Activity{follow, undo} {
		if _, err := s.SaveActivity(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	hold, err := other.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var seq int64
	if err := hold.QueryRowContext(ctx, `SELECT seq FROM inbox_queue WHERE iri = $1 FOR UPDATE`, follow.IRI).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	type result struct {
		acts []*storage.Activity
		err  error
	}
	done := make(chan result, 1)
	go func() {
		acts, err := s.ClaimInbound(ctx, 10, time.Minute, 5)
		done <- result{acts, err}
	}()
	select {
	case r := <-done:
		_ = hold.Rollback()
		t.Fatalf("the claim did not wait for the filing under way: claimed %d (%v)", len(r.acts), r.err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.acts) != 2 || r.acts[0].IRI != follow.IRI || r.acts[1].IRI != undo.IRI {
		var got []string
		for _, a := range r.acts {
			got = append(got, a.Type)
		}
		t.Fatalf("claimed %v, want the Follow and then its Undo", got)
	}
}

// TestTwoProcessesFileAndClaim: two processes on one PostgreSQL database
// accept activities (some of them redeliveries of each other's) and file
// and claim them at the same time, as their inbox workers do: no error,
// every activity claimed exactly once, nothing left queued.
func TestTwoProcessesFileAndClaim(t *testing.T) {
	url := storagetest.PostgresURL(t)
	ctx := context.Background()
	stores := []*storage.Store{storagetest.Open(t, url), storagetest.Open(t, url)}
	const n = 600
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	claimed := make(chan string, 4*n)
	stop := make(chan struct{})
	for p, s := range stores {
		// Accepting: each process receives every activity with an even
		// number, and its own half of the odd ones; so the even ones
		// arrive twice.
		wg.Add(1)
		go func(p int, s *storage.Store) {
			defer wg.Done()
			for i := 0; i < n; i++ {
				if i%2 == 1 && i%4 != 2*p+1 {
					continue
				}
				a := &storage.Activity{IRI: fmt.Sprintf("https://peer.test/activities/t%d", i), Direction: storage.Inbound,
					Type: "Like", ActorIRI: "https://peer.test/u", Body: []byte(`{}`)}
				if _, err := s.SaveActivity(ctx, a); err != nil {
					errs <- err
					return
				}
			}
		}(p, s)
	}
	var workers sync.WaitGroup
	for _, s := range stores {
		workers.Add(1)
		go func(s *storage.Store) {
			defer workers.Done()
			for {
				acts, err := s.ClaimInbound(ctx, 16, time.Minute, 5)
				if err != nil {
					errs <- err
					return
				}
				for _, a := range acts {
					claimed <- a.IRI
				}
				if len(acts) == 0 {
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
				}
			}
		}(s)
	}
	wg.Wait()
	// Let the workers drain the queue, then stop them.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var left int
		if err := stores[0].DB().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM inbox_queue)
			+ (SELECT COUNT(*) FROM activities WHERE direction = 'in' AND locked_until IS NULL)`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	workers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	close(claimed)
	seen := map[string]int{}
	for iri := range claimed {
		seen[iri]++
	}
	for iri, c := range seen {
		if c != 1 {
			t.Errorf("%s claimed %d times", iri, c)
		}
	}
	if len(seen) != n {
		t.Errorf("%d activities claimed, want %d", len(seen), n)
	}
}
