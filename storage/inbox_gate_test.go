package storage_test

import (
	"context"
	"testing"

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
