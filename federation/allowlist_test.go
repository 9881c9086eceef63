package federation_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/storage"
)

// TestAllowListMode: in the allow-list mode only allowed domains may
// deliver to us or fetch from us; every other server gets 403 before any
// of its keys is fetched, and nothing is delivered to it. Switching back to
// the open mode lets it in again.
func TestAllowListMode(t *testing.T) {
	ctx := context.Background()
	n := newNetNode(t)
	partner := startKeyServer(t, "127.0.0.3", nil)
	stranger := startKeyServer(t, "127.0.0.2", nil)
	alice := partner.addActor(t, "/users/alice", "")
	mallory := stranger.addActor(t, "/users/mallory", "")
	if _, err := n.fed.SetDomainPolicy(ctx, "127.0.0.3", storage.PolicyAllow, "partner"); err != nil {
		t.Fatal(err)
	}
	if err := n.fed.SetFederationMode(ctx, "closed"); err == nil {
		t.Fatal("an unknown mode was accepted")
	}
	if err := n.fed.SetFederationMode(ctx, storage.FederationAllowList); err != nil {
		t.Fatal(err)
	}
	if req, err := n.fed.SignedFetchRequired(ctx); err != nil || !req {
		t.Fatalf("the allow-list mode must require signed fetches: %v %v", req, err)
	}

	b := follow(mallory.id, mallory.id+"/a/1")
	if err := n.fed.Receive(ctx, signedAs(t, b, mallory.keyID, mallory.key, n.clock), []byte(b), ""); inboxStatus(err) != 403 {
		t.Fatalf("a domain not on the list: %v, want 403", err)
	}
	get := httptest.NewRequest("GET", "https://capture.test/users/cap", nil)
	get.Header.Set("Accept", "application/activity+json")
	if err := httpsig.Sign(get, nil, mallory.keyID, mallory.key, n.clock); err != nil {
		t.Fatal(err)
	}
	if err := n.fed.VerifyFetch(ctx, get); inboxStatus(err) != 403 {
		t.Fatalf("a signed GET from a domain not on the list: %v, want 403", err)
	}
	if h := stranger.hits.Load(); h != 0 {
		t.Fatalf("the unlisted domain's server got %d requests", h)
	}
	b = follow(alice.id, alice.id+"/a/1")
	if err := n.fed.Receive(ctx, signedAs(t, b, alice.keyID, alice.key, n.clock), []byte(b), ""); err != nil {
		t.Fatalf("an allowed domain: %v", err)
	}
	if c, _ := n.store.CountActivities(ctx, storage.Inbound, ""); c != 1 {
		t.Fatalf("%d activities stored, want the allowed one", c)
	}

	if err := n.fed.SetFederationMode(ctx, storage.FederationOpen); err != nil {
		t.Fatal(err)
	}
	b = follow(mallory.id, mallory.id+"/a/2")
	if err := n.fed.Receive(ctx, signedAs(t, b, mallory.keyID, mallory.key, n.clock), []byte(b), ""); err != nil {
		t.Fatalf("open mode again: %v", err)
	}
	// Both are followers now; back in the allow-list mode, a new statement
	// is delivered to the allowed one only.
	if _, err := n.fed.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.fed.SetFederationMode(ctx, storage.FederationAllowList); err != nil {
		t.Fatal(err)
	}
	st, err := n.fed.Publish(ctx, "cap", &content.Draft{Title: "Allowed", Language: "en", Body: "For partners."})
	if err != nil {
		t.Fatal(err)
	}
	create, err := n.store.ActivityByIRI(ctx, n.fed.IRI().Create("cap", st.ID))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := n.store.DeliveriesOf(ctx, create.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || !strings.HasPrefix(ds[0].Host, "127.0.0.3") {
		for _, d := range ds {
			t.Logf("delivery to %s", d.Inbox)
		}
		t.Fatalf("%d deliveries of the Create, want one, to the allowed domain", len(ds))
	}
}
