package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Interaction kinds.
const (
	KindLike     = "like"
	KindAnnounce = "announce"
)

// AddInteraction records a Like or Announce of a statement. A repeated
// activity id changes nothing.
func (s *Store) AddInteraction(ctx context.Context, kind, activityIRI, statementID, remoteID string) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO interactions (activity_iri, kind, statement_id, remote_actor_id, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (activity_iri) DO NOTHING`, activityIRI, kind, statementID, remoteID, s.now())
	if err != nil {
		return fmt.Errorf("storage: add %s: %w", kind, err)
	}
	return nil
}

// RemoveInteraction undoes a Like or Announce, found by its activity id and
// checked against the remote actor (only the actor who liked may unlike).
// When the Undo names no id, any interaction of that kind by the actor on the
// statement is removed.
func (s *Store) RemoveInteraction(ctx context.Context, kind, activityIRI, remoteID, statementID string) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM interactions WHERE kind = $1 AND remote_actor_id = $2
		AND (activity_iri = $3 OR ($3 = '' AND statement_id = $4))`, kind, remoteID, activityIRI, statementID)
	if err != nil {
		return 0, fmt.Errorf("storage: remove %s: %w", kind, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Counts are the interactions with one statement.
type Counts struct {
	Likes, Announces, Replies int
	// RepliesChanged is the newest change among the approved replies and
	// their authors' profiles, as text ("" if none): a version of what the
	// statement's page shows of them, for caches.
	RepliesChanged string
}

// InteractionCounts counts likes, announces and approved replies of a statement.
func (s *Store) InteractionCounts(ctx context.Context, statementID string) (Counts, error) {
	var c Counts
	// Times scanned as text: SQLite gives an aggregate of times as a string.
	var objects, authors sql.NullString
	err := s.q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM interactions WHERE statement_id = $1 AND kind = 'like'),
		(SELECT COUNT(*) FROM interactions WHERE statement_id = $1 AND kind = 'announce'),
		(SELECT COUNT(*) FROM remote_objects WHERE statement_id = $1 AND moderation = 'approved' AND deleted_at IS NULL),
		(SELECT MAX(updated_at) FROM remote_objects WHERE statement_id = $1 AND moderation = 'approved'),
		(SELECT MAX(r.updated_at) FROM remote_objects o JOIN remote_actors r ON r.id = o.remote_actor_id
			WHERE o.statement_id = $1 AND o.moderation = 'approved')`,
		statementID).Scan(&c.Likes, &c.Announces, &c.Replies, &objects, &authors)
	if err != nil {
		return c, fmt.Errorf("storage: interaction counts: %w", err)
	}
	if objects.Valid || authors.Valid {
		c.RepliesChanged = objects.String + "|" + authors.String
	}
	return c, nil
}

// Moderation states of a remote object.
const (
	ModerationNone     = "none" // not a reply to us (a partner's post)
	ModerationPending  = "pending"
	ModerationApproved = "approved"
	ModerationRejected = "rejected"
)

// RemoteObject is a post from another server: a reply to one of our
// statements, or a partner's post.
type RemoteObject struct {
	ID            string
	IRI           string
	RemoteActorID string
	Author        *RemoteActor // filled on read
	Type          string
	InReplyTo     string
	StatementID   string // our statement it replies to, "" if none
	URL           string
	Name          string
	Summary       string
	ContentHTML   string // sanitized before it is stored
	Language      string
	Sensitive     bool
	Moderation    string
	Raw           string
	Tags          []string           // normalised hashtags (content.NormalizeTag)
	Attachments   []RemoteAttachment // media, alt text kept
	Public        bool               // addressed to the Public collection: may be shown and relayed
	Backfilled    bool               // read from the author's outbox, not delivered: never relayed
	Created       bool               // set by UpsertRemoteObject: the object was new
	PublishedAt   *time.Time
	EditedAt      *time.Time
	DeletedAt     *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// RemoteAttachment is one medium of a remote post. URL is the author's
// address of it; LocalPath, when set, is our processed copy under the media
// directory, which is what we show.
type RemoteAttachment struct {
	URL       string `json:"url"`
	MediaType string `json:"media_type,omitempty"`
	Alt       string `json:"alt,omitempty"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	Blurhash  string `json:"blurhash,omitempty"`
	LocalPath string `json:"local_path,omitempty"`
}

const remoteObjectColumns = `id, iri, remote_actor_id, object_type, in_reply_to, statement_id, url, name, summary,
	content_html, language, sensitive, moderation, raw, published_at, edited_at, deleted_at, created_at, updated_at,
	tags, attachments, is_public, backfilled`

// UpsertRemoteObject stores a remote post, or updates it (an Update from its
// author). The moderation state of a known object is kept, and so is whether
// it was backfilled. o.Created tells whether the object was new.
func (s *Store) UpsertRemoteObject(ctx context.Context, o *RemoteObject) error {
	t := s.now()
	if o.ID == "" {
		o.ID = NewID()
	}
	fresh := o.ID
	if o.Moderation == "" {
		o.Moderation = ModerationNone
	}
	tags, err := jsonList(o.Tags)
	if err != nil {
		return fmt.Errorf("storage: upsert remote object: %w", err)
	}
	media := o.Attachments
	if media == nil {
		media = []RemoteAttachment{}
	}
	attachments, err := json.Marshal(media)
	if err != nil {
		return fmt.Errorf("storage: upsert remote object: %w", err)
	}
	err = s.q.QueryRowContext(ctx, `INSERT INTO remote_objects (`+remoteObjectColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, NULL, $17, $17, $18, $19, $20, $21)
		ON CONFLICT (iri) DO UPDATE SET object_type = excluded.object_type, url = excluded.url, name = excluded.name,
			summary = excluded.summary, content_html = excluded.content_html, language = excluded.language,
			sensitive = excluded.sensitive, raw = excluded.raw, edited_at = excluded.edited_at,
			tags = excluded.tags, attachments = excluded.attachments, is_public = excluded.is_public,
			updated_at = excluded.updated_at
		WHERE remote_objects.remote_actor_id = excluded.remote_actor_id
		RETURNING id, moderation, backfilled, created_at`,
		o.ID, o.IRI, o.RemoteActorID, o.Type, o.InReplyTo, nullString(o.StatementID), o.URL, o.Name, o.Summary,
		o.ContentHTML, o.Language, o.Sensitive, o.Moderation, o.Raw, timeArg(o.PublishedAt), timeArg(o.EditedAt), t,
		tags, string(attachments), o.Public, o.Backfilled).
		Scan(&o.ID, &o.Moderation, &o.Backfilled, &o.CreatedAt)
	o.Created = err == nil && o.ID == fresh
	if errors.Is(err, sql.ErrNoRows) {
		// The object exists under another author: an Update by someone else.
		return fmt.Errorf("storage: object %s belongs to another actor: %w", o.IRI, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("storage: upsert remote object %s: %w", o.IRI, err)
	}
	return nil
}

// RemoteObjectByIRI returns a remote object, or ErrNotFound.
func (s *Store) RemoteObjectByIRI(ctx context.Context, iri string) (*RemoteObject, error) {
	list, err := s.listRemoteObjects(ctx, `o.iri = $1`, iri)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("storage: remote object %s: %w", iri, ErrNotFound)
	}
	return list[0], nil
}

// DeleteRemoteObject erases a remote object's content when its author deletes
// it. Only its author may: remoteID must match.
func (s *Store) DeleteRemoteObject(ctx context.Context, iri, remoteID string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE remote_objects SET deleted_at = $3, content_html = '', summary = '', name = '',
		raw = '', tags = '[]', attachments = '[]', updated_at = $3 WHERE iri = $1 AND remote_actor_id = $2 AND deleted_at IS NULL`, iri, remoteID, s.now())
	if err != nil {
		return fmt.Errorf("storage: delete remote object: %w", err)
	}
	return mustAffect(res, "delete remote object "+iri)
}

