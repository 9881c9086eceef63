package storage

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Group commit of inbound activities.
//
// The inbox answers 202 only once an activity is on disk, and on this kind
// of machine a commit waits for a flush that takes from a quarter of a
// millisecond to several (write + fdatasync on the shared 2-core test
// machine: p50 0.4–1.3 ms, p90 3–10 ms, nearly independent of whether 4 or
// 256 KiB are written).
// One commit per POST would cap the inbox at a few hundred activities per
// second. Instead the activities that arrive while a commit is running are
// written together by the next one, in one transaction: a leader/follower
// scheme with no goroutine of its own.
//
//   - A caller that finds a lead free (fewer than groupLeaders groups
//     committing) leads at once: it takes every queued activity (up to
//     maxGroup) with its own and commits them.
//   - Otherwise it queues, and waits to hear either that its activity is
//     stored (or failed), or that it is the next leader.
//   - A leader, once its group has committed and its followers are
//     answered, hands the lead to the first caller still queued, which
//     takes everything that arrived meanwhile; with nothing queued the lead
//     is freed.
//
// So the next commit starts as soon as the previous one ends, and a group
// is as large as the traffic that arrived during one commit: the busier the
// inbox, the more activities share each flush. On SQLite, what queues while
// a group's rows are being written joins that group before it commits
// (queueTx).
//
// A group is written to inbox_queue (migration 0014), not to activities: a
// row there touches the end of one B-tree, where a row of activities
// touched five, one of them (the IRI's unique index) on a random page, so
// each commit wrote and flushed several times the pages. The inbox worker
// files the queue into activities in large batches (FileInbound, called by
// ClaimInbound), which is where a redelivery is recognised by its IRI and
// dropped. Until then the queued activity is already counted and found by
// CountActivities, PendingInbound and ActivityByIRI.

// maxGroup bounds how many activities one group commit holds, and with it
// the size of the statement that writes them.
const maxGroup = 128

// saveGroup is the queue of inbound activities waiting to be committed on
// one database.
type saveGroup struct {
	mu      sync.Mutex
	leaders int
	queue   []*groupedSave
}

// groupLeaders is how many groups may be committing at once. SQLite has one
// writer, so one. On PostgreSQL two or four overlapping groups were tried
// against one in BenchmarkInboxRatio: a commit there takes about as long
// for 4 activities as for 14 (the server's flush, and on a busy machine
// the wait to be scheduled, dominate), so splitting the waiting activities
// between leaders only made each group smaller and the inbox slower.
const groupLeaders = 1

type groupedSave struct {
	a     *Activity
	fresh bool
	err   error
	done  chan bool // receives false when saved (or failed), true when this caller is to lead
}

var groupedSaves = sync.Pool{New: func() any { return &groupedSave{done: make(chan bool, 1)} }}

func (s *Store) saveGrouped(ctx context.Context, a *Activity) (bool, error) {
	g := s.saves
	me := groupedSaves.Get().(*groupedSave)
	me.a, me.fresh, me.err = a, false, nil
	defer func() {
		me.a, me.err = nil, nil
		groupedSaves.Put(me)
	}()
	g.mu.Lock()
	lead := g.leaders < groupLeaders
	if lead {
		g.leaders++
	} else {
		g.queue = append(g.queue, me)
	}
	g.mu.Unlock()
	// A queued caller does not give up on its context: a leader may be
	// writing its activity already. It hears exactly once: saved (false),
	// or taken off the queue to lead (true).
	if !lead && !<-me.done {
		return me.fresh, me.err
	}
	g.mu.Lock()
	n := min(len(g.queue), maxGroup-1)
	batch := make([]*groupedSave, 0, n+1)
	batch = append(append(batch, me), g.queue[:n]...)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	g.mu.Unlock()

	batch = s.commitGroupSafe(context.WithoutCancel(ctx), batch)
	for _, w := range batch[1:] {
		w.done <- false
	}
	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		g.queue = append(g.queue[:0], g.queue[1:]...)
		next.done <- true
	} else {
		g.leaders--
	}
	g.mu.Unlock()
	return me.fresh, me.err
}

