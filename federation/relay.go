package federation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/go-fed/activity/streams"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// Relaying: our actors Announce the posts of the partners they follow to
// their own followers, as the follow's relay policy says (all, by hashtag or
// none), and Undo the Announce when the partner deletes the post or an
// editor stops relaying it. Only a partner's own public posts are relayed
// automatically, once, when they are first delivered to us: not its replies,
// not its boosts of others, not what was read from its outbox (backfill).

// maxRelayTags bounds the hashtags of one relay policy.
const maxRelayTags = 50

// liveMargin is how long before our follow was accepted a post may have
// been published and still be relayed when its Create reaches us after
// the backfill stored it: the partner sends the Create to us as a follower
// as soon as it has sent its Accept, and clocks differ.
const liveMargin = 10 * time.Minute

// ParseRelayTags reads the hashtags of a relay policy, as an editor types
// them: separated by commas (Latin or Arabic) or spaces, with or without
// '#', in any script. They come back normalised (content.NormalizeTag) and
// without repeats. An empty list or a tag that is not a hashtag is an error.
func ParseRelayTags(s string) ([]string, error) {
	return relayTags(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '،' || unicode.IsSpace(r) }))
}

// relayTags normalises the hashtags of a relay policy, each given alone,
// dropping repeats; none, too many or one that is not a hashtag is an error.
func relayTags(given []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, g := range given {
		t := content.NormalizeTag(g)
		if t == "" {
			return nil, reject("%q is not a hashtag: a hashtag is letters, digits and _ only", g)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, reject("give at least one hashtag, e.g. \"#solidarity, حقوق_الإنسان\"")
	}
	if len(out) > maxRelayTags {
		return nil, reject("at most %d hashtags", maxRelayTags)
	}
	return out, nil
}

// checkPolicy validates a relay policy and normalises its tags.
func checkPolicy(p storage.RelayPolicy) (storage.RelayPolicy, error) {
	if p.Mode == "" {
		p.Mode = storage.RelayNone
	}
	if !storage.ValidRelayMode(p.Mode) {
		return p, reject("relay %q: use %s, %s or %s", p.Mode, storage.RelayAll, storage.RelayTags, storage.RelayNone)
	}
	if p.Mode != storage.RelayTags {
		p.Tags = nil
		return p, nil
	}
	tags, err := relayTags(p.Tags)
	if err != nil {
		return p, err
	}
	p.Tags = tags
	return p, nil
}

// policyRelays reports whether a follow's policy relays a post with these
// (normalised) tags.
func policyRelays(p storage.RelayPolicy, tags []string) bool {
	switch p.Mode {
	case storage.RelayAll:
		return true
	case storage.RelayTags:
		for _, want := range p.Tags {
			want = content.NormalizeTag(want)
			for _, t := range tags {
				if t == want {
					return true
				}
			}
		}
	}
	return false
}

// SetPartnerPolicy changes what our actor relays of a partner it follows.
// The new policy applies to posts that arrive afterwards.
func (s *Service) SetPartnerPolicy(ctx context.Context, username, who string, p storage.RelayPolicy) (*storage.RemoteActor, error) {
	p, err := checkPolicy(p)
	if err != nil {
		return nil, err
	}
	local, err := s.localActor(ctx, username)
	if err != nil {
		return nil, err
	}
	remote, err := s.findRemote(ctx, who)
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		return tx.SetRelayPolicy(ctx, local.ID, remote.ID, p)
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil, reject("@%s does not follow %s (add it with 'tadamun partner add')", username, who)
	}
	if err != nil {
		return nil, fmt.Errorf("federation: set partner policy: %w", err)
	}
	s.log.InfoContext(ctx, "relay policy set", "actor", username, "partner", remote.IRI, "relay", p.Mode, "tags", p.Tags)
	return remote, nil
}

// RemovePartner stops our actor following a partner (Undo Follow) and undoes
// every Announce of that partner's posts it still stands by.
func (s *Service) RemovePartner(ctx context.Context, username, who string) (*storage.RemoteActor, error) {
	local, err := s.localActor(ctx, username)
	if err != nil {
		return nil, err
	}
	remote, err := s.findRemote(ctx, who)
	if err != nil {
		return nil, err
	}
	undone := 0
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		f, err := tx.Following(ctx, local.ID, remote.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return reject("@%s does not follow %s", username, who)
		}
		if err != nil {
			return err
		}
		if err := s.unfollowIn(ctx, tx, local, remote, f); err != nil {
			return err
		}
		undone, err = s.undoRelaysOf(ctx, tx, remote, local)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("federation: remove partner: %w", err)
	}
	s.wake()
	s.log.InfoContext(ctx, "partner removed", "actor", username, "partner", remote.IRI, "relays_undone", undone)
	return remote, nil
}

