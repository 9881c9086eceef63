package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestInboxGate: the inbox's one look-up gives what DomainPolicy and
// AccountBlocked give, parent domains and all.
func TestInboxGate(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.Open(t, b.URL)
			must(t, s.SetDomainPolicy(ctx, "bad.example", storage.PolicyBlock, "spam"))
			must(t, s.SetDomainPolicy(ctx, "good.bad.example", storage.PolicyAllow, ""))
			must(t, s.BlockAccount(ctx, "https://ok.example/users/troll", "abuse"))
			for _, c := range []struct {
				host, actor, policy string
				blocked             bool
			}{
				{"ok.example", "https://ok.example/users/a", "", false},
				{"ok.example", "https://ok.example/users/troll", "", true},
				{"bad.example", "https://bad.example/users/a", storage.PolicyBlock, false},
				{"social.bad.example", "https://social.bad.example/users/a", storage.PolicyBlock, false},
				{"x.good.bad.example", "https://x.good.bad.example/u", storage.PolicyAllow, false},
			} {
				policy, blocked, err := s.InboxGate(ctx, c.host, c.actor)
				if err != nil {
					t.Fatal(err)
				}
				if policy != c.policy || blocked != c.blocked {
					t.Errorf("InboxGate(%s, %s) = %q, %v; want %q, %v", c.host, c.actor, policy, blocked, c.policy, c.blocked)
				}
				if want, _ := s.DomainPolicy(ctx, c.host); want != policy {
					t.Errorf("InboxGate policy %q, DomainPolicy %q", policy, want)
				}
			}
		})
	}
}

// TestInboxGateCache: InboxGate's answers are cached, but a block or a
// policy set through the store applies to the very next call, and one
// written by anyone else (a second Store on the same database, as another
// process would; raw SQL, as an administrator's psql would) applies to a
// call made GenerationBound later.
func TestInboxGateCache(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			// The store's clock stands still: no answer ages out here, so
			// only the change counter can clear one.
			clock := storagetest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
			s := storagetest.OpenClock(t, b.URL, clock)
			other := storagetest.Open(t, b.URL) // another process
			const actor = "https://peer.example/users/a"
			gate := func(wantPolicy string, wantBlocked bool, when string) {
				t.Helper()
				policy, blocked, err := s.InboxGate(ctx, "peer.example", actor)
				if err != nil {
					t.Fatal(err)
				}
				if policy != wantPolicy || blocked != wantBlocked {
					t.Errorf("%s: InboxGate = %q, %v; want %q, %v", when, policy, blocked, wantPolicy, wantBlocked)
				}
			}
			// later lets more than GenerationBound pass in real time: the
			// change counter is polled on the wall's time, not the store's
			// clock.
			later := func() { time.Sleep(storage.GenerationBound + 20*time.Millisecond) }
			// cached lets the poll see the changes made so far, then
			// checks that the unrestricted answer is in the cache, so that
			// what follows shows a change clearing it.
			cached := func(when string) {
				t.Helper()
				later()
				gate("", false, when)
				before := s.GateQueries()
				gate("", false, when)
				if n := s.GateQueries() - before; n != 0 {
					t.Fatalf("%s: the answer was not cached (%d gate queries)", when, n)
				}
			}

			gate("", false, "at first")
			must(t, s.BlockAccount(ctx, actor, "abuse"))
			gate("", true, "after BlockAccount")
			must(t, s.UnblockAccount(ctx, actor))
			gate("", false, "after UnblockAccount")
			must(t, s.SetDomainPolicy(ctx, "example", storage.PolicyBlock, ""))
			gate(storage.PolicyBlock, false, "after SetDomainPolicy of a parent")
			must(t, s.RemoveDomainPolicy(ctx, "example"))
			gate("", false, "after RemoveDomainPolicy")

			// A block made elsewhere: the cached answer goes at the next
			// poll of the change counter.
			cached("before another process's block")
			must(t, other.BlockAccount(ctx, actor, "abuse"))
			later()
			gate("", true, "GenerationBound after another process's block")
			// Lifting it elsewhere applies at once: refusals are never kept.
			must(t, other.UnblockAccount(ctx, actor))
			gate("", false, "just after another process lifted the block")
			cached("before another process's silence")
			must(t, other.SetDomainPolicy(ctx, "peer.example", storage.PolicySilence, ""))
			later()
			gate(storage.PolicySilence, false, "GenerationBound after another process's silence")
			must(t, other.RemoveDomainPolicy(ctx, "peer.example"))
			gate("", false, "just after another process lifted the silence")

			// A writer that is not our code at all: the triggers move the
			// counter for it too.
			cached("before a policy written in SQL")
			storagetest.Exec(t, b.URL, `INSERT INTO domain_policies (domain, policy, reason, created_at) VALUES ($1, $2, $3, $4)`,
				"example", storage.PolicyBlock, "by hand", time.Now().UTC())
			later()
			gate(storage.PolicyBlock, false, "GenerationBound after a policy written in SQL")
			storagetest.Exec(t, b.URL, `DELETE FROM domain_policies WHERE domain = $1`, "example")
			gate("", false, "just after the policy was deleted in SQL")
			cached("before an account block written in SQL")
			storagetest.Exec(t, b.URL, `INSERT INTO account_blocks (actor_iri, reason, created_at) VALUES ($1, $2, $3)`,
				actor, "by hand", time.Now().UTC())
			later()
			gate("", true, "GenerationBound after an account block written in SQL")

			// Inside a transaction the gate reads what the transaction sees.
			err := s.Tx(ctx, func(tx *storage.Store) error {
				if err := tx.UnblockAccount(ctx, actor); err != nil {
					return err
				}
				_, blocked, err := tx.InboxGate(ctx, "peer.example", actor)
				if err == nil && blocked {
					t.Error("inside the transaction that lifted the block, InboxGate still says blocked")
				}
				return err
			})
			must(t, err)
			gate("", false, "after the transaction committed")
		})
	}
}

