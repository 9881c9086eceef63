package storage_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestFanOutInTwoSteps: StartFanOut, inside the publishing transaction,
// queues the first inboxes and records the fan-out; FinishFanOuts queues
// the rest (refused hosts left out) and drops the record. Together they
// queue exactly the rows EnqueueFollowerDeliveries queues in one step, with
// the same hosts; finishing again, or a record left by a crash finished
// later, adds nothing twice.
func TestFanOutInTwoSteps(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			f := newQueueFixture(t, freshURL(t, b.Name))
			// 150 followers on 120 servers (30 of them with two followers
			// behind one shared inbox), some of them refused, one odd URL.
			for i := 0; i < 150; i++ {
				host := fmt.Sprintf("h%d.example", i%120)
				if i%40 == 7 {
					host = fmt.Sprintf("s%d.spam.example", i)
				}
				shared := ""
				if i%120 < 30 {
					shared = "https://" + host + "/inbox"
				}
				f.follow(t, f.actor, fmt.Sprintf("u%d", i), fmt.Sprintf("https://%s/users/u%d/inbox", host, i), shared, storage.FollowAccepted)
			}
			f.follow(t, f.actor, "odd", "https://Odd.Example/users/odd/inbox", "", storage.FollowAccepted)
			refuse := func(host string) bool { return strings.HasSuffix(host, ".spam.example") }
			policy := func(context.Context, *storage.Store) (func(string) bool, error) { return refuse, nil }

			// The one-step reference, on another activity.
			ref := f.activity(t, "reference")
			if _, err := f.s.EnqueueFollowerDeliveries(ctx, ref.ID, f.actor.ID, f.actor.ID, refuse); err != nil {
				t.Fatal(err)
			}
			want := inboxSet(f.rows(t, ref))

			var first int
			err := f.s.Tx(ctx, func(tx *storage.Store) error {
				var err error
				first, err = tx.StartFanOut(ctx, f.act.ID, f.actor.ID, f.actor.ID, refuse)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if first == 0 || first > 64 || len(f.rows(t, f.act)) != first {
				t.Fatalf("the publishing transaction queued %d rows (%d stored), want 1 to 64", first, len(f.rows(t, f.act)))
			}
			// Not yet due for finishing by someone else.
			if n, err := f.s.FinishFanOuts(ctx, time.Now().Add(-time.Minute), policy); err != nil || n != 0 {
				t.Fatalf("a fresh fan-out finished by the stale round: %d, %v", n, err)
			}
			rest, err := f.s.FinishFanOuts(ctx, time.Now().Add(time.Hour), policy)
			if err != nil {
				t.Fatal(err)
			}
			got := inboxSet(f.rows(t, f.act))
			if first+rest != len(want) || !slices.Equal(got, want) {
				t.Fatalf("two steps queued %d + %d rows:\n%v\none step queued %d:\n%v", first, rest, got, len(want), want)
			}
			var records int
			if err := f.s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM fanouts`).Scan(&records); err != nil || records != 0 {
				t.Fatalf("%d fan-out records left after finishing (%v)", records, err)
			}
			if n, err := f.s.FinishFanOuts(ctx, time.Now().Add(time.Hour), policy); err != nil || n != 0 {
				t.Fatalf("finished again: %d rows, %v", n, err)
			}

			// A crash after the publishing transaction: the record stays,
			// and finishing it later (after a new follower came) queues
			// the rest once, the newcomer with them.
			crashed := f.activity(t, "crashed")
			err = f.s.Tx(ctx, func(tx *storage.Store) error {
				_, err := tx.StartFanOut(ctx, crashed.ID, f.actor.ID, f.actor.ID, refuse)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			f.follow(t, f.actor, "late", "https://late.example/users/late/inbox", "", storage.FollowAccepted)
			if _, err := f.s.FinishFanOuts(ctx, time.Now().Add(time.Hour), policy); err != nil {
				t.Fatal(err)
			}
			got = inboxSet(f.rows(t, crashed))
			if len(got) != len(want)+1 || !slices.Contains(got, "https://late.example/users/late/inbox@late.example") {
				t.Fatalf("after the crash %d rows, want %d and the late follower", len(got), len(want)+1)
			}

			// A fan-out whose activity is deleted before it is finished
			// goes with it.
			gone := f.activity(t, "gone")
			err = f.s.Tx(ctx, func(tx *storage.Store) error {
				_, err := tx.StartFanOut(ctx, gone.ID, f.actor.ID, f.actor.ID, nil)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			storagetest.Exec(t, f.url, `DELETE FROM activities WHERE id = $1`, gone.ID)
			if n, err := f.s.FinishFanOuts(ctx, time.Now().Add(time.Hour), nil); err != nil || n != 0 {
				t.Fatalf("a deleted activity's fan-out queued %d rows (%v)", n, err)
			}
		})
	}
}

// inboxSet sorts rows' "inbox@host" for comparison.
func inboxSet(rows []string) []string {
	out := slices.Clone(rows)
	slices.Sort(out)
	return out
}

// TestFanOutPolicyPerTransaction: FinishFanOuts reads the policy again in
// every transaction that queues rows, so that a domain blocked while a
// fan-out is being finished gets nothing queued after its block.
func TestFanOutPolicyPerTransaction(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			f := newQueueFixture(t, freshURL(t, b.Name))
			for i := 0; i < 700; i++ {
				f.follow(t, f.actor, fmt.Sprintf("u%d", i), fmt.Sprintf("https://h%d.late.example/users/u%d/inbox", i, i), "", storage.FollowAccepted)
			}
			err := f.s.Tx(ctx, func(tx *storage.Store) error {
				_, err := tx.StartFanOut(ctx, f.act.ID, f.actor.ID, f.actor.ID, nil)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			// The domain is "blocked" from the second transaction on.
			calls := 0
			policy := func(context.Context, *storage.Store) (func(string) bool, error) {
				calls++
				if calls == 1 {
					return nil, nil
				}
				return func(host string) bool { return strings.HasSuffix(host, ".late.example") }, nil
			}
			n, err := f.s.FinishFanOuts(ctx, time.Now().Add(time.Hour), policy)
			if err != nil {
				t.Fatal(err)
			}
			if calls < 2 || n > 250 {
				t.Fatalf("the policy was read %d times and %d rows queued: a block during the fan-out did not apply", calls, n)
			}
		})
	}
}
