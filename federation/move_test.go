package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// setAliases rewrites the actor document served at path with alsoKnownAs
// (none: the term is left out).
func (ks *keyServer) setAliases(t *testing.T, path string, aliases ...string) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(ks.docs[path], &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "alsoKnownAs")
	if len(aliases) > 0 {
		doc["alsoKnownAs"] = aliases
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	ks.docs[path] = b
}

func moveBody(id, actor, object, target string) string {
	return fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Move","actor":%q,"object":%q,"target":%q}`,
		id, actor, object, target)
}

// TestMovedPartnerIsFollowed: a partner we follow (one actor accepted, one
// still pending) moves, its servers real HTTP servers on loopback addresses
// and the Moves signed with their keys. A Move about another account, one
// to a target that does not list the old account, one to a blocked domain
// change nothing (the blocked target is not even fetched). Once the target
// lists the old account (fetched anew: the copy cached without the alias
// is not trusted), both our actors follow the new account with their relay
// policies and withdraw the old follow. A redelivery, and a second Move,
// change nothing more.
func TestMovedPartnerIsFollowed(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			clock := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
			now := func() time.Time { return clock }
			store := openStore(t, b.URL, now)
			client := transport.New(transport.Config{AllowPrivate: true, Now: now})
			t.Cleanup(client.CloseIdleConnections)
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			fed := federation.New(federation.Config{Scheme: "https", Host: "capture.test", Logger: quiet, Now: now, Client: client}, store)
			cap, err := fed.CreateActor(ctx, federation.NewActor{Username: "cap"})
			if err != nil {
				t.Fatal(err)
			}
			other, err := fed.CreateActor(ctx, federation.NewActor{Username: "other"})
			if err != nil {
				t.Fatal(err)
			}

			oldSrv := startKeyServer(t, "127.0.0.7", nil)
			newSrv := startKeyServer(t, "127.0.0.8", nil)
			blockedSrv := startKeyServer(t, "127.0.0.9", nil)
			old := oldSrv.addActor(t, "/users/old", "")
			moved := newSrv.addActor(t, "/users/new", "")
			stranger := newSrv.addActor(t, "/users/stranger", "")
			mallory := newSrv.addActor(t, "/users/mallory", "")
			elsewhere := blockedSrv.addActor(t, "/users/elsewhere", "")
			blockedSrv.setAliases(t, "/users/elsewhere", old.id)
			if _, err := fed.SetDomainPolicy(ctx, "127.0.0.9", storage.PolicyBlock, "test"); err != nil {
				t.Fatal(err)
			}

			tags := storage.RelayPolicy{Mode: storage.RelayTags, Tags: []string{"iraq"}}
			if _, err := fed.Follow(ctx, "cap", old.id, tags); err != nil {
				t.Fatal(err)
			}
			if _, err := fed.Follow(ctx, "other", old.id, storage.RelayPolicy{Mode: storage.RelayNone}); err != nil {
				t.Fatal(err)
			}
			oldRemote, err := store.RemoteActorByIRI(ctx, old.id)
			if err != nil {
				t.Fatal(err)
			}
			f, err := store.Following(ctx, cap.ID, oldRemote.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.SetFollowingState(ctx, f.FollowIRI, cap.ID, oldRemote.ID, storage.FollowAccepted); err != nil {
				t.Fatal(err)
			}
			// The new account is known already, cached without an alias.
			if _, err := fed.ResolveActor(ctx, moved.id, true); err != nil {
				t.Fatal(err)
			}

			deliver := func(p *peer, body string) error {
				t.Helper()
				clock = clock.Add(time.Second)
				if err := fed.Receive(ctx, signedAs(t, body, p.keyID, p.key, clock), []byte(body), ""); err != nil {
					return err
				}
				if _, err := fed.ProcessInbox(ctx); err != nil {
					t.Fatal(err)
				}
				return nil
			}
			count := func(query string, args ...any) int {
				t.Helper()
				return storagetest.Count(t, b.URL, query, args...)
			}
			follows := func(actorID, remoteIRI string) *storage.Following {
				t.Helper()
				r, err := store.RemoteActorByIRI(ctx, remoteIRI)
				if errors.Is(err, storage.ErrNotFound) {
					return nil
				}
				if err != nil {
					t.Fatal(err)
				}
				f, err := store.Following(ctx, actorID, r.ID)
				if errors.Is(err, storage.ErrNotFound) {
					return nil
				}
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
			unchanged := func(what string) {
				t.Helper()
				if follows(cap.ID, old.id) == nil || follows(other.ID, old.id) == nil {
					t.Fatalf("%s: a follow of the old account was withdrawn", what)
				}
				if n := count(`SELECT COUNT(*) FROM following`); n != 2 {
					t.Fatalf("%s: %d follows, want the 2 of the old account", what, n)
				}
				if n := count(`SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type IN ('Follow', 'Undo')`); n != 2 {
					t.Fatalf("%s: %d Follows and Undos sent, want the first 2 Follows", what, n)
				}
			}

			// Someone else's account: mallory signs a Move of old.
			if err := deliver(mallory, moveBody(mallory.id+"#moves/1", mallory.id, old.id, moved.id)); err != nil {
				t.Fatal(err)
			}
			unchanged("a Move of another account")
			// A Move in old's name signed with mallory's key is refused at the door.
			if err := deliver(mallory, moveBody(mallory.id+"#moves/2", old.id, old.id, moved.id)); err == nil {
				t.Fatal("a Move signed by someone other than its actor was accepted")
			}
			unchanged("a Move signed by another key")
			// A target that does not vouch for the old account.
			if err := deliver(old, moveBody(old.id+"#moves/1", old.id, old.id, stranger.id)); err != nil {
				t.Fatal(err)
			}
			unchanged("a Move to a target without alsoKnownAs")
			// A target on a blocked domain: not fetched at all.
			if err := deliver(old, moveBody(old.id+"#moves/2", old.id, old.id, elsewhere.id)); err != nil {
				t.Fatal(err)
			}
			unchanged("a Move to a blocked domain")
			if n := blockedSrv.hits.Load(); n != 0 {
				t.Fatalf("the blocked target's server was asked %d times", n)
			}
			// The real new account, before it lists the old one.
			if err := deliver(old, moveBody(old.id+"#moves/3", old.id, old.id, moved.id)); err != nil {
				t.Fatal(err)
			}
			unchanged("a Move before the new account lists the old one")

			newSrv.setAliases(t, "/users/new", old.id)
			move := moveBody(old.id+"#moves/4", old.id, old.id, moved.id)
			if err := deliver(old, move); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				actor *storage.Actor
				relay storage.RelayPolicy
			}{{cap, tags}, {other, storage.RelayPolicy{Mode: storage.RelayNone}}} {
				if f := follows(c.actor.ID, old.id); f != nil {
					t.Errorf("@%s still follows the old account (%s)", c.actor.Username, f.State)
				}
				f := follows(c.actor.ID, moved.id)
				if f == nil || f.State != storage.FollowPending || f.Relay.Mode != c.relay.Mode || fmt.Sprint(f.Relay.Tags) != fmt.Sprint(c.relay.Tags) {
					t.Fatalf("@%s after the move: %+v", c.actor.Username, f)
				}
			}
			followsSent := func() int {
				return count(`SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Follow' AND object_iri = $1`, moved.id)
			}
			undosSent := func() int {
				return count(`SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Undo'`)
			}
			if followsSent() != 2 || undosSent() != 2 {
				t.Fatalf("%d Follows of the new account and %d Undos sent, want 2 and 2", followsSent(), undosSent())
			}
			if n := count(`SELECT COUNT(*) FROM deliveries WHERE inbox = $1`, moved.id+"/inbox"); n != 2 {
				t.Fatalf("%d deliveries to the new account's inbox, want 2", n)
			}

			// Redelivered, then sent again under another id: nothing more.
			if err := deliver(old, move); err != nil {
				t.Fatal(err)
			}
			if err := deliver(old, moveBody(old.id+"#moves/5", old.id, old.id, moved.id)); err != nil {
				t.Fatal(err)
			}
			if followsSent() != 2 || undosSent() != 2 || count(`SELECT COUNT(*) FROM following`) != 2 {
				t.Fatalf("after a redelivery: %d Follows, %d Undos, %d follows", followsSent(), undosSent(), count(`SELECT COUNT(*) FROM following`))
			}
		})
	}
}

