package storage

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// bound is how a LIMIT or OFFSET takes a parameter p ("$4"): as the
// expression (p + 0), not as the bare parameter; every query of the
// package writes it so, as bound(p) or literally (TestLimitsAreBound).
// SQLite (since 3.45) reads a bare parameter's bound value when it plans a
// LIMIT and marks the prepared statement to be planned again whenever that
// value changes: a delivery claim, whose size follows the worker's free
// slots, was parsed and planned anew nearly every time (a seventh of the
// fan-out's non-signing CPU). An expression is not read that way, so the
// statement stays prepared; the plans do not change (they do not depend on
// the limit's value). PostgreSQL takes it as is.
func bound(p string) string { return "(" + p + " + 0)" }

// maxPrepared bounds how many distinct queries are kept prepared. The hot
// queries are a few dozen fixed texts; the bound only matters for texts
// built with a variable number of placeholders, which then run unprepared.
const maxPrepared = 1000

// statements runs every query of a Store, counting them, and on SQLite
// through prepared statements kept for the life of the pool.
//
// Parsing and planning a query costs more than running it for the short
// look-ups a page makes (a profile of the statement page found 39% of its
// time there). pgx already keeps a per-connection statement cache on
// PostgreSQL, so there the queries go straight to the pool. On SQLite each
// distinct text is prepared once as a *sql.Stmt; database/sql prepares it
// again on each connection the first time it runs there, and inside a
// transaction tx.StmtContext reuses the connection's copy.
type statements struct {
	db      *sql.DB
	prepare bool // SQLite: keep prepared statements

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt

	count atomic.Int64 // queries run, for tests and metrics
}

func newStatements(db *sql.DB, prepare bool) *statements {
	return &statements{db: db, prepare: prepare, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement for query, preparing it on first use;
// nil when statements are not kept, the cache is full or the text does not
// prepare (the plain call then reports the error as usual).
func (p *statements) stmt(ctx context.Context, query string) *sql.Stmt {
	if !p.prepare {
		return nil
	}
	p.mu.RLock()
	st, ok := p.stmts[query]
	full := len(p.stmts) >= maxPrepared
	p.mu.RUnlock()
	if ok || full {
		return st
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok {
		return st
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	p.stmts[query] = st
	return st
}

// close releases the prepared statements.
func (p *statements) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.stmts {
		_ = st.Close()
		delete(p.stmts, q)
	}
}

// poolQueryer runs queries on the pool.
type poolQueryer struct{ p *statements }

func (q poolQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q.p.count.Add(1)
	if st := q.p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.p.db.ExecContext(ctx, query, args...)
}

func (q poolQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q.p.count.Add(1)
	if st := q.p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.p.db.QueryContext(ctx, query, args...)
}

func (q poolQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	q.p.count.Add(1)
	if st := q.p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.p.db.QueryRowContext(ctx, query, args...)
}

// txQueryer runs queries in one transaction, through the transaction's
// connection's copy of each prepared statement.
type txQueryer struct {
	p  *statements
	tx *sql.Tx
}

func (q txQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q.p.count.Add(1)
	if st := q.p.stmt(ctx, query); st != nil {
		return q.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q txQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q.p.count.Add(1)
	if st := q.p.stmt(ctx, query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q txQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	q.p.count.Add(1)
	if st := q.p.stmt(ctx, query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

// QueryCount is how many SQL statements the store has run since it was
// opened (transactions' included). Tests assert on differences of it, so
// that a page that starts making more queries fails a test.
func (s *Store) QueryCount() int64 { return s.prep.count.Load() }
