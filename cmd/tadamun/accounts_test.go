package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestAccountCommands: "tadamun account block" blocks a known account by
// handle (its follow ends) or an unknown one by URL, "list" shows them,
// "unblock" lifts a block once; bad arguments are usage errors and store
// nothing.
func TestAccountCommands(t *testing.T) {
	dir := t.TempDir()
	url := storagetest.SQLiteURL(t)
	env := cleanEnv("TADAMUN_DATABASE="+url, "TADAMUN_DOMAIN=node.test")
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	st := storagetest.Open(t, url)
	ctx := context.Background()
	r := &storage.RemoteActor{IRI: "https://far.example/users/bad", Host: "far.example", Type: "Person", Username: "bad",
		Inbox: "https://far.example/users/bad/inbox", FetchedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := st.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	icssi, err := st.ActorByUsername(ctx, "icssi")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutFollower(ctx, icssi.ID, r.ID, "https://far.example/f/1", storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"block"}, {"block", "a", "b"}, {"list", "x"}} {
		if res := tadamun(t, dir, env, append([]string{"account"}, bad...)...); res.code != 2 {
			t.Errorf("account %v: exit %d, want 2 (%s)", bad, res.code, res.stderr)
		}
	}
	if res := tadamun(t, dir, env, "account", "block", "@nobody@far.example"); res.code != 1 {
		t.Errorf("blocking an unknown handle: exit %d, want 1 (%s)", res.code, res.stderr)
	}
	if out := tadamun(t, dir, env, "account", "list").must(t).stdout; strings.Count(out, "\n") != 1 {
		t.Fatalf("blocks stored by bad input:\n%s", out)
	}
	tadamun(t, dir, env, "account", "block", "@bad@far.example", "--reason", "spam").must(t)
	tadamun(t, dir, env, "account", "block", "https://never.example/users/x").must(t)
	out := tadamun(t, dir, env, "account", "list").must(t).stdout
	if !strings.Contains(out, r.IRI) || !strings.Contains(out, "spam") || !strings.Contains(out, "https://never.example/users/x") {
		t.Errorf("account list:\n%s", out)
	}
	if n, err := st.CountFollowers(ctx, icssi.ID); err != nil || n != 0 {
		t.Errorf("followers after the block = %d %v", n, err)
	}
	tadamun(t, dir, env, "account", "unblock", "@bad@far.example").must(t)
	if res := tadamun(t, dir, env, "account", "unblock", r.IRI); res.code != 1 || !strings.Contains(res.stderr, "not blocked") {
		t.Errorf("unblocking twice: exit %d %q", res.code, res.stderr)
	}
}
