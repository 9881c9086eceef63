package storage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// testPartnerMedia: the local copies named by posts are listed with their
// use counts; clearing a copy clears it in every post naming it and keeps
// the link; pruning keeps each partner's newest posts, replies to us and
// relayed posts.
func testPartnerMedia(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	p := newRemote(t, s, "https://partner.example/users/p", "partner.example", "p")
	q := newRemote(t, s, "https://q.example/users/q", "q.example", "q")
	gone := newRemote(t, s, "https://gone.example/users/g", "gone.example", "g")
	for i, r := range []*storage.RemoteActor{p, q} {
		if err := s.PutFollowing(ctx, a.ID, r.ID, fmt.Sprintf("https://node.test/activities/f%d", i), storage.RelayPolicy{}); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	put := func(iri string, by *storage.RemoteActor, minutes int, statementID string, media ...storage.RemoteAttachment) *storage.RemoteObject {
		t.Helper()
		at := base.Add(time.Duration(minutes) * time.Minute)
		o := &storage.RemoteObject{IRI: iri, RemoteActorID: by.ID, Type: "Note", Public: true, PublishedAt: &at,
			StatementID: statementID, Attachments: media}
		if statementID != "" {
			o.Moderation = storage.ModerationPending
		}
		if err := s.UpsertRemoteObject(ctx, o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	shared := storage.RemoteAttachment{URL: "https://partner.example/m/1.jpg", MediaType: "image/jpeg", Alt: "a march",
		LocalPath: "partners/aa.jpg", Width: 4, Height: 3}
	video := storage.RemoteAttachment{URL: "https://partner.example/m/2.mp4", MediaType: "video/mp4", Alt: "a speech"}
	other := storage.RemoteAttachment{URL: "https://partner.example/m/3.png", MediaType: "image/png", LocalPath: "partners/bb.png"}
	var posts []*storage.RemoteObject
	for i := range 5 {
		posts = append(posts, put(fmt.Sprintf("https://partner.example/p/%d", i), p, i, ""))
	}
	posts[0] = put(posts[0].IRI, p, 0, "", shared, video)
	posts[1] = put(posts[1].IRI, p, 1, "", shared, other)

	paths, err := s.PartnerMediaPaths(ctx)
	if err != nil || len(paths) != 2 || paths["partners/aa.jpg"] != 2 || paths["partners/bb.png"] != 1 {
		t.Fatalf("paths: %v %v", paths, err)
	}
	if n, err := s.ClearPartnerMediaPath(ctx, "partners/aa.jpg"); err != nil || n != 2 {
		t.Fatalf("clear: %d %v", n, err)
	}
	got, err := s.RemoteObjectByID(ctx, posts[0].ID)
	if err != nil || len(got.Attachments) != 2 || got.Attachments[0].LocalPath != "" || got.Attachments[0].URL != shared.URL ||
		got.Attachments[0].Alt != "a march" || got.Attachments[1] != video {
		t.Fatalf("after clear: %+v %v", got, err)
	}
	if paths, err := s.PartnerMediaPaths(ctx); err != nil || len(paths) != 1 || paths["partners/bb.png"] != 1 {
		t.Fatalf("paths after clear: %v %v", paths, err)
	}
	if n, err := s.ClearPartnerMediaPath(ctx, "partners/none.jpg"); err != nil || n != 0 {
		t.Fatalf("clear of a path nobody names: %d %v", n, err)
	}

	// Pruning to 2 a partner: the two newest stay, and so do the relayed
	// one and a reply to our statement; q's posts are counted apart (its
	// follow is still pending); the posts of an account nobody follows go,
	// unless relayed.
	pub := base
	st := newStatement(t, s, a.ID, "s", "en", &pub, storage.StatePublished)
	reply := put("https://partner.example/r/1", p, -10, st.ID)
	if err := s.PutRelay(ctx, &storage.Relay{ActorID: a.ID, RemoteObjectID: posts[1].ID, AnnounceIRI: "https://node.test/a/1"}); err != nil {
		t.Fatal(err)
	}
	qs := []*storage.RemoteObject{put("https://q.example/p/1", q, -5, ""), put("https://q.example/p/2", q, -6, "")}
	unfollowed := put("https://gone.example/p/1", gone, 20, "")
	relayedGone := put("https://gone.example/p/2", gone, 21, "")
	if err := s.PutRelay(ctx, &storage.Relay{ActorID: a.ID, RemoteObjectID: relayedGone.ID, AnnounceIRI: "https://node.test/a/2"}); err != nil {
		t.Fatal(err)
	}
	n, err := s.PrunePartnerPosts(ctx, 2)
	if err != nil || n != 3 {
		t.Fatalf("pruned %d, want 3 (posts 0 and 2, the unfollowed account's): %v", n, err)
	}
	if _, err := s.RemoteObjectByID(ctx, unfollowed.ID); err == nil {
		t.Error("the post of an account nobody follows was kept")
	}
	for _, o := range []*storage.RemoteObject{posts[1], posts[3], posts[4], reply, qs[0], qs[1], relayedGone} {
		if _, err := s.RemoteObjectByID(ctx, o.ID); err != nil {
			t.Errorf("%s was pruned: %v", o.IRI, err)
		}
	}
	for _, o := range []*storage.RemoteObject{posts[0], posts[2]} {
		if _, err := s.RemoteObjectByID(ctx, o.ID); err == nil {
			t.Errorf("%s was kept", o.IRI)
		}
	}
	if n, err := s.PrunePartnerPosts(ctx, 2); err != nil || n != 0 {
		t.Fatalf("second prune: %d %v", n, err)
	}
}
