package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestBackfillOnFollow is issue 9's backfill acceptance test, on real
// processes: a partner node with 30 earlier posts; node A, which a third
// node follows, follows it relaying everything. Within seconds of the
// follow A holds the partner's first outbox page (its 20 latest posts) as
// backfilled posts, and the third node receives no Announce of them; a
// post the partner makes afterwards is relayed, so the silence is not the
// relay being asleep.
func TestBackfillOnFollow(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := storagetest.SQLiteURL
			if b.Name != "sqlite" {
				url = storagetest.PostgresURL
			}
			p := startNode(t, "127.0.0.61", url(t), "partner")
			a := startNode(t, "127.0.0.62", url(t), "icssi")
			r := startNode(t, "127.0.0.63", url(t), "reader")
			all := []*node{p, a, r}

			postFile := func(i int) string {
				f := filepath.Join(p.dir, fmt.Sprintf("post-%02d.md", i))
				src := fmt.Sprintf("---\ntitle: Earlier post %02d\nlanguage: ar\ntags: [تضامن]\n---\nنص المنشور رقم %d.\n", i, i)
				if err := os.WriteFile(f, []byte(src), 0o600); err != nil {
					t.Fatal(err)
				}
				return f
			}
			for i := range 30 {
				p.run(t, "publish", "--actor", "partner", postFile(i))
			}

			r.run(t, "follow", "reader", "@icssi@"+a.domain)
			eventually(t, "the reader's follow is accepted", func() bool {
				return r.count(t, `SELECT COUNT(*) FROM following WHERE state = 'accepted'`) == 1
			}, all...)

			partnerIRI := "http://" + p.domain + "/users/partner"
			start := time.Now()
			a.run(t, "follow", "--relay", "icssi", "@partner@"+p.domain)
			backfilled := func() int {
				return a.count(t, `SELECT COUNT(*) FROM remote_objects o JOIN remote_actors ra ON ra.id = o.remote_actor_id
					WHERE ra.iri = $1 AND o.backfilled AND o.is_public AND o.deleted_at IS NULL`, partnerIRI)
			}
			eventually(t, "A holds the partner's first page", func() bool { return backfilled() >= 20 }, all...)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("the backfill took %v", d)
			}
			if n := backfilled(); n != 20 {
				t.Errorf("%d posts backfilled, want the first page's 20", n)
			}
			// The 20 latest: posts 10 to 29, with their hashtag.
			for i := range 30 {
				want := 0
				if i >= 10 {
					want = 1
				}
				got := a.count(t, `SELECT COUNT(*) FROM remote_objects WHERE content_html LIKE $1 AND tags LIKE '%تضامن%'`,
					fmt.Sprintf("%%رقم %d.%%", i))
				if got != want {
					t.Errorf("earlier post %d: %d copies on A, want %d", i, got, want)
				}
			}

			// A new post is delivered and relayed; the backfilled ones never are.
			p.run(t, "publish", "--actor", "partner", postFile(30))
			eventually(t, "the new post is relayed to the reader", func() bool {
				return r.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Announce'`) >= 1
			}, all...)
			time.Sleep(500 * time.Millisecond) // anything else on its way arrives too
			if n := r.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Announce'`); n != 1 {
				t.Errorf("the reader received %d Announces, want only the new post's", n)
			}
			if n := a.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Announce'`); n != 1 {
				t.Errorf("A sent %d Announces, want 1", n)
			}
			if n := a.count(t, `SELECT COUNT(*) FROM relays`); n != 1 {
				t.Errorf("A has %d relays, want 1", n)
			}
			if n := a.count(t, `SELECT COUNT(*) FROM remote_objects WHERE content_html LIKE '%رقم 30.%' AND NOT backfilled`); n != 1 {
				t.Errorf("the new post is not stored as delivered (%d)", n)
			}
		})
	}
}
