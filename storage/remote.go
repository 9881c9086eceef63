package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RemoteActor is an actor on another server, as we last fetched it.
type RemoteActor struct {
	ID               string
	IRI              string
	Host             string
	Type             string
	Username         string // preferredUsername
	DisplayName      string
	SummaryHTML      string // sanitized
	URL              string
	Inbox            string
	SharedInbox      string
	Outbox           string
	FollowersURL     string
	FeaturedURL      string
	IconURL          string
	PublicKeyID      string
	PublicKeyPEM     string
	ManuallyApproves bool
	Raw              string // the document as fetched
	FetchedAt        time.Time
	ExpiresAt        time.Time // refetch after this
	GoneAt           *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// DeliveryInbox is where activities for this actor go: its shared inbox if
// it has one, so that one POST reaches every follower on that server.
func (r *RemoteActor) DeliveryInbox() string {
	if r.SharedInbox != "" {
		return r.SharedInbox
	}
	return r.Inbox
}

// Handle is @username@host.
func (r *RemoteActor) Handle() string { return "@" + r.Username + "@" + r.Host }

const remoteActorColumns = `id, iri, host, actor_type, username, display_name, summary_html, url, inbox, shared_inbox,
	outbox, followers_url, featured_url, icon_url, public_key_id, public_key_pem, manually_approves, raw, fetched_at,
	expires_at, gone_at, created_at, updated_at`

// UpsertRemoteActor stores a fetched actor, replacing what was stored under
// its IRI. ID is filled in (kept if the actor was known).
func (s *Store) UpsertRemoteActor(ctx context.Context, r *RemoteActor) error {
	t := s.now()
	if r.ID == "" {
		r.ID = NewID()
	}
	r.FetchedAt, r.ExpiresAt, r.UpdatedAt = utc(r.FetchedAt), utc(r.ExpiresAt), t
	if r.FetchedAt.IsZero() {
		r.FetchedAt = t
	}
	err := s.q.QueryRowContext(ctx, `INSERT INTO remote_actors (`+remoteActorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, NULL, $21, $21)
		ON CONFLICT (iri) DO UPDATE SET host = excluded.host, actor_type = excluded.actor_type,
			username = excluded.username, display_name = excluded.display_name, summary_html = excluded.summary_html,
			url = excluded.url, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, outbox = excluded.outbox,
			followers_url = excluded.followers_url, featured_url = excluded.featured_url, icon_url = excluded.icon_url,
			public_key_id = excluded.public_key_id, public_key_pem = excluded.public_key_pem,
			manually_approves = excluded.manually_approves, raw = excluded.raw, fetched_at = excluded.fetched_at,
			expires_at = excluded.expires_at, gone_at = NULL, updated_at = excluded.updated_at
		RETURNING id, created_at`,
		r.ID, r.IRI, r.Host, r.Type, r.Username, r.DisplayName, r.SummaryHTML, r.URL, r.Inbox, r.SharedInbox,
		r.Outbox, r.FollowersURL, r.FeaturedURL, r.IconURL, r.PublicKeyID, r.PublicKeyPEM, r.ManuallyApproves, r.Raw,
		r.FetchedAt, r.ExpiresAt, t).Scan(&r.ID, &r.CreatedAt)
	if err != nil {
		return fmt.Errorf("storage: upsert remote actor %s: %w", r.IRI, err)
	}
	r.GoneAt = nil
	return nil
}

// RemoteActorByIRI returns a cached remote actor, or ErrNotFound.
func (s *Store) RemoteActorByIRI(ctx context.Context, iri string) (*RemoteActor, error) {
	return s.oneRemoteActor(ctx, `iri = $1`, iri)
}

// RemoteActorByKeyID returns the actor owning a public key id, or ErrNotFound.
func (s *Store) RemoteActorByKeyID(ctx context.Context, keyID string) (*RemoteActor, error) {
	return s.oneRemoteActor(ctx, `public_key_id = $1`, keyID)
}

// RemoteActorByHandle finds a cached actor by username and host, or ErrNotFound.
func (s *Store) RemoteActorByHandle(ctx context.Context, username, host string) (*RemoteActor, error) {
	return s.oneRemoteActor(ctx, `username = $1 AND host = $2`, username, host)
}

func (s *Store) oneRemoteActor(ctx context.Context, where string, args ...any) (*RemoteActor, error) {
	r, err := scanRemoteActor(s.q.QueryRowContext(ctx, `SELECT `+remoteActorColumns+` FROM remote_actors WHERE `+where+` LIMIT 1`, args...))
	if err != nil {
		return nil, fmt.Errorf("storage: remote actor %v: %w", args, err)
	}
	return r, nil
}

// ForgetRemoteActor deletes a remote actor that deleted itself, with its
// follows, replies and likes (by foreign key cascade).
func (s *Store) ForgetRemoteActor(ctx context.Context, iri string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM remote_actors WHERE iri = $1`, iri)
	if err != nil {
		return fmt.Errorf("storage: forget remote actor %s: %w", iri, err)
	}
	return mustAffect(res, "forget remote actor "+iri)
}

