package storage

import (
	"context"
	"testing"
)

// TestSQLitePragmas checks what every pooled SQLite connection is opened
// with: the durability and concurrency settings the rest of the package
// relies on, and temporary storage in memory, so that the statement
// journal of a multi-row write (the inbox's group commit, a fan-out's
// INSERT, a claim's UPDATE) is not written to a temporary file page by
// page.
func TestSQLitePragmas(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	want := map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"temp_store":   "2", // MEMORY
		"busy_timeout": "10000",
	}
	// Several connections at once, so that the check is not only of the
	// first one the pool opened.
	var conns []interface{ Close() error }
	for i := 0; i < 3; i++ {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for name, v := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", name, err)
			}
			if got != v {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, name, got, v)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
}
