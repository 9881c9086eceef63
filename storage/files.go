package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The SQLite file holds every actor's private key, so it and everything
// beside it (the WAL, the shared-memory index, backups) are readable by the
// owner only. A umask alone is not enough: it does not touch files that
// already exist, and the operator's shell may have a loose one. So the data
// directory is made 0700, the database file is created 0600 before SQLite
// opens it (SQLite gives its -wal and -shm files the mode of the database
// file), and modes left looser by an older version are tightened on open.

// sqliteFile returns the path of the SQLite file a database setting names,
// or "" for an in-memory database.
func sqliteFile(raw, dataDir string) string {
	if raw == "" {
		return filepath.Join(dataDir, "tadamun.db")
	}
	p := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
	if p == "" || strings.HasPrefix(p, ":memory:") || strings.Contains(p, "mode=memory") {
		return ""
	}
	return p
}

// privateDataDir creates the data directory readable by the owner only.
// An existing one is tightened to that only if it already holds our
// database: a directory the operator made for other things too (say /srv)
// is left as it is; the files we put in it are private anyway.
func privateDataDir(dir string) error {
	_, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "tadamun.db")); err != nil {
		return nil
	}
	return os.Chmod(dir, 0o700)
}

// prepareSQLiteFile creates the database file 0600 if it does not exist
// yet, and tightens the mode of it and of its -wal and -shm files if they
// do.
func prepareSQLiteFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return tightenSQLiteFiles(path)
}

// tightenSQLiteFiles sets the database file and its -wal and -shm files, if
// present, to 0600.
func tightenSQLiteFiles(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restrict %s to its owner: %w", p, err)
		}
	}
	return nil
}
