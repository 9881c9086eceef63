package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// What the admin interface's network pages read: the replies to one
// actor's statements, the reports received, and when a host's queue is
// next tried.

// ListActorReplies lists the replies to the statements of one of our actors,
// oldest first, in one moderation state ("" for any). Deleted replies are
// left out.
func (s *Store) ListActorReplies(ctx context.Context, actorID, moderation string, limit int) ([]*RemoteObject, error) {
	list, err := s.listRemoteObjects(ctx, `o.statement_id IN (SELECT id FROM statements WHERE actor_id = $1)
		AND o.deleted_at IS NULL AND ($2 = '' OR o.moderation = $2) ORDER BY o.created_at, o.id LIMIT ($3 + 0)`,
		actorID, moderation, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: replies of actor %s: %w", actorID, err)
	}
	return list, nil
}

// ReplyByID returns a reply to one of our statements, with its author, or
// ErrNotFound (also for a remote post that replies to nothing of ours).
func (s *Store) ReplyByID(ctx context.Context, id string) (*RemoteObject, error) {
	list, err := s.listRemoteObjects(ctx, `o.id = $1 AND o.statement_id IS NOT NULL`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("storage: reply %s: %w", id, ErrNotFound)
	}
	return list[0], nil
}

// ListedReport is a report with the remote actor who sent it (nil when
// that actor has since been forgotten).
type ListedReport struct {
	Report
	Reporter *RemoteActor
}

const reportColumns = `p.id, p.activity_iri, p.remote_actor_id, p.actor_id, p.content, p.object_iris, p.resolved_at, p.created_at`

// ListReports lists the reports received, newest first: the unresolved ones,
// or the resolved ones when resolved is true.
func (s *Store) ListReports(ctx context.Context, resolved bool, limit int) ([]*ListedReport, error) {
	where := `p.resolved_at IS NULL`
	if resolved {
		where = `p.resolved_at IS NOT NULL`
	}
	return s.listReports(ctx, where+` ORDER BY p.created_at DESC, p.id DESC LIMIT ($1 + 0)`, limit)
}

// ReportByID returns one report, or ErrNotFound.
func (s *Store) ReportByID(ctx context.Context, id string) (*ListedReport, error) {
	list, err := s.listReports(ctx, `p.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("storage: report %s: %w", id, ErrNotFound)
	}
	return list[0], nil
}

// ResolveReport marks a report as dealt with. A resolved or unknown report
// is ErrNotFound.
func (s *Store) ResolveReport(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE reports SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL`, id, s.now())
	if err != nil {
		return fmt.Errorf("storage: resolve report %s: %w", id, err)
	}
	return mustAffect(res, "resolve report "+id)
}

func (s *Store) listReports(ctx context.Context, where string, args ...any) ([]*ListedReport, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+reportColumns+`, `+prefixed("r.", remoteActorColumns)+`
		FROM reports p LEFT JOIN remote_actors r ON r.id = p.remote_actor_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list reports: %w", err)
	}
	defer rows.Close()
	var out []*ListedReport
	for rows.Next() {
		var p ListedReport
		var remoteID, actorID sql.NullString
		var objs string
		var resolved sql.NullTime
		// The reporter's columns are all NULL when it was forgotten.
		var rID, rIRI, rHost, rType, rUser, rName, rSummary, rURL, rInbox, rShared, rOutbox, rFollowers,
			rFeatured, rIcon, rKeyID, rKeyPEM, rRaw sql.NullString
		var rManual sql.NullBool
		var rFetched, rExpires, rGone, rCreated, rUpdated sql.NullTime
		if err := rows.Scan(&p.ID, &p.ActivityIRI, &remoteID, &actorID, &p.Content, &objs, &resolved, &p.CreatedAt,
			&rID, &rIRI, &rHost, &rType, &rUser, &rName, &rSummary, &rURL, &rInbox, &rShared, &rOutbox, &rFollowers,
			&rFeatured, &rIcon, &rKeyID, &rKeyPEM, &rManual, &rRaw, &rFetched, &rExpires, &rGone, &rCreated, &rUpdated); err != nil {
			return nil, fmt.Errorf("storage: list reports: %w", err)
		}
		p.RemoteActorID, p.ActorID, p.ResolvedAt = remoteID.String, actorID.String, nullTime(resolved)
		p.CreatedAt = p.CreatedAt.UTC()
		if err := json.Unmarshal([]byte(objs), &p.ObjectIRIs); err != nil {
			return nil, fmt.Errorf("storage: report %s objects: %w", p.ID, err)
		}
		if rID.Valid {
			p.Reporter = &RemoteActor{ID: rID.String, IRI: rIRI.String, Host: rHost.String, Type: rType.String,
				Username: rUser.String, DisplayName: rName.String, SummaryHTML: rSummary.String, URL: rURL.String,
				Inbox: rInbox.String, SharedInbox: rShared.String, Outbox: rOutbox.String, FollowersURL: rFollowers.String,
				FeaturedURL: rFeatured.String, IconURL: rIcon.String, PublicKeyID: rKeyID.String, PublicKeyPEM: rKeyPEM.String,
				ManuallyApproves: rManual.Bool, Raw: rRaw.String, FetchedAt: rFetched.Time, ExpiresAt: rExpires.Time,
				GoneAt: nullTime(rGone), CreatedAt: rCreated.Time, UpdatedAt: rUpdated.Time}
		}
		out = append(out, &p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list reports: %w", err)
	}
	return out, nil
}

// NextAttempt returns when the earliest pending delivery to host is next
// due, or ErrNotFound when none is pending. Rows under way (leased) are
// left out: their due time is their lease's end.
func (s *Store) NextAttempt(ctx context.Context, host string) (time.Time, error) {
	var t time.Time
	err := s.q.QueryRowContext(ctx, `SELECT next_attempt_at FROM deliveries WHERE host = $1 AND state = 'pending'
		AND (locked_until IS NULL OR locked_until < $2)
		ORDER BY next_attempt_at, id LIMIT 1`, host, s.now()).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("storage: next attempt to %s: %w", host, ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: next attempt to %s: %w", host, err)
	}
	return t.UTC(), nil
}