// take removes up to n activities from the front of the queue and returns
// them: they join the group being written.
func (g *saveGroup) take(n int) []*groupedSave {
	g.mu.Lock()
	defer g.mu.Unlock()
	n = min(n, len(g.queue))
	if n == 0 {
		return nil
	}
	out := make([]*groupedSave, n)
	copy(out, g.queue)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	return out
}

// commitGroupSafe is commitGroup, with a panic turned into every caller's
// error: the callers waiting on the group, and those queued behind it,
// must hear back whatever happens. It returns the group as written, which
// may have grown (see queueTx).
func (s *Store) commitGroupSafe(ctx context.Context, batch []*groupedSave) (out []*groupedSave) {
	out = batch
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("storage: save activities: %v", p)
			for _, w := range out {
				w.fresh, w.err = false, err
			}
		}
	}()
	out = s.commitGroup(ctx, batch, func(grown []*groupedSave) { out = grown })
	return out
}

// stamp gives the activities of a group their ids and arrival time.
func (s *Store) stamp(batch []*groupedSave) {
	now := s.now()
	for _, w := range batch {
		if w.a.ID == "" {
			w.a.ID = NewID()
		}
		w.a.CreatedAt = now
	}
}

// commitGroup stores a batch in one transaction and returns it, grown by
// what joined it meanwhile (SQLite); grew hears of each growth as it
// happens, so that a panic still answers every caller. If the transaction
// fails, each is stored on its own, so one bad activity fails only its own
// caller.
func (s *Store) commitGroup(ctx context.Context, batch []*groupedSave, grew func([]*groupedSave)) []*groupedSave {
	var err error
	if s.dialect.name == "postgres" {
		s.stamp(batch)
		err = s.queueArrays(ctx, batch, batch[0].a.CreatedAt)
	} else {
		batch, err = s.queueTx(ctx, batch, grew)
	}
	if err == nil {
		return batch
	}
	for _, w := range batch {
		w.fresh, w.err = s.queueOne(ctx, w.a)
	}
	return batch
}

// queueColumns are the columns of inbox_queue an accepted activity fills.
const queueColumns = `id, iri, activity_type, actor_iri, object_iri, local_actor_id, statement_id, body, created_at`

// queueOne queues one activity in its own statement.
func (s *Store) queueOne(ctx context.Context, a *Activity) (bool, error) {
	if a.ID == "" {
		a.ID = NewID()
	}
	a.CreatedAt = s.now()
	_, err := poolQueryer{s.prep}.ExecContext(ctx, `INSERT INTO inbox_queue (`+queueColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.ID, a.IRI, a.Type, a.ActorIRI, a.ObjectIRI, nullString(a.LocalActorID), nullString(a.StatementID), string(a.Body), a.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("storage: save activity %s: %w", a.IRI, err)
	}
	return true, nil
}

// queueArrays queues a batch on PostgreSQL with one statement of one text
// whatever the batch's size: the columns go as arrays and unnest makes them
// rows. pgx keeps it prepared, the batch costs one round trip, and the
// statement is its own transaction, so one commit.
func (s *Store) queueArrays(ctx context.Context, batch []*groupedSave, now any) error {
	n := len(batch)
	ids, iris, types, actors, objects := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	locals, stmts, bodies := make([]string, n), make([]string, n), make([]string, n)
	for i, w := range batch {
		a := w.a
		ids[i], iris[i], types[i], actors[i], objects[i] = a.ID, a.IRI, a.Type, a.ActorIRI, a.ObjectIRI
		locals[i], stmts[i], bodies[i] = a.LocalActorID, a.StatementID, string(a.Body)
	}
	_, err := poolQueryer{s.prep}.ExecContext(ctx, `INSERT INTO inbox_queue (`+queueColumns+`)
		SELECT u.id, u.iri, u.typ, u.actor, u.obj, NULLIF(u.local, ''), NULLIF(u.stmt, ''), u.body, $9
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
			AS u(id, iri, typ, actor, obj, local, stmt, body)`, ids, iris, types, actors, objects, locals, stmts, bodies, now)
	if err != nil {
		return fmt.Errorf("storage: save activities: %w", err)
	}
	for _, w := range batch {
		w.fresh = true
	}
	return nil
}

