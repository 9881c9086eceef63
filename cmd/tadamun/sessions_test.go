package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestUserSessions: "user sessions" lists an account's sessions with the
// user agent cleaned of terminal controls, signs one out by id (never
// another account's) and then all.
func TestUserSessions(t *testing.T) {
	dir := t.TempDir()
	url := storagetest.SQLiteURL(t)
	env := cleanEnv("TADAMUN_DATABASE=" + url)
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("a long password here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tadamun(t, dir, env, "user", "create", "amal", "--role", "admin", "--password-file", pw).must(t)
	tadamun(t, dir, env, "user", "create", "bilal", "--role", "editor", "--password-file", pw).must(t)
	st := storagetest.Open(t, url)
	ctx := context.Background()
	amal, err := st.UserByUsername(ctx, "amal")
	if err != nil {
		t.Fatal(err)
	}
	bilal, err := st.UserByUsername(ctx, "bilal")
	if err != nil {
		t.Fatal(err)
	}
	t1, err := st.CreateSession(ctx, amal.ID, "Firefox\x1b]52;c;ZXZpbA==\x07 \u202eevil", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSession(ctx, amal.ID, "Chromium", time.Hour); err != nil {
		t.Fatal(err)
	}
	tb, err := st.CreateSession(ctx, bilal.ID, "Safari", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	out := tadamun(t, dir, env, "user", "sessions", "amal").must(t).stdout
	if !strings.Contains(out, storage.SessionID(t1)) || !strings.Contains(out, "Chromium") || !strings.Contains(out, "Firefox evil") ||
		strings.ContainsAny(out, "\x1b\x07\u202e") || strings.Contains(out, "Safari") {
		t.Fatalf("user sessions:\n%q", out)
	}
	if r := tadamun(t, dir, env, "user", "sessions", "amal", "--revoke", storage.SessionID(tb)); r.code != 1 || !strings.Contains(r.stderr, "has no session") {
		t.Errorf("revoking another account's session: %+v", r)
	}
	if _, err := st.UserBySession(ctx, tb); err != nil {
		t.Errorf("bilal's session ended: %v", err)
	}
	tadamun(t, dir, env, "user", "sessions", "amal", "--revoke", storage.SessionID(t1)).must(t)
	if _, err := st.UserBySession(ctx, t1); err == nil {
		t.Error("revoked session still works")
	}
	if r := tadamun(t, dir, env, "user", "sessions", "amal", "--revoke", "all").must(t); !strings.Contains(r.stdout, "signed out 1 session") {
		t.Errorf("revoke all: %s", r.stdout)
	}
	if r := tadamun(t, dir, env, "user", "sessions", "nobody"); r.code != 1 || !strings.Contains(r.stderr, `no user "nobody"`) {
		t.Errorf("unknown user: %+v", r)
	}
	if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Errorf("sessions left: %d, want bilal's 1", n)
	}
}
