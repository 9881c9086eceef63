package web_test

import (
	"context"
	"testing"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestAllowListModeDocuments: in the allow-list mode our ActivityPub
// documents answer only signed fetches (a fetch must say which server it
// comes from to be allowed), while the reader's site stays public.
func TestAllowListModeDocuments(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	as := []string{"Accept", "application/activity+json"}
	if r, _ := n.get(t, "/users/icssi", as...); r.StatusCode != 200 {
		t.Fatalf("open mode: actor document = %d", r.StatusCode)
	}
	if err := n.fed.SetFederationMode(ctx, storage.FederationAllowList); err != nil {
		t.Fatal(err)
	}
	if r, _ := n.get(t, "/users/icssi", as...); r.StatusCode != 401 {
		t.Errorf("allow-list mode: unsigned actor document = %d, want 401", r.StatusCode)
	}
	if r, _ := n.get(t, "/@icssi"); r.StatusCode != 200 {
		t.Errorf("allow-list mode: the public profile page = %d, want 200", r.StatusCode)
	}
	if r, _ := n.get(t, "/actor", as...); r.StatusCode != 200 {
		t.Errorf("allow-list mode: the instance actor (others need its key) = %d, want 200", r.StatusCode)
	}
}
