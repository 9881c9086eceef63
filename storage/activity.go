package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
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

// SaveActivity stores an activity. For an inbound one whose IRI is already
// stored it stores nothing and returns false: the sender is redelivering.
// Outbound activities are marked processed at once.
//
// Inbound activities saved outside a transaction are committed in groups:
// each waits until the transaction holding it has committed, so it is on
// disk when SaveActivity returns (the inbox answers 202 only then), but the
// concurrent POSTs of a busy inbox share one commit, and one fsync, rather
// than queueing for one each.
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

// maxGroup bounds how many activities one group commit holds.
const maxGroup = 128

// saveGroup is the queue of inbound activities waiting to be committed on
// one database. A caller that finds fewer than groupLeaders groups being
// committed leads: it takes queued activities with its own into one
// statement (groupSize), answers their callers, goes on for a few more
// groups while any are queued (leadRounds), and then hands the lead to the
// first one still queued. No goroutine runs between saves.
type saveGroup struct {
	mu      sync.Mutex
	leaders int
	queue   []*groupedSave
}

// groupLeaders is how many groups may be committing at once: SQLite has one
// writer, so one; PostgreSQL commits side by side, and a commit there waits
// mostly for the server's flush and the network, so several.
func (s *Store) groupLeaders() int {
	if s.dialect.name == "postgres" {
		return 4
	}
	return 1
}

type groupedSave struct {
	a     *Activity
	fresh bool
	err   error
	done  chan bool // receives false when saved (or failed), true when this caller is to lead
}

func (s *Store) saveGrouped(ctx context.Context, a *Activity) (bool, error) {
	g := s.saves
	me := &groupedSave{a: a, done: make(chan bool, 1)}
	// A caller leads when fewer than groupLeaders groups are committing, and
	// queues otherwise. Nothing is queued while a lead is free: the queue
	// fills only when every lead is taken, and a lead is given up only when
	// the queue is empty.
	g.mu.Lock()
	lead := g.leaders < s.groupLeaders()
	if lead {
		g.leaders++
	} else {
		g.queue = append(g.queue, me)
	}
	g.mu.Unlock()
	// A queued caller does not give up on its context: a leader may be
	// writing its activity already. It hears once: saved (false), or taken
	// off the queue to lead (true).
	if !lead && !<-me.done {
		return me.fresh, me.err
	}
	// Leading: this caller's activity goes first, then as many queued ones
	// as make a group of a size in groupSize's short list; the leader then
	// goes on with the queue for up to leadRounds groups, which saves waking
	// another caller to commit each one, before handing the lead on.
	batch := []*groupedSave{me}
	for round := 0; ; round++ {
		g.mu.Lock()
		n := groupSize(len(batch)+len(g.queue)) - len(batch)
		batch = append(batch, g.queue[:n]...)
		g.queue = append(g.queue[:0:0], g.queue[n:]...)
		g.mu.Unlock()
		s.commitGroupSafe(context.WithoutCancel(ctx), batch)
		for _, w := range batch {
			if w != me {
				w.done <- false
			}
		}
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.leaders--
			g.mu.Unlock()
			break
		}
		if round+1 >= leadRounds {
			next := g.queue[0]
			g.queue = g.queue[1:]
			next.done <- true
			g.mu.Unlock()
			break
		}
		g.mu.Unlock()
		batch = batch[:0]
	}
	return me.fresh, me.err
}

// leadRounds bounds how many groups one caller commits before it hands the
// lead on (its own answer waits meanwhile).
const leadRounds = 4

// groupSize is the largest power of two up to n, at most maxGroup: the
// statement that inserts a group has one text per size, and a few sizes
// keep each of them prepared and hot.
func groupSize(n int) int {
	if n >= maxGroup {
		return maxGroup
	}
	size := 1
	for size*2 <= n {
		size *= 2
	}
	return size
}

// commitGroupSafe is commitGroup, with a panic turned into every caller's
// error: the callers waiting on the group, and those queued behind it,
// must hear back whatever happens.
func (s *Store) commitGroupSafe(ctx context.Context, batch []*groupedSave) {
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("storage: save activities: %v", p)
			for _, w := range batch {
				w.fresh, w.err = false, err
			}
		}
	}()
	s.commitGroup(ctx, batch)
}

// commitGroup stores a batch with one multi-row INSERT, a single statement
// and so a single commit. If that fails, each is stored on its own, so one
// bad activity fails only its own caller.
func (s *Store) commitGroup(ctx context.Context, batch []*groupedSave) {
	if len(batch) == 1 {
		batch[0].fresh, batch[0].err = s.insertActivity(ctx, batch[0].a)
		return
	}
	if err := s.insertInbound(ctx, batch); err == nil {
		return
	}
	for _, w := range batch {
		w.fresh, w.err = s.insertActivity(ctx, w.a)
	}
}

// insertInbound inserts inbound activities in one statement. The ids it
// returns are those of the rows inserted; an activity whose IRI was stored
// already (or earlier in the same batch) is not among them.
func (s *Store) insertInbound(ctx context.Context, batch []*groupedSave) error {
	const cols = 11
	var q strings.Builder
	q.WriteString(`INSERT INTO activities (` + activityColumns + `) VALUES `)
	args := make([]any, 0, cols*len(batch))
	now := s.now()
	for i, w := range batch {
		a := w.a
		if a.ID == "" {
			a.ID = NewID()
		}
		a.CreatedAt = now
		if i > 0 {
			q.WriteString(", ")
		}
		n := i * cols
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, 0, '', $%d, $%d)",
			n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11)
		args = append(args, a.ID, a.IRI, a.Direction, a.Type, a.ActorIRI, a.ObjectIRI, nullString(a.LocalActorID),
			nullString(a.StatementID), string(a.Body), nil, a.CreatedAt)
	}
	q.WriteString(` ON CONFLICT (iri) DO NOTHING RETURNING id`)
	rows, err := s.q.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return fmt.Errorf("storage: save activities: %w", err)
	}
	defer rows.Close()
	inserted := make(map[string]bool, len(batch))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("storage: save activities: %w", err)
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: save activities: %w", err)
	}
	for _, w := range batch {
		w.fresh = inserted[w.a.ID]
	}
	return nil
}

// ActivityByIRI returns a stored activity, or ErrNotFound.
func (s *Store) ActivityByIRI(ctx context.Context, iri string) (*Activity, error) {
	a, err := scanActivity(s.q.QueryRowContext(ctx, `SELECT `+activityColumns+` FROM activities WHERE iri = $1`, iri))
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
func (s *Store) ClaimInbound(ctx context.Context, limit int, lease time.Duration, maxAttempts int) ([]*Activity, error) {
	t := s.now()
	rows, err := s.q.QueryContext(ctx, `UPDATE activities SET locked_until = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM activities WHERE direction = 'in' AND processed_at IS NULL
			AND (locked_until IS NULL OR locked_until < $2) AND attempts < $3
			ORDER BY created_at, id LIMIT $4`+s.dialect.skipLocked+`)
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

// PendingInbound counts inbound activities not yet processed.
func (s *Store) PendingInbound(ctx context.Context) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND processed_at IS NULL`).Scan(&n); err != nil {
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
func (s *Store) PruneInbound(ctx context.Context, bodiesBefore, rowsBefore time.Time, maxAttempts int) (bodies, rows int64, err error) {
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

// CountActivities counts stored activities of a direction and type ("" for any type).
func (s *Store) CountActivities(ctx context.Context, direction, typ string) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM activities WHERE direction = $1 AND ($2 = '' OR activity_type = $2)`,
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
