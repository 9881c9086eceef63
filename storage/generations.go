package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The data generation: a number that moves whenever anything in the
// database may have changed, read without a query on almost every call.
//
// The response cache asks, on every hit, whether what it stored is still
// current, and asking the database each time cost more than half of a
// cached answer. The generation lets it ask once per change instead: a
// version computed at generation g stays valid while the generation is g.
//
// Two sources move it:
//
//   - this process's own writes: every statement run on the pool outside a
//     transaction through ExecContext, and every transaction of Tx, bump it
//     as soon as the write has committed, before the method returns. So a
//     change made here is seen by the very next request, in any goroutine.
//     (Upserts that return a row bump it just before; see bumpingQueryer.)
//   - everything else (another serve process on the same PostgreSQL, a CLI
//     command such as `tadamun publish` writing the same SQLite file, an
//     administrator's psql): at most once per GenerationBound, the first
//     call after that time asks the database whether anything committed
//     since it last asked, and bumps the number if so. On SQLite that is
//     PRAGMA data_version on a connection kept for it alone (its value
//     changes exactly when another connection committed); on PostgreSQL
//     it is the current snapshot (pg_current_snapshot(): the oldest
//     running transaction, the next transaction number and the ones in
//     flight), which changes whenever a writing transaction starts or ends
//     anywhere on the server. Neither reads a table, and neither needs
//     triggers or notifications, so writers pay nothing for it.
//
// A false alarm (a write that changed nothing a reader sees, another
// database on the same PostgreSQL server) only costs the caches one more
// look at their versions.

// GenerationBound is how stale Generation may be about a change committed
// by another process or connection: a call made this long after such a
// commit sees the generation moved.
const GenerationBound = 100 * time.Millisecond

// generations keeps the data generation of one Store and everything
// derived from it (the Store's transactions share it).
type generations struct {
	n      atomic.Uint64
	start  time.Time    // origin of polled, for monotonic durations
	polled atomic.Int64 // when the last finished poll began, ns since start; <0 never

	mu      sync.Mutex // one poll at a time; guards what follows
	probeDB *sql.DB    // SQLite: a pool of one connection for data_version; PostgreSQL: the Store's pool
	conn    *sql.Conn  // SQLite: that connection, held so data_version values compare
	sqlite  bool
	last    string // what the last poll saw; "" before the first
}

func newGenerations(probeDB *sql.DB, sqlite bool) *generations {
	g := &generations{start: time.Now(), probeDB: probeDB, sqlite: sqlite}
	g.polled.Store(-1)
	return g
}

// openGenerations prepares the generation of a pool. On SQLite it opens
// (lazily, without connecting yet) a second pool of one connection on the
// same file for PRAGMA data_version, whose values compare only on one
// connection; on PostgreSQL the snapshot is read on the pool itself.
func openGenerations(db *sql.DB, dialectName, dsn string) (*generations, error) {
	if dialectName != "sqlite" {
		return newGenerations(db, false), nil
	}
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite for the data generation: %w", err)
	}
	probe.SetMaxOpenConns(1)
	probe.SetMaxIdleConns(1)
	return newGenerations(probe, true), nil
}

// bump records a change committed by this process.
func (g *generations) bump() {
	if g != nil {
		g.n.Add(1)
	}
}

// close releases the probing connection (SQLite).
func (g *generations) close() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conn != nil {
		_ = g.conn.Close()
		g.conn = nil
	}
	if g.sqlite {
		_ = g.probeDB.Close()
	}
}

// errNoGeneration: the Store cannot say (a transaction's view, or a Store
// built without one).
var errNoGeneration = errors.New("storage: generation: not available here")

// Generation is the data generation (see GenerationBound): it differs from
// an earlier answer whenever a change may have been committed between the
// two calls, by this process at once, by any other within GenerationBound.
// A value computed from the database after reading generation g is current
// for as long as Generation still answers g. Inside Tx it is an error: a
// transaction sees its own uncommitted changes.
func (s *Store) Generation(ctx context.Context) (uint64, error) {
	g := s.gens
	if g == nil || s.inTx {
		return 0, errNoGeneration
	}
	if p := g.polled.Load(); p >= 0 && g.since()-p < int64(GenerationBound) {
		return g.n.Load(), nil
	}
	return g.poll(ctx)
}

func (g *generations) since() int64 { return int64(time.Since(g.start)) }

// poll asks the database whether anything committed since the last poll.
// Callers that find the last poll too old wait for one poll between them.
func (g *generations) poll(ctx context.Context) (uint64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	began := g.since()
	if p := g.polled.Load(); p >= 0 && began-p < int64(GenerationBound) {
		return g.n.Load(), nil // polled by another caller meanwhile
	}
	seen, err := g.probe(ctx)
	if err != nil {
		return 0, fmt.Errorf("storage: generation: %w", err)
	}
	if seen != g.last {
		g.n.Add(1)
		g.last = seen
	}
	g.polled.Store(began)
	return g.n.Load(), nil
}

// probe reads the database's own change marker.
func (g *generations) probe(ctx context.Context) (string, error) {
	if !g.sqlite {
		var snap string
		err := g.probeDB.QueryRowContext(ctx, `SELECT pg_current_snapshot()::text`).Scan(&snap)
		return snap, err
	}
	if g.conn == nil {
		c, err := g.probeDB.Conn(ctx)
		if err != nil {
			return "", err
		}
		g.conn, g.last = c, "" // a new connection counts afresh
	}
	var v int64
	if err := g.conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		_ = g.conn.Close()
		g.conn = nil
		return "", err
	}
	return strconv.FormatInt(v, 10), nil
}

// bumpingQueryer runs queries on the pool and bumps the generation after
// each ExecContext: outside a transaction an Exec has committed when it
// returns.
//
// A write run with QueryContext or QueryRowContext (an upsert that
// returns a row) commits only when its rows are read, after this wrapper
// has returned, so the bump cannot come after it; it comes before instead.
// The next request sees the change; a read that raced with the write and
// remembered the old value at the new generation is corrected by the next
// poll, within GenerationBound, since the commit moves the database's own
// marker too. (The Store method could bump after its Scan for an exact
// answer.)
type bumpingQueryer struct {
	queryer
	g *generations
}

func (q bumpingQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := q.queryer.ExecContext(ctx, query, args...)
	q.g.bump()
	return res, err
}

func (q bumpingQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if writes(query) {
		q.g.bump()
	}
	return q.queryer.QueryContext(ctx, query, args...)
}

func (q bumpingQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if writes(query) {
		q.g.bump()
	}
	return q.queryer.QueryRowContext(ctx, query, args...)
}

// writes says whether a query may write: anything but a plain SELECT.
func writes(query string) bool {
	query = strings.TrimLeft(query, " \t\r\n(")
	return len(query) < 6 || !strings.EqualFold(query[:6], "SELECT")
}
