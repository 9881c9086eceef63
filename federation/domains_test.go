package federation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestBlockedDomainGetsNothing: once a domain is blocked, nothing more goes
// there: what was queued before the block is not sent, and later activities
// leave out its inboxes even where its accounts are not followers (here:
// someone who liked a statement, whose inbox a Delete is sent to).
func TestBlockedDomainGetsNothing(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			n := newCapNode(t, b.URL)
			st, err := n.fed.Publish(ctx, "cap", &content.Draft{Title: "Together", Language: "en", Body: "We stand together."})
			if err != nil {
				t.Fatal(err)
			}
			stIRI := "https://capture.test/users/cap/statements/" + st.ID
			amal := newPeer(t, n.web, "https://mastodon.test/users/amal")
			bob := newPeer(t, n.web, "https://other.test/users/bob")
			for i, p := range []*peer{amal, bob} {
				host := strings.Split(p.id, "/")[2]
				for j, body := range []string{
					follow(p.id, fmt.Sprintf("https://%s/follows/%d", host, i)),
					fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://%s/likes/%d","type":"Like","actor":%q,"object":%q}`, host, i, p.id, stIRI),
				} {
					if err := n.fed.Receive(ctx, p.post(t, "/users/cap/inbox", body, n.clock), []byte(body), "cap"); err != nil {
						t.Fatalf("%s activity %d: %v", p.id, j, err)
					}
				}
			}
			if _, err := n.fed.ProcessInbox(ctx); err != nil {
				t.Fatal(err)
			}
			pending := func() map[string]int {
				t.Helper()
				rows, err := n.store.DB().QueryContext(ctx, `SELECT host FROM deliveries WHERE state = 'pending'`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				out := map[string]int{}
				for rows.Next() {
					var h string
					if err := rows.Scan(&h); err != nil {
						t.Fatal(err)
					}
					out[h]++
				}
				return out
			}
			if p := pending(); p["mastodon.test"] != 1 || p["other.test"] != 1 {
				t.Fatalf("before the block, each follower's Accept is queued: %v", p)
			}
			if _, err := n.fed.SetDomainPolicy(ctx, "mastodon.test", storage.PolicyBlock, "harassment"); err != nil {
				t.Fatal(err)
			}
			if p := pending(); p["mastodon.test"] != 0 || p["other.test"] != 1 {
				t.Fatalf("after the block, what was queued for the domain is still pending: %v", p)
			}
			if _, err := n.fed.DeleteStatement(ctx, st.ID); err != nil {
				t.Fatal(err)
			}
			if p := pending(); p["mastodon.test"] != 0 || p["other.test"] != 2 {
				t.Fatalf("the Delete goes to the blocked domain, or not to the follower: %v", p)
			}
		})
	}
}
