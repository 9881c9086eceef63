package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
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

// TestFeedShowsActorRename: a feed names its actor (title, author of every
// item); a new name is in every cached feed on the next request.
func TestFeedShowsActorRename(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "Old Name"}); err != nil {
		t.Fatal(err)
	}
	n.publish(t, "icssi", "---\ntitle: We Stand\nlanguage: en\ntags: [iraq]\n---\nBody.\n")
	paths := []string{"/@icssi/feed.atom", "/@icssi/feed.rss", "/feed.json", "/tags/iraq/feed.rss", "/en/feed.atom"}
	for _, p := range paths {
		if _, body := n.get(t, p); !strings.Contains(body, "Old Name") {
			t.Fatalf("%s lacks the actor's name:\n%s", p, body)
		}
	}
	name := "New Name"
	if _, err := n.fed.UpdateProfile(ctx, "icssi", federation.ProfileUpdate{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if _, body := n.get(t, p); !strings.Contains(body, "New Name") || strings.Contains(body, "Old Name") {
			t.Errorf("%s after the rename:\n%s", p, body)
		}
	}
}

// metric reads one sample from /metrics, e.g. `tadamun_cache_bytes{cache="feeds"}`.
func (n *node) metric(t *testing.T, sample string) float64 {
	t.Helper()
	_, body := n.get(t, "/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", sample)
	return 0
}

// caseVariants returns n spellings of s in upper and lower case.
func caseVariants(s string, n int) []string {
	var out []string
	for m := 0; len(out) < n && m < 1<<len(s); m++ {
		b := []byte(s)
		for i := range b {
			if m&(1<<i) != 0 {
				b[i] -= 'a' - 'A'
			}
		}
		out = append(out, string(b))
	}
	return out
}

// TestFeedCacheOneEntryPerSelection: case variants of a tag are one feed,
// rendered once and cached once, and each new version replaces the old.
func TestFeedCacheOneEntryPerSelection(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	n.publish(t, "icssi", "---\ntitle: We Stand\nlanguage: en\ntags: [solidarity]\n---\nBody.\n")
	variants := caseVariants("solidarity", 300)
	var first string
	for i, v := range variants {
		res, body := n.get(t, "/tags/"+v+"/feed.rss")
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", v, res.StatusCode)
		}
		if i == 0 {
			first = body
		} else if body != first {
			t.Fatalf("/tags/%s/feed.rss differs from /tags/%s/feed.rss", v, variants[0])
		}
	}
	if !strings.Contains(first, "http://node.test/tags/solidarity/feed.rss") {
		t.Errorf("the feed's self link is not the canonical address:\n%s", first)
	}
	entries, misses := n.metric(t, `tadamun_cache_entries{cache="feeds"}`), n.metric(t, `tadamun_cache_misses_total{cache="feeds"}`)
	if entries != 1 || misses != 1 {
		t.Fatalf("%d case variants of one tag feed: %v entries, %v misses; want 1 and 1", len(variants), entries, misses)
	}
	// New versions of the feed replace the cached one.
	for i := 0; i < 5; i++ {
		n.publish(t, "icssi", fmt.Sprintf("---\ntitle: More %d\nlanguage: en\ntags: [solidarity]\n---\nBody.\n", i))
		if _, body := n.get(t, "/tags/SOLIDARITY/feed.rss"); !strings.Contains(body, fmt.Sprintf("More %d", i)) {
			t.Fatalf("version %d is not served", i)
		}
	}
	if entries := n.metric(t, `tadamun_cache_entries{cache="feeds"}`); entries != 1 {
		t.Fatalf("after 5 new versions: %v entries", entries)
	}
}

// TestEmptyFeedsNotKept: feeds of tags nobody used answer 200 with no
// items, and none of them is kept in the feed cache (anyone can make up
// tags); the feed of a tag in use is.
func TestEmptyFeedsNotKept(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	if _, err := n.fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	n.publish(t, "icssi", "---\ntitle: We Stand\nlanguage: en\ntags: [solidarity]\n---\nBody.\n")
	for i := 0; i < 30; i++ {
		if res, body := n.get(t, fmt.Sprintf("/tags/madeup%d/feed.atom", i)); res.StatusCode != 200 || strings.Contains(body, "<entry>") {
			t.Fatalf("feed of a made-up tag: %d %.200s", res.StatusCode, body)
		}
	}
	if entries := n.metric(t, `tadamun_cache_entries{cache="feeds"}`); entries != 0 {
		t.Fatalf("30 feeds of made-up tags: %v cache entries, want 0", entries)
	}
	if res, _ := n.get(t, "/tags/solidarity/feed.atom"); res.StatusCode != 200 {
		t.Fatalf("feed of a tag in use: %d", res.StatusCode)
	}
	if entries := n.metric(t, `tadamun_cache_entries{cache="feeds"}`); entries != 1 {
		t.Fatalf("after the feed of a tag in use: %v cache entries, want 1", entries)
	}
}

// TestFeedCacheBounded: 1,000 distinct feed addresses (case variants, many
// tags, actors, languages, every format) keep the cache under its bound.
func TestFeedCacheBounded(t *testing.T) {
	const bound = 256 << 10
	n := newNodeConfig(t, storagetest.SQLiteURL(t), func(c *web.Config) { c.FeedCacheBytes = bound })
	ctx := context.Background()
	var paths []string
	for a := 0; a < 10; a++ {
		name := fmt.Sprintf("actor%d", a)
		if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: name}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			lang := []string{"en", "ar", "fr"}[i]
			n.publish(t, name, fmt.Sprintf("---\ntitle: Statement %d of %s\nlanguage: %s\ntags: [solidarity, tag%d, tag%d]\n---\n%s\n",
				i, name, lang, a, a*3+i, strings.Repeat("Words of solidarity. ", 100)))
		}
		for _, f := range []string{"feed.rss", "feed.atom", "feed.json"} {
			paths = append(paths, "/@"+name+"/"+f)
		}
	}
	formats := []string{"feed.rss", "feed.atom", "feed.json"}
	for _, f := range formats {
		paths = append(paths, "/"+f, "/en/"+f, "/ar/"+f, "/fr/"+f)
		for i := 0; i < 30; i++ {
			paths = append(paths, fmt.Sprintf("/tags/tag%d/%s", i, f))
		}
	}
	for i, v := range caseVariants("solidarity", 1000-len(paths)) {
		paths = append(paths, "/tags/"+v+"/"+formats[i%3])
	}
	if len(paths) != 1000 {
		t.Fatalf("%d paths", len(paths))
	}
	for _, p := range paths {
		if res, _ := n.get(t, p); res.StatusCode != 200 {
			t.Fatalf("%s: %d", p, res.StatusCode)
		}
	}
	size, max := n.metric(t, `tadamun_cache_bytes{cache="feeds"}`), n.metric(t, `tadamun_cache_max_bytes{cache="feeds"}`)
	if max != bound || size > bound || size == 0 {
		t.Fatalf("after 1000 feed addresses the cache holds %v bytes, bound %v (want %d)", size, max, bound)
	}
	if ev := n.metric(t, `tadamun_cache_evictions_total{cache="feeds"}`); ev == 0 {
		t.Errorf("nothing was evicted: the test did not exceed the bound")
	}
	t.Logf("1000 feed addresses: %v bytes cached (bound %d), %v entries", size, bound,
		n.metric(t, `tadamun_cache_entries{cache="feeds"}`))
}
