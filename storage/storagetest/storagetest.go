// Package storagetest gives tests real databases: a fresh SQLite file, and a
// fresh database on a real PostgreSQL server, dropped when the test ends.
//
// The PostgreSQL server is named by TADAMUN_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). When it cannot
// be reached the PostgreSQL cases are skipped, except when CI is set, where
// they fail: CI must prove both dialects.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tadamun/tadamun/storage"
)

// DefaultPostgres is the server used when TADAMUN_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Backend is one database a test can run against.
type Backend struct {
	Name string // "sqlite" or "postgres"
	URL  string // a TADAMUN_DATABASE value
}

// Backends returns a fresh SQLite file and a fresh PostgreSQL database (or
// only SQLite, with a logged skip, when PostgreSQL is unavailable outside CI).
func Backends(t testing.TB) []Backend {
	t.Helper()
	out := []Backend{{Name: "sqlite", URL: SQLiteURL(t)}}
	if u, ok := postgresURL(t); ok {
		out = append(out, Backend{Name: "postgres", URL: u})
	}
	return out
}

// SQLiteURL returns the URL of a new SQLite file in a temporary directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "tadamun.db")
}

// PostgresURL returns the URL of a new, empty PostgreSQL database, dropped at
// the end of the test. It skips the test when PostgreSQL is unavailable
// (fails under CI).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u, ok := postgresURL(t)
	if !ok {
		t.SkipNow()
	}
	return u
}

func postgresURL(t testing.TB) (string, bool) {
	t.Helper()
	base := os.Getenv("TADAMUN_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgres
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatalf("TADAMUN_TEST_POSTGRES: %v", err)
	}
	admin := stdlib.OpenDB(*cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at %s is required under CI: %v", cfg.Host, err)
		}
		t.Logf("PostgreSQL unavailable (%v): skipping the postgres cases", err)
		return "", false
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "tadamun_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TADAMUN_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String(), true
}

// Open opens and migrates the database at url, closing it when the test ends.
func Open(t testing.TB, dbURL string) *storage.Store {
	t.Helper()
	return open(t, storage.Config{URL: dbURL})
}

// OpenClock is Open with the store's clock (storage.Config.Clock) set to c,
// so that a test moves the store's time with c.Advance instead of editing
// timestamps in the database behind the store's back.
func OpenClock(t testing.TB, dbURL string, c *Clock) *storage.Store {
	t.Helper()
	return open(t, storage.Config{URL: dbURL, Clock: c.Now})
}

func open(t testing.TB, cfg storage.Config) *storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// Exec runs a statement directly on the database at url, for tests that
// check what is stored without going through the store.
func Exec(t testing.TB, dbURL, query string, args ...any) {
	t.Helper()
	db := rawDB(t, dbURL)
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

// Count runs a SELECT COUNT(*) (or any single-integer query) on the database at url.
func Count(t testing.TB, dbURL, query string, args ...any) int {
	t.Helper()
	db := rawDB(t, dbURL)
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func rawDB(t testing.TB, dbURL string) *sql.DB {
	t.Helper()
	st, err := storage.Open(context.Background(), storage.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.DB()
}

// Clock is a clock a test moves by hand: pass its Now as the clock of the
// store, the delivery worker and the federation service, and Advance it to
// let time pass for all of them at once. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock that reads start until it is moved.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