// queueTx queues a batch on SQLite in one transaction, with multi-row
// INSERTs of sizes that are powers of two (a batch of 23 is 16 + 4 + 2 +
// 1): a handful of texts, each kept prepared, cover every batch size. It
// runs on its own transaction rather than Tx: a queued activity changes
// nothing a reader is shown until the inbox worker files and acts on it,
// and that writes (and moves the data generation) then.
//
// Activities that queue while the transaction is open join it before it
// commits (up to maxGroup in all): writing a row takes a few tens of
// microseconds, the commit's flush several times that, so a latecomer is
// stored sooner by joining this flush than by waiting for the next, and
// the flush is shared by more rows. It returns the batch as written.
func (s *Store) queueTx(ctx context.Context, batch []*groupedSave, grew func([]*groupedSave)) (all []*groupedSave, err error) {
	all = batch
	s.stamp(batch)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return all, fmt.Errorf("storage: save activities: begin: %w", err)
	}
	// The transaction ends whatever happens: a panic (which
	// commitGroupSafe turns into every caller's error) must not leave the
	// database's one write lock held for the life of the process.
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	q := txQueryer{s.prep, tx}
	for part := batch; len(part) > 0; {
		for rest := part; len(rest) > 0; {
			size := 1
			for size*2 <= len(rest) {
				size *= 2
			}
			if err = queueValues(ctx, q, rest[:size]); err != nil {
				return all, err
			}
			rest = rest[size:]
		}
		if part = s.saves.take(maxGroup - len(all)); len(part) > 0 {
			// Counted in the group before anything else can fail, so
			// that they hear back whatever happens.
			all = append(all, part...)
			grew(all)
			s.stamp(part)
		}
	}
	if err = tx.Commit(); err != nil {
		return all, fmt.Errorf("storage: save activities: commit: %w", err)
	}
	for _, w := range all {
		w.fresh = true
	}
	return all, nil
}

// valuesInserts holds the text of the multi-row INSERT of each size.
var valuesInserts sync.Map // int -> string

func valuesInsert(n int) string {
	if q, ok := valuesInserts.Load(n); ok {
		return q.(string)
	}
	const cols = 9 // parameters per row
	var q strings.Builder
	q.WriteString(`INSERT INTO inbox_queue (` + queueColumns + `) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			q.WriteString(", ")
		}
		k := i * cols
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9)
	}
	valuesInserts.Store(n, q.String())
	return q.String()
}

func queueValues(ctx context.Context, q queryer, part []*groupedSave) error {
	args := make([]any, 0, 9*len(part))
	for _, w := range part {
		a := w.a
		args = append(args, a.ID, a.IRI, a.Type, a.ActorIRI, a.ObjectIRI, nullString(a.LocalActorID),
			nullString(a.StatementID), string(a.Body), a.CreatedAt)
	}
	if _, err := q.ExecContext(ctx, valuesInsert(len(part)), args...); err != nil {
		return fmt.Errorf("storage: save activities: %w", err)
	}
	return nil
}

// fileBatch is how many queued activities one filing moves at most, and
// fileBytes how many bytes of bodies (at least one activity goes whatever
// its size): a filing holds SQLite's one write lock, and every inbox POST
// waits for it, so it must stay short even when the queue holds large
// activities.
const fileBatch = 1024

var fileBytes int64 = 16 << 20 // a variable for tests

// fileLockKey is the PostgreSQL advisory lock that makes filers take
// turns (see FileInbound).
const fileLockKey = 0x74616461_6d756e01 // "tadamun" and 1

// FileInbound moves up to limit queued activities (oldest first, and at
// most fileBytes of bodies) from inbox_queue into activities, where they
// wait for the inbox worker, and returns how many left the queue. An
// activity whose IRI is stored already (a redelivery) is dropped. Moving and
// deleting are one transaction, so a crash leaves each activity either
// queued or filed, never lost and never twice.
//
// With several processes on PostgreSQL, filers take turns (a transaction
// advisory lock): if one could file past rows another was still filing,
// its worker could claim an Undo before the Follow it undoes had been
// filed, and act on them in the wrong order.
//
// A queued activity whose local actor or statement was deleted meanwhile is
// filed without it, as activities' ON DELETE SET NULL would have left it.
func (s *Store) FileInbound(ctx context.Context, limit int) (int, error) {
	n, _, err := s.fileOnce(ctx, limit)
	return n, err
}

// fileOnce is FileInbound, and says whether the filing stopped at one of
// its bounds (so that more may be queued).
func (s *Store) fileOnce(ctx context.Context, limit int) (int, bool, error) {
	if limit <= 0 {
		return 0, false, nil
	}
	var moved int64
	var more bool
	err := s.Tx(ctx, func(tx *Store) error {
		if s.dialect.name == "postgres" {
			if _, err := tx.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(fileLockKey)); err != nil {
				return err
			}
		}
		var last int64
		var err error
		if last, more, err = tx.fileCut(ctx, limit); err != nil || last == 0 {
			return err
		}
		if s.dialect.name == "postgres" {
			// One statement, so one snapshot: it inserts exactly the rows
			// it deletes, whatever commits meanwhile. (A data-modifying
			// WITH runs to the end whether or not the main query reads
			// it.) Copies of one IRI go in queue order, as on SQLite.
			return tx.q.QueryRowContext(ctx, `WITH q AS (
					DELETE FROM inbox_queue WHERE seq <= $1 RETURNING *),
				filed AS (
					INSERT INTO activities (`+activityColumns+`)
					SELECT `+fileColumns+` FROM q ORDER BY q.iri, q.seq
					ON CONFLICT (iri) DO NOTHING)
				SELECT COUNT(*) FROM q`, last).Scan(&moved)
		}
		// SQLite: the transaction holds the one write lock from its start
		// (_txlock=immediate), so both statements see the same queue.
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO activities (`+activityColumns+`)
			SELECT `+fileColumns+` FROM inbox_queue q WHERE q.seq <= $1 ORDER BY q.seq
			ON CONFLICT (iri) DO NOTHING`, last); err != nil {
			return err
		}
		res, err := tx.q.ExecContext(ctx, `DELETE FROM inbox_queue WHERE seq <= $1`, last)
		if err != nil {
			return err
		}
		moved, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("storage: file inbound activities: %w", err)
	}
	return int(moved), more, nil
}

