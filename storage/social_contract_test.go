package storage_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

func newRemote(t *testing.T, s *storage.Store, iri, host, username string) *storage.RemoteActor {
	t.Helper()
	r := &storage.RemoteActor{IRI: iri, Host: host, Type: "Person", Username: username, Inbox: iri + "/inbox",
		FetchedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := s.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// testFollowingLookup: one follow of ours is found by a single-row query,
// in any state, and "is this a partner" counts accepted follows by any of
// our actors; absence is ErrNotFound / false, not a silent empty value.
func testFollowingLookup(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a, b := newActor(t, s, "icssi"), newActor(t, s, "other")
	p := newRemote(t, s, "https://partner.example/users/p", "partner.example", "p")
	q := newRemote(t, s, "https://q.example/users/q", "q.example", "q")
	if _, err := s.Following(ctx, a.ID, p.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Following before any follow: %v", err)
	}
	if ok, err := s.IsPartner(ctx, p.ID); err != nil || ok {
		t.Fatalf("IsPartner before any follow: %v %v", ok, err)
	}
	if err := s.PutFollowing(ctx, a.ID, p.ID, "https://node.test/activities/1", storage.RelayPolicy{Mode: storage.RelayAll}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutFollowing(ctx, b.ID, q.ID, "https://node.test/activities/2", storage.RelayPolicy{}); err != nil {
		t.Fatal(err)
	}
	f, err := s.Following(ctx, a.ID, p.ID)
	if err != nil || f.FollowIRI != "https://node.test/activities/1" || f.State != storage.FollowPending || f.Relay.Mode != storage.RelayAll ||
		f.Remote == nil || f.Remote.IRI != p.IRI || f.AcceptedAt != nil {
		t.Fatalf("Following: %+v %v", f, err)
	}
	if _, err := s.Following(ctx, b.ID, p.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another actor's follow was found: %v", err)
	}
	if ok, err := s.IsPartner(ctx, p.ID); err != nil || ok {
		t.Fatalf("a pending follow made a partner: %v %v", ok, err)
	}
	if err := s.SetFollowingState(ctx, "https://node.test/activities/1", a.ID, p.ID, storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.IsPartner(ctx, p.ID); err != nil || !ok {
		t.Fatalf("an accepted follow is not a partner: %v %v", ok, err)
	}
	if ok, err := s.IsPartner(ctx, q.ID); err != nil || ok {
		t.Fatalf("IsPartner of a pending follow of another actor: %v %v", ok, err)
	}
	if f, err := s.Following(ctx, a.ID, p.ID); err != nil || f.State != storage.FollowAccepted || f.AcceptedAt == nil {
		t.Fatalf("Following after Accept: %+v %v", f, err)
	}
	if err := s.RemoveFollowing(ctx, a.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.IsPartner(ctx, p.ID); err != nil || ok {
		t.Fatalf("IsPartner after unfollow: %v %v", ok, err)
	}
	// A closed store answers with an error, not with "not following".
	s.Close()
	if _, err := s.IsPartner(ctx, q.ID); err == nil {
		t.Fatal("IsPartner on a closed store gave no error")
	}
	if _, err := s.Following(ctx, b.ID, q.ID); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Following on a closed store: %v", err)
	}
}

// testDomainPolicies: policies are set, replaced, listed, looked up through
// parent domains and removed.
func testDomainPolicies(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	if list, err := s.ListDomainPolicies(ctx); err != nil || len(list) != 0 {
		t.Fatalf("fresh list: %v %v", list, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SetDomainPolicy(ctx, "spam.example", storage.PolicySilence, "first"))
	must(s.SetDomainPolicy(ctx, "spam.example", storage.PolicyBlock, "worse"))
	must(s.SetDomainPolicy(ctx, "friends.example", storage.PolicyAllow, ""))
	if err := s.SetDomainPolicy(ctx, "x.example", "ignore", ""); err == nil {
		t.Fatal("an unknown policy was stored")
	}
	list, err := s.ListDomainPolicies(ctx)
	if err != nil || len(list) != 2 || list[0].Domain != "friends.example" || list[1].Policy != storage.PolicyBlock ||
		list[1].Reason != "worse" || list[1].CreatedAt.IsZero() {
		t.Fatalf("list: %+v %v", list, err)
	}
	if p, err := s.DomainPolicy(ctx, "social.spam.example"); err != nil || p != storage.PolicyBlock {
		t.Fatalf("a subdomain of a blocked domain: %q %v", p, err)
	}
	// A block ends the follows of accounts on the domain and its
	// subdomains, on any port, and no others.
	a := newActor(t, s, "icssi")
	for i, host := range []string{"spam.example", "social.spam.example:8443", "notspam.example", "spam.example.org"} {
		r := newRemote(t, s, "https://"+host+"/users/u", host, "u")
		must(s.PutFollower(ctx, a.ID, r.ID, fmt.Sprintf("https://%s/follows/%d", host, i), storage.FollowAccepted))
	}
	if n, err := s.RemoveFollowersOnDomain(ctx, "spam.example"); err != nil || n != 2 {
		t.Fatalf("RemoveFollowersOnDomain: %d %v, want 2", n, err)
	}
	if n, err := s.CountFollowers(ctx, a.ID); err != nil || n != 2 {
		t.Fatalf("%d followers left, want the 2 on other domains (%v)", n, err)
	}
	must(s.RemoveDomainPolicy(ctx, "spam.example"))
	if err := s.RemoveDomainPolicy(ctx, "spam.example"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
	if p, err := s.DomainPolicy(ctx, "spam.example"); err != nil || p != "" {
		t.Fatalf("after removal: %q %v", p, err)
	}
}

// testStatementEditFields: an edit stores slug, state, publish time and
// reply target; a slug taken by another statement gets a suffix, its own
// does not; a federated statement cannot go back to draft.
func testStatementEditFields(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	taken := &storage.Statement{ActorID: a.ID, Slug: "taken", Language: "en", Title: "T", State: storage.StateDraft}
	st := &storage.Statement{ActorID: a.ID, Slug: "draft", Language: "en", Title: "D", State: storage.StateDraft}
	for _, x := range []*storage.Statement{taken, st} {
		if err := s.CreateStatement(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpdateStatement(ctx, st); err != nil || st.Slug != "draft" {
		t.Fatalf("an edit keeping its own slug: %q %v", st.Slug, err)
	}
	when := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	st.Slug, st.State, st.PublishedAt, st.InReplyTo = "taken", storage.StatePublished, &when, "https://x.example/notes/1"
	if err := s.UpdateStatement(ctx, st); err != nil || st.Slug != "taken-2" {
		t.Fatalf("an edit to a taken slug: %q %v", st.Slug, err)
	}
	got, err := s.StatementByID(ctx, st.ID)
	if err != nil || got.Slug != "taken-2" || got.State != storage.StatePublished || got.PublishedAt == nil ||
		!got.PublishedAt.Equal(when) || got.InReplyTo != "https://x.example/notes/1" {
		t.Fatalf("stored edit: %+v %v", got, err)
	}
	if won, err := s.ClaimFederation(ctx, st.ID, when.Add(time.Minute)); err != nil || !won {
		t.Fatalf("claim: %v %v", won, err)
	}
	st.State = storage.StateDraft
	if err := s.UpdateStatement(ctx, st); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a federated statement set back to draft: %v", err)
	}
	st.State = storage.StateDeleted
	if err := s.UpdateStatement(ctx, st); err == nil {
		t.Fatal("an edit set a statement deleted")
	}
	if got, _ := s.StatementByID(ctx, st.ID); got.State != storage.StatePublished {
		t.Fatalf("state after refused edits: %s", got.State)
	}
}
