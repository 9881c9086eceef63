package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// dbs holds one open database per node of a test, so that polling does
// not open a connection pool per query.
type dbs map[*node]*sql.DB

func (m dbs) of(t *testing.T, n *node) *sql.DB {
	t.Helper()
	if db, ok := m[n]; ok {
		return db
	}
	m[n] = storagetest.Open(t, n.db).DB()
	return m[n]
}

func (m dbs) count(t *testing.T, n *node, query string, args ...any) int {
	t.Helper()
	var c int
	if err := m.of(t, n).QueryRow(query, args...).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// publishPost publishes a statement on n for username and returns its id.
func publishPost(t *testing.T, db dbs, n *node, username, title, tags, body string) string {
	t.Helper()
	p := filepath.Join(n.dir, strings.ReplaceAll(strings.ToLower(title), " ", "-")+".md")
	src := "---\ntitle: " + title + "\nlanguage: en\n"
	if tags != "" {
		src += "tags: [" + tags + "]\n"
	}
	src += "---\n" + body + "\n"
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	n.run(t, "publish", "--actor", username, p)
	var id string
	if err := db.of(t, n).QueryRow(`SELECT id FROM statements WHERE title = $1`, title).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// inboundObjects lists the objects of the activities of a type n received
// from actor, sorted.
func inboundObjects(t *testing.T, db dbs, n *node, typ, actor string) []string {
	t.Helper()
	rows, err := db.of(t, n).Query(`SELECT object_iri FROM activities
		WHERE direction = 'in' AND activity_type = $1 AND actor_iri = $2`, typ, actor)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	sort.Strings(out)
	return out
}

// TestPartnerNetwork is issue 9's acceptance test, on real processes: A
// follows B relaying everything and C relaying #tag; D follows A. B and C
// each publish a tagged and an untagged post. D receives, as Announces
// from A, exactly B's two posts and C's tagged one. B deletes a post and D
// receives A's Undo of that Announce. A's partners page and feeds show the
// four posts, attributed and linked to the originals.
func TestPartnerNetwork(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := storagetest.SQLiteURL
			if b.Name != "sqlite" {
				url = storagetest.PostgresURL
			}
			a := startNode(t, "127.0.0.31", url(t), "icssi")
			bn := startNode(t, "127.0.0.32", url(t), "partner")
			c := startNode(t, "127.0.0.33", url(t), "tagged")
			d := startNode(t, "127.0.0.34", url(t), "reader")
			all := []*node{a, bn, c, d}
			db := dbs{}

			a.run(t, "partner", "add", "icssi", "@partner@"+bn.domain, "--relay", "all")
			a.run(t, "partner", "add", "icssi", "http://"+c.domain+"/users/tagged", "--relay", "tags", "--tags", "#Tag, تضامن")
			d.run(t, "follow", "reader", "@icssi@"+a.domain)
			eventually(t, "the three follows are accepted", func() bool {
				return db.count(t, a, `SELECT COUNT(*) FROM following WHERE state = 'accepted'`) == 2 &&
					db.count(t, a, `SELECT COUNT(*) FROM followers WHERE state = 'accepted'`) == 1 &&
					db.count(t, d, `SELECT COUNT(*) FROM following WHERE state = 'accepted'`) == 1
			}, all...)
			list := a.run(t, "partner", "list").stdout
			var rows []string
			for _, l := range strings.Split(strings.TrimSpace(list), "\n") {
				rows = append(rows, strings.Join(strings.Fields(l), " "))
			}
			if want := []string{"ACTOR PARTNER STATE RELAY TAGS", "icssi @partner@" + bn.domain + " accepted all -",
				"icssi @tagged@" + c.domain + " accepted tags #tag,#تضامن"}; strings.Join(rows, "\n") != strings.Join(want, "\n") {
				t.Errorf("partner list:\n%s\nwant:\n%s", list, strings.Join(want, "\n"))
			}

			bTagged := publishPost(t, db, bn, "partner", "B tagged", "tag", "Bravo tagged text.")
			bPlain := publishPost(t, db, bn, "partner", "B plain", "", "Bravo plain text.")
			cTagged := publishPost(t, db, c, "tagged", "C tagged", "Tag, other", "Charlie tagged text.")
			cPlain := publishPost(t, db, c, "tagged", "C plain", "other", "Charlie plain text.")
			bIRI := func(id string) string { return "http://" + bn.domain + "/users/partner/statements/" + id }
			cIRI := func(id string) string { return "http://" + c.domain + "/users/tagged/statements/" + id }

			aActor := "http://" + a.domain + "/users/icssi"
			want := []string{bIRI(bTagged), bIRI(bPlain), cIRI(cTagged)}
			sort.Strings(want)
			eventually(t, "A stores the four posts and D receives three Announces from A", func() bool {
				return db.count(t, a, `SELECT COUNT(*) FROM remote_objects WHERE statement_id IS NULL`) == 4 &&
					len(inboundObjects(t, db, d, "Announce", aActor)) >= 3
			}, all...)
			// A relays as it stores: with the four posts stored, every
			// Announce it will send is sent.
			if n := db.count(t, a, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Announce'`); n != 3 {
				t.Fatalf("A sent %d Announces, want 3", n)
			}
			if got := inboundObjects(t, db, d, "Announce", aActor); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("D received Announces of\n%v\nwant\n%v", got, want)
			}
			// A's partners page and feeds: the four posts, attributed, each
			// linked to its original.
			checkPartnerPages(t, db, a, bn, c)

			// B deletes its tagged post: A undoes its Announce, and D gets the
			// Undo naming it.
			var announceIRI string
			if err := db.of(t, a).QueryRow(`SELECT iri FROM activities WHERE direction = 'out'
				AND activity_type = 'Announce' AND object_iri = $1`, bIRI(bTagged)).Scan(&announceIRI); err != nil {
				t.Fatal(err)
			}
			bn.run(t, "statement", "delete", bTagged)
			eventually(t, "D receives A's Undo of the Announce", func() bool {
				return db.count(t, d, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Undo'
					AND actor_iri = $1 AND body LIKE $2`, aActor, "%"+announceIRI+"%") == 1
			}, all...)
			if n := db.count(t, a, `SELECT COUNT(*) FROM relays WHERE undone_at IS NULL`); n != 2 {
				t.Errorf("A stands by %d relays after the delete, want 2", n)
			}
			if n := db.count(t, d, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Undo'`); n != 1 {
				t.Errorf("D received %d Undos, want 1", n)
			}

			// By hand: A relays C's untagged post (not twice), then stops;
			// then A removes B, which undoes its relay of B's other post.
			a.run(t, "partner", "relay", "icssi", cIRI(cPlain))
			if r := tadamun(t, a.dir, a.env, "partner", "relay", "icssi", cIRI(cPlain)); r.code != 1 || !strings.Contains(r.stderr, "already relays") {
				t.Errorf("relaying twice: exit %d %s", r.code, r.stderr)
			}
			eventually(t, "D receives the Announce made by hand", func() bool {
				return len(inboundObjects(t, db, d, "Announce", aActor)) == 4
			}, all...)
			a.run(t, "partner", "unrelay", "icssi", cIRI(cPlain))
			a.run(t, "partner", "remove", "icssi", "@partner@"+bn.domain)
			eventually(t, "D receives the Undos of the relay by hand and of B's post, and B loses A as follower", func() bool {
				return db.count(t, d, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Undo' AND actor_iri = $1`, aActor) == 3 &&
					db.count(t, bn, `SELECT COUNT(*) FROM followers`) == 0
			}, all...)
			if n := db.count(t, a, `SELECT COUNT(*) FROM relays WHERE undone_at IS NULL`); n != 1 {
				t.Errorf("A stands by %d relays at the end, want 1 (C's tagged post)", n)
			}
			eventually(t, "every delivery is done", func() bool {
				for _, n := range all {
					if db.count(t, n, `SELECT COUNT(*) FROM deliveries WHERE state <> 'done'`) != 0 {
						return false
					}
				}
				return true
			}, all...)
		})
	}
}

// checkPartnerPages checks A's /partners page and its three feeds: each
// shows the four partner posts with their author's name and handle and a
// link to the original.
func checkPartnerPages(t *testing.T, db dbs, a, bn, c *node) {
	t.Helper()
	rows, err := db.of(t, a).Query(`SELECT url FROM remote_objects WHERE statement_id IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	var originals []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			t.Fatal(err)
		}
		originals = append(originals, u)
	}
	rows.Close()
	if len(originals) != 4 {
		t.Fatalf("%d partner posts on A", len(originals))
	}
	for _, path := range []string{"/partners", "/partners/feed.rss", "/partners/feed.atom", "/partners/feed.json"} {
		code, body := a.srv.get(t, path)
		if code != 200 {
			t.Errorf("%s answers %d", path, code)
			continue
		}
		for _, want := range append([]string{"Bravo tagged text", "Bravo plain text", "Charlie tagged text", "Charlie plain text",
			"PARTNER", "TAGGED", "@partner@" + bn.domain, "@tagged@" + c.domain}, originals...) {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
}

// TestPartnerCommands: the partner commands refuse bad policies and
// arguments as usage errors (exit 2) before touching anything, and say
// clearly what is wrong with a partner or post they do not know.
func TestPartnerCommands(t *testing.T) {
	dir := t.TempDir()
	env := cleanEnv()
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown policy", []string{"partner", "add", "icssi", "@a@b.test", "--relay", "some"}, 2, `--relay "some": use all, tags or none`},
		{"tags missing", []string{"partner", "add", "icssi", "@a@b.test", "--relay", "tags"}, 2, "--relay tags needs --tags"},
		{"tags without the tags policy", []string{"partner", "set", "icssi", "@a@b.test", "--relay", "all", "--tags", "x"}, 2, "--tags goes with --relay tags"},
		{"not a hashtag", []string{"partner", "set", "icssi", "@a@b.test", "--relay", "tags", "--tags", "#ok, not-one"}, 2, `"not-one" is not a hashtag`},
		{"only separators", []string{"partner", "add", "icssi", "@a@b.test", "--relay", "tags", "--tags", " , ، "}, 2, "at least one hashtag"},
		{"missing partner", []string{"partner", "add", "icssi"}, 2, "give USERNAME and the partner's"},
		{"list of two", []string{"partner", "list", "a", "b"}, 2, "at most one USERNAME"},
		{"relay without a post", []string{"partner", "relay", "icssi"}, 2, "give USERNAME and the partner post's URL"},
		{"set for an unknown partner", []string{"partner", "set", "icssi", "@a@b.test", "--relay", "all"}, 1, "@a@b.test is not known here"},
		{"remove an unknown partner", []string{"partner", "remove", "icssi", "https://b.test/users/a"}, 1, "is not known here"},
		{"relay an unknown post", []string{"partner", "relay", "icssi", "https://b.test/notes/1"}, 1, "https://b.test/notes/1 is not a partner post stored here"},
		{"unrelay an unknown post", []string{"partner", "unrelay", "icssi", "https://b.test/notes/1"}, 1, "is not a partner post stored here"},
		{"relay by an unknown actor", []string{"partner", "relay", "nobody", "https://b.test/notes/1"}, 1, `no actor "nobody"`},
		{"list of an unknown actor", []string{"partner", "list", "nobody"}, 1, `no actor "nobody"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := tadamun(t, dir, env, c.args...)
			if r.code != c.code {
				t.Errorf("exit code %d, want %d (%s)", r.code, c.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr is not one line containing %q:\n%s", c.want, r.stderr)
			}
		})
	}
	r := tadamun(t, dir, env, "partner", "list").must(t)
	if strings.TrimSpace(r.stdout) != "ACTOR  PARTNER  STATE  RELAY  TAGS" {
		t.Errorf("partner list with no partners:\n%q", r.stdout)
	}
}
