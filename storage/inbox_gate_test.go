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
// written by another process (here a second Store on the same database)
// applies once GateTTL has passed.
func TestInboxGateCache(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
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
			gate("", false, "at first")
			must(t, s.BlockAccount(ctx, actor, "abuse"))
			gate("", true, "after BlockAccount")
			must(t, s.UnblockAccount(ctx, actor))
			gate("", false, "after UnblockAccount")
			must(t, s.SetDomainPolicy(ctx, "example", storage.PolicyBlock, ""))
			gate(storage.PolicyBlock, false, "after SetDomainPolicy of a parent")
			must(t, s.RemoveDomainPolicy(ctx, "example"))
			gate("", false, "after RemoveDomainPolicy")

			// A block made elsewhere: the cached answer stands for GateTTL,
			// then the new one is read.
			must(t, other.BlockAccount(ctx, actor, "abuse"))
			gate("", false, "just after another process's block (cached)")
			clock.Advance(storage.GateTTL)
			gate("", true, "GateTTL after another process's block")
			// Lifting it elsewhere applies at once: refusals are never kept.
			must(t, other.UnblockAccount(ctx, actor))
			gate("", false, "just after another process lifted the block")
			must(t, other.SetDomainPolicy(ctx, "peer.example", storage.PolicySilence, ""))
			clock.Advance(storage.GateTTL)
			gate(storage.PolicySilence, false, "GateTTL after another process's silence")
			must(t, other.RemoveDomainPolicy(ctx, "peer.example"))
			gate("", false, "just after another process lifted the silence")
			must(t, other.BlockAccount(ctx, actor, "abuse"))
			clock.Advance(storage.GateTTL)
			gate("", true, "blocked again elsewhere")

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
