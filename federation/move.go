package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// Moving accounts, as Mastodon, GoToSocial and Misskey do it. An account
// moves from OLD to NEW in three steps: NEW lists OLD in alsoKnownAs (the
// new account vouches for the old one), OLD sets movedTo NEW, and OLD sends
// {"type":"Move","actor":OLD,"object":OLD,"target":NEW} to its followers.
// Each follower's server checks the two-way link with NEW's own server and
// moves its follow. The alias is what makes a Move safe: anyone can claim a
// new address in a Move, but only the owner of NEW can list OLD on it.

// MaxAliases bounds the accounts an actor is also known as. One or two is
// usual (each earlier home of the organisation); GoToSocial and Mastodon
// cap theirs too.
const MaxAliases = 10

// The inbox must let Move through to the worker. inbox.go owns the list;
// until Move is written there, it is added here.
// onMove handles a remote actor's Move to a new address: every follow of
// the old account by one of our actors, accepted or pending, becomes a
// follow of the new one with the same relay policy, and the old follow is
// withdrawn. The inbox has checked that the activity's actor signed it; the
// Move must also be about that actor (object), and the target, fetched anew
// from its own server, must list the old account in alsoKnownAs. Anything
// else is ignored, with the reason logged, and changes nothing.
//
// A redelivery, or a second Move to the same target, finds no follow of the
// old account left and does nothing; a Move that failed half-way (the new
// follow sent, the old not yet withdrawn) is retried without following twice.
func (s *Service) onMove(ctx context.Context, a *storage.Activity, remote *storage.RemoteActor, raw map[string]any) error {
	if a.ObjectIRI != remote.IRI {
		return s.refuseMove(ctx, remote, "", "the Move is about another account than its sender")
	}
	target := refOf(raw["target"])
	switch {
	case !validIRI(target):
		return s.refuseMove(ctx, remote, target, "the Move has no valid target")
	case target == remote.IRI:
		return s.refuseMove(ctx, remote, target, "the Move's target is the account itself")
	case s.iri.Local(target):
		return s.refuseMove(ctx, remote, target, "the Move's target is on this node")
	}
	// Only a move of someone we follow concerns us: nothing is fetched for
	// the others (a Move from anyone must not make us fetch at will).
	follows, err := s.localFollowsOf(ctx, remote)
	if err != nil {
		return err
	}
	if len(follows) == 0 {
		return ignored{"Move of an account none of our actors follows"}
	}
	if why, err := s.shutOut(ctx, target); err != nil {
		return err
	} else if why != "" {
		return s.refuseMove(ctx, remote, target, why)
	}
	// Fetched anew: a cached copy could predate (or outlive) the alias.
	moved, err := s.ResolveActor(ctx, target, true)
	if err != nil {
		return fmt.Errorf("federation: move of %s: %w", remote.IRI, err) // retried: the server may be down for a moment
	}
	aliases, movedTo := actorLinks(moved.Raw)
	if !containsString(aliases, remote.IRI) {
		return s.refuseMove(ctx, remote, target, "the target does not list the old account in alsoKnownAs")
	}
	if movedTo != "" {
		return s.refuseMove(ctx, remote, target, "the target has itself moved to "+movedTo)
	}
	for _, f := range follows {
		if err := s.moveFollow(ctx, f, remote, moved); err != nil {
			return err
		}
	}
	return nil
}

// localFollow is one of our actors' follow of a remote account.
type localFollow struct {
	actor  *storage.Actor
	follow *storage.Following
}

// localFollowsOf lists our actors' follows of a remote account that are
// accepted or still pending (a rejected follow is not moved).
func (s *Service) localFollowsOf(ctx context.Context, remote *storage.RemoteActor) ([]localFollow, error) {
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return nil, fmt.Errorf("federation: move: %w", err)
	}
	var out []localFollow
	for _, a := range actors {
		if a.IsInstance {
			continue
		}
		f, err := s.store.Following(ctx, a.ID, remote.ID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("federation: move: %w", err)
		}
		if f.State == storage.FollowAccepted || f.State == storage.FollowPending {
			out = append(out, localFollow{a, f})
		}
	}
	return out, nil
}

// moveFollow follows the new account in place of the old one, keeping
// what was relayed of it.
func (s *Service) moveFollow(ctx context.Context, lf localFollow, old, moved *storage.RemoteActor) error {
	username := lf.actor.Username
	already := false
	if f, err := s.store.Following(ctx, lf.actor.ID, moved.ID); err == nil {
		already = f.State == storage.FollowAccepted || f.State == storage.FollowPending
	} else if !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("federation: move: %w", err)
	}
	if !already {
		if _, err := s.Follow(ctx, username, moved.IRI, lf.follow.Relay); err != nil {
			return fmt.Errorf("federation: move: follow %s: %w", moved.IRI, err)
		}
	}
	if _, err := s.Unfollow(ctx, username, old.IRI); err != nil {
		return fmt.Errorf("federation: move: unfollow %s: %w", old.IRI, err)
	}
	s.log.InfoContext(ctx, "partner moved: following its new account", "actor", username, "from", old.IRI,
		"to", moved.IRI, "relay", lf.follow.Relay.Mode, "already_following", already)
	return nil
}

