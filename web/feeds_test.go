package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage/storagetest"
)

func TestFeedsServed(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	ar := n.publish(t, "icssi", "---\ntitle: نقف معاً\nlanguage: ar\nslug: naqif\nsummary: الملخص\ntags: [تضامن]\n---\nنص البيان.\n")
	n.publish(t, "icssi", "---\ntitle: Later\nlanguage: en\ntags: [تضامن]\npublish: 2026-11-24T09:00:00Z\n---\nNot yet.\n")
	types := map[string]string{"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
	paths := []string{"/feed", "/@icssi/feed", "/tags/تضامن/feed", "/ar/feed"}
	parse := func(path string) *gofeed.Feed {
		t.Helper()
		res, body := n.get(t, path)
		ext := path[strings.LastIndex(path, ".")+1:]
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), types[ext]) || res.Header.Get("ETag") == "" {
			t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		f, err := gofeed.NewParser().ParseString(body)
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", path, err, body)
		}
		return f
	}
	for _, p := range paths {
		for ext := range types {
			path := p + "." + ext
			f := parse(path)
			if len(f.Items) != 1 || f.Items[0].Title != "نقف معاً" || !strings.Contains(f.Items[0].Content, "نص البيان") ||
				f.Items[0].GUID != "http://node.test/users/icssi/statements/"+ar.ID || len(f.Items[0].Categories) != 1 ||
				f.Items[0].Categories[0] != "تضامن" {
				t.Errorf("%s: %d items, first %+v", path, len(f.Items), f.Items)
			}
			res, _ := n.get(t, path)
			if r2, body := n.get(t, path, "If-None-Match", res.Header.Get("ETag")); r2.StatusCode != 304 || body != "" {
				t.Errorf("%s conditional GET: %d", path, r2.StatusCode)
			}
		}
	}
	// The scheduled statement appears in every feed at its time, not before.
	*n.clock = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, p := range []string{"/feed.rss", "/@icssi/feed.atom", "/tags/تضامن/feed.json"} {
		if f := parse(p); len(f.Items) != 2 || f.Items[0].Title != "Later" {
			t.Errorf("%s at the scheduled time: %d items", p, len(f.Items))
		}
	}
	// An edit keeps the item's id and moves its updated time.
	d, err := content.ParseStatementFile([]byte("---\ntitle: نقف معاً!\nlanguage: ar\n---\nنص البيان المعدل.\n"))
	if err != nil {
		t.Fatal(err)
	}
	*n.clock = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	if _, err := n.fed.Edit(ctx, ar.ID, d); err != nil {
		t.Fatal(err)
	}
	f := parse("/ar/feed.atom")
	if len(f.Items) != 1 || f.Items[0].GUID != "http://node.test/users/icssi/statements/"+ar.ID || f.Items[0].Title != "نقف معاً!" {
		t.Fatalf("after an edit: %+v", f.Items)
	}
	for _, bad := range []string{"/xx/feed.rss", "/@nobody/feed.rss", "/tags/two%20words/feed.rss"} {
		if res, _ := n.get(t, bad); res.StatusCode != 404 {
			t.Errorf("%s = %d", bad, res.StatusCode)
		}
	}
}

// TestScheduledEverywhere: a scheduled statement is absent from every page,
// feed, sitemap, search and ActivityPub document until its time, and then
// present on all of them.
func TestScheduledEverywhere(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	n.publish(t, "icssi", "---\ntitle: Already out\nlanguage: en\n---\nnow\n")
	st := n.publish(t, "icssi", "---\ntitle: Zanzibar appeal\nlanguage: ckb\nslug: appeal\ntags: [embargo]\npublish: 2026-11-23T12:30:00Z\n---\nZanzibar words.\n")
	surfaces := []string{"/", "/@icssi", "/tags/embargo", "/ckb", "/search?q=words", "/sitemap.xml",
		"/feed.rss", "/feed.atom", "/feed.json", "/@icssi/feed.rss", "/tags/embargo/feed.atom", "/ckb/feed.json",
		"/users/icssi/outbox?page=true"}
	check := func(present bool) {
		t.Helper()
		for _, p := range surfaces {
			_, body := n.get(t, p, "Accept", "*/*")
			if got := strings.Contains(body, "Zanzibar") || strings.Contains(body, "/appeal"); got != present {
				t.Errorf("%s shows the scheduled statement: %v, want %v", p, got, present)
			}
		}
		code := 404
		if present {
			code = 200
		}
		for _, p := range []string{"/@icssi/appeal", "/users/icssi/statements/" + st.ID} {
			if res, _ := n.get(t, p, "Accept", "application/activity+json"); res.StatusCode != code {
				t.Errorf("%s = %d, want %d", p, res.StatusCode, code)
			}
		}
	}
	*n.clock = time.Date(2026, 11, 23, 12, 29, 59, 0, time.UTC)
	check(false)
	*n.clock = time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
	check(true)
}