// SetModeration approves or rejects a reply.
func (s *Store) SetModeration(ctx context.Context, id, state string) error {
	if state != ModerationApproved && state != ModerationRejected && state != ModerationPending {
		return fmt.Errorf("storage: moderation %q", state)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE remote_objects SET moderation = $2, updated_at = $3
		WHERE id = $1 AND statement_id IS NOT NULL`, id, state, s.now())
	if err != nil {
		return fmt.Errorf("storage: moderate %s: %w", id, err)
	}
	return mustAffect(res, "moderate "+id)
}

// ListReplies lists replies to our statements, oldest first: of one statement
// ("" for all) in one moderation state ("" for any). Deleted ones are left out.
func (s *Store) ListReplies(ctx context.Context, statementID, moderation string, limit int) ([]*RemoteObject, error) {
	return s.listRemoteObjects(ctx, `o.statement_id IS NOT NULL AND o.deleted_at IS NULL AND ($1 = '' OR o.statement_id = $1)
		AND ($2 = '' OR o.moderation = $2) ORDER BY o.created_at, o.id LIMIT ($3 + 0)`, statementID, moderation, limit)
}

func (s *Store) listRemoteObjects(ctx context.Context, where string, args ...any) ([]*RemoteObject, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+prefixed("o.", remoteObjectColumns)+`, `+prefixed("r.", remoteActorColumns)+`
		FROM remote_objects o JOIN remote_actors r ON r.id = o.remote_actor_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list remote objects: %w", err)
	}
	defer rows.Close()
	var out []*RemoteObject
	for rows.Next() {
		var o RemoteObject
		var r RemoteActor
		var stmt sql.NullString
		var pub, edit, del, gone sql.NullTime
		var tags, media string
		if err := rows.Scan(&o.ID, &o.IRI, &o.RemoteActorID, &o.Type, &o.InReplyTo, &stmt, &o.URL, &o.Name, &o.Summary,
			&o.ContentHTML, &o.Language, &o.Sensitive, &o.Moderation, &o.Raw, &pub, &edit, &del, &o.CreatedAt, &o.UpdatedAt,
			&tags, &media, &o.Public, &o.Backfilled,
			&r.ID, &r.IRI, &r.Host, &r.Type, &r.Username, &r.DisplayName, &r.SummaryHTML, &r.URL, &r.Inbox,
			&r.SharedInbox, &r.Outbox, &r.FollowersURL, &r.FeaturedURL, &r.IconURL, &r.PublicKeyID, &r.PublicKeyPEM,
			&r.ManuallyApproves, &r.Raw, &r.FetchedAt, &r.ExpiresAt, &gone, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("storage: list remote objects: %w", err)
		}
		if err := json.Unmarshal([]byte(tags), &o.Tags); err != nil {
			return nil, fmt.Errorf("storage: list remote objects: tags: %w", err)
		}
		if err := json.Unmarshal([]byte(media), &o.Attachments); err != nil {
			return nil, fmt.Errorf("storage: list remote objects: attachments: %w", err)
		}
		o.StatementID = stmt.String
		o.PublishedAt, o.EditedAt, o.DeletedAt, r.GoneAt = nullTime(pub), nullTime(edit), nullTime(del), nullTime(gone)
		o.Author = &r
		out = append(out, &o)
	}
	return out, rows.Err()
}

