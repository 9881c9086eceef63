package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrBackupUnsupported is returned by Backup on PostgreSQL, which has its own
// tools (pg_dump).
var ErrBackupUnsupported = errors.New("backup of PostgreSQL is done with pg_dump")

// Backup writes a consistent copy of a SQLite database to path while the node
// keeps running (VACUUM INTO reads one snapshot; writers are not blocked).
// path must not exist yet.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect.name != "sqlite" {
		return ErrBackupUnsupported
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("storage: backup: %s already exists", path)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("storage: backup to %s: %w", path, err)
	}
	return nil
}
