package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// testActivityRetention: PruneInbound empties the bodies of inbound
// activities that are done, deletes the rows past the dedupe window, and
// leaves pending work and outbound activities alone. Time moves on the
// store's clock.
func testActivityRetention(t *testing.T, url string) {
	clock := storagetest.NewClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	s := storagetest.OpenClock(t, url, clock)
	save := func(iri, dir string) *storage.Activity {
		t.Helper()
		a := &storage.Activity{IRI: iri, Direction: dir, Type: "Like", ActorIRI: "https://a.test/u",
			ObjectIRI: "https://b.test/n", Body: []byte(`{"id":"` + iri + `"}`)}
		fresh, err := s.SaveActivity(ctx, a)
		if err != nil || !fresh {
			t.Fatalf("save %s: %v %v", iri, fresh, err)
		}
		return a
	}
	body := func(iri string) string {
		t.Helper()
		a, err := s.ActivityByIRI(ctx, iri)
		if err != nil {
			t.Fatalf("%s: %v", iri, err)
		}
		return string(a.Body)
	}
	const maxAttempts = 5
	done := save("https://a.test/done", storage.Inbound)
	if claimed, err := s.ClaimInbound(ctx, 10, time.Minute, maxAttempts); err != nil || len(claimed) != 1 || claimed[0].ID != done.ID {
		t.Fatalf("claimed %v (%v), want the one saved", claimed, err)
	}
	if err := s.FinishInbound(ctx, done.ID, nil); err != nil {
		t.Fatal(err)
	}
	save("https://a.test/pending", storage.Inbound) // never claimed
	save("https://node.test/out", storage.Outbound)
	start := clock.Now()
	week, month := 7*24*time.Hour, 30*24*time.Hour
	prune := func() (int64, int64) {
		t.Helper()
		now := clock.Now()
		b, r, err := s.PruneInbound(ctx, now.Add(-week), now.Add(-month), maxAttempts)
		if err != nil {
			t.Fatal(err)
		}
		return b, r
	}

	clock.Advance(week - time.Minute)
	if b, r := prune(); b != 0 || r != 0 {
		t.Fatalf("pruned %d bodies, %d rows before their time", b, r)
	}
	clock.Advance(2 * time.Minute)
	if b, r := prune(); b != 1 || r != 0 {
		t.Fatalf("after a week: %d bodies, %d rows pruned, want 1 body", b, r)
	}
	if body("https://a.test/done") != "" {
		t.Fatal("the done activity kept its body")
	}
	if body("https://a.test/pending") == "" || body("https://node.test/out") == "" {
		t.Fatal("a pending or outbound activity lost its body")
	}
	// The id still deduplicates: a redelivery is queued, and dropped when
	// filed.
	if _, err := s.SaveActivity(ctx, &storage.Activity{IRI: "https://a.test/done", Direction: storage.Inbound,
		Type: "Like", ActorIRI: "https://a.test/u", Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.FileInbound(ctx, 10); err != nil || n != 1 {
		t.Fatalf("filed %d (%v), want the redelivery", n, err)
	}
	if body("https://a.test/done") != "" {
		t.Fatal("a redelivery inside the window was stored again")
	}
	clock.Advance(month - week) // now a month and a minute after they came
	if !clock.Now().Equal(start.Add(month + time.Minute)) {
		t.Fatalf("clock at %v", clock.Now())
	}
	if _, r := prune(); r != 2 {
		t.Fatalf("after the dedupe window %d rows deleted, want the 2 inbound", r)
	}
	for _, iri := range []string{"https://a.test/done", "https://a.test/pending"} {
		if _, err := s.ActivityByIRI(ctx, iri); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s still kept: %v", iri, err)
		}
	}
	if body("https://node.test/out") == "" {
		t.Fatal("the outbound activity was pruned")
	}

	// Our answers to follows go after the window (these have no pending
	// delivery); other outbound activities stay.
	answer := &storage.Activity{IRI: "https://node.test/accept", Direction: storage.Outbound, Type: "Accept",
		ActorIRI: "https://node.test/users/a", ObjectIRI: "https://a.test/follow", Body: []byte("{}")}
	if _, err := s.SaveActivity(ctx, answer); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneAnswers(ctx, clock.Now().Add(-month)); err != nil || n != 0 {
		t.Fatalf("a fresh answer pruned: %d %v", n, err)
	}
	clock.Advance(month + time.Minute)
	if n, err := s.PruneAnswers(ctx, clock.Now().Add(-month)); err != nil || n != 1 {
		t.Fatalf("after the window %d answers pruned (%v), want 1", n, err)
	}
	if body("https://node.test/out") == "" {
		t.Fatal("an outbound activity that is not an answer was pruned")
	}
}