// TestInboxGateCacheKept: while nothing changes, the answer is read once
// and then served from the cache, across polls of the change counter and
// beyond the old 3-second lifetime, until GateTTL; a write to a table the
// gate does not read does not clear it.
func TestInboxGateCacheKept(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			clock := storagetest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
			s := storagetest.OpenClock(t, b.URL, clock)
			other := storagetest.Open(t, b.URL)
			const actor = "https://peer.example/users/a"
			gate := func() {
				t.Helper()
				policy, blocked, err := s.InboxGate(ctx, "peer.example", actor)
				if err != nil {
					t.Fatal(err)
				}
				if policy != "" || blocked {
					t.Fatalf("InboxGate = %q, %v; want \"\", false", policy, blocked)
				}
			}
			gate()
			before := s.GateQueries()
			for i := 0; i < 60; i++ { // 6 s of the store's clock
				clock.Advance(100 * time.Millisecond)
				if i%20 == 0 {
					// Let a poll of the change counter happen, after a
					// write elsewhere that is not a policy or a block.
					must(t, other.SetFederationMode(ctx, storage.FederationOpen))
					time.Sleep(storage.GenerationBound + 20*time.Millisecond)
				}
				gate()
			}
			if n := s.GateQueries() - before; n != 0 {
				t.Errorf("%d gate queries over 6 s with no change; want 0", n)
			}
			clock.Advance(storage.GateTTL)
			gate()
			if n := s.GateQueries() - before; n != 1 {
				t.Errorf("%d gate queries after GateTTL; want 1 (the safety net)", n)
			}
		})
	}
}

// TestInboxGateFailSafe: when the change counter cannot be read, the
// cache is not trusted: the call that polled asks the database, and calls
// that find a poll in flight serve the cache only while the last
// successful poll is younger than GateStale.
func TestInboxGateFailSafe(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.Open(t, b.URL)
			other := storagetest.Open(t, b.URL)
			const actor = "https://peer.example/users/a"
			gate := func(wantBlocked bool, when string) {
				t.Helper()
				policy, blocked, err := s.InboxGate(ctx, "peer.example", actor)
				if err != nil {
					t.Fatal(err)
				}
				if policy != "" || blocked != wantBlocked {
					t.Errorf("%s: InboxGate = %q, %v; want \"\", %v", when, policy, blocked, wantBlocked)
				}
			}

			// A poll in flight: the others serve the cache, but not once
			// the last poll is GateStale old.
			gate(false, "at first")
			must(t, other.BlockAccount(ctx, actor, "abuse"))
			release := s.HoldGatePoll()
			s.AgeGatePoll(storage.GenerationBound)
			gate(false, "during a poll, from the cache")
			s.AgeGatePoll(storage.GateStale)
			gate(true, "during a poll, GateStale after the last one")
			release()
			gate(true, "after the poll")
			must(t, other.UnblockAccount(ctx, actor))
			gate(false, "unblocked")

			// The counter's row is gone: the triggers move nothing, and
			// the call that polls answers from the database.
			storagetest.Exec(t, b.URL, `DELETE FROM change_counters WHERE name = 'inbox_gate'`)
			s.AgeGatePoll(storage.GenerationBound)
			gate(false, "counter gone")
			must(t, other.BlockAccount(ctx, actor, "abuse"))
			s.AgeGatePoll(storage.GenerationBound)
			gate(true, "counter gone, blocked elsewhere")
		})
	}
}

// TestInboxGateCacheBound: the cache holds at most its bound, whatever
// number of actors write to us.
func TestInboxGateCacheBound(t *testing.T) {
	ctx := context.Background()
	s := storagetest.Open(t, storagetest.SQLiteURL(t))
	for i := 0; i < 2*storage.GateEntries+10; i++ {
		if _, _, err := s.InboxGate(ctx, "peer.example", fmt.Sprintf("https://peer.example/users/u%d", i)); err != nil {
			t.Fatal(err)
		}
		if n := s.GateCacheLen(); n > storage.GateEntries {
			t.Fatalf("%d answers cached, bound %d", n, storage.GateEntries)
		}
	}
}