// Report is a Flag received from another server.
type Report struct {
	ID            string
	ActivityIRI   string
	RemoteActorID string
	ActorID       string // our actor reported, if any
	Content       string
	ObjectIRIs    []string
	ResolvedAt    *time.Time
	CreatedAt     time.Time
}

// CreateReport stores a Flag. A repeated activity id changes nothing.
func (s *Store) CreateReport(ctx context.Context, r *Report) error {
	r.ID, r.CreatedAt = NewID(), s.now()
	objs, err := json.Marshal(r.ObjectIRIs)
	if err != nil {
		return fmt.Errorf("storage: create report: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO reports (id, activity_iri, remote_actor_id, actor_id, content, object_iris, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (activity_iri) DO NOTHING`,
		r.ID, r.ActivityIRI, nullString(r.RemoteActorID), nullString(r.ActorID), r.Content, string(objs), r.CreatedAt)
	if err != nil {
		return fmt.Errorf("storage: create report: %w", err)
	}
	return nil
}

// CountReports counts unresolved reports.
func (s *Store) CountReports(ctx context.Context) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports WHERE resolved_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count reports: %w", err)
	}
	return n, nil
}

// Domain policies.
const (
	PolicyBlock   = "block"   // refuse everything from the domain
	PolicySilence = "silence" // accept, but hold replies for moderation and never relay
	PolicyAllow   = "allow"
)

