package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Config says which database to use.
type Config struct {
	// URL is "postgres://..." (or "postgresql://...") for PostgreSQL, or
	// "sqlite:PATH" for a SQLite file. Empty means SQLite at DataDir/tadamun.db.
	URL string
	// DataDir holds the default SQLite file. Empty means the working directory.
	DataDir string
	// MaxOpenConns caps the connection pool; 0 picks a default per dialect.
	MaxOpenConns int
	// Clock is the time every stored timestamp is taken from; nil means
	// time.Now. The binary passes one clock to the store and to every
	// package that compares with stored times; tests move it.
	Clock func() time.Time
}

// Store reads and writes Tadamun's state. Its methods are safe for concurrent
// use. A Store handed to the function of Store.Tx runs every method inside
// that one transaction.
type Store struct {
	db      *sql.DB
	q       queryer // db, or the open *sql.Tx
	dialect dialect
	inTx    bool
	clock   func() time.Time
	prep    *statements  // counts queries; on SQLite keeps them prepared
	memo    *memo        // answers computed from the whole table, kept while the data has not changed
	saves   *saveGroup   // inbound activities waiting to be written in one commit (inbox_save.go)
	gate    *gateCache   // InboxGate's recent answers (inbox_gate.go)
	gens    *generations // the data generation, bumped after each write commits (generations.go)
	// settingsWrites counts this process's changes of the node settings
	// (SettingsWrites).
	settingsWrites *atomic.Uint64
}

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ParseURL checks a database setting without connecting and returns the
// dialect and the driver's data source name. An empty URL means the default
// SQLite file in dataDir.
func ParseURL(raw, dataDir string) (dialectName, dsn string, err error) {
	switch {
	case raw == "":
		return "sqlite", sqliteDSN(filepath.Join(dataDir, "tadamun.db")), nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := pgx.ParseConfig(raw); err != nil {
			return "", "", fmt.Errorf("not a valid PostgreSQL URL: %s", cleanPgError(err))
		}
		return "postgres", raw, nil
	case strings.HasPrefix(raw, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if p == "" {
			return "", "", errors.New("sqlite: URL needs a file path, e.g. sqlite:/var/lib/tadamun/tadamun.db")
		}
		return "sqlite", sqliteDSN(p), nil
	default:
		scheme, _, _ := strings.Cut(raw, ":")
		if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
			scheme = u.Scheme
		}
		return "", "", fmt.Errorf("unsupported database %q: use postgres://USER@HOST/DB or sqlite:PATH", scheme)
	}
}

// cleanPgError drops pgx's echo of the URL, which may hold a password.
func cleanPgError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "cannot parse") {
		return msg[i+2:]
	}
	return msg
}

// sqliteDSN sets what every connection needs: WAL so readers never block the
// writer; foreign keys; a busy timeout so concurrent writers wait rather than
// fail; synchronous=FULL so an acknowledged write survives power loss, not
// just a crash; BEGIN IMMEDIATE so a transaction takes the write lock up front
// (no deadlock upgrading a read lock); temporary storage in memory, so that
// the statement journal of a multi-row write inside a transaction (the
// inbox's group commit, a fan-out, a claim) is kept in memory instead of
// being written page by page to a temporary file (measured on the inbox:
// about 10 µs less CPU per activity; this keeps temporary tables, indexes
// and sorts in memory too, so a future maintenance step that sorts a whole
// large table, such as CREATE INDEX on activities, needs that index's size
// in memory); and times as integer microseconds.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sqliteSynchronous+")")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	q.Set("_time_integer_format", "unix_micro")
	q.Set("_inttotime", "1")
	return "file:" + path + "?" + q.Encode()
}

// Open connects to the configured database and checks that it answers. It
// does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	name, dsn, err := ParseURL(cfg.URL, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	var db *sql.DB
	var sqlitePath string // the SQLite file, "" if none
	switch name {
	case "postgres":
		pc, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("storage: %s", cleanPgError(err))
		}
		db = stdlib.OpenDB(*pc)
		n := cfg.MaxOpenConns
		if n == 0 {
			n = 16
		}
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		db.SetConnMaxIdleTime(5 * time.Minute)
	case "sqlite":
		if cfg.URL == "" && cfg.DataDir != "" {
			if err := privateDataDir(cfg.DataDir); err != nil {
				return nil, fmt.Errorf("storage: create data directory: %w", err)
			}
		}
		if sqlitePath = sqliteFile(cfg.URL, cfg.DataDir); sqlitePath != "" {
			if err := prepareSQLiteFile(sqlitePath); err != nil {
				return nil, fmt.Errorf("storage: %w", err)
			}
		}
		db, err = sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("storage: open sqlite: %w", err)
		}
		n := cfg.MaxOpenConns
		if n == 0 {
			n = 8
		}
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	prep := newStatements(db, name == "sqlite")
	gens, err := openGenerations(db, name, dsn)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: %w", err)
	}
	s := &Store{db: db, q: bumpingQueryer{poolQueryer{prep}, gens}, dialect: dialects[name], clock: clock, prep: prep,
		memo: &memo{}, saves: &saveGroup{}, gens: gens, gate: newGateCache(), settingsWrites: new(atomic.Uint64)}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		err := db.PingContext(pctx)
		if err == nil && sqlitePath != "" {
			// Opening created the -wal and -shm files; an older version may
			// have left them readable to others.
			err = tightenSQLiteFiles(sqlitePath)
		}
		if err == nil {
			return s, nil
		}
		// Switching a new SQLite file to WAL takes an exclusive lock that the
		// busy timeout does not wait for; processes opening the same new
		// file at once see SQLITE_BUSY and simply try again.
		if name == "sqlite" && strings.Contains(err.Error(), "SQLITE_BUSY") && pctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		gens.close()
		db.Close()
		return nil, fmt.Errorf("storage: connect to %s: %w", name, err)
	}
}

