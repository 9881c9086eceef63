package federation_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestBlockAccount: a blocked account's follow ends and its next inbox
// POST gets 403, before its key is fetched, as do its signed GETs; another account on the same
// server is untouched; an unknown handle or our own actor cannot be
// blocked; unblocking lets the account in again; on both databases.
func TestBlockAccount(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			n := newCapNode(t, b.URL)
			bad := newPeer(t, n.web, "https://mastodon.test/users/bad")
			good := newPeer(t, n.web, "https://mastodon.test/users/good")
			receive := func(p *peer, id string) int {
				body := follow(p.id, p.id+"/follows/"+id)
				return inboxStatus(n.fed.Receive(ctx, p.post(t, "/users/cap/inbox", body, n.clock), []byte(body), "cap"))
			}
			for _, p := range []*peer{bad, good} {
				if got := receive(p, "1"); got != 202 {
					t.Fatalf("follow from %s = %d", p.id, got)
				}
			}
			if _, err := n.fed.ProcessInbox(ctx); err != nil {
				t.Fatal(err)
			}
			followers := func() int {
				list, err := n.store.ListFollowers(ctx, n.cap.ID, "", 0, 10)
				if err != nil {
					t.Fatal(err)
				}
				return len(list)
			}
			if got := followers(); got != 2 {
				t.Fatalf("followers = %d, want 2", got)
			}
			for _, who := range []string{"@nobody@mastodon.test", "bad", "https://capture.test/users/cap"} {
				if _, err := n.fed.BlockAccount(ctx, who, ""); !errors.Is(err, federation.ErrInvalid) {
					t.Errorf("BlockAccount(%q) = %v, want ErrInvalid", who, err)
				}
			}
			got, err := n.fed.BlockAccount(ctx, bad.id, "spam")
			if err != nil || got != bad.id {
				t.Fatalf("BlockAccount = %q %v", got, err)
			}
			if got := followers(); got != 1 {
				t.Errorf("followers after the block = %d, want 1", got)
			}
			fetches := n.web.hits[bad.id]
			if got := receive(bad, "2"); got != 403 {
				t.Errorf("POST from the blocked account = %d, want 403", got)
			}
			if n.web.hits[bad.id] != fetches {
				t.Errorf("a blocked account's key was fetched")
			}
			if got := receive(good, "2"); got != 202 {
				t.Errorf("POST from another account there = %d, want 202", got)
			}
			fetch := func(p *peer) error {
				get := httptest.NewRequest("GET", "https://capture.test/users/cap", nil)
				get.Header.Set("Accept", "application/activity+json")
				if err := httpsig.Sign(get, nil, p.keyID, p.key, n.clock); err != nil {
					t.Fatal(err)
				}
				return n.fed.VerifyFetch(ctx, get)
			}
			if err := fetch(bad); inboxStatus(err) != 403 {
				t.Errorf("signed GET by the blocked account: %v, want 403", err)
			}
			if err := fetch(good); err != nil {
				t.Errorf("signed GET by another account there: %v", err)
			}
			if _, err := n.fed.BlockAccount(ctx, "https://never.test/users/x", ""); err != nil {
				t.Errorf("blocking an address never seen: %v", err)
			}
			if _, err := n.fed.UnblockAccount(ctx, bad.id); err != nil {
				t.Fatal(err)
			}
			if _, err := n.fed.UnblockAccount(ctx, bad.id); !errors.Is(err, federation.ErrInvalid) {
				t.Errorf("unblocking twice = %v", err)
			}
			if got := receive(bad, "3"); got != 202 {
				t.Errorf("POST after the unblock = %d, want 202", got)
			}
			if blocked, err := n.store.AccountBlocked(ctx, bad.id); err != nil || blocked {
				t.Errorf("still blocked: %v %v", blocked, err)
			}
		})
	}
}
