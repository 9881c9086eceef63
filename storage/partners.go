package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Relay modes: what an actor relays (Announces to its own followers) of a
// partner it follows.
const (
	RelayAll  = "all"  // every public post of the partner's own
	RelayTags = "tags" // only posts carrying one of the policy's hashtags
	RelayNone = "none" // shown on the site, never relayed
)

// RelayPolicy is what one of our actors relays of a partner. Tags are
// normalised hashtags (content.NormalizeTag), used when Mode is RelayTags.
type RelayPolicy struct {
	Mode string
	Tags []string
}

// ValidRelayMode reports whether m is one of the relay modes.
func ValidRelayMode(m string) bool { return m == RelayAll || m == RelayTags || m == RelayNone }

func (p RelayPolicy) columns() (mode, tags string, err error) {
	mode = p.Mode
	if mode == "" {
		mode = RelayNone
	}
	if !ValidRelayMode(mode) {
		return "", "", fmt.Errorf("relay mode %q", p.Mode)
	}
	if mode == RelayTags && len(p.Tags) == 0 {
		return "", "", errors.New("relaying by hashtag needs at least one hashtag")
	}
	t := p.Tags
	if mode != RelayTags {
		t = nil
	}
	tags, err = jsonList(t)
	return mode, tags, err
}