// relayablePost finds a stored partner post an editor may relay by hand,
// by its id or by its web address (what a reader copies from the partner's
// site): not a reply to one of our statements.
func (s *Service) relayablePost(ctx context.Context, addr string) (*storage.RemoteObject, error) {
	o, err := s.store.PartnerPostByURL(ctx, addr)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, reject("%s is not a partner post stored here", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("federation: %w", err)
	}
	return o, nil
}

// RelayPost makes our actor relay (Announce) one stored partner post by an
// editor's hand, whatever the policy says, even a backfilled one. An error
// wrapping storage.ErrConflict says the actor relays it already.
func (s *Service) RelayPost(ctx context.Context, username, objectIRI string) error {
	local, err := s.localActor(ctx, username)
	if err != nil {
		return err
	}
	o, err := s.relayablePost(ctx, objectIRI)
	if err != nil {
		return err
	}
	if o.DeletedAt != nil {
		return reject("%s was deleted by its author", objectIRI)
	}
	if !o.Public {
		return reject("%s is not public: only public posts are relayed", objectIRI)
	}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		return s.relayIn(ctx, tx, local, o, o.Author, true)
	})
	if errors.Is(err, storage.ErrConflict) {
		return rejectWrapping(storage.ErrConflict, "@%s already relays %s", username, objectIRI)
	}
	if err != nil {
		return fmt.Errorf("federation: relay: %w", err)
	}
	s.wake()
	s.log.InfoContext(ctx, "post relayed by hand", "actor", username, "post", objectIRI)
	return nil
}

// UnrelayPost undoes our actor's Announce of a partner post (Undo Announce
// to its followers and the post's author).
func (s *Service) UnrelayPost(ctx context.Context, username, objectIRI string) error {
	local, err := s.localActor(ctx, username)
	if err != nil {
		return err
	}
	o, err := s.relayablePost(ctx, objectIRI)
	if err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		return s.unrelayIn(ctx, tx, local, o)
	})
	if errors.Is(err, storage.ErrNotFound) {
		return reject("@%s does not relay %s", username, objectIRI)
	}
	if err != nil {
		return fmt.Errorf("federation: unrelay: %w", err)
	}
	s.wake()
	s.log.InfoContext(ctx, "relay undone by hand", "actor", username, "post", objectIRI)
	return nil
}