// Dialect names the database in use: "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect.name }

// Close releases the connections.
func (s *Store) Close() error {
	s.prep.close()
	s.gens.close()
	return s.db.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	return nil
}

// Tx runs fn in one transaction: it commits if fn returns nil and rolls back
// otherwise (also on panic). Inside fn, use the Store it is given. A Tx inside
// a Tx joins the outer transaction.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) (err error) {
	if s.inTx {
		return fn(s)
	}
	return s.tx(ctx, false, fn)
}

// TxRelaxed is Tx for the delivery queue's own bookkeeping, whose commit
// does not wait for the disk: SQLite commits it without flushing its log
// (synchronous=NORMAL for that transaction), PostgreSQL with
// synchronous_commit off. A crash of this process loses nothing. A power
// cut, or a crash of the PostgreSQL server, may lose the last few of these
// commits, but never a part of one, nor one without those before it (the
// log is replayed in order), and the next durable write (a Tx that
// writes) makes them all durable with its own flush. Use it only for
// writes whose loss costs nothing but work done again: a lease (the rows
// are claimed again), a delivery's outcome (the activity is posted again,
// and inboxes drop an activity they have already seen), the rest of a
// fan-out (finished again from its record). Never for what is
// acknowledged to anyone: an accepted activity, a publish, an editor's
// change. Inside a Tx it joins that transaction.
//
// A fan-out commits a lease or an outcome every few posts; a flush costs
// a millisecond or more of a core's time on a common disk, which is what
// this saves (BenchmarkFanOutRatio).
func (s *Store) TxRelaxed(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	return s.tx(ctx, true, fn)
}

// tx runs fn in a new transaction; relaxed is TxRelaxed's.
func (s *Store) tx(ctx context.Context, relaxed bool, fn func(tx *Store) error) (err error) {
	var t *sql.Tx
	switch {
	case relaxed && s.dialect.name == "sqlite":
		// The synchronous setting belongs to the connection and cannot
		// change inside a transaction: this one connection gets it for
		// this transaction and is set back before it returns to the pool.
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("storage: begin: %w", err)
		}
		defer restoreSynchronous(conn) // after the rollback below
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
			return fmt.Errorf("storage: begin: %w", err)
		}
		if t, err = conn.BeginTx(ctx, nil); err != nil {
			return fmt.Errorf("storage: begin: %w", err)
		}
	default:
		if t, err = s.db.BeginTx(ctx, nil); err != nil {
			return fmt.Errorf("storage: begin: %w", err)
		}
		if relaxed {
			// PostgreSQL: for this transaction only.
			if _, err := t.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				_ = t.Rollback()
				return fmt.Errorf("storage: begin: %w", err)
			}
		}
	}
	// Rolled back however fn leaves other than by returning nil: an error,
	// a panic (which goes on up), or runtime.Goexit (t.Fatal in a test),
	// which would otherwise leave the transaction, and on SQLite the write
	// lock, held for good.
	returned := false
	defer func() {
		if !returned || err != nil {
			_ = t.Rollback()
		}
	}()
	err = fn(&Store{db: s.db, q: txQueryer{s.prep, t}, dialect: s.dialect, inTx: true, clock: s.clock,
		prep: s.prep, memo: s.memo, saves: s.saves, gens: s.gens, gate: s.gate, settingsWrites: s.settingsWrites})
	returned = true
	if err != nil {
		return err
	}
	err = t.Commit()
	s.gens.bump() // after the commit (a failed one may still have landed)
	if err != nil {
		return fmt.Errorf("storage: commit: %w", s.dialect.classify(err))
	}
	return nil
}

// sqliteSynchronous is the synchronous level of every SQLite connection
// (sqliteDSN), and restoreSynchronousSQL sets a connection back to it.
const sqliteSynchronous = "FULL"

// restoreSynchronousSQL is a variable only so that a test can make the
// restore fail.
var restoreSynchronousSQL = "PRAGMA synchronous = " + sqliteSynchronous

// restoreSynchronous sets a connection used by TxRelaxed back to flushing
// every commit and hands it back to the pool; a connection that cannot be
// set back (its transaction still open after a cancelled context, say) is
// closed instead, so that no later transaction commits unflushed unawares.
func restoreSynchronous(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, restoreSynchronousSQL); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = conn.Close()
}

// now is the store's clock (Config.Clock): UTC, microsecond precision like both databases.
func (s *Store) now() time.Time { return utc(s.clock()) }

// utc normalises a time for storage.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTime turns a nullable column into a *time.Time.
func nullTime(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.UTC()
	return &t
}

// timeArg turns a *time.Time into a nullable parameter.
func timeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return utc(*t)
}

// DB exposes the connection pool for tests and tools that must look beneath
// the store (backups, the test helpers). Application code uses Store methods.
func (s *Store) DB() *sql.DB { return s.db }

// queryStrings runs a query of one text column and returns its values; what
// names the query in errors.
func (s *Store) queryStrings(ctx context.Context, what, query string, args ...any) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
