package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tadamun/tadamun/migrations"
)

// MigrationStatus says how far the database's schema is from the binary's.
type MigrationStatus struct {
	Applied int // highest version applied to the database
	Latest  int // highest version this binary knows
}

// Current reports whether every known migration has been applied.
func (m MigrationStatus) Current() bool { return m.Applied == m.Latest }

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TIMESTAMP NOT NULL
)`

// Migrate applies every pending migration, each in its own transaction, and
// returns the names of those it applied (none when the schema is current).
// Two processes may call it at once on one database: one applies, the other
// waits and then finds nothing left to do.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	all, err := migrations.For(s.dialect.name)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("storage: migrate: %w", err)
	}
	defer conn.Close()
	unlock, err := s.dialect.lockMigrations(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("storage: migrate: take lock: %w", err)
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx, createVersionTable); err != nil {
		// Two PostgreSQL processes can race on CREATE TABLE IF NOT EXISTS only
		// before the lock; under it this cannot conflict.
		return nil, fmt.Errorf("storage: migrate: create schema_migrations: %w", err)
	}
	var applied []string
	for _, m := range all {
		did, err := applyOne(ctx, conn, m)
		if err != nil {
			return applied, fmt.Errorf("storage: migrate %s: %w", m.Name, err)
		}
		if did {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// applyOne applies m unless it is already recorded, in one transaction that
// also records it.
func applyOne(ctx context.Context, conn *sql.Conn, m migrations.Migration) (did bool, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var n int
	if err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, tx.Rollback()
	}
	if _, err = tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, utc(time.Now())); err != nil {
		return false, err
	}
	if err = tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}

// MigrationStatus compares the database's schema version with the binary's.
// A database never migrated reports Applied 0.
func (s *Store) MigrationStatus(ctx context.Context) (MigrationStatus, error) {
	all, err := migrations.For(s.dialect.name)
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("storage: %w", err)
	}
	st := MigrationStatus{Latest: len(all)}
	var v sql.NullInt64
	err = s.q.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	if err != nil {
		if s.tableMissing(ctx, "schema_migrations") {
			return st, nil
		}
		return st, fmt.Errorf("storage: migration status: %w", err)
	}
	st.Applied = int(v.Int64)
	return st, nil
}

// tableMissing reports whether the named table does not exist.
func (s *Store) tableMissing(ctx context.Context, table string) bool {
	var q string
	if s.dialect.name == "postgres" {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	} else {
		q = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	}
	var n int
	if err := s.q.QueryRowContext(ctx, q, table).Scan(&n); err != nil {
		return false
	}
	return n == 0
}
