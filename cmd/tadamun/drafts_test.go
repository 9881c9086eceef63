package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// statementID returns the id of the only statement "statement list" shows
// with title.
func statementID(t *testing.T, n *node, title string) string {
	t.Helper()
	for _, line := range strings.Split(n.run(t, "statement", "list").stdout, "\n")[1:] {
		if strings.Contains(line, title) {
			return strings.Fields(line)[0]
		}
	}
	t.Fatalf("no statement %q", title)
	return ""
}

// TestDraftPublishedByEdit: a draft is stored without federating; an edit
// that clears "draft" publishes it and sends its Create exactly once, and
// the edit applies every front-matter key (slug, images, in_reply_to).
func TestDraftPublishedByEdit(t *testing.T) {
	a := startNode(t, "127.0.0.5", storagetest.SQLiteURL(t), "icssi")
	b := startNode(t, "127.0.0.6", storagetest.SQLiteURL(t), "partner")
	b.run(t, "follow", "partner", "@icssi@"+a.domain)
	eventually(t, "the follow is accepted", func() bool {
		return b.count(t, `SELECT COUNT(*) FROM following WHERE state = 'accepted'`) == 1
	}, a, b)
	// A post on b that a's statement will answer.
	bPost := strings.TrimSpace(b.run(t, "publish", "--actor", "partner",
		writeText(t, filepath.Join(b.dir, "p.md"), "---\ntitle: Call for support\nlanguage: en\n---\nPlease help.\n")).stdout)
	bID := statementID(t, b, "Call for support")
	bIRI := "http://" + b.domain + "/users/partner/statements/" + bID
	_ = bPost

	draft := writeText(t, filepath.Join(a.dir, "draft.md"), "---\ntitle: Not yet\nlanguage: en\ndraft: true\n---\nWork in progress.\n")
	r := tadamun(t, a.dir, a.env, "publish", "--actor", "icssi", draft)
	if r.code != 0 || strings.Contains(r.stderr, "panic") {
		t.Fatalf("publish of a draft: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "draft") {
		t.Errorf("publish of a draft does not say it is a draft: %q", r.stderr)
	}
	id := statementID(t, a, "Not yet")
	creates := func() int {
		return a.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Create'`)
	}
	if c := creates(); c != 0 {
		t.Fatalf("a draft sent %d Creates", c)
	}
	if code, _ := a.srv.get(t, "/@icssi/not-yet"); code != http.StatusNotFound {
		t.Fatalf("a draft's page answers %d", code)
	}

	// Edited but still a draft: still nothing goes out.
	draft2 := writeText(t, filepath.Join(a.dir, "draft2.md"), "---\ntitle: Not yet\nlanguage: en\ndraft: true\n---\nStill in progress.\n")
	a.run(t, "statement", "edit", id, draft2)
	if c := creates(); c != 0 {
		t.Fatalf("editing a draft sent %d Creates", c)
	}

	writePNG(t, filepath.Join(a.dir, "pic.png"))
	final := writeText(t, filepath.Join(a.dir, "final.md"), "---\ntitle: Now public\nlanguage: en\nslug: now-public\n"+
		"in_reply_to: "+bIRI+"\nimages:\n  - file: pic.png\n    alt: A red dot\n---\nReady.\n")
	out := strings.TrimSpace(a.run(t, "statement", "edit", id, final).stdout)
	if !strings.HasSuffix(out, "/@icssi/now-public") {
		t.Errorf("edit printed %q, want the new slug's address", out)
	}
	if c := creates(); c != 1 {
		t.Fatalf("publishing the draft by edit sent %d Creates", c)
	}
	objIRI := "http://" + a.domain + "/users/icssi/statements/" + id
	eventually(t, "the statement reaches the follower, as a reply to its post", func() bool {
		return b.count(t, `SELECT COUNT(*) FROM remote_objects WHERE iri = $1 AND in_reply_to = $2 AND statement_id = $3`,
			objIRI, bIRI, bID) == 1
	}, a, b)
	if _, doc := getAS(t, objIRI); !strings.Contains(strings.Join(strings.Fields(jsonText(doc["attachment"])), " "), "A red dot") ||
		doc["inReplyTo"] != bIRI || !strings.HasSuffix(jsonText(doc["url"]), "/@icssi/now-public") {
		t.Fatalf("published statement lacks the edit's image, reply or slug: %v", doc)
	}
	if code, _ := a.srv.get(t, "/@icssi/now-public"); code != http.StatusOK {
		t.Fatalf("the new slug answers %d", code)
	}

	// The same file again changes nothing: no second Create, no Update.
	a.run(t, "statement", "edit", id, final)
	if c := creates(); c != 1 {
		t.Fatalf("%d Creates after a second edit", c)
	}
	if u := a.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'out' AND activity_type = 'Update'`); u != 0 {
		t.Fatalf("an edit that changed nothing sent %d Updates", u)
	}
	eventually(t, "every delivery is done", func() bool {
		return a.count(t, `SELECT COUNT(*) FROM deliveries WHERE state <> 'done'`) == 0
	}, a)
	if n := b.count(t, `SELECT COUNT(*) FROM activities WHERE direction = 'in' AND activity_type = 'Create' AND object_iri = $1`, objIRI); n != 1 {
		t.Fatalf("the follower received %d Creates", n)
	}

	// A published statement cannot become a draft again.
	r = tadamun(t, a.dir, a.env, "statement", "edit", id, draft)
	if r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "draft") {
		t.Fatalf("edit of a published statement back to draft: exit %d %q", r.code, r.stderr)
	}
}

// jsonText flattens a decoded JSON value for substring checks.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, jsonText(e))
		}
		return strings.Join(parts, " ")
	case map[string]any:
		var parts []string
		for _, e := range x {
			parts = append(parts, jsonText(e))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

var _ = os.Stat
