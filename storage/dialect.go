package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds the few things PostgreSQL and SQLite do differently.
type dialect struct {
	name string
	// lockMigrations serialises migrations across processes and returns the
	// function that releases the lock.
	lockMigrations func(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// skipLocked is appended to a SELECT that claims queued rows: on
	// PostgreSQL several processes claim concurrently without waiting on each
	// other; SQLite has one writer at a time, so nothing is needed.
	skipLocked string
	// isUnique reports whether err is a uniqueness violation.
	isUnique func(err error) bool
}

// migrationLockKey is an arbitrary constant shared by every Tadamun process
// ("tadamun" in ASCII) so that only one of them migrates at a time.
const migrationLockKey = 0x74_61_64_61_6d_75_6e

var dialects = map[string]dialect{
	"postgres": {
		name: "postgres",
		lockMigrations: func(ctx context.Context, conn *sql.Conn) (func(), error) {
			// A session-level advisory lock: a second process starting at the
			// same moment waits here, then finds the migrations applied.
			if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
				return nil, err
			}
			return func() {
				_, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLockKey)
			}, nil
		},
		skipLocked: " FOR UPDATE SKIP LOCKED",
		isUnique: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == "23505"
		},
	},
	"sqlite": {
		name: "sqlite",
		lockMigrations: func(ctx context.Context, conn *sql.Conn) (func(), error) {
			// Each migration runs in a BEGIN IMMEDIATE transaction, which takes
			// the database's single write lock; the version check inside that
			// transaction is what keeps two processes from applying one twice.
			return func() {}, nil
		},
		isUnique: func(err error) bool {
			var se *sqlite.Error
			if !errors.As(err, &se) {
				return false
			}
			return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
		},
	},
}

// classify wraps uniqueness violations as ErrConflict and leaves other errors alone.
func (d dialect) classify(err error) error {
	if err != nil && d.isUnique(err) {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}