// SetDomainPolicy sets the policy for a domain (replacing any).
func (s *Store) SetDomainPolicy(ctx context.Context, domain, policy, reason string) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO domain_policies (domain, policy, reason, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (domain) DO UPDATE SET policy = excluded.policy, reason = excluded.reason`, domain, policy, reason, s.now())
	s.ForgetInboxGate()
	if err != nil {
		return fmt.Errorf("storage: set domain policy: %w", err)
	}
	return nil
}

// DomainPolicy returns the policy that applies to host: its own, or that of
// the nearest parent domain (a block of example.org covers social.example.org).
// No policy gives "".
func (s *Store) DomainPolicy(ctx context.Context, host string) (string, error) {
	candidates := []any{host}
	for i := 0; i < len(host); i++ {
		if host[i] == '.' {
			candidates = append(candidates, host[i+1:])
		}
	}
	var policy string
	q := `SELECT policy FROM domain_policies WHERE domain IN (`
	for i := range candidates {
		if i > 0 {
			q += ", "
		}
		q += fmt.Sprintf("$%d", i+1)
	}
	q += `) ORDER BY LENGTH(domain) DESC LIMIT 1`
	err := s.q.QueryRowContext(ctx, q, candidates...).Scan(&policy)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("storage: domain policy: %w", err)
	}
	return policy, nil
}

// InteractorInboxes returns the distinct inboxes of remote actors who liked,
// boosted or replied to a statement, so that its Delete reaches them too.
func (s *Store) InteractorInboxes(ctx context.Context, statementID string) ([]string, error) {
	return s.queryStrings(ctx, "storage: interactor inboxes", `SELECT DISTINCT CASE WHEN r.shared_inbox <> '' THEN r.shared_inbox ELSE r.inbox END AS box
		FROM remote_actors r WHERE r.inbox <> '' AND (
			r.id IN (SELECT remote_actor_id FROM interactions WHERE statement_id = $1) OR
			r.id IN (SELECT remote_actor_id FROM remote_objects WHERE statement_id = $1)) ORDER BY box`, statementID)
}

// Following returns our actor's follow of a remote actor (in any state),
// or ErrNotFound.
func (s *Store) Following(ctx context.Context, actorID, remoteID string) (*Following, error) {
	f := Following{ActorID: actorID}
	var acc sql.NullTime
	var tags string
	err := s.q.QueryRowContext(ctx, `SELECT follow_iri, state, relay_policy, relay_tags, created_at, accepted_at FROM following
		WHERE actor_id = $1 AND remote_actor_id = $2`, actorID, remoteID).Scan(&f.FollowIRI, &f.State, &f.Relay.Mode, &tags, &f.CreatedAt, &acc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: following %s: %w", remoteID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: following %s: %w", remoteID, err)
	}
	if err := json.Unmarshal([]byte(tags), &f.Relay.Tags); err != nil {
		return nil, fmt.Errorf("storage: following %s: relay tags: %w", remoteID, err)
	}
	f.CreatedAt, f.AcceptedAt = f.CreatedAt.UTC(), nullTime(acc)
	if f.Remote, err = s.oneRemoteActor(ctx, `id = $1`, remoteID); err != nil {
		return nil, err
	}
	return &f, nil
}

// IsPartner reports whether any of our actors follows the remote actor and
// the follow has been accepted: its posts are then ours to keep.
func (s *Store) IsPartner(ctx context.Context, remoteID string) (bool, error) {
	var ok bool
	err := s.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM following WHERE remote_actor_id = $1 AND state = 'accepted')`,
		remoteID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("storage: is partner %s: %w", remoteID, err)
	}
	return ok, nil
}

