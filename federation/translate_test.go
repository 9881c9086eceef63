package federation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

func TestTranslate(t *testing.T) {
	n := newCapNode(t, storagetest.SQLiteURL(t))
	n.clock = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	ctx := context.Background()
	parse := func(src string) *content.Draft {
		d, err := content.ParseStatementFile([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	st, err := n.fed.Publish(ctx, "cap", parse("---\ntitle: نقف معاً\nlanguage: ar\n---\nنص البيان.\n"))
	if err != nil {
		t.Fatal(err)
	}
	updates := func() int {
		c, err := n.store.CountActivities(ctx, storage.Outbound, "Update")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	en := parse("---\ntitle: We Stand Together\nlanguage: en\nsummary: The lead.\n---\nThe statement.\n")
	got, err := n.fed.Translate(ctx, st.ID, en)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Translations) != 1 || got.Translations[0].Language != "en" || !strings.Contains(got.Translations[0].BodyHTML, "<p>The statement.</p>") {
		t.Fatalf("translations %+v", got.Translations)
	}
	if updates() != 1 {
		t.Fatalf("%d Updates after a translation", updates())
	}
	act, err := n.store.DB().QueryContext(ctx, `SELECT body FROM activities WHERE activity_type = 'Update'`)
	if err != nil {
		t.Fatal(err)
	}
	var body string
	for act.Next() {
		act.Scan(&body)
	}
	act.Close()
	if !strings.Contains(body, `"contentMap"`) || !strings.Contains(body, `"en":`) || !strings.Contains(body, "We Stand Together") {
		t.Fatalf("Update lacks the English version: %s", body)
	}
	// The same translation again changes nothing a follower sees: no Update.
	if _, err := n.fed.Translate(ctx, st.ID, en); err != nil {
		t.Fatal(err)
	}
	if updates() != 1 {
		t.Fatal("an unchanged translation sent an Update")
	}
	// A changed one replaces it.
	if got, err = n.fed.Translate(ctx, st.ID, parse("---\ntitle: We Stand Together!\nlanguage: en\n---\nThe statement.\n")); err != nil || len(got.Translations) != 1 || got.Translations[0].Title != "We Stand Together!" || updates() != 2 {
		t.Fatalf("replacing: %+v %v (%d Updates)", got, err, updates())
	}
	if _, err := n.fed.Translate(ctx, st.ID, parse("---\ntitle: x\nlanguage: ar\n---\nx\n")); err == nil {
		t.Fatal("a translation into the statement's own language was accepted")
	}
}
