package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrBackupUnsupported is returned by Backup on PostgreSQL, which has its own
// tools (pg_dump).
var ErrBackupUnsupported = errors.New("backup of PostgreSQL is done with pg_dump")

// Backup writes a consistent copy of a SQLite database to path while the node
// keeps running (VACUUM INTO reads one snapshot; writers are not blocked).
// path must not exist yet. The copy holds the actors' private keys, so it is
// created readable by its owner only.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect.name != "sqlite" {
		return ErrBackupUnsupported
	}
	// VACUUM INTO writes into an empty file that already exists, keeping its
	// mode; creating it here with O_EXCL also refuses an existing file
	// without a window between checking and writing.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("storage: backup: %s already exists", path)
	}
	if err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("storage: backup: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("storage: backup to %s: %w", path, err)
	}
	return nil
}
