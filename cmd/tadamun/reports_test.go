package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestReportsCommands: `tadamun reports list` shows the reports received
// (remote text cleaned of control characters), `reports resolve` resolves
// one as the admin interface's Reports page does, and an unknown or
// already resolved report is a one-line error.
func TestReportsCommands(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "node.db")
	env := cleanEnv("TADAMUN_DATABASE=" + dbURL)
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)

	ctx := context.Background()
	st := storagetest.Open(t, dbURL)
	r := &storage.RemoteActor{IRI: "https://x.example/users/mod", Host: "x.example", Type: "Person", Username: "mod",
		Inbox: "https://x.example/inbox", FetchedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := st.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	rep := &storage.Report{ActivityIRI: "https://x.example/flags/1", RemoteActorID: r.ID,
		Content: "spam \x1b]52;c;ZXZpbA==\x07wave", ObjectIRIs: []string{"https://node.example/users/icssi"}}
	if err := st.CreateReport(ctx, rep); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out := tadamun(t, dir, env, "reports", "list").must(t).stdout
	if !strings.Contains(out, rep.ID) || !strings.Contains(out, "@mod@x.example") || !strings.Contains(out, "spam") || strings.ContainsRune(out, 0x1b) {
		t.Fatalf("reports list:\n%q", out)
	}
	tadamun(t, dir, env, "reports", "resolve", rep.ID).must(t)
	if out := tadamun(t, dir, env, "reports", "list").must(t).stdout; strings.Contains(out, rep.ID) {
		t.Fatalf("a resolved report is still listed as open:\n%s", out)
	}
	if out := tadamun(t, dir, env, "reports", "list", "--resolved").must(t).stdout; !strings.Contains(out, rep.ID) {
		t.Fatalf("the resolved report is not listed as resolved:\n%s", out)
	}
	if res := tadamun(t, dir, env, "reports", "resolve", rep.ID); res.code != 1 || strings.Count(strings.TrimRight(res.stderr, "\n"), "\n") != 0 {
		t.Fatalf("resolving twice: exit %d %q", res.code, res.stderr)
	}
}
