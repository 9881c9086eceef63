package federation

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares a document with testdata/name, indented for review.
func golden(t *testing.T, name string, doc []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("%s is not JSON: %v", name, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file:\n%s", name, buf.String())
	}
}

func docFixtures() (*Service, *storage.Actor, *storage.Statement) {
	s := New(Config{Scheme: "https", Host: "node.example"}, nil)
	a := &storage.Actor{ID: "a1", Username: "icssi", Type: storage.ActorOrganization, DisplayName: "Iraqi Civil Society Solidarity Initiative",
		Summary: "Building **another Iraq**, with peace and human rights for all.", PublicKeyPEM: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
		Fields:       []storage.Field{{Name: "Website", Value: "https://www.iraqicivilsociety.org"}, {Name: "Founded", Value: "2009"}},
		Discoverable: true, ObjectType: "Note", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC)
	st := &storage.Statement{ID: "01kabc0000000000000000000a", ActorID: "a1", ActorUsername: "icssi", Slug: "we-stand-together",
		Language: "en", Title: "We Stand Together", Summary: "ICSSI stands with Iraqi civil society.", BodyHTML: "<p>For more than 12 years…</p>",
		PublishedAt: &p, State: storage.StatePublished, RepliesEnabled: true,
		Tags: []storage.Tag{{Name: "iraq", Display: "Iraq"}, {Name: "تضامن", Display: "تضامن"}},
		Translations: []storage.Translation{{Language: "ar", Title: "نقف معاً", BodyHTML: "<p>لأكثر من ١٢ عاماً…</p>"},
			{Language: "ckb", Title: "پێکەوە دەوەستین", BodyHTML: "<p>…</p>"}}}
	return s, a, st
}

func TestGoldenDocuments(t *testing.T) {
	s, a, st := docFixtures()
	doc, err := s.ActorDocument(a)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "actor.json", doc)

	doc, err = s.createDoc(st, a)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "create-note.json", doc)

	art := *st
	art.ObjectType, art.ContentWarning = "Article", ""
	doc, err = s.StatementDocument(&art, a, 2)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "article.json", doc)

	cw := *st
	cw.ContentWarning = "Violence"
	doc, err = s.StatementDocument(&cw, a, 0)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "note-cw.json", doc)

	del := *st
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	del.State, del.DeletedAt = storage.StateDeleted, &d
	doc, err = s.deleteDoc(&del, a, "https://node.example/users/icssi/activities/01kdel", d)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "delete.json", doc)

	doc, err = s.answerDoc(true, a, "https://node.example/users/icssi/activities/01kacc", "https://m.example/9", "https://m.example/users/amal")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "accept.json", doc)
}

// TestFederatedHash: only changes a follower can see change the hash.
func TestFederatedHash(t *testing.T) {
	s, a, st := docFixtures()
	h1, err := s.federatedHash(st, a)
	if err != nil {
		t.Fatal(err)
	}
	same := *st
	e := time.Now()
	same.EditedAt = &e
	same.BodyMarkdown = "changed markdown source, same HTML"
	if h2, _ := s.federatedHash(&same, a); h2 != h1 {
		t.Error("an invisible change changed the hash")
	}
	other := *st
	other.Title = "We Stand Together!"
	if h3, _ := s.federatedHash(&other, a); h3 == h1 {
		t.Error("a new title left the hash unchanged")
	}
}