// refuseMove logs why a Move is not acted on (an editor may wonder why a
// partner's move was not followed) and marks it ignored.
func (s *Service) refuseMove(ctx context.Context, remote *storage.RemoteActor, target, why string) error {
	s.log.InfoContext(ctx, "move not followed", "from", remote.IRI, "to", target, "why", why)
	return ignored{"Move: " + why}
}

// shutOut says why nothing may go to or come from addr's account ("" when
// it may): its domain is blocked, or not allowed in the allow-list mode, or
// the account itself is blocked.
func (s *Service) shutOut(ctx context.Context, addr string) (string, error) {
	policy, err := s.store.DomainPolicy(ctx, domainOf(addr))
	if err != nil {
		return "", fmt.Errorf("federation: %w", err)
	}
	mode, err := s.FederationMode(ctx)
	if err != nil {
		return "", err
	}
	if refused(policy, mode) {
		return "the target's domain is blocked or not allowed", nil
	}
	blocked, err := s.store.AccountBlocked(ctx, addr)
	if err != nil {
		return "", fmt.Errorf("federation: %w", err)
	}
	if blocked {
		return "the target account is blocked", nil
	}
	return "", nil
}

// actorLinks reads alsoKnownAs (one IRI or a list) and movedTo from a
// remote actor's stored document.
func actorLinks(doc string) (aliases []string, movedTo string) {
	m, err := decodeJSON([]byte(doc))
	if err != nil {
		return nil, ""
	}
	switch v := m["alsoKnownAs"].(type) {
	case []any:
		for _, x := range v {
			if s := refOf(x); s != "" {
				aliases = append(aliases, s)
			}
		}
	default:
		if s := refOf(v); s != "" {
			aliases = append(aliases, s)
		}
	}
	return aliases, refOf(m["movedTo"])
}

// onThisNode reports whether who (@user@host or a URL) names an account of
// this node.
func (s *Service) onThisNode(who string) bool {
	if _, host, ok := normaliseHandle(who); ok {
		return strings.EqualFold(host, s.iri.Host())
	}
	return s.iri.Local(who)
}

// SetAliases sets the accounts an actor is also known as (alsoKnownAs),
// given as @user@host or actor URLs: the accounts it may move here from.
// Each is looked up on its server and stored as its actor IRI; none (nil)
// clears them. When the list changes, followers get an Update of the actor
// in the same transaction. Setting an alias claims nothing by itself:
// other servers act on a Move only when the old account also names this one
// (movedTo and the Move), so a wrong alias is harmless, only useless.
func (s *Service) SetAliases(ctx context.Context, username string, whos []string) (*storage.Actor, error) {
	a, err := s.localActor(ctx, username)
	if err != nil {
		return nil, err
	}
	if len(whos) > MaxAliases {
		return nil, reject("at most %d aliases", MaxAliases)
	}
	aliases := []string{}
	for _, who := range whos {
		if s.onThisNode(who) {
			return nil, reject("%s is on this node: an alias is an account on another server", who)
		}
		r, err := s.Lookup(ctx, who)
		if err != nil {
			return nil, err
		}
		if !containsString(aliases, r.IRI) {
			aliases = append(aliases, r.IRI)
		}
	}
	before, err := s.ActorDocument(a)
	if err != nil {
		return nil, err
	}
	a.AlsoKnownAs = aliases
	after, err := s.ActorDocument(a)
	if err != nil {
		return nil, err
	}
	sent := false
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.SetActorAliases(ctx, a.ID, aliases); err != nil {
			return err
		}
		if bytes.Equal(before, after) {
			return nil
		}
		sent = true
		return s.queueActorUpdate(ctx, tx, a, after)
	})
	if err != nil {
		return nil, fmt.Errorf("federation: set aliases: %w", err)
	}
	if sent {
		s.wake()
	}
	s.log.InfoContext(ctx, "aliases set", "actor", a.Username, "also_known_as", aliases, "update_sent", sent)
	return a, nil
}

// aliasRecheck is how long MoveActor waits before looking at the new
// account a second time, when the first look found no alias.
const aliasRecheck = time.Second

