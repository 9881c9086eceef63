package storage

import "context"

// What the TxRelaxed tests (package storage_test) look at inside the store.

// DurabilitySetting is, on the connection this Store's statements run on
// (a transaction's, inside Tx or TxRelaxed), SQLite's synchronous level
// ("2" is FULL, "1" NORMAL) or PostgreSQL's synchronous_commit ("on",
// "off").
func (s *Store) DurabilitySetting(ctx context.Context) (string, error) {
	q := "SHOW synchronous_commit"
	if s.dialect.name == "sqlite" {
		q = "PRAGMA synchronous"
	}
	var v string
	err := s.q.QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

// SetRestoreSynchronousSQL replaces the statement that sets a SQLite
// connection back to flushing after TxRelaxed, and returns a function that
// puts the real one back.
func SetRestoreSynchronousSQL(q string) (undo func()) {
	old := restoreSynchronousSQL
	restoreSynchronousSQL = q
	return func() { restoreSynchronousSQL = old }
}
