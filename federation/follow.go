package federation

import (
	"context"
	"errors"
	"fmt"

	"github.com/tadamun/tadamun/storage"
)

// Follow makes our actor follow a remote actor (a partner), given as
// @user@host or an actor URL. The Follow is queued; the partner's Accept
// makes it active.
func (s *Service) Follow(ctx context.Context, username, who string, relay storage.RelayPolicy) (*storage.RemoteActor, error) {
	relay, err := checkPolicy(relay)
	if err != nil {
		return nil, err
	}
	local, err := s.localActor(ctx, username)
	if err != nil {
		return nil, err
	}
	remote, err := s.Lookup(ctx, who)
	if err != nil {
		return nil, err
	}
	id := storage.NewID()
	followIRI := s.iri.Activity(local.Username, id)
	body, err := s.followDoc(local, followIRI, remote.IRI)
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.PutFollowing(ctx, local.ID, remote.ID, followIRI, relay); err != nil {
			return err
		}
		act := &storage.Activity{ID: id, IRI: followIRI, Direction: storage.Outbound, Type: "Follow",
			ActorIRI: s.iri.Actor(local.Username), ObjectIRI: remote.IRI, LocalActorID: local.ID, Body: body}
		return s.send(ctx, tx, act, local, remote.Inbox)
	})
	if err != nil {
		return nil, fmt.Errorf("federation: follow: %w", err)
	}
	s.wake()
	return remote, nil
}

// Unfollow withdraws our actor's follow of a remote actor.
func (s *Service) Unfollow(ctx context.Context, username, who string) (*storage.RemoteActor, error) {
	local, err := s.localActor(ctx, username)
	if err != nil {
		return nil, err
	}
	remote, err := s.findRemote(ctx, who)
	if err != nil {
		return nil, err
	}
	f, err := s.store.Following(ctx, local.ID, remote.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, reject("@%s does not follow %s", username, who)
	}
	if err != nil {
		return nil, fmt.Errorf("federation: unfollow: %w", err)
	}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		return s.unfollowIn(ctx, tx, local, remote, f)
	})
	if err != nil {
		return nil, fmt.Errorf("federation: unfollow: %w", err)
	}
	s.wake()
	return remote, nil
}

// unfollowIn forgets our follow f and queues its Undo, inside tx.
func (s *Service) unfollowIn(ctx context.Context, tx *storage.Store, local *storage.Actor, remote *storage.RemoteActor, f *storage.Following) error {
	id := storage.NewID()
	body, err := s.undoFollowDoc(local, s.iri.Activity(local.Username, id), f.FollowIRI, remote.IRI)
	if err != nil {
		return err
	}
	if err := tx.RemoveFollowing(ctx, local.ID, remote.ID); err != nil {
		return err
	}
	act := &storage.Activity{ID: id, IRI: s.iri.Activity(local.Username, id), Direction: storage.Outbound,
		Type: "Undo", ActorIRI: s.iri.Actor(local.Username), ObjectIRI: f.FollowIRI, LocalActorID: local.ID, Body: body}
	return s.send(ctx, tx, act, local, remote.Inbox)
}

// findRemote finds a known remote actor by handle or IRI, without fetching.
func (s *Service) findRemote(ctx context.Context, who string) (*storage.RemoteActor, error) {
	var r *storage.RemoteActor
	var err error
	if user, host, ok := normaliseHandle(who); ok {
		r, err = s.store.RemoteActorByHandle(ctx, user, host)
	} else {
		r, err = s.store.RemoteActorByIRI(ctx, who)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, reject("%s is not known here", who)
	}
	return r, err
}

// AnswerFollower approves (accept) or rejects a pending follower, or removes
// an accepted one (accept false), telling their server.
func (s *Service) AnswerFollower(ctx context.Context, username, who string, accept bool) (*storage.RemoteActor, error) {
	local, err := s.localActor(ctx, username)
	if err != nil {
		return nil, err
	}
	remote, err := s.findRemote(ctx, who)
	if err != nil {
		return nil, err
	}
	f, err := s.store.Follower(ctx, local.ID, remote.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, reject("%s does not follow @%s", who, username)
	}
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if accept {
			if err := tx.AcceptFollower(ctx, local.ID, remote.ID); err != nil {
				return err
			}
		} else if err := tx.RemoveFollower(ctx, local.ID, remote.ID); err != nil {
			return err
		}
		return s.answerFollow(ctx, tx, accept, local, remote, f.FollowIRI)
	})
	if err != nil {
		return nil, fmt.Errorf("federation: answer follower: %w", err)
	}
	s.wake()
	return remote, nil
}