// MoveActor moves one of our actors to its new account on another server
// (who: @user@host or the actor URL). The new account is fetched anew and
// must already list this actor in alsoKnownAs; otherwise nothing happens and
// the error says what to do first. The actor's movedTo is recorded, and its
// followers get an Update of the actor and the Move, all in one transaction:
// their servers then follow the new account and drop the old one.
//
// Moving again to the same account changes nothing and sends the Move once
// more, to the followers still here (those whose servers missed or refused
// it the first time). The moved actor keeps its statements and addresses,
// but publishes nothing new (movedAway).
func (s *Service) MoveActor(ctx context.Context, username, who string) (*storage.RemoteActor, error) {
	a, err := s.localActor(ctx, username)
	if err != nil {
		return nil, err
	}
	if s.onThisNode(who) {
		return nil, reject("%s is on this node: an actor moves to an account on another server", who)
	}
	target, err := s.Lookup(ctx, who)
	if err != nil {
		return nil, err
	}
	self := s.iri.Actor(a.Username)
	aliases, movedTo := actorLinks(target.Raw)
	if !containsString(aliases, self) {
		// The alias may have been added a moment ago, and the new server
		// may still be answering from a cache: look once more, a second
		// later, before refusing.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(aliasRecheck):
		}
		if target, err = s.Lookup(ctx, who); err != nil {
			return nil, err
		}
		aliases, movedTo = actorLinks(target.Raw)
	}
	if !containsString(aliases, self) {
		return nil, reject("%s does not list %s among the accounts it is also known as; on its server, add that alias "+
			"first (on a Tadamun node: tadamun actor alias USERNAME %s; on Mastodon: Preferences, Account, "+
			"Moving from a different account), then run the move again", target.IRI, self, self)
	}
	if movedTo != "" {
		return nil, reject("%s has itself moved to %s; move to that account instead", target.IRI, movedTo)
	}
	updated := a.MovedTo != target.IRI
	a.MovedTo = target.IRI
	doc, err := s.ActorDocument(a)
	if err != nil {
		return nil, err
	}
	moveID := storage.NewID()
	body, err := s.moveDoc(a, s.iri.Activity(a.Username, moveID), target.IRI)
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if updated {
			if err := tx.SetActorMovedTo(ctx, a.ID, target.IRI); err != nil {
				return err
			}
			if err := s.queueActorUpdate(ctx, tx, a, doc); err != nil {
				return err
			}
		}
		act := &storage.Activity{ID: moveID, IRI: s.iri.Activity(a.Username, moveID), Direction: storage.Outbound,
			Type: "Move", ActorIRI: self, ObjectIRI: self, LocalActorID: a.ID, Body: body}
		return s.sendToFollowers(ctx, tx, act, a, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("federation: move actor: %w", err)
	}
	s.wake()
	s.log.InfoContext(ctx, "actor moved", "actor", a.Username, "to", target.IRI, "first_time", updated)
	return target, nil
}

// movedAway refuses new publications by an actor that moved: it publishes
// at its new address now, and its followers have gone there.
func movedAway(a *storage.Actor) error {
	if a.MovedTo == "" {
		return nil
	}
	return reject("@%s has moved to %s and publishes there now", a.Username, a.MovedTo)
}

// CheckNotMoved refuses (ErrInvalid) new publications by an actor that has
// moved away (see MoveActor).
func (s *Service) CheckNotMoved(ctx context.Context, username string) error {
	a, err := s.localActor(ctx, username)
	if err != nil {
		return err
	}
	return movedAway(a)
}

// queueActorUpdate sends followers an Update embedding the actor's document
// doc, as UpdateProfile does.
func (s *Service) queueActorUpdate(ctx context.Context, tx *storage.Store, a *storage.Actor, doc []byte) error {
	actID := storage.NewID()
	id := s.iri.Activity(a.Username, actID)
	body, err := s.actorUpdateDoc(a, id, doc)
	if err != nil {
		return err
	}
	act := &storage.Activity{ID: actID, IRI: id, Direction: storage.Outbound, Type: "Update",
		ActorIRI: s.iri.Actor(a.Username), ObjectIRI: s.iri.Actor(a.Username), LocalActorID: a.ID, Body: body}
	return s.sendToFollowers(ctx, tx, act, a, nil)
}

// moveDoc is the Move of our actor to target, as Mastodon and GoToSocial
// send it: actor and object are the actor itself, addressed to its
// followers.
func (s *Service) moveDoc(a *storage.Actor, id, target string) ([]byte, error) {
	self := s.iri.Actor(a.Username)
	v := streams.NewActivityStreamsMove()
	v.SetJSONLDId(idProp(id))
	v.SetActivityStreamsActor(actorProp(self))
	v.SetActivityStreamsObject(objectIRIProp(self))
	t := streams.NewActivityStreamsTargetProperty()
	t.AppendIRI(mustIRI(target))
	v.SetActivityStreamsTarget(t)
	v.SetActivityStreamsTo(toProp(s.iri.ActorPart(a.Username, iri.Followers)))
	v.SetActivityStreamsPublished(publishedProp(s.clock()))
	return serialize(v)
}