// DomainRule is the policy set for one domain.
type DomainRule struct {
	Domain    string
	Policy    string // PolicyBlock, PolicySilence or PolicyAllow
	Reason    string
	CreatedAt time.Time
}

// ListDomainPolicies lists every domain policy, by domain.
func (s *Store) ListDomainPolicies(ctx context.Context) ([]DomainRule, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT domain, policy, reason, created_at FROM domain_policies ORDER BY domain`)
	if err != nil {
		return nil, fmt.Errorf("storage: list domain policies: %w", err)
	}
	defer rows.Close()
	var out []DomainRule
	for rows.Next() {
		var r DomainRule
		if err := rows.Scan(&r.Domain, &r.Policy, &r.Reason, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("storage: list domain policies: %w", err)
		}
		r.CreatedAt = r.CreatedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list domain policies: %w", err)
	}
	return out, nil
}

// RemoveDomainPolicy deletes a domain's own policy (a parent domain's still
// applies). It returns ErrNotFound if the domain had none.
func (s *Store) RemoveDomainPolicy(ctx context.Context, domain string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM domain_policies WHERE domain = $1`, domain)
	s.ForgetInboxGate()
	if err != nil {
		return fmt.Errorf("storage: remove domain policy: %w", err)
	}
	return mustAffect(res, "remove domain policy "+domain)
}

// RemoveFollowersOnDomain ends every follow of our actors by accounts on
// domain or its subdomains (on any port), when the domain is blocked. It
// returns how many ended.
func (s *Store) RemoveFollowersOnDomain(ctx context.Context, domain string) (int, error) {
	// The domain is a validated host name (letters, digits, dots and
	// hyphens), so it holds no LIKE wildcard.
	res, err := s.q.ExecContext(ctx, `DELETE FROM followers WHERE remote_actor_id IN (SELECT id FROM remote_actors
		WHERE host = $1 OR host LIKE $1 || ':%' OR host LIKE '%.' || $1 OR host LIKE '%.' || $1 || ':%')`, domain)
	if err != nil {
		return 0, fmt.Errorf("storage: remove followers on %s: %w", domain, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: remove followers on %s: %w", domain, err)
	}
	return int(n), nil
}

// FailDeliveriesTo ends every pending delivery to domain or its subdomains
// (on any port), recording errText as the reason, when the domain is
// blocked: what was queued before the block is not sent after it. It
// returns how many ended.
func (s *Store) FailDeliveriesTo(ctx context.Context, domain, errText string) (int, error) {
	// The domain is a validated host name, so it holds no LIKE wildcard.
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET state = 'failed', last_error = $2, locked_until = NULL, locked_by = '', updated_at = $3
		WHERE state = 'pending' AND (host = $1 OR host LIKE $1 || ':%' OR host LIKE '%.' || $1 OR host LIKE '%.' || $1 || ':%')`,
		domain, clip(errText, maxLastError), s.now())
	if err != nil {
		return 0, fmt.Errorf("storage: fail deliveries to %s: %w", domain, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: fail deliveries to %s: %w", domain, err)
	}
	return int(n), nil
}
