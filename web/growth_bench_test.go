package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/migrations"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web"
)

// growthTarget is the acceptance bound: a page with 100,000
// statements may take at most 1.5 times as long as with 1,000.
const growthTarget = 1.5

// growthFixtureVersion names the shape of the populated files; change it
// when populate changes so that old cached files are not reused.
const growthFixtureVersion = 2

// BenchmarkGrowthRatio renders the home page and an outbox page (each the
// first page, and one halfway down the list) and the node's Atom feed from a node holding 1,000 statements and from one
// holding 100,000, with the response and feed caches off so that every
// request runs its handler and its queries. The two nodes are asked in
// turn within each iteration, so the machine's noise falls on both alike.
//
// ratio is t(100k)/t(1k) of the slowest-growing of the three (target ≤
// 1.5: the lists page by keyset on indexes, and nothing counts or sorts
// the whole table); each surface's own ratio is reported beside it, with
// the raw times per request in microseconds.
//
// The populated SQLite files are kept under os.TempDir, keyed by the
// schema version and the fixture's shape, so only the first run pays for
// inserting 101,000 statements; each run works on a copy.
func BenchmarkGrowthRatio(b *testing.B) {
	small, smallMid := growthNode(b, 1000)
	large, largeMid := growthNode(b, 100000)
	surfaces := []struct{ name, path, accept, deep string }{
		{"home", "/", "", ""},
		{"home-deep", "/?before=", "", "mid"},
		{"outbox", "/users/icssi/outbox?page=true", "application/activity+json", ""},
		{"outbox-deep", "/users/icssi/outbox?page=true&before=", "application/activity+json", "mid"},
		{"feed", "/feed.atom", "", ""},
	}
	// A deep page starts halfway down the list: 500 statements down on
	// the small node, 50,000 on the large one.
	paths := func(mid string) []string {
		out := make([]string, len(surfaces))
		for i, s := range surfaces {
			out[i] = s.path
			if s.deep != "" {
				out[i] += mid
			}
		}
		return out
	}
	smallPaths, largePaths := paths(smallMid), paths(largeMid)
	get := func(base, path, accept string) time.Duration {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			b.Fatal(err)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		d := time.Since(start)
		if res.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		return d
	}
	// Warm both: templates, prepared statements, the page cache of SQLite.
	for i := 0; i < 5; i++ {
		for j, s := range surfaces {
			get(small, smallPaths[j], s.accept)
			get(large, largePaths[j], s.accept)
		}
	}
	times := make([][2][]time.Duration, len(surfaces))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, s := range surfaces {
			times[j][0] = append(times[j][0], get(small, smallPaths[j], s.accept))
			times[j][1] = append(times[j][1], get(large, largePaths[j], s.accept))
		}
	}
	b.StopTimer()
	worst := 0.0
	for j, s := range surfaces {
		// Medians: a request that waited on the other agents' work says
		// nothing about growth.
		t1k, t100k := median(times[j][0]), median(times[j][1])
		r := float64(t100k) / float64(t1k)
		if r > worst {
			worst = r
		}
		b.ReportMetric(r, s.name+"-ratio")
		b.ReportMetric(float64(t1k.Microseconds()), s.name+"-1k-us")
		b.ReportMetric(float64(t100k.Microseconds()), s.name+"-100k-us")
	}
	b.ReportMetric(worst, "ratio")
	b.ReportMetric(growthTarget, "target")
	if os.Getenv("TADAMUN_BENCH_STRICT") == "1" && worst > growthTarget {
		b.Fatalf("growth 100k/1k = %.2f, above the target %.2f", worst, growthTarget)
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// growthNode returns the address of a node with count statements of one
// actor, caches off, on a copy of a populated SQLite file, and the page
// cursor of the statement halfway down its list.
func growthNode(b *testing.B, count int) (url, mid string) {
	b.Helper()
	all, err := migrations.For(migrations.SQLite)
	if err != nil {
		b.Fatal(err)
	}
	cached := filepath.Join(os.TempDir(), fmt.Sprintf("tadamun-growth-s%d-f%d-%d.db", len(all), growthFixtureVersion, count))
	path := filepath.Join(b.TempDir(), "growth.db")
	off := func(c *web.Config) { c.ResponseCacheBytes, c.FeedCacheBytes = -1, -1 }
	if err := copyFile(cached, path); err == nil {
		n := newNodeConfig(b, "sqlite:"+path, off)
		return n.srv.URL, middle(b, n, count)
	}
	n := newNodeConfig(b, "sqlite:"+path, off)
	populate(b, n, count)
	// Fold the write-ahead log into the file, then keep a copy for later
	// runs (written beside it and renamed, so a half-written copy is never
	// taken for a whole one).
	if _, err := n.store.DB().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	// Files of older schemas or shapes will not be read again: remove
	// them so that they do not pile up (each large one is about 100 MB).
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("tadamun-growth-s*-f*-%d.db", count)))
	for _, f := range old {
		if f != cached {
			_ = os.Remove(f)
		}
	}
	tmp := cached + ".part" + strconv.Itoa(os.Getpid())
	if err := copyFile(path, tmp); err == nil {
		_ = os.Rename(tmp, cached)
	}
	return n.srv.URL, middle(b, n, count)
}

// middle is the page cursor (published time in microseconds, id) of the
// statement halfway down the list.
func middle(b *testing.B, n *node, count int) string {
	b.Helper()
	var id string
	var at time.Time
	if err := n.store.DB().QueryRow(`SELECT id, published_at FROM statements ORDER BY published_at DESC, id DESC
		LIMIT 1 OFFSET $1`, count/2).Scan(&id, &at); err != nil {
		b.Fatal(err)
	}
	return strconv.FormatInt(at.UnixMicro(), 10) + "_" + id
}

// populate creates the actor and count published statements, an hour
// apart, ending before the node's clock, in one transaction of bulk
// inserts; every tenth has an Arabic translation and a tag.
func populate(b *testing.B, n *node, count int) {
	b.Helper()
	ctx := context.Background()
	a, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"})
	if err != nil {
		b.Fatal(err)
	}
	tx, err := n.store.DB().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO statements (id, actor_id, slug, language, title, summary,
		body_markdown, body_html, state, published_at, federated_at, created_at, updated_at)
		VALUES ($1, $2, $3, 'en', $4, $5, $6, $7, 'published', $8, $8, $8, $8)`)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := tx.PrepareContext(ctx, `INSERT INTO statement_translations (statement_id, language, title, summary,
		body_markdown, body_html, created_at, updated_at) VALUES ($1, 'ar', $2, '', $3, $4, $5, $5)`)
	if err != nil {
		b.Fatal(err)
	}
	tag, err := tx.PrepareContext(ctx, `INSERT INTO statement_tags (statement_id, tag, display) VALUES ($1, 'iraq', 'Iraq')`)
	if err != nil {
		b.Fatal(err)
	}
	body := seedBody[:240]
	end := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
	for i := 0; i < count; i++ {
		id := storage.NewID()
		at := end.Add(-time.Duration(count-i) * time.Hour)
		title := "Statement " + strconv.Itoa(i)
		if _, err := ins.ExecContext(ctx, id, a.ID, "statement-"+strconv.Itoa(i), title, "Summary of "+title,
			body, "<p>"+body+"</p>", at); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			if _, err := tr.ExecContext(ctx, id, "بيان "+strconv.Itoa(i), "نص", "<p>نص</p>", at); err != nil {
				b.Fatal(err)
			}
			if _, err := tag.ExecContext(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
