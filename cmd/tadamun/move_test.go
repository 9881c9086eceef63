package main

import (
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// followingOf counts n's follows (any of its actors) of the remote actor
// remoteIRI in the given state and, when relay is not "", relay policy.
func followingOf(t *testing.T, n *node, remoteIRI, state, relay string) int {
	t.Helper()
	return n.count(t, `SELECT COUNT(*) FROM following f JOIN remote_actors r ON r.id = f.remote_actor_id
		WHERE r.iri = $1 AND f.state = $2 AND ($3 = '' OR f.relay_policy = $3)`, remoteIRI, state, relay)
}

// followersOf counts the accepted followers of n's actor username that are
// the remote actor followerIRI.
func followersOf(t *testing.T, n *node, username, followerIRI string) int {
	t.Helper()
	return n.count(t, `SELECT COUNT(*) FROM followers f JOIN actors a ON a.id = f.actor_id
		JOIN remote_actors r ON r.id = f.remote_actor_id WHERE a.username = $1 AND r.iri = $2 AND f.state = 'accepted'`,
		username, followerIRI)
}

// TestMove runs four real nodes. (a) A follows partner B with "relay
// everything"; B's new account B′ on node C names B as an alias; B moves
// (tadamun actor move, refused until the alias exists): A now follows B′,
// accepted, still relaying everything, and no longer follows B. (b) A's own
// actor moves to A′ on C: node F, which followed A, now follows A′, and C
// lists F's actor among A′'s followers; A's actor document says movedTo.
func TestMove(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := func() string {
				if b.Name == "sqlite" {
					return storagetest.SQLiteURL(t)
				}
				return storagetest.PostgresURL(t)
			}
			a := startNode(t, "127.0.0.11", db(), "icssi")
			bn := startNode(t, "127.0.0.12", db(), "partner")
			c := startNode(t, "127.0.0.13", db(), "partner2")
			c.run(t, "actor", "create", "icssi2", "--name", "ICSSI")
			f := startNode(t, "127.0.0.14", db(), "friend")
			actor := func(n *node, username string) string { return "http://" + n.domain + "/users/" + username }
			oldB, newB := actor(bn, "partner"), actor(c, "partner2")
			oldA, newA := actor(a, "icssi"), actor(c, "icssi2")

			a.run(t, "partner", "add", "icssi", "@partner@"+bn.domain, "--relay", "all")
			f.run(t, "follow", "friend", "@icssi@"+a.domain)
			eventually(t, "A follows B and F follows A", func() bool {
				return followingOf(t, a, oldB, "accepted", "all") == 1 && followingOf(t, f, oldA, "accepted", "") == 1 &&
					followersOf(t, a, "icssi", actor(f, "friend")) == 1
			}, a, bn, f)

			// (a) A partner moves.
			r := tadamun(t, bn.dir, bn.env, "actor", "move", "partner", "@partner2@"+c.domain)
			if r.code != 1 || !strings.Contains(r.stderr, "tadamun actor alias") {
				t.Fatalf("a move before the alias exists: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			c.run(t, "actor", "alias", "partner2", "@partner@"+bn.domain)
			if out := c.run(t, "actor", "alias", "partner2").stdout; !strings.Contains(out, oldB) {
				t.Fatalf("actor alias shows:\n%s", out)
			}
			bn.run(t, "actor", "move", "partner", "@partner2@"+c.domain)
			eventually(t, "A follows B′ instead of B, relaying everything", func() bool {
				return followingOf(t, a, newB, "accepted", "all") == 1 && a.count(t,
					`SELECT COUNT(*) FROM following f JOIN remote_actors r ON r.id = f.remote_actor_id WHERE r.iri = $1`, oldB) == 0 &&
					followersOf(t, c, "partner2", oldA) == 1
			}, a, bn, c)
			eventually(t, "B learns that A left", func() bool {
				return bn.count(t, `SELECT COUNT(*) FROM followers`) == 0
			}, a, bn)

			if out := c.run(t, "actor", "alias", "partner2", "--clear").stdout; !strings.Contains(out, "no aliases") {
				t.Fatalf("actor alias --clear printed:\n%s", out)
			}

			// (b) A's own actor moves to A′ on C.
			c.run(t, "actor", "alias", "icssi2", "@icssi@"+a.domain)
			out := a.run(t, "actor", "move", "icssi", "@icssi2@"+c.domain).stdout
			if !strings.Contains(out, newA) {
				t.Fatalf("actor move printed:\n%s", out)
			}
			eventually(t, "F follows A′ instead of A, and C lists F's actor as A′'s follower", func() bool {
				return followingOf(t, f, newA, "accepted", "") == 1 && followingOf(t, f, oldA, "accepted", "") == 0 &&
					followersOf(t, c, "icssi2", actor(f, "friend")) == 1
			}, a, c, f)
			if _, doc := getAS(t, oldA); doc["movedTo"] != newA {
				t.Fatalf("A's actor document: movedTo %v", doc["movedTo"])
			}
			// Moving again changes nothing: still one Update with movedTo.
			a.run(t, "actor", "move", "icssi", "@icssi2@"+c.domain)
			if n := a.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Update' AND body LIKE '%movedTo%'`); n != 1 {
				t.Fatalf("%d Updates with movedTo after moving twice", n)
			}
		})
	}
}
