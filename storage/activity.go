package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Activity directions.
const (
	Inbound  = "in"
	Outbound = "out"
)

// Activity is an ActivityPub activity we sent or accepted, kept as the JSON
// that went over the wire. Inbound activities are stored before the inbox
// answers 202 and are acted on from here, so a crash loses none.
type Activity struct {
	ID           string
	IRI          string // the activity's id; unique, which makes redelivery a no-op
	Direction    string // Inbound or Outbound
	Type         string // Create, Follow, ...
	ActorIRI     string
	ObjectIRI    string
	LocalActorID string // our actor it was sent by or addressed to; "" if none
	StatementID  string // the statement it concerns; "" if none
	Body         []byte
	Attempts     int
	ProcessError string
	ProcessedAt  *time.Time
	CreatedAt    time.Time
}

const activityColumns = `id, iri, direction, activity_type, actor_iri, object_iri, local_actor_id, statement_id, body,
	attempts, process_error, processed_at, created_at`

// SaveActivity stores an activity and says whether it stored it now.
// Outbound activities are marked processed at once.
//
// Inbound activities saved outside a transaction go to the inbox queue and
// are committed in groups (inbox_save.go): each waits until the transaction
// holding it has committed, so it is on disk when SaveActivity returns (the
// inbox answers 202 only then), but the concurrent POSTs of a busy inbox
// share one commit, and one fsync, rather than queueing for one each. Such
// an activity is always stored (true): a redelivery is recognised by its
// IRI and dropped when the queue is filed (FileInbound). Inside a
// transaction an inbound activity goes straight into activities, and one
// whose IRI is stored already is not stored again (false).
func (s *Store) SaveActivity(ctx context.Context, a *Activity) (bool, error) {
	if a.Direction == Inbound && !s.inTx {
		return s.saveGrouped(ctx, a)
	}
	return s.insertActivity(ctx, a)
}

