package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// node is one Tadamun node of a test network: its own loopback address,
// its own database, its own process.
type node struct {
	dir, domain, db string
	env             []string
	srv             *server
}

func freeAddrOn(t *testing.T, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startNode(t *testing.T, ip, dbURL, username string) *node {
	t.Helper()
	addr := freeAddrOn(t, ip)
	n := &node{dir: t.TempDir(), domain: addr, db: dbURL}
	n.env = cleanEnv("TADAMUN_DATABASE="+dbURL, "TADAMUN_DOMAIN="+addr, "TADAMUN_INSECURE_HTTP=true",
		"TADAMUN_ALLOW_PRIVATE_ADDRESSES=true", "TADAMUN_LOG_LEVEL=debug")
	tadamun(t, n.dir, n.env, "actor", "create", username, "--name", strings.ToUpper(username)).must(t)
	n.srv = startServe(t, n.dir, n.env, "--listen", addr)
	return n
}

func (n *node) run(t *testing.T, args ...string) result {
	t.Helper()
	return tadamun(t, n.dir, n.env, args...).must(t)
}

func (n *node) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	return storagetest.Count(t, n.db, query, args...)
}

// eventually waits for cond, failing with what after the timeout.
func eventually(t *testing.T, what string, cond func() bool, logs ...*node) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, n := range logs {
		t.Logf("log of %s:\n%s", n.domain, n.srv.logText())
	}
	t.Fatalf("timed out waiting until %s", what)
}

func getAS(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/activity+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m
}

// TestFederation runs three real nodes talking HTTP with real signatures:
// two follow the third, which publishes; the post arrives; a like, a boost
// and a reply come back and are counted; an edit arrives as an Update; a
// delete arrives as a Delete and the object answers 410.
func TestFederation(t *testing.T) {
	dbs := func(t *testing.T, name string) []string {
		if name == "sqlite" {
			return []string{storagetest.SQLiteURL(t), storagetest.SQLiteURL(t), storagetest.SQLiteURL(t)}
		}
		return []string{storagetest.PostgresURL(t), storagetest.PostgresURL(t), storagetest.PostgresURL(t)}
	}
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			urls := dbs(t, b.Name)
			a := startNode(t, "127.0.0.2", urls[0], "icssi")
			bn := startNode(t, "127.0.0.3", urls[1], "partner")
			c := startNode(t, "127.0.0.4", urls[2], "friend")

			bn.run(t, "follow", "partner", "@icssi@"+a.domain)
			c.run(t, "follow", "friend", "http://"+a.domain+"/users/icssi")
			eventually(t, "both follows are accepted", func() bool {
				return a.count(t, `SELECT COUNT(*) FROM followers WHERE state = 'accepted'`) == 2 &&
					bn.count(t, `SELECT COUNT(*) FROM following WHERE state = 'accepted'`) == 1 &&
					c.count(t, `SELECT COUNT(*) FROM following WHERE state = 'accepted'`) == 1
			}, a, bn, c)

			a.run(t, "publish", "--actor", "icssi", seedFile(t))
			out := a.run(t, "statement", "list").stdout
			fields := strings.Fields(strings.Split(out, "\n")[1])
			id := fields[0]
			objIRI := "http://" + a.domain + "/users/icssi/statements/" + id
			for _, n := range []*node{bn, c} {
				eventually(t, "the statement reaches "+n.domain, func() bool {
					return n.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND content_html LIKE '%Iraqi Social Forum%'`, objIRI) == 1
				}, a, n)
			}

			bn.run(t, "like", "partner", objIRI)
			c.run(t, "boost", "friend", objIRI)
			reply := filepath.Join(c.dir, "reply.md")
			if err := os.WriteFile(reply, []byte("---\ntitle: With you\nlanguage: en\nin_reply_to: "+objIRI+"\n---\nWe stand with you.\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			c.run(t, "publish", "--actor", "friend", reply)
			eventually(t, "the like, the boost and the reply are counted", func() bool {
				return a.count(t, `SELECT COUNT(*) FROM interactions WHERE statement_id = $1 AND kind = 'like'`, id) == 1 &&
					a.count(t, `SELECT COUNT(*) FROM interactions WHERE statement_id = $1 AND kind = 'announce'`, id) == 1 &&
					a.count(t, `SELECT COUNT(*) FROM remote_objects WHERE statement_id = $1 AND moderation = 'pending'`, id) == 1
			}, a, bn, c)

			// A mention reaches the account mentioned, which does not follow
			// the author; the statement carries a Mention tag.
			hello := filepath.Join(c.dir, "hello.md")
			if err := os.WriteFile(hello, []byte("---\ntitle: Thanks\nlanguage: en\n---\nThank you @partner@"+bn.domain+"!\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			helloURL := strings.TrimSpace(c.run(t, "publish", "--actor", "friend", hello).stdout)
			eventually(t, "the mention reaches the account mentioned", func() bool {
				return bn.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Create' AND actor_iri = $1 AND body LIKE '%Thank you%'`,
					"http://"+c.domain+"/users/friend") == 1
			}, bn, c)
			if _, doc := getAS(t, helloURL); !strings.Contains(fmt.Sprint(doc["tag"]), "Mention") || !strings.Contains(fmt.Sprint(doc["content"]), "http://"+bn.domain+"/users/partner") {
				t.Fatalf("statement with a mention: %v", doc)
			}

			edited := filepath.Join(a.dir, "edited.md")
			src, _ := os.ReadFile(seedFile(t))
			if err := os.WriteFile(edited, []byte(strings.Replace(string(src), "Iraqi Social Forum", "Iraqi Social Forum (ISF)", 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			a.run(t, "statement", "edit", id, edited)
			eventually(t, "the edit arrives as an Update", func() bool {
				return bn.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND content_html LIKE '%(ISF)%' AND edited_at IS NOT NULL`, objIRI) == 1
			}, a, bn)
			// An edit that changes nothing federated sends no Update.
			updates := a.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Update'`)
			a.run(t, "statement", "edit", id, edited)
			if again := a.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Update'`); again != updates {
				t.Fatalf("an edit that changed nothing sent an Update")
			}

			a.run(t, "statement", "delete", id)
			eventually(t, "the delete arrives", func() bool {
				return bn.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND deleted_at IS NOT NULL`, objIRI) == 1 &&
					c.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND deleted_at IS NOT NULL`, objIRI) == 1
			}, a, bn, c)
			if code, doc := getAS(t, objIRI); code != http.StatusGone || doc["type"] != "Tombstone" {
				t.Fatalf("deleted object answers %d %v", code, doc)
			}
			// Every delivery went out; none failed.
			for _, n := range []*node{a, bn, c} {
				if f := n.count(t, `SELECT COUNT(*) FROM deliveries WHERE state <> 'done'`); f != 0 {
					t.Errorf("%s has %d deliveries not done", n.domain, f)
				}
			}
			_ = fmt.Sprint()
		})
	}
}