// SetRelayPolicy changes what our actor relays of a partner it follows.
// ErrNotFound if it does not follow that actor.
func (s *Store) SetRelayPolicy(ctx context.Context, actorID, remoteID string, p RelayPolicy) error {
	mode, tags, err := p.columns()
	if err != nil {
		return fmt.Errorf("storage: set relay policy: %w", err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE following SET relay_policy = $3, relay_tags = $4
		WHERE actor_id = $1 AND remote_actor_id = $2`, actorID, remoteID, mode, tags)
	if err != nil {
		return fmt.Errorf("storage: set relay policy: %w", err)
	}
	return mustAffect(res, "set relay policy")
}

// Relay is one of our actors' Announce of a partner's post.
type Relay struct {
	ActorID        string
	RemoteObjectID string
	AnnounceIRI    string
	Manual         bool // relayed by an editor's hand rather than by the policy
	CreatedAt      time.Time
	UndoneAt       *time.Time // when the Announce was undone; nil while it stands
}

const relayColumns = `actor_id, remote_object_id, announce_iri, manual, created_at, undone_at`

// PutRelay records an Announce of ours, replacing an undone one for the
// same actor and post. ErrConflict if the actor already relays the post.
func (s *Store) PutRelay(ctx context.Context, r *Relay) error {
	r.CreatedAt, r.UndoneAt = s.now(), nil
	res, err := s.q.ExecContext(ctx, `INSERT INTO relays (`+relayColumns+`) VALUES ($1, $2, $3, $4, $5, NULL)
		ON CONFLICT (actor_id, remote_object_id) DO UPDATE SET announce_iri = excluded.announce_iri,
			manual = excluded.manual, created_at = excluded.created_at, undone_at = NULL
		WHERE relays.undone_at IS NOT NULL`, r.ActorID, r.RemoteObjectID, r.AnnounceIRI, r.Manual, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("storage: put relay: %w", s.dialect.classify(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("storage: put relay: %w", err)
	} else if n == 0 {
		return fmt.Errorf("storage: put relay: %s already relays %s: %w", r.ActorID, r.RemoteObjectID, ErrConflict)
	}
	return nil
}

// RelayOf returns our actor's relay of a post, standing or undone, or
// ErrNotFound if it never relayed it.
func (s *Store) RelayOf(ctx context.Context, actorID, objectID string) (*Relay, error) {
	l, err := s.listRelays(ctx, `actor_id = $1 AND remote_object_id = $2`, actorID, objectID)
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, fmt.Errorf("storage: relay of %s by %s: %w", objectID, actorID, ErrNotFound)
	}
	return l[0], nil
}

// UndoRelay marks our actor's standing relay of a post undone and returns
// it. ErrNotFound if there is none standing.
func (s *Store) UndoRelay(ctx context.Context, actorID, objectID string) (*Relay, error) {
	r, err := s.RelayOf(ctx, actorID, objectID)
	if err != nil {
		return nil, err
	}
	t := s.now()
	res, err := s.q.ExecContext(ctx, `UPDATE relays SET undone_at = $3
		WHERE actor_id = $1 AND remote_object_id = $2 AND undone_at IS NULL`, actorID, objectID, t)
	if err != nil {
		return nil, fmt.Errorf("storage: undo relay: %w", err)
	}
	if err := mustAffect(res, "undo relay of "+objectID); err != nil {
		return nil, err
	}
	r.UndoneAt = &t
	return r, nil
}

// StandingRelays lists the relays of a post that have not been undone.
func (s *Store) StandingRelays(ctx context.Context, objectID string) ([]*Relay, error) {
	return s.listRelays(ctx, `remote_object_id = $1 AND undone_at IS NULL ORDER BY actor_id`, objectID)
}

// ListRelays lists an actor's standing relays ("" for every actor), newest
// first.
func (s *Store) ListRelays(ctx context.Context, actorID string, limit int) ([]*Relay, error) {
	return s.listRelays(ctx, `($1 = '' OR actor_id = $1) AND undone_at IS NULL ORDER BY created_at DESC, announce_iri LIMIT ($2 + 0)`,
		actorID, limit)
}

func (s *Store) listRelays(ctx context.Context, where string, args ...any) ([]*Relay, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+relayColumns+` FROM relays WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list relays: %w", err)
	}
	defer rows.Close()
	var out []*Relay
	for rows.Next() {
		var r Relay
		var undone sql.NullTime
		if err := rows.Scan(&r.ActorID, &r.RemoteObjectID, &r.AnnounceIRI, &r.Manual, &r.CreatedAt, &undone); err != nil {
			return nil, fmt.Errorf("storage: list relays: %w", err)
		}
		r.CreatedAt, r.UndoneAt = r.CreatedAt.UTC(), nullTime(undone)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// RemoteObjectByID returns a remote object by our id, or ErrNotFound.
func (s *Store) RemoteObjectByID(ctx context.Context, id string) (*RemoteObject, error) {
	list, err := s.listRemoteObjects(ctx, `o.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("storage: remote object %s: %w", id, ErrNotFound)
	}
	return list[0], nil
}

// PartnerPostByURL returns the partner post (not a reply to us) whose id
// or web address (url) is addr, the one stored first if several share a
// url; ErrNotFound if none.
func (s *Store) PartnerPostByURL(ctx context.Context, addr string) (*RemoteObject, error) {
	list, err := s.listRemoteObjects(ctx, `(o.iri = $1 OR o.url = $1) AND o.statement_id IS NULL
		ORDER BY CASE WHEN o.iri = $1 THEN 0 ELSE 1 END, o.created_at, o.id LIMIT 1`, addr)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("storage: partner post %s: %w", addr, ErrNotFound)
	}
	return list[0], nil
}

// ListPartners lists the accounts our actors follow with the follow
// accepted, each once, by name. Accounts gone (deleted) are left out.
func (s *Store) ListPartners(ctx context.Context) ([]*RemoteActor, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+remoteActorColumns+` FROM remote_actors r WHERE r.gone_at IS NULL
		AND EXISTS (SELECT 1 FROM following f WHERE f.remote_actor_id = r.id AND f.state = 'accepted')
		ORDER BY r.username, r.host`)
	if err != nil {
		return nil, fmt.Errorf("storage: list partners: %w", err)
	}
	defer rows.Close()
	var out []*RemoteActor
	for rows.Next() {
		r, err := scanRemoteActor(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list partners: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PartnerPosts lists the partners' own public posts, newest first: not
// replies, not deleted, by accounts one of our actors follows (accepted).
// remoteID narrows to one partner ("" for all). before, if not nil, pages
// by keyset: only posts older than that (published, id) pair.
func (s *Store) PartnerPosts(ctx context.Context, remoteID string, before *Cursor, limit int) ([]*RemoteObject, error) {
	var bt any
	bid := ""
	if before != nil {
		bt, bid = before.PublishedAt.UTC(), before.ID
	}
	return s.listRemoteObjects(ctx, `o.statement_id IS NULL AND o.in_reply_to = '' AND o.is_public AND o.deleted_at IS NULL
		AND r.gone_at IS NULL AND ($1 = '' OR o.remote_actor_id = $1)
		AND EXISTS (SELECT 1 FROM following f WHERE f.remote_actor_id = o.remote_actor_id AND f.state = 'accepted')
		AND ($2 = '' OR COALESCE(o.published_at, o.created_at) < $3 OR (COALESCE(o.published_at, o.created_at) = $3 AND o.id < $2))
		ORDER BY COALESCE(o.published_at, o.created_at) DESC, o.id DESC LIMIT ($4 + 0)`, remoteID, bid, bt, limit)
}

// PartnerVersion is a cheap fingerprint of everything the partner pages and
// feeds show: it changes when a partner post, a partner's profile or a
// follow changes.
func (s *Store) PartnerVersion(ctx context.Context) (string, error) {
	var posts, follows int
	// Scanned as text: SQLite gives an aggregate of times as a string.
	var postsAt, actorsAt, followsAt sql.NullString
	err := s.q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM remote_objects WHERE statement_id IS NULL),
		(SELECT MAX(updated_at) FROM remote_objects WHERE statement_id IS NULL),
		(SELECT MAX(r.updated_at) FROM remote_actors r JOIN following f ON f.remote_actor_id = r.id),
		(SELECT COUNT(*) FROM following WHERE state = 'accepted'),
		(SELECT MAX(COALESCE(accepted_at, created_at)) FROM following)`).
		Scan(&posts, &postsAt, &actorsAt, &follows, &followsAt)
	if err != nil {
		return "", fmt.Errorf("storage: partner version: %w", err)
	}
	return strconv.Itoa(posts) + "|" + postsAt.String + "|" + actorsAt.String + "|" + strconv.Itoa(follows) + "|" + followsAt.String, nil
}
