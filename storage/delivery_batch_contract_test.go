package storage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestDeliveriesDoneContract pins the batched settling of successes on
// every backend: each row as DeliveryDone leaves it, each host as
// HostSucceeded leaves it, gone rows reported as missing.
func TestDeliveriesDoneContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testDeliveriesDone(t, freshURL(t, b.Name)) })
	}
}

func testDeliveriesDone(t *testing.T, url string) {
	f := newClockFixture(t, url)
	f.enqueue(t, f.act, "https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox",
		"https://held.example/users/1/inbox", "https://held.example/users/2/inbox")
	// held.example failed and is on hold, its queue parked for an hour;
	// b.example failed once.
	if _, err := f.s.HostFailed(ctx, "held.example", "503"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.HoldHost(ctx, "held.example", f.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.HostFailed(ctx, "b.example", "timeout"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PostponeHost(ctx, "held.example", f.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	claimed := f.claim(t, "w", time.Minute, 10)
	if len(claimed) != 3 {
		t.Fatalf("claimed %s, want the three hosts not on hold", inboxesOf(claimed))
	}
	// The held host's probe: one of its rows, claimed by hand after the
	// hold would have let it through.
	list, err := f.s.DeliveriesOf(ctx, f.act.ID)
	if err != nil {
		t.Fatal(err)
	}
	var probe *storage.Delivery
	for _, d := range list {
		if d.Inbox == "https://held.example/users/1/inbox" {
			probe = d
		}
	}
	f.clock.Advance(time.Second)
	answers := []storage.DeliveredAnswer{{ID: probe.ID, Status: 202, Host: "held.example"}, {ID: 1 << 40, Status: 202, Host: "gone.example"}}
	status := map[int64]int{probe.ID: 202}
	for i, c := range claimed {
		answers = append(answers, storage.DeliveredAnswer{ID: c.ID, Status: 200 + 2*(i%2), Host: c.Host})
		status[c.ID] = 200 + 2*(i%2)
	}
	var found map[int64]bool
	err = f.s.Tx(ctx, func(tx *storage.Store) error {
		var err error
		found, err = tx.DeliveriesDone(ctx, answers)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 4 || found[1<<40] {
		t.Fatalf("found %v: want the four rows that exist", found)
	}
	for id, want := range status {
		d := f.delivery(t, id)
		if !found[id] || d.State != storage.DeliveryDone || d.LastStatus != want || d.Attempts != 1 || d.LockedUntil != nil ||
			d.LockedBy != "" || d.LastError != "" {
			t.Errorf("row %d after DeliveriesDone (found %v): %+v", id, found[id], d)
		}
	}
	for _, host := range []string{"a.example", "b.example", "c.example", "held.example"} {
		h, err := f.s.HostByName(ctx, host)
		if err != nil || h.Failures != 0 || h.FailingSince != nil || h.UnavailableSince != nil || h.HoldUntil != nil ||
			h.LastSuccessAt == nil || h.LastError != "" {
			t.Errorf("host %s after a success: %+v, %v", host, h, err)
		}
	}
	// The held host's parked row is due again.
	got := f.claim(t, "w", time.Minute, 10)
	if len(got) != 1 || got[0].Inbox != "https://held.example/users/2/inbox" {
		t.Fatalf("after the batch claimed %s, want the held host's other row", inboxesOf(got))
	}
	if found, err := f.s.DeliveriesDone(ctx, nil); err != nil || len(found) != 0 {
		t.Fatalf("an empty batch: %v, %v", found, err)
	}
}

// BenchmarkDeliveriesDone settles batches of n successes on SQLite, in the
// worker's own transaction, and reports the cost per row: what a batch
// costs whatever its size shows as the gap between the sizes.
func BenchmarkDeliveriesDone(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := storagetest.Open(b, storagetest.SQLiteURL(b))
			a := &storage.Actor{Username: "icssi", PrivateKeyPEM: "p", PublicKeyPEM: "q"}
			if err := s.CreateActor(ctx, a); err != nil {
				b.Fatal(err)
			}
			act := &storage.Activity{IRI: "https://node.example/activities/1", Direction: storage.Outbound, Type: "Create",
				ActorIRI: "https://node.example/users/icssi", LocalActorID: a.ID, Body: []byte(`{}`)}
			if _, err := s.SaveActivity(ctx, act); err != nil {
				b.Fatal(err)
			}
			inboxes := make([]string, b.N*n)
			for i := range inboxes {
				inboxes[i] = fmt.Sprintf("https://h%d.example/inbox", i%1000)
				if i >= 1000 {
					inboxes[i] = fmt.Sprintf("https://h%d.example/users/%d/inbox", i%1000, i)
				}
			}
			if _, err := s.EnqueueDeliveries(ctx, act.ID, a.ID, inboxes); err != nil {
				b.Fatal(err)
			}
			list, err := s.DeliveriesOf(ctx, act.ID)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				batch := make([]storage.DeliveredAnswer, 0, n)
				for _, d := range list[i*n : (i+1)*n] {
					batch = append(batch, storage.DeliveredAnswer{ID: d.ID, Status: 202, Host: d.Host})
				}
				err := s.Tx(ctx, func(tx *storage.Store) error {
					_, err := tx.DeliveriesDone(ctx, batch)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "us/row")
		})
	}
}