// TestMoveActorNeedsTheAlias: our actor moves only to an account that lists
// it in alsoKnownAs; then its movedTo is set, its followers get the Update
// and the Move (actor and object ourselves, target the new account), and
// it publishes nothing new. Aliases are looked up and stored as IRIs.
func TestMoveActorNeedsTheAlias(t *testing.T) {
	ctx := context.Background()
	dbURL := storagetest.SQLiteURL(t)
	store := openStore(t, dbURL, time.Now)
	client := transport.New(transport.Config{AllowPrivate: true})
	t.Cleanup(client.CloseIdleConnections)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fed := federation.New(federation.Config{Scheme: "https", Host: "capture.test", Logger: quiet, Client: client}, store)
	cap, err := fed.CreateActor(ctx, federation.NewActor{Username: "cap"})
	if err != nil {
		t.Fatal(err)
	}
	srv := startKeyServer(t, "127.0.0.10", nil)
	follower := srv.addActor(t, "/users/follower", "")
	target := srv.addActor(t, "/users/cap2", "")
	fr, err := fed.Lookup(ctx, follower.id)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutFollower(ctx, cap.ID, fr.ID, follower.id+"#follows/1", storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	self := "https://capture.test/users/cap"

	_, err = fed.MoveActor(ctx, "cap", target.id)
	if !errors.Is(err, federation.ErrInvalid) || !strings.Contains(err.Error(), "actor alias") {
		t.Fatalf("a move to an account without the alias: %v", err)
	}
	if a, _ := store.ActorByUsername(ctx, "cap"); a.MovedTo != "" {
		t.Fatal("a refused move set movedTo")
	}
	if _, err := fed.MoveActor(ctx, "cap", "@someone@capture.test"); !errors.Is(err, federation.ErrInvalid) {
		t.Fatalf("a move to this node: %v", err)
	}

	// The aliases of our own actor (the reverse direction): stored as IRIs.
	a, err := fed.SetAliases(ctx, "cap", []string{follower.id, follower.id})
	if err != nil || fmt.Sprint(a.AlsoKnownAs) != fmt.Sprint([]string{follower.id}) {
		t.Fatalf("set aliases: %v %v", a, err)
	}
	updates := func() int {
		n, err := store.CountActivities(ctx, storage.Outbound, "Update")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if updates() != 1 {
		t.Fatalf("%d Updates after setting an alias, want 1", updates())
	}
	if _, err := fed.SetAliases(ctx, "cap", []string{follower.id}); err != nil || updates() != 1 {
		t.Fatalf("the same aliases again sent an Update (%d) or failed: %v", updates(), err)
	}
	if a, err := fed.SetAliases(ctx, "cap", nil); err != nil || len(a.AlsoKnownAs) != 0 || updates() != 2 {
		t.Fatalf("clearing the aliases: %v %v, %d Updates", a, err, updates())
	}

	srv.setAliases(t, "/users/cap2", self)
	r, err := fed.MoveActor(ctx, "cap", target.id)
	if err != nil || r.IRI != target.id {
		t.Fatalf("move: %v %v", r, err)
	}
	if a, _ := store.ActorByUsername(ctx, "cap"); a.MovedTo != target.id {
		t.Fatalf("movedTo = %q", a.MovedTo)
	}
	if updates() != 3 {
		t.Fatalf("%d Updates, want one more for movedTo", updates())
	}
	moves, err := store.CountActivities(ctx, storage.Outbound, "Move")
	if err != nil || moves != 1 {
		t.Fatalf("%d Moves stored: %v", moves, err)
	}
	for _, term := range []string{`"type":"Move"`, `"actor":"` + self + `"`, `"object":"` + self + `"`, `"target":"` + target.id + `"`} {
		if storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM activities WHERE activity_type = 'Move' AND body LIKE $1`, "%"+term+"%") != 1 {
			t.Fatalf("the Move lacks %s", term)
		}
	}
	if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM deliveries WHERE inbox = $1`, follower.id+"/inbox"); n != 4 {
		t.Fatalf("%d deliveries to the follower, want 2 Updates, the movedTo Update and the Move", n)
	}
	// Again: no new Update, the Move once more.
	if _, err := fed.MoveActor(ctx, "cap", target.id); err != nil || updates() != 3 {
		t.Fatalf("moving again: %v, %d Updates", err, updates())
	}
	if err := fed.CheckNotMoved(ctx, "cap"); !errors.Is(err, federation.ErrInvalid) || !strings.Contains(err.Error(), "moved to") {
		t.Fatalf("a moved actor may publish: %v", err)
	}
	if _, err := fed.Publish(ctx, "cap", &content.Draft{Title: "After the move", Language: "en", Body: "Still here?"}); !errors.Is(err, federation.ErrInvalid) {
		t.Fatalf("Publish by a moved actor: %v, want ErrInvalid", err)
	}
	// Its document says where it went.
	moved, err := store.ActorByUsername(ctx, "cap")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := fed.ActorDocument(moved)
	if err != nil || !strings.Contains(string(doc), `"movedTo":"`+target.id+`"`) {
		t.Fatalf("actor document: %s %v", doc, err)
	}
}