// autoRelay relays a partner post delivered to us for every actor of ours
// whose follow's policy asks for it, inside tx (the transaction that stored
// the post: a crash between storing and announcing loses nothing, and a
// redelivered Create finds the post known and announces nothing). It
// returns how many Announces it queued.
//
// o is newly stored, or was stored by the backfill moments before its
// Create arrived: then an actor relays it only if the post is no older
// than its follow (the backfill's older posts are never relayed) and the
// actor never relayed it (a relay undone stays undone).
func (s *Service) autoRelay(ctx context.Context, tx *storage.Store, o *storage.RemoteObject, author *storage.RemoteActor) (int, error) {
	follows, err := tx.LocalFollowsOf(ctx, author.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range follows {
		if !policyRelays(f.Relay, o.Tags) {
			continue
		}
		if !o.Created {
			if f.AcceptedAt == nil || o.PublishedAt == nil || o.PublishedAt.Before(f.AcceptedAt.Add(-liveMargin)) {
				continue
			}
			if _, err := tx.RelayOf(ctx, f.ActorID, o.ID); err == nil {
				continue
			} else if !errors.Is(err, storage.ErrNotFound) {
				return n, err
			}
		}
		local, err := tx.ActorByID(ctx, f.ActorID)
		if err != nil {
			return n, err
		}
		if err := s.relayIn(ctx, tx, local, o, author, false); errors.Is(err, storage.ErrConflict) {
			continue // relayed already (by hand, or by an earlier delivery)
		} else if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// relayIn queues our actor's Announce of a partner post to its followers
// and the post's author, and records the relay, inside tx. ErrConflict if
// the actor relays the post already.
func (s *Service) relayIn(ctx context.Context, tx *storage.Store, local *storage.Actor, o *storage.RemoteObject, author *storage.RemoteActor, manual bool) error {
	id := storage.NewID()
	actIRI := s.iri.Activity(local.Username, id)
	if err := tx.PutRelay(ctx, &storage.Relay{ActorID: local.ID, RemoteObjectID: o.ID, AnnounceIRI: actIRI, Manual: manual}); err != nil {
		return err
	}
	v := streams.NewActivityStreamsAnnounce()
	v.SetJSONLDId(idProp(actIRI))
	v.SetActivityStreamsActor(actorProp(s.iri.Actor(local.Username)))
	v.SetActivityStreamsObject(objectIRIProp(o.IRI))
	v.SetActivityStreamsPublished(publishedProp(s.clock()))
	v.SetActivityStreamsTo(toProp(PublicAddress))
	v.SetActivityStreamsCc(ccProp(s.iri.ActorPart(local.Username, iri.Followers), author.IRI))
	body, err := serialize(v)
	if err != nil {
		return err
	}
	act := &storage.Activity{ID: id, IRI: actIRI, Direction: storage.Outbound, Type: "Announce",
		ActorIRI: s.iri.Actor(local.Username), ObjectIRI: o.IRI, LocalActorID: local.ID, Body: body}
	return s.sendToFollowers(ctx, tx, act, local, []string{author.Inbox})
}

// unrelayIn queues our actor's Undo of its standing Announce of a partner
// post, to its followers and the post's author, and marks the relay undone,
// inside tx. ErrNotFound if the actor does not relay the post.
func (s *Service) unrelayIn(ctx context.Context, tx *storage.Store, local *storage.Actor, o *storage.RemoteObject) error {
	r, err := tx.UndoRelay(ctx, local.ID, o.ID)
	if err != nil {
		return err
	}
	author := o.Author // filled when the object is read from the store
	if author == nil {
		return fmt.Errorf("federation: unrelay %s: author not loaded", o.IRI)
	}
	actorIRI := s.iri.Actor(local.Username)
	// The Announce is embedded with its id, type, actor and object:
	// Mastodon and GoToSocial find the boost by its id, and check that the
	// actor undoing it is the one who made it.
	ann := streams.NewActivityStreamsAnnounce()
	ann.SetJSONLDId(idProp(r.AnnounceIRI))
	ann.SetActivityStreamsActor(actorProp(actorIRI))
	ann.SetActivityStreamsObject(objectIRIProp(o.IRI))
	obj := streams.NewActivityStreamsObjectProperty()
	obj.AppendActivityStreamsAnnounce(ann)
	id := storage.NewID()
	v := streams.NewActivityStreamsUndo()
	v.SetJSONLDId(idProp(s.iri.Activity(local.Username, id)))
	v.SetActivityStreamsActor(actorProp(actorIRI))
	v.SetActivityStreamsObject(obj)
	v.SetActivityStreamsTo(toProp(PublicAddress))
	v.SetActivityStreamsCc(ccProp(s.iri.ActorPart(local.Username, iri.Followers), author.IRI))
	body, err := serialize(v)
	if err != nil {
		return err
	}
	act := &storage.Activity{ID: id, IRI: s.iri.Activity(local.Username, id), Direction: storage.Outbound, Type: "Undo",
		ActorIRI: actorIRI, ObjectIRI: r.AnnounceIRI, LocalActorID: local.ID, Body: body}
	return s.sendToFollowers(ctx, tx, act, local, []string{author.Inbox})
}

// undoAllRelays undoes every standing relay of a post, inside tx (the post
// was deleted, or is no longer public). It returns how many it undid.
func (s *Service) undoAllRelays(ctx context.Context, tx *storage.Store, o *storage.RemoteObject) (int, error) {
	relays, err := tx.StandingRelays(ctx, o.ID)
	if err != nil {
		return 0, err
	}
	for i, r := range relays {
		local, err := tx.ActorByID(ctx, r.ActorID)
		if err != nil {
			return i, err
		}
		if err := s.unrelayIn(ctx, tx, local, o); err != nil {
			return i, err
		}
	}
	return len(relays), nil
}

// undoRelaysOf undoes the standing relays of a remote actor's posts, by
// one of our actors (local) or by all (local nil), inside tx. It returns
// how many it undid.
func (s *Service) undoRelaysOf(ctx context.Context, tx *storage.Store, remote *storage.RemoteActor, local *storage.Actor) (int, error) {
	return s.undoRelaysWhere(ctx, tx, local, func(o *storage.RemoteObject) (bool, error) { return o.RemoteActorID == remote.ID, nil })
}

// undoRelaysWhere undoes the standing relays (by local, or by any of our
// actors when local is nil) of the posts that match.
func (s *Service) undoRelaysWhere(ctx context.Context, tx *storage.Store, local *storage.Actor,
	match func(*storage.RemoteObject) (bool, error)) (int, error) {
	actorID := ""
	if local != nil {
		actorID = local.ID
	}
	relays, err := tx.ListRelays(ctx, actorID, 1<<20)
	if err != nil {
		return 0, err
	}
	actors := map[string]*storage.Actor{}
	n := 0
	for _, r := range relays {
		o, err := tx.RemoteObjectByID(ctx, r.RemoteObjectID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		if ok, err := match(o); err != nil {
			return n, err
		} else if !ok {
			continue
		}
		a := local
		if a == nil {
			if a = actors[r.ActorID]; a == nil {
				if a, err = tx.ActorByID(ctx, r.ActorID); err != nil {
					return n, err
				}
				actors[r.ActorID] = a
			}
		}
		if err := s.unrelayIn(ctx, tx, a, o); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
