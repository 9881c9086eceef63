package main

import (
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestDomainMode: `tadamun domain mode allowlist` shuts out every server
// not given `domain allow` (even its signed fetches get 403), an allowed one federates,
// and the mode is shown and checked like any other input.
func TestDomainMode(t *testing.T) {
	a := startNode(t, "127.0.0.31", storagetest.SQLiteURL(t), "icssi")
	b := startNode(t, "127.0.0.32", storagetest.SQLiteURL(t), "partner")

	if out := a.run(t, "domain", "mode").stdout; !strings.HasPrefix(out, "open") {
		t.Fatalf("default mode: %q", out)
	}
	if r := tadamun(t, a.dir, a.env, "domain", "mode", "closed"); r.code != 2 {
		t.Fatalf("an unknown mode: exit %d %q", r.code, r.stderr)
	}
	if out := a.run(t, "domain", "mode", "allowlist").stdout; !strings.HasPrefix(out, "allowlist") {
		t.Fatalf("domain mode allowlist printed %q", out)
	}
	// Not on the list: even reading the actor (a signed fetch) is refused,
	// before the node fetches the reader's key.
	if r := tadamun(t, b.dir, b.env, "follow", "partner", "@icssi@"+a.domain); r.code != 1 || !strings.Contains(r.stderr, "403") {
		t.Fatalf("following a node that does not list us: exit %d %q, want a 403", r.code, r.stderr)
	}
	if n := a.count(t, `SELECT COUNT(*) FROM remote_actors`); n != 0 {
		t.Fatalf("the node fetched and stored %d remote actors for a refused server", n)
	}

	a.run(t, "domain", "allow", "127.0.0.32")
	b.run(t, "follow", "partner", "@icssi@"+a.domain)
	eventually(t, "an allowed server's follow is accepted", func() bool {
		return b.count(t, `SELECT COUNT(*) FROM following WHERE state = 'accepted'`) == 1
	}, a, b)
}
