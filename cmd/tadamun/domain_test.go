package main

import (
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestDomainCommands: "tadamun domain" blocks, silences, allows, lists and
// unblocks domains, and the policies act: a blocked server's signed POSTs
// get 403, a silenced server's follow waits for approval, and blocking a
// domain ends its accounts' follows.
func TestDomainCommands(t *testing.T) {
	a := startNode(t, "127.0.0.7", storagetest.SQLiteURL(t), "icssi")
	b := startNode(t, "127.0.0.8", storagetest.SQLiteURL(t), "partner")
	const bHost = "127.0.0.8"

	for _, bad := range [][]string{{"block", "https://x.example/"}, {"block", "x.example:443"}, {"silence", "@u@x.example"},
		{"allow", "not a domain"}, {"block"}, {"block", "-x.example"}, {"block", "x..example"}} {
		r := tadamun(t, a.dir, a.env, append([]string{"domain"}, bad...)...)
		if r.code != 2 || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("domain %v: exit %d, stderr %q; want 2 and one line", bad, r.code, r.stderr)
		}
	}
	if out := a.run(t, "domain", "list").stdout; strings.Count(out, "\n") != 1 {
		t.Fatalf("policies stored by bad input:\n%s", out)
	}

	a.run(t, "domain", "block", "127.0.0.8.", "--reason", "spam waves")
	if out := a.run(t, "domain", "list").stdout; !strings.Contains(out, bHost+" ") || !strings.Contains(out, "block") || !strings.Contains(out, "spam waves") {
		t.Fatalf("domain list after block:\n%s", out)
	}
	b.run(t, "follow", "partner", "@icssi@"+a.domain)
	eventually(t, "the blocked server's Follow is refused with 403", func() bool {
		return b.count(t, `SELECT COUNT(*) FROM deliveries WHERE state = 'failed' AND last_status = 403`) == 1
	}, a, b)
	if n := a.count(t, `SELECT COUNT(*) FROM followers`); n != 0 {
		t.Fatalf("a blocked server became a follower (%d)", n)
	}

	a.run(t, "domain", "unblock", bHost)
	if out := a.run(t, "domain", "list").stdout; strings.Contains(out, bHost) {
		t.Fatalf("domain list after unblock:\n%s", out)
	}
	if r := tadamun(t, a.dir, a.env, "domain", "unblock", bHost); r.code != 1 || !strings.Contains(r.stderr, "no policy") {
		t.Fatalf("unblocking twice: exit %d %q", r.code, r.stderr)
	}

	// Silenced: the actor approves followers automatically, but not from there.
	a.run(t, "domain", "silence", bHost)
	b.run(t, "follow", "partner", "@icssi@"+a.domain)
	eventually(t, "the silenced server's follow waits for approval", func() bool {
		return a.count(t, `SELECT COUNT(*) FROM followers WHERE state = 'pending'`) == 1
	}, a, b)
	if n := a.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Accept'`); n != 0 {
		t.Fatalf("a silenced server's follow was accepted (%d Accepts)", n)
	}
	a.run(t, "followers", "approve", "icssi", "@partner@"+b.domain)
	eventually(t, "the approved follow is active on both sides", func() bool {
		return b.count(t, `SELECT COUNT(*) FROM following WHERE state = 'accepted'`) == 1
	}, a, b)

	a.run(t, "domain", "allow", "friends.example")
	out := a.run(t, "domain", "list").stdout
	if !strings.Contains(out, "friends.example") || !strings.Contains(out, "allow") || !strings.Contains(out, "silence") {
		t.Fatalf("domain list:\n%s", out)
	}
	// Blocking the domain now ends its accounts' follows.
	if out := a.run(t, "domain", "block", bHost).stdout; !strings.Contains(out, "1 follower") {
		t.Errorf("block printed %q, want the followers it removed", out)
	}
	if n := a.count(t, `SELECT COUNT(*) FROM followers`); n != 0 {
		t.Fatalf("%d followers left on a blocked domain", n)
	}
}