func (s *Store) insertActivity(ctx context.Context, a *Activity) (bool, error) {
	if a.ID == "" {
		a.ID = NewID()
	}
	a.CreatedAt = s.now()
	var processed any
	if a.Direction == Outbound {
		t := a.CreatedAt
		a.ProcessedAt = &t
		processed = t
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO activities (`+activityColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, '', $10, $11) ON CONFLICT (iri) DO NOTHING`,
		a.ID, a.IRI, a.Direction, a.Type, a.ActorIRI, a.ObjectIRI, nullString(a.LocalActorID), nullString(a.StatementID),
		string(a.Body), processed, a.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("storage: save activity %s: %w", a.IRI, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: save activity %s: %w", a.IRI, err)
	}
	return n == 1, nil
}

// ActivityByIRI returns a stored activity, or ErrNotFound. An inbound one
// still queued (not yet filed by the inbox worker) is found too, as it was
// accepted and not yet processed.
func (s *Store) ActivityByIRI(ctx context.Context, iri string) (*Activity, error) {
	a, err := scanActivity(s.q.QueryRowContext(ctx, `SELECT `+activityColumns+` FROM activities WHERE iri = $1`, iri))
	if errors.Is(err, ErrNotFound) {
		// The queue has no index on iri (that is its point) but is short:
		// the inbox worker files it before every claim.
		a, err = scanActivity(s.q.QueryRowContext(ctx, `SELECT `+queuedColumns+` FROM inbox_queue q
			WHERE q.iri = $1 ORDER BY q.seq LIMIT 1`, iri))
		if errors.Is(err, ErrNotFound) {
			// Filed by another process between the two look-ups.
			a, err = scanActivity(s.q.QueryRowContext(ctx, `SELECT `+activityColumns+` FROM activities WHERE iri = $1`, iri))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("storage: activity %s: %w", iri, err)
	}
	return a, nil
}

// ActivityByID returns a stored activity by our id, or ErrNotFound.
func (s *Store) ActivityByID(ctx context.Context, id string) (*Activity, error) {
	a, err := scanActivity(s.q.QueryRowContext(ctx, `SELECT `+activityColumns+` FROM activities WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("storage: activity %s: %w", id, err)
	}
	return a, nil
}

// ClaimInbound takes up to limit inbound activities still to be processed,
// oldest first, and leases them for lease: another process (or this one
// after a crash) takes them again only when the lease has run out. Each
// claim counts as an attempt; activities that failed maxAttempts times are
// left alone.
//
// It first files what waits in inbox_queue (FileInbound), so that what the
// inbox accepted is claimable. A filing that fails does not stop the claim
// of what is filed already; its error is returned only when nothing was
// claimed, so that the worker goes on and the error still reaches its log.
func (s *Store) ClaimInbound(ctx context.Context, limit int, lease time.Duration, maxAttempts int) ([]*Activity, error) {
	fileErr := s.fileAll(ctx)
	out, err := s.claimInbound(ctx, limit, lease, maxAttempts)
	if err == nil && len(out) == 0 && fileErr != nil {
		return nil, fmt.Errorf("storage: claim inbound: %w", fileErr)
	}
	return out, err
}

func (s *Store) claimInbound(ctx context.Context, limit int, lease time.Duration, maxAttempts int) ([]*Activity, error) {
	t := s.now()
	rows, err := s.q.QueryContext(ctx, `UPDATE activities SET locked_until = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM activities WHERE direction = 'in' AND processed_at IS NULL
			AND (locked_until IS NULL OR locked_until < $2) AND attempts < $3
			ORDER BY created_at, id LIMIT `+bound("$4")+s.dialect.skipLocked+`)
		RETURNING `+activityColumns, t.Add(lease), t, maxAttempts, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: claim inbound: %w", err)
	}
	defer rows.Close()
	var out []*Activity
	for rows.Next() {
		a, err := scanActivity(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: claim inbound: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: claim inbound: %w", err)
	}
	// RETURNING gives no order; process in arrival order.
	sortActivities(out)
	return out, nil
}

// FinishInbound records the outcome of processing: done (processErr empty)
// or failed, to be retried after the lease unless it is out of attempts.
func (s *Store) FinishInbound(ctx context.Context, id string, processErr error) error {
	var err error
	if processErr == nil {
		_, err = s.q.ExecContext(ctx, `UPDATE activities SET processed_at = $2, locked_until = NULL, process_error = ''
			WHERE id = $1`, id, s.now())
	} else {
		_, err = s.q.ExecContext(ctx, `UPDATE activities SET process_error = $2 WHERE id = $1`, id, truncate(processErr.Error(), 1000))
	}
	if err != nil {
		return fmt.Errorf("storage: finish activity %s: %w", id, err)
	}
	return nil
}

// PendingInbound counts inbound activities not yet processed, those still
// queued (and not yet known as redeliveries) included.
func (s *Store) PendingInbound(ctx context.Context) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM activities WHERE direction = 'in' AND processed_at IS NULL)
		+ (SELECT COUNT(*) FROM inbox_queue)`).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: pending inbound: %w", err)
	}
	return n, nil
}

// PruneInbound bounds what inbound activities cost to keep. The bodies of
// those received before bodiesBefore are emptied: by then each has been
// acted on or has used up its maxAttempts, and what stays, the id with its
// type, actor, object and times, is what deduplication and a later Undo
// need. Rows received before rowsBefore are deleted: a redelivery older
// than that is no longer expected. Outbound activities are left alone;
// their deliveries read them. It returns how many bodies were emptied and
// rows deleted.
//
// What waits in inbox_queue is filed first, so that the ages counted are
// those of every accepted activity.
func (s *Store) PruneInbound(ctx context.Context, bodiesBefore, rowsBefore time.Time, maxAttempts int) (bodies, rows int64, err error) {
	if err := s.fileAll(ctx); err != nil {
		return 0, 0, fmt.Errorf("storage: prune inbound activities: %w", err)
	}
	res, err := s.q.ExecContext(ctx, `DELETE FROM activities WHERE direction = 'in' AND created_at < $1`, utc(rowsBefore))
	if err != nil {
		return 0, 0, fmt.Errorf("storage: prune inbound activities: %w", err)
	}
	if rows, err = res.RowsAffected(); err != nil {
		return 0, 0, fmt.Errorf("storage: prune inbound activities: %w", err)
	}
	res, err = s.q.ExecContext(ctx, `UPDATE activities SET body = '', process_error = ''
		WHERE direction = 'in' AND created_at < $1 AND body <> '' AND (processed_at IS NOT NULL OR attempts >= $2)`,
		utc(bodiesBefore), maxAttempts)
	if err != nil {
		return 0, rows, fmt.Errorf("storage: prune inbound bodies: %w", err)
	}
	if bodies, err = res.RowsAffected(); err != nil {
		return 0, rows, fmt.Errorf("storage: prune inbound bodies: %w", err)
	}
	return bodies, rows, nil
}

// PruneAnswers deletes our Accepts and Rejects of follows sent before
// before, once none of their deliveries is pending. Each Follow we receive
// (a repeated one too) makes one; without this, a remote server could
// grow the table without bound by following again and again. It returns
// how many were deleted (their finished deliveries go with them).
func (s *Store) PruneAnswers(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM activities WHERE direction = 'out'
		AND activity_type IN ('Accept', 'Reject') AND created_at < $1
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = activities.id AND d.state = 'pending')`, utc(before))
	if err != nil {
		return 0, fmt.Errorf("storage: prune answers: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: prune answers: %w", err)
	}
	return n, nil
}

// CountActivities counts stored activities of a direction and type ("" for
// any type): distinct IRIs, those accepted and still queued included.
func (s *Store) CountActivities(ctx context.Context, direction, typ string) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (
			SELECT iri FROM activities WHERE direction = $1 AND ($2 = '' OR activity_type = $2)
			UNION SELECT iri FROM inbox_queue WHERE $1 = 'in' AND ($2 = '' OR activity_type = $2)) AS u`,
		direction, typ).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("storage: count activities: %w", err)
	}
	return n, nil
}

func scanActivity(r scanner) (*Activity, error) {
	var a Activity
	var local, stmt sql.NullString
	var body string
	var processed sql.NullTime
	err := r.Scan(&a.ID, &a.IRI, &a.Direction, &a.Type, &a.ActorIRI, &a.ObjectIRI, &local, &stmt, &body,
		&a.Attempts, &a.ProcessError, &processed, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.LocalActorID, a.StatementID, a.Body = local.String, stmt.String, []byte(body)
	a.ProcessedAt = nullTime(processed)
	a.CreatedAt = a.CreatedAt.UTC()
	return &a, nil
}

func sortActivities(as []*Activity) {
	sort.Slice(as, func(i, j int) bool {
		if !as[i].CreatedAt.Equal(as[j].CreatedAt) {
			return as[i].CreatedAt.Before(as[j].CreatedAt)
		}
		return as[i].ID < as[j].ID
	})
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
