package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tadamun/tadamun/storage"
)

// Account blocks are the node's moderators refusing one remote account
// rather than its whole domain: its inbox POSTs get 403 (checked before its
// key is fetched, like a domain block), so do its signed fetches of our
// documents in authorized-fetch mode, its follows of our actors end and
// its replies still waiting for moderation are rejected. Its server is not
// told: this is moderation, not a Block activity between two actors.

// BlockAccount blocks the remote account who (@user@host or actor URL, as
// known here; an actor URL may also be one never seen) and returns its
// actor IRI.
func (s *Service) BlockAccount(ctx context.Context, who, reason string) (string, error) {
	var remote *storage.RemoteActor
	actorIRI := strings.TrimSpace(who)
	r, err := s.findRemote(ctx, actorIRI)
	switch {
	case err == nil:
		remote, actorIRI = r, r.IRI
	case errors.Is(err, ErrInvalid) && validIRI(actorIRI):
		// An address never seen: blocked before it ever writes.
	case errors.Is(err, ErrInvalid):
		return "", reject("%q is neither @user@host of a known account nor an actor URL", who)
	default:
		return "", fmt.Errorf("federation: block account: %w", err)
	}
	if s.iri.Local(actorIRI) {
		return "", reject("%s is an actor of this node", actorIRI)
	}
	ended, rejected := 0, 0
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.BlockAccount(ctx, actorIRI, strings.TrimSpace(reason)); err != nil {
			return err
		}
		if remote == nil {
			return nil
		}
		var err error
		if ended, err = tx.RemoveFollowerEverywhere(ctx, remote.ID); err != nil {
			return err
		}
		rejected, err = tx.RejectPendingRepliesBy(ctx, remote.ID)
		return err
	})
	s.policyChanged() // also after a failed commit: it may have landed
	if err != nil {
		return "", fmt.Errorf("federation: block account: %w", err)
	}
	s.log.InfoContext(ctx, "account blocked", "actor", actorIRI, "follows_ended", ended, "replies_rejected", rejected)
	return actorIRI, nil
}

// UnblockAccount lifts the block of an account (@user@host or actor URL).
func (s *Service) UnblockAccount(ctx context.Context, who string) (string, error) {
	actorIRI := strings.TrimSpace(who)
	if r, err := s.findRemote(ctx, actorIRI); err == nil {
		actorIRI = r.IRI
	} else if !errors.Is(err, ErrInvalid) {
		return "", fmt.Errorf("federation: unblock account: %w", err)
	}
	err := s.store.Tx(ctx, func(tx *storage.Store) error { return tx.UnblockAccount(ctx, actorIRI) })
	s.policyChanged()
	if errors.Is(err, storage.ErrNotFound) {
		return "", reject("%s is not blocked", who)
	}
	if err != nil {
		return "", fmt.Errorf("federation: unblock account: %w", err)
	}
	s.log.InfoContext(ctx, "account unblocked", "actor", actorIRI)
	return actorIRI, nil
}

// checkAccount refuses (403) an activity whose actor is blocked.
func (s *Service) checkAccount(ctx context.Context, actorIRI string) error {
	blocked, err := s.store.AccountBlocked(ctx, actorIRI)
	if err != nil {
		return fmt.Errorf("federation: account block: %w", err)
	}
	if blocked {
		return refuse(http.StatusForbidden, "this server does not accept activities from you", nil)
	}
	return nil
}
