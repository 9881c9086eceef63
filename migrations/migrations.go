// Package migrations holds the numbered, forward-only SQL schema changes for each
// database dialect, embedded into the binary.
//
// Files live in one folder per dialect (postgres/, sqlite/) and are named
// NNNN_description.sql. Versions start at 1, have no gaps, and a published file
// is never edited: a change to the schema is a new file in both folders. The
// storage package applies them, each in its own transaction.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Migration is one schema change for one dialect.
type Migration struct {
	Version int    // 1, 2, 3, ... with no gaps
	Name    string // the file name, e.g. "0001_init.sql"
	SQL     string // the statements, run in one transaction
}

// Dialects are the folder names of the supported databases.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// For returns the migrations of a dialect in version order. It fails if the
// embedded files are misnamed or have a gap, so a bad file is caught by the
// first test run rather than in production.
func For(dialect string) ([]Migration, error) {
	if dialect != Postgres && dialect != SQLite {
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: read %s: %w", dialect, err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migrations: %s/%s: name must be NNNN_description.sql", dialect, name)
		}
		b, err := files.ReadFile(path.Join(dialect, name))
		if err != nil {
			return nil, fmt.Errorf("migrations: read %s/%s: %w", dialect, name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations: %s: expected version %d, found %s", dialect, i+1, m.Name)
		}
	}
	return out, nil
}