func scanRemoteActor(r scanner) (*RemoteActor, error) {
	var a RemoteActor
	var gone sql.NullTime
	err := r.Scan(&a.ID, &a.IRI, &a.Host, &a.Type, &a.Username, &a.DisplayName, &a.SummaryHTML, &a.URL, &a.Inbox,
		&a.SharedInbox, &a.Outbox, &a.FollowersURL, &a.FeaturedURL, &a.IconURL, &a.PublicKeyID, &a.PublicKeyPEM,
		&a.ManuallyApproves, &a.Raw, &a.FetchedAt, &a.ExpiresAt, &gone, &a.CreatedAt, &a.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.GoneAt = nullTime(gone)
	a.FetchedAt, a.ExpiresAt, a.CreatedAt, a.UpdatedAt = a.FetchedAt.UTC(), a.ExpiresAt.UTC(), a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// Follow states.
const (
	FollowPending  = "pending"
	FollowAccepted = "accepted"
	FollowRejected = "rejected"
)

// Follower is a remote actor following one of ours.
type Follower struct {
	ActorID    string
	Remote     *RemoteActor
	FollowIRI  string
	State      string // FollowPending or FollowAccepted
	CreatedAt  time.Time
	AcceptedAt *time.Time
}

// PutFollower records a follow of our actor by a remote one (again: a
// repeated Follow refreshes the follow id and state).
func (s *Store) PutFollower(ctx context.Context, actorID, remoteID, followIRI, state string) error {
	t := s.now()
	var accepted any
	if state == FollowAccepted {
		accepted = t
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO followers (actor_id, remote_actor_id, follow_iri, state, created_at, accepted_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (actor_id, remote_actor_id) DO UPDATE SET follow_iri = excluded.follow_iri,
			state = CASE WHEN followers.state = 'accepted' THEN 'accepted' ELSE excluded.state END,
			accepted_at = COALESCE(followers.accepted_at, excluded.accepted_at)`,
		actorID, remoteID, followIRI, state, t, accepted)
	if err != nil {
		return fmt.Errorf("storage: put follower: %w", err)
	}
	return nil
}

// AcceptFollower turns a pending follow into an accepted one.
func (s *Store) AcceptFollower(ctx context.Context, actorID, remoteID string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE followers SET state = 'accepted', accepted_at = $3
		WHERE actor_id = $1 AND remote_actor_id = $2`, actorID, remoteID, s.now())
	if err != nil {
		return fmt.Errorf("storage: accept follower: %w", err)
	}
	return mustAffect(res, "accept follower")
}

// RemoveFollower ends a follow. It returns ErrNotFound if there was none.
func (s *Store) RemoveFollower(ctx context.Context, actorID, remoteID string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM followers WHERE actor_id = $1 AND remote_actor_id = $2`, actorID, remoteID)
	if err != nil {
		return fmt.Errorf("storage: remove follower: %w", err)
	}
	return mustAffect(res, "remove follower")
}

// RemoveFollowerEverywhere ends every follow of our actors by a remote actor
// (it blocked us, or it is gone). It returns how many ended.
func (s *Store) RemoveFollowerEverywhere(ctx context.Context, remoteID string) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM followers WHERE remote_actor_id = $1`, remoteID)
	if err != nil {
		return 0, fmt.Errorf("storage: remove follower: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Follower returns one follow of our actor, or ErrNotFound.
func (s *Store) Follower(ctx context.Context, actorID, remoteID string) (*Follower, error) {
	list, err := s.listFollowers(ctx, `f.actor_id = $1 AND f.remote_actor_id = $2`, actorID, remoteID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("storage: follower: %w", ErrNotFound)
	}
	return list[0], nil
}

// ListFollowers lists an actor's followers in a state ("" for any), oldest first.
func (s *Store) ListFollowers(ctx context.Context, actorID, state string, offset, limit int) ([]*Follower, error) {
	return s.listFollowers(ctx, `f.actor_id = $1 AND ($2 = '' OR f.state = $2) ORDER BY f.created_at, r.iri LIMIT ($3 + 0) OFFSET ($4 + 0)`,
		actorID, state, limit, offset)
}

func (s *Store) listFollowers(ctx context.Context, where string, args ...any) ([]*Follower, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT f.actor_id, f.follow_iri, f.state, f.created_at, f.accepted_at, `+
		prefixed("r.", remoteActorColumns)+` FROM followers f JOIN remote_actors r ON r.id = f.remote_actor_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list followers: %w", err)
	}
	defer rows.Close()
	var out []*Follower
	for rows.Next() {
		var f Follower
		var acc sql.NullTime
		var r RemoteActor
		var gone sql.NullTime
		if err := rows.Scan(&f.ActorID, &f.FollowIRI, &f.State, &f.CreatedAt, &acc,
			&r.ID, &r.IRI, &r.Host, &r.Type, &r.Username, &r.DisplayName, &r.SummaryHTML, &r.URL, &r.Inbox,
			&r.SharedInbox, &r.Outbox, &r.FollowersURL, &r.FeaturedURL, &r.IconURL, &r.PublicKeyID, &r.PublicKeyPEM,
			&r.ManuallyApproves, &r.Raw, &r.FetchedAt, &r.ExpiresAt, &gone, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("storage: list followers: %w", err)
		}
		f.AcceptedAt, r.GoneAt = nullTime(acc), nullTime(gone)
		f.Remote = &r
		out = append(out, &f)
	}
	return out, rows.Err()
}

// CountFollowers counts an actor's accepted followers.
func (s *Store) CountFollowers(ctx context.Context, actorID string) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM followers WHERE actor_id = $1 AND state = 'accepted'`, actorID).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count followers: %w", err)
	}
	return n, nil
}

// FollowerInboxes returns the distinct inboxes that reach every accepted
// follower of an actor: one shared inbox per server that has one, else each
// follower's own inbox.
func (s *Store) FollowerInboxes(ctx context.Context, actorID string) ([]string, error) {
	return s.queryStrings(ctx, "storage: follower inboxes", `SELECT DISTINCT CASE WHEN r.shared_inbox <> '' THEN r.shared_inbox ELSE r.inbox END AS box
		FROM followers f JOIN remote_actors r ON r.id = f.remote_actor_id
		WHERE f.actor_id = $1 AND f.state = 'accepted' AND r.inbox <> '' ORDER BY box`, actorID)
}

// Following is one of our actors following a remote actor (a partner).
type Following struct {
	ActorID    string
	Remote     *RemoteActor
	FollowIRI  string // our Follow activity's id
	State      string // pending, accepted, rejected
	Relay      RelayPolicy
	CreatedAt  time.Time
	AcceptedAt *time.Time
}

// PutFollowing records that our actor sent a Follow, with what it relays.
func (s *Store) PutFollowing(ctx context.Context, actorID, remoteID, followIRI string, relay RelayPolicy) error {
	mode, tags, err := relay.columns()
	if err != nil {
		return fmt.Errorf("storage: put following: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO following (actor_id, remote_actor_id, follow_iri, state, relay_policy, relay_tags, created_at)
		VALUES ($1, $2, $3, 'pending', $4, $5, $6)
		ON CONFLICT (actor_id, remote_actor_id) DO UPDATE SET follow_iri = excluded.follow_iri, state = 'pending',
			relay_policy = excluded.relay_policy, relay_tags = excluded.relay_tags, accepted_at = NULL`,
		actorID, remoteID, followIRI, mode, tags, s.now())
	if err != nil {
		return fmt.Errorf("storage: put following: %w", s.dialect.classify(err))
	}
	return nil
}

// SetFollowingState records the answer to our Follow, found by the Follow's
// id, or by our actor when the answer does not name it. Only the followee,
// remoteID, can answer: a follow of anyone else is never matched.
func (s *Store) SetFollowingState(ctx context.Context, followIRI, actorID, remoteID, state string) error {
	var accepted any
	if state == FollowAccepted {
		accepted = s.now()
	}
	res, err := s.q.ExecContext(ctx, `UPDATE following SET state = $1, accepted_at = $2
		WHERE remote_actor_id = $5 AND (follow_iri = $3 OR actor_id = $4)`, state, accepted, followIRI, actorID, remoteID)
	if err != nil {
		return fmt.Errorf("storage: set following state: %w", err)
	}
	return mustAffect(res, "set following state")
}

// RemoveFollowing forgets a follow of ours.
func (s *Store) RemoveFollowing(ctx context.Context, actorID, remoteID string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM following WHERE actor_id = $1 AND remote_actor_id = $2`, actorID, remoteID)
	if err != nil {
		return fmt.Errorf("storage: remove following: %w", err)
	}
	return mustAffect(res, "remove following")
}

// ListFollowing lists whom an actor follows ("" actorID for every actor).
func (s *Store) ListFollowing(ctx context.Context, actorID string, offset, limit int) ([]*Following, error) {
	return s.listFollowing(ctx, `($1 = '' OR f.actor_id = $1) ORDER BY f.created_at, r.iri LIMIT ($2 + 0) OFFSET ($3 + 0)`,
		actorID, limit, offset)
}

// LocalFollowsOf lists our actors' accepted follows of one remote actor,
// each with its relay policy: who relays what this actor posts.
func (s *Store) LocalFollowsOf(ctx context.Context, remoteID string) ([]*Following, error) {
	return s.listFollowing(ctx, `f.remote_actor_id = $1 AND f.state = 'accepted' ORDER BY f.actor_id`, remoteID)
}

func (s *Store) listFollowing(ctx context.Context, where string, args ...any) ([]*Following, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT f.actor_id, f.follow_iri, f.state, f.relay_policy, f.relay_tags,
		f.created_at, f.accepted_at, `+prefixed("r.", remoteActorColumns)+`
		FROM following f JOIN remote_actors r ON r.id = f.remote_actor_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list following: %w", err)
	}
	defer rows.Close()
	var out []*Following
	for rows.Next() {
		var f Following
		var acc, gone sql.NullTime
		var r RemoteActor
		var tags string
		if err := rows.Scan(&f.ActorID, &f.FollowIRI, &f.State, &f.Relay.Mode, &tags, &f.CreatedAt, &acc,
			&r.ID, &r.IRI, &r.Host, &r.Type, &r.Username, &r.DisplayName, &r.SummaryHTML, &r.URL, &r.Inbox,
			&r.SharedInbox, &r.Outbox, &r.FollowersURL, &r.FeaturedURL, &r.IconURL, &r.PublicKeyID, &r.PublicKeyPEM,
			&r.ManuallyApproves, &r.Raw, &r.FetchedAt, &r.ExpiresAt, &gone, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("storage: list following: %w", err)
		}
		if err := json.Unmarshal([]byte(tags), &f.Relay.Tags); err != nil {
			return nil, fmt.Errorf("storage: list following: relay tags: %w", err)
		}
		f.AcceptedAt, r.GoneAt = nullTime(acc), nullTime(gone)
		f.Remote = &r
		out = append(out, &f)
	}
	return out, rows.Err()
}

// CountFollowing counts whom an actor follows (accepted).
func (s *Store) CountFollowing(ctx context.Context, actorID string) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM following WHERE actor_id = $1 AND state = 'accepted'`, actorID).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count following: %w", err)
	}
	return n, nil
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
