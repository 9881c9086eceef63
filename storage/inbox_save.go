package storage

import (
	"context"
	"database/sql"
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
// (insertInboundTx).

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
// may have grown (see insertInboundTx).
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
		if len(batch) == 1 {
			batch[0].fresh, batch[0].err = s.insertActivity(ctx, batch[0].a)
			return batch
		}
		s.stamp(batch)
		err = s.insertInboundArrays(ctx, batch, batch[0].a.CreatedAt)
	} else {
		batch, err = s.insertInboundTx(ctx, batch, grew)
	}
	if err == nil {
		return batch
	}
	for _, w := range batch {
		w.fresh, w.err = s.insertActivity(ctx, w.a)
	}
	return batch
}

// insertInboundArrays stores a batch on PostgreSQL with one statement of
// one text whatever the batch's size: the columns go as arrays and unnest
// makes them rows. pgx keeps it prepared, the batch costs one round trip,
// and the statement is its own transaction, so one commit. The ids it
// returns are those of the rows inserted; an activity whose IRI was stored
// already (or earlier in the same batch) is not among them.
func (s *Store) insertInboundArrays(ctx context.Context, batch []*groupedSave, now any) error {
	n := len(batch)
	ids, iris, types, actors, objects := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	locals, stmts, bodies := make([]string, n), make([]string, n), make([]string, n)
	for i, w := range batch {
		a := w.a
		ids[i], iris[i], types[i], actors[i], objects[i] = a.ID, a.IRI, a.Type, a.ActorIRI, a.ObjectIRI
		locals[i], stmts[i], bodies[i] = a.LocalActorID, a.StatementID, string(a.Body)
	}
	rows, err := s.q.QueryContext(ctx, `INSERT INTO activities (`+activityColumns+`)
		SELECT u.id, u.iri, 'in', u.typ, u.actor, u.obj, NULLIF(u.local, ''), NULLIF(u.stmt, ''), u.body, 0, '', NULL, $9
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
			AS u(id, iri, typ, actor, obj, local, stmt, body)
		ON CONFLICT (iri) DO NOTHING RETURNING id`, ids, iris, types, actors, objects, locals, stmts, bodies, now)
	if err != nil {
		return fmt.Errorf("storage: save activities: %w", err)
	}
	return markInserted(rows, batch)
}

// insertInboundTx stores a batch on SQLite in one transaction, with
// multi-row INSERTs of sizes that are powers of two (a batch of 23 is
// 16 + 4 + 2 + 1): a handful of texts, each kept prepared, cover every
// batch size. It runs on its own transaction rather than Tx: an inbound
// activity changes nothing a reader is shown until the inbox worker acts
// on it, and that writes (and moves the data generation) then.
//
// Activities that queue while the transaction is open join it before it
// commits (up to maxGroup in all): writing a row takes a few tens of
// microseconds, the commit's flush several times that, so a latecomer is
// stored sooner by joining this flush than by waiting for the next, and
// the flush is shared by more rows. It returns the batch as written.
func (s *Store) insertInboundTx(ctx context.Context, batch []*groupedSave, grew func([]*groupedSave)) (all []*groupedSave, err error) {
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
			if err = insertValues(ctx, q, rest[:size]); err != nil {
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
	q.WriteString(`INSERT INTO activities (` + activityColumns + `) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			q.WriteString(", ")
		}
		k := i * cols
		fmt.Fprintf(&q, "($%d, $%d, 'in', $%d, $%d, $%d, $%d, $%d, $%d, 0, '', NULL, $%d)",
			k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9)
	}
	q.WriteString(` ON CONFLICT (iri) DO NOTHING RETURNING id`)
	valuesInserts.Store(n, q.String())
	return q.String()
}

func insertValues(ctx context.Context, q queryer, part []*groupedSave) error {
	args := make([]any, 0, 9*len(part))
	for _, w := range part {
		a := w.a
		args = append(args, a.ID, a.IRI, a.Type, a.ActorIRI, a.ObjectIRI, nullString(a.LocalActorID),
			nullString(a.StatementID), string(a.Body), a.CreatedAt)
	}
	rows, err := q.QueryContext(ctx, valuesInsert(len(part)), args...)
	if err != nil {
		return fmt.Errorf("storage: save activities: %w", err)
	}
	return markInserted(rows, part)
}

// markInserted reads the ids an INSERT ... RETURNING id gave back and marks
// those activities fresh; the others were stored already.
func markInserted(rows *sql.Rows, part []*groupedSave) error {
	defer rows.Close()
	inserted := make(map[string]struct{}, len(part))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("storage: save activities: %w", err)
		}
		inserted[id] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: save activities: %w", err)
	}
	for _, w := range part {
		_, w.fresh = inserted[w.a.ID]
	}
	return nil
}
