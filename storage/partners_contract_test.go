package storage_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// testRelayPolicies: a follow carries what it relays; the policy is
// validated, changed in place and read back by every reader of follows.
func testRelayPolicies(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	p := newRemote(t, s, "https://partner.example/users/p", "partner.example", "p")
	if err := s.PutFollowing(ctx, a.ID, p.ID, "https://node.test/activities/f", storage.RelayPolicy{Mode: storage.RelayTags}); err == nil {
		t.Fatal("a hashtag policy without hashtags was accepted")
	}
	if err := s.PutFollowing(ctx, a.ID, p.ID, "https://node.test/activities/f", storage.RelayPolicy{Mode: "some"}); err == nil {
		t.Fatal("an unknown relay mode was accepted")
	}
	if err := s.PutFollowing(ctx, a.ID, p.ID, "https://node.test/activities/f", storage.RelayPolicy{}); err != nil {
		t.Fatal(err)
	}
	if f, err := s.Following(ctx, a.ID, p.ID); err != nil || f.Relay.Mode != storage.RelayNone || len(f.Relay.Tags) != 0 {
		t.Fatalf("default policy: %+v %v", f, err)
	}
	want := storage.RelayPolicy{Mode: storage.RelayTags, Tags: []string{"حقوق_الإنسان", "iraq"}}
	if err := s.SetRelayPolicy(ctx, a.ID, p.ID, want); err != nil {
		t.Fatal(err)
	}
	if follows, err := s.LocalFollowsOf(ctx, p.ID); err != nil || len(follows) != 0 {
		t.Fatalf("a pending follow is listed as relaying: %d %v", len(follows), err)
	}
	if err := s.SetFollowingState(ctx, "https://node.test/activities/f", a.ID, p.ID, storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	follows, err := s.LocalFollowsOf(ctx, p.ID)
	if err != nil || len(follows) != 1 || follows[0].ActorID != a.ID || fmt.Sprint(follows[0].Relay) != fmt.Sprint(want) {
		t.Fatalf("LocalFollowsOf: %v %v", follows, err)
	}
	if l, err := s.ListFollowing(ctx, a.ID, 0, 10); err != nil || len(l) != 1 || fmt.Sprint(l[0].Relay) != fmt.Sprint(want) {
		t.Fatalf("ListFollowing: %v %v", l, err)
	}
	// Tags are dropped when the mode does not use them.
	if err := s.SetRelayPolicy(ctx, a.ID, p.ID, storage.RelayPolicy{Mode: storage.RelayAll, Tags: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	if f, err := s.Following(ctx, a.ID, p.ID); err != nil || f.Relay.Mode != storage.RelayAll || len(f.Relay.Tags) != 0 {
		t.Fatalf("policy all: %+v %v", f, err)
	}
	q := newRemote(t, s, "https://q.example/users/q", "q.example", "q")
	if err := s.SetRelayPolicy(ctx, a.ID, q.ID, storage.RelayPolicy{Mode: storage.RelayAll}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("policy for an account not followed: %v", err)
	}
}

// testPartnerPosts: the partner listing shows accepted partners' own public
// posts, newest first, paged by keyset, with tags and attachments; replies,
// followers-only posts, deleted posts and unfollowed accounts stay out; the
// version changes with every change the pages show.
func testPartnerPosts(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	p := newRemote(t, s, "https://partner.example/users/p", "partner.example", "p")
	stranger := newRemote(t, s, "https://x.example/users/x", "x.example", "x")
	if err := s.PutFollowing(ctx, a.ID, p.ID, "https://node.test/activities/f", storage.RelayPolicy{}); err != nil {
		t.Fatal(err)
	}
	v0, err := s.PartnerVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetFollowingState(ctx, "https://node.test/activities/f", a.ID, p.ID, storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	v1, _ := s.PartnerVersion(ctx)
	if v1 == v0 {
		t.Fatal("the version did not change when a follow was accepted")
	}
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	put := func(iri string, by *storage.RemoteActor, minutes int, public bool, replyTo string) *storage.RemoteObject {
		t.Helper()
		at := base.Add(time.Duration(minutes) * time.Minute)
		o := &storage.RemoteObject{IRI: iri, RemoteActorID: by.ID, Type: "Note", ContentHTML: "<p>" + iri + "</p>",
			Language: "ar", Public: public, InReplyTo: replyTo, PublishedAt: &at, Tags: []string{"تضامن"},
			Attachments: []storage.RemoteAttachment{{URL: iri + ".jpg", MediaType: "image/jpeg", Alt: "a march", Width: 4, Height: 3}}}
		if err := s.UpsertRemoteObject(ctx, o); err != nil {
			t.Fatal(err)
		}
		if !o.Created {
			t.Fatalf("%s: a new object is not marked created", iri)
		}
		return o
	}
	for i := range 5 {
		put(fmt.Sprintf("https://partner.example/p/%d", i), p, i, true, "")
	}
	put("https://partner.example/p/private", p, 10, false, "")
	put("https://partner.example/p/reply", p, 11, true, "https://elsewhere.example/n/1")
	put("https://x.example/p/1", stranger, 12, true, "")
	if err := s.DeleteRemoteObject(ctx, "https://partner.example/p/4", p.ID); err != nil {
		t.Fatal(err)
	}
	first, err := s.PartnerPosts(ctx, "", nil, 2)
	if err != nil || len(first) != 2 || first[0].IRI != "https://partner.example/p/3" || first[1].IRI != "https://partner.example/p/2" {
		t.Fatalf("first page: %v %v", iris(first), err)
	}
	if o := first[0]; len(o.Tags) != 1 || o.Tags[0] != "تضامن" || len(o.Attachments) != 1 || o.Attachments[0].Alt != "a march" ||
		!o.Public || o.Author == nil || o.Author.IRI != p.IRI {
		t.Fatalf("post read back: %+v", o)
	}
	last := first[1]
	next, err := s.PartnerPosts(ctx, "", &storage.Cursor{PublishedAt: *last.PublishedAt, ID: last.ID}, 10)
	if err != nil || len(next) != 2 || next[0].IRI != "https://partner.example/p/1" || next[1].IRI != "https://partner.example/p/0" {
		t.Fatalf("second page: %v %v", iris(next), err)
	}
	if one, err := s.PartnerPosts(ctx, stranger.ID, nil, 10); err != nil || len(one) != 0 {
		t.Fatalf("posts of an account nobody follows: %v %v", iris(one), err)
	}
	partners, err := s.ListPartners(ctx)
	if err != nil || len(partners) != 1 || partners[0].IRI != p.IRI {
		t.Fatalf("partners: %v %v", partners, err)
	}
	// An Update keeps the row (not created again) and changes the version.
	v2, _ := s.PartnerVersion(ctx)
	again := &storage.RemoteObject{IRI: "https://partner.example/p/0", RemoteActorID: p.ID, Type: "Note", ContentHTML: "<p>edited</p>", Public: true}
	if err := s.UpsertRemoteObject(ctx, again); err != nil || again.Created || again.ID != next[1].ID {
		t.Fatalf("update: created=%v id=%s want %s: %v", again.Created, again.ID, next[1].ID, err)
	}
	if v3, _ := s.PartnerVersion(ctx); v3 == v2 {
		t.Fatal("the version did not change when a post was edited")
	}
	if err := s.RemoveFollowing(ctx, a.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if l, err := s.PartnerPosts(ctx, "", nil, 10); err != nil || len(l) != 0 {
		t.Fatalf("posts of an unfollowed partner: %v %v", iris(l), err)
	}
}

// testRelays: one standing relay per actor and post; undoing keeps the row
// so a later relay replaces it; a post's standing relays are listed.
func testRelays(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a, b := newActor(t, s, "icssi"), newActor(t, s, "other")
	p := newRemote(t, s, "https://partner.example/users/p", "partner.example", "p")
	o := &storage.RemoteObject{IRI: "https://partner.example/p/1", RemoteActorID: p.ID, Type: "Note", Public: true,
		URL: "https://partner.example/@p/1"}
	if err := s.UpsertRemoteObject(ctx, o); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{o.IRI, o.URL} {
		if got, err := s.PartnerPostByURL(ctx, addr); err != nil || got.ID != o.ID {
			t.Fatalf("PartnerPostByURL(%s): %+v %v", addr, got, err)
		}
	}
	if _, err := s.PartnerPostByURL(ctx, "https://partner.example/@p/2"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("PartnerPostByURL of nothing: %v", err)
	}
	if _, err := s.RelayOf(ctx, a.ID, o.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("relay before any: %v", err)
	}
	if err := s.PutRelay(ctx, &storage.Relay{ActorID: a.ID, RemoteObjectID: o.ID, AnnounceIRI: "https://node.test/a/1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRelay(ctx, &storage.Relay{ActorID: a.ID, RemoteObjectID: o.ID, AnnounceIRI: "https://node.test/a/2"}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second standing relay: %v", err)
	}
	if err := s.PutRelay(ctx, &storage.Relay{ActorID: b.ID, RemoteObjectID: o.ID, AnnounceIRI: "https://node.test/b/1", Manual: true}); err != nil {
		t.Fatal(err)
	}
	if l, err := s.StandingRelays(ctx, o.ID); err != nil || len(l) != 2 {
		t.Fatalf("standing relays: %d %v", len(l), err)
	}
	r, err := s.UndoRelay(ctx, a.ID, o.ID)
	if err != nil || r.AnnounceIRI != "https://node.test/a/1" || r.UndoneAt == nil {
		t.Fatalf("undo: %+v %v", r, err)
	}
	if _, err := s.UndoRelay(ctx, a.ID, o.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second undo: %v", err)
	}
	if r, err := s.RelayOf(ctx, a.ID, o.ID); err != nil || r.UndoneAt == nil {
		t.Fatalf("an undone relay is not remembered: %+v %v", r, err)
	}
	if l, err := s.StandingRelays(ctx, o.ID); err != nil || len(l) != 1 || l[0].ActorID != b.ID || !l[0].Manual {
		t.Fatalf("standing relays after undo: %v %v", l, err)
	}
	if err := s.PutRelay(ctx, &storage.Relay{ActorID: a.ID, RemoteObjectID: o.ID, AnnounceIRI: "https://node.test/a/3"}); err != nil {
		t.Fatalf("relay again after undo: %v", err)
	}
	if l, err := s.ListRelays(ctx, a.ID, 10); err != nil || len(l) != 1 || l[0].AnnounceIRI != "https://node.test/a/3" || l[0].UndoneAt != nil {
		t.Fatalf("list relays: %v %v", l, err)
	}
	// Moves and proof keys are kept with the actor.
	if err := s.SetActorAliases(ctx, a.ID, []string{"https://old.example/users/icssi"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetActorMovedTo(ctx, a.ID, "https://new.example/users/icssi"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetActorProofKey(ctx, a.ID, "PEM"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ActorByID(ctx, a.ID)
	if err != nil || fmt.Sprint(got.AlsoKnownAs) != "[https://old.example/users/icssi]" || got.MovedTo != "https://new.example/users/icssi" ||
		got.ProofKeyPEM != "PEM" {
		t.Fatalf("actor: %+v %v", got, err)
	}
}

func iris(l []*storage.RemoteObject) []string {
	var out []string
	for _, o := range l {
		out = append(out, o.IRI)
	}
	return out
}