// fileCut is the last sequence number of the next filing: up to limit
// queued activities, oldest first, stopping before the one that would take
// the bodies past fileBytes (but never before the first), and whether it
// stopped at either bound. 0 when the queue is empty.
func (s *Store) fileCut(ctx context.Context, limit int) (last int64, more bool, err error) {
	rows, err := s.q.QueryContext(ctx, `SELECT seq, LENGTH(body) FROM inbox_queue ORDER BY seq LIMIT `+bound("$1"), limit)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	var total int64
	n := 0
	for rows.Next() {
		var seq, size int64
		if err := rows.Scan(&seq, &size); err != nil {
			return 0, false, err
		}
		if last != 0 && total+size > fileBytes {
			return last, true, nil
		}
		last, total, n = seq, total+size, n+1
	}
	return last, n == limit, rows.Err()
}

// fileColumns is what a queued row gives activities, in activityColumns'
// order, for a queue row aliased q.
const fileColumns = `q.id, q.iri, 'in', q.activity_type, q.actor_iri, q.object_iri,
	(SELECT a.id FROM actors a WHERE a.id = q.local_actor_id),
	(SELECT st.id FROM statements st WHERE st.id = q.statement_id),
	q.body, 0, '', NULL, q.created_at`

// queuedColumns reads a queued row (aliased q) as scanActivity reads one of
// activities.
const queuedColumns = `q.id, q.iri, 'in', q.activity_type, q.actor_iri, q.object_iri, q.local_actor_id, q.statement_id,
	q.body, 0, '', NULL, q.created_at`

// fileAll files the queue, a filing at a time, until a filing ends before
// its bounds (or after fileRounds filings: under a flood the worker gets
// on with claiming what is filed, and files more before its next claim).
// Inside a transaction it does nothing: filing takes its own.
func (s *Store) fileAll(ctx context.Context) error {
	if s.inTx {
		return nil
	}
	for i := 0; i < fileRounds; i++ {
		_, more, err := s.fileOnce(ctx, fileBatch)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// fileRounds bounds the filings of one fileAll.
const fileRounds = 16
