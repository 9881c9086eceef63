package federation_test

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/archive"
	"github.com/tadamun/tadamun/federation/imaging"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

const importFixture = "../cmd/tadamun/testdata/import/wordpress.xml"

// importNode is a node with one actor that has a follower (so that
// anything delivered would show as a delivery row), and a loopback server
// standing in for the old site's uploads.
type importNode struct {
	fed      *federation.Service
	store    *storage.Store
	url      string
	mediaDir string
	media    string // the old site's uploads, served on loopback
	actorID  string
}

func newImportNode(t *testing.T, url string) *importNode {
	t.Helper()
	ctx := context.Background()
	n := &importNode{store: storagetest.Open(t, url), url: url, mediaDir: t.TempDir()}
	clock := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	n.fed = federation.New(federation.Config{Scheme: "https", Host: "node.test", MediaDir: n.mediaDir,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock },
		Client: transport.New(transport.Config{AllowPrivate: true})}, n.store)
	a, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", Languages: []string{"en", "ar"}})
	if err != nil {
		t.Fatal(err)
	}
	n.actorID = a.ID
	r := &storage.RemoteActor{IRI: "https://remote.example/users/r", Host: "remote.example", Type: "Person",
		Username: "r", Inbox: "https://remote.example/users/r/inbox"}
	if err := n.store.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := n.store.PutFollower(ctx, a.ID, r.ID, "https://remote.example/f/1", storage.FollowAccepted); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir("../cmd/tadamun/testdata/import/media")))
	t.Cleanup(srv.Close)
	n.media = srv.URL
	return n
}

func readFixture(t *testing.T) *archive.Archive {
	t.Helper()
	f, err := os.Open(importFixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := archive.ReadWXR(f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (n *importNode) opts() federation.ImportOptions {
	return federation.ImportOptions{Actor: "icssi", Language: "en", Drafts: federation.ImportDraft,
		Pages: federation.ImportSkip, MediaBase: n.media}
}

// TestImportWordPress imports the WordPress fixture: interrupted after 40
// statements, resumed, then run again. Translations are merged, dates are
// the old site's, nothing is delivered, images are stored without their
// metadata, hostile markup is gone, and everything left out has a reason.
func TestImportWordPress(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := newImportNode(t, b.URL)
			ctx, cancel := context.WithCancel(context.Background())
			opts := n.opts()
			opts.Progress = func(done, total int) {
				if done == 40 {
					cancel()
				}
			}
			first, err := n.fed.Import(ctx, readFixture(t), opts)
			if !errors.Is(err, context.Canceled) || first.Imported != 40 {
				t.Fatalf("interrupted run: %+v %v", first, err)
			}
			second, err := n.fed.Import(context.Background(), readFixture(t), n.opts())
			if err != nil {
				t.Fatal(err)
			}
			if second.Unchanged != 40 || second.Imported != second.Total-40 || second.Updated != 0 || second.Total < 240 {
				t.Fatalf("resumed run: %+v", second)
			}
			third, err := n.fed.Import(context.Background(), readFixture(t), n.opts())
			if err != nil {
				t.Fatal(err)
			}
			if third.Unchanged != third.Total || third.Imported+third.Updated != 0 {
				t.Fatalf("a repeated run changed something: %+v", third)
			}
			second.Skipped = append(second.Skipped, first.Skipped...) // images were reported when their post was imported
			n.checkImported(t, second)
		})
	}
}

func (n *importNode) checkImported(t *testing.T, rep *federation.ImportReport) {
	t.Helper()
	ctx := context.Background()
	published := storagetest.Count(t, n.url, `SELECT COUNT(*) FROM statements WHERE state = 'published'`)
	drafts := storagetest.Count(t, n.url, `SELECT COUNT(*) FROM statements WHERE state = 'draft'`)
	if published < 200 || drafts != 6 {
		t.Fatalf("%d published statements, %d drafts; want at least 200 and 6", published, drafts)
	}
	if tr := storagetest.Count(t, n.url, `SELECT COUNT(*) FROM statement_translations`); tr != 180 {
		t.Fatalf("%d translations, want 180 (150 Polylang and 30 WPML pairs)", tr)
	}
	if d := storagetest.Count(t, n.url, `SELECT COUNT(*) FROM deliveries`); d != 0 {
		t.Fatalf("the import queued %d deliveries", d)
	}
	if c := storagetest.Count(t, n.url, `SELECT COUNT(*) FROM activities WHERE activity_type = 'Create' AND direction = 'out'`); c != published {
		t.Fatalf("%d Creates stored for %d published statements", c, published)
	}
	if due := storagetest.Count(t, n.url, `SELECT COUNT(*) FROM statements WHERE state = 'published' AND federated_at IS NULL`); due != 0 {
		t.Fatalf("%d imported statements left for the scheduler to deliver", due)
	}

	// The first Polylang pair: the English original with its Arabic
	// translation, at the old date, with its picture and hashtags.
	tg, err := n.store.ImportTargetByPath(ctx, archive.NormalizePath("https://old.icssi.example/2014/01/we-stand-together-with-iraqi-civil-society-activists-0/"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := n.store.ActorByUsername(ctx, "icssi")
	st, err := n.store.StatementBySlug(ctx, a.ID, tg.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if st.Language != "en" || len(st.Translations) != 1 || st.Translations[0].Language != "ar" ||
		!st.PublishedAt.Equal(time.Date(2014, 1, 6, 9, 30, 0, 0, time.UTC)) {
		t.Fatalf("first statement: %s %v %v", st.Language, st.Translations, st.PublishedAt)
	}
	if len(st.Media) != 2 || !strings.Contains(st.BodyMarkdown, "](https://node.test/media/"+st.ID+"/1.jpg)") ||
		!strings.Contains(st.Translations[0].BodyMarkdown, "/media/"+st.ID+"/1.jpg)") || strings.Contains(st.BodyMarkdown, "old.icssi.example") {
		t.Fatalf("images: %d stored, body:\n%s", len(st.Media), st.BodyMarkdown)
	}
	if !strings.Contains(st.BodyMarkdown, "Caption 1") {
		t.Fatalf("the caption was lost:\n%s", st.BodyMarkdown)
	}
	tags := map[string]bool{}
	for _, tag := range st.Tags {
		tags[tag.Name] = true
	}
	if !tags["statements"] || !tags["civil_society"] || !tags["بيانات"] || !tags["حقوق_الإنسان"] || tags["uncategorized"] {
		t.Fatalf("tags: %v", st.Tags)
	}
	for _, m := range st.Media {
		data, err := os.ReadFile(filepath.Join(n.mediaDir, filepath.FromSlash(m.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if !imaging.Clean(data) || bytes.Contains(data, []byte("GPS")) || bytes.Contains(data, []byte("SecretPhone")) {
			t.Fatalf("%s keeps the original's metadata", m.Path)
		}
	}

	// A WPML pair: the Arabic original is the primary text although the
	// English translation comes first in the file.
	wp, err := n.store.ImportTargetByPostID(ctx, 405)
	if err != nil {
		t.Fatal(err)
	}
	if wp.Primary != "ar" || wp.Language != "en" {
		t.Fatalf("WPML pair: primary %s (old post in %s)", wp.Primary, wp.Language)
	}

	// Hostile markup from the old site is gone; its plain link stays.
	ht, err := n.store.ImportTargetByPostID(ctx, 112) // the fifth Polylang pair's English post
	if err != nil {
		t.Fatal(err)
	}
	hostile, err := n.store.StatementBySlug(ctx, a.ID, ht.Slug)
	if err != nil || !strings.Contains(hostile.BodyMarkdown, "(https://partner.example/report)") {
		t.Fatalf("the post with hostile markup: %v\n%s", err, hostile.BodyMarkdown)
	}
	for _, bad := range []string{"<script", "javascript:", "onerror", "onclick", "<iframe", "evil.example", "style=", "<form"} {
		if strings.Contains(hostile.BodyHTML, bad) || strings.Contains(hostile.BodyMarkdown, bad) {
			t.Fatalf("%q survived:\n%s\n%s", bad, hostile.BodyMarkdown, hostile.BodyHTML)
		}
	}

	reasons := ""
	for _, s := range rep.Skipped {
		reasons += s.Item + ": " + s.Reason + "\n"
	}
	for _, want := range []string{"comment(s) not imported", "private on the old site", "in the old site's trash",
		`"nav_menu_item" item`, "a page (--pages skip)", "at most 4 images"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("no skip reason %q in:\n%s", want, reasons)
		}
	}
}

// TestImportFeedsAndFolder: an RSS feed, an Atom feed (languages from
// xml:lang) and a folder of Markdown files (NAME.LANG.md translate each
// other) import as statements; a second run of each changes nothing.
func TestImportFeedsAndFolder(t *testing.T) {
	n := newImportNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	rss := `<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>ICSSI</title>
<link>https://old.icssi.example/</link><language>ar</language>
<item><title>بيان من الرافدين</title><link>https://old.icssi.example/feed-1/</link><guid>feed-1</guid>
<pubDate>Tue, 03 Mar 2015 10:00:00 +0000</pubDate><category>تضامن</category>
<description>&lt;p&gt;نص البيان &lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description></item>
<item><title>An English item</title><link>https://old.icssi.example/feed-2/</link><guid>feed-2</guid><dc:language>en</dc:language>
<pubDate>Wed, 04 Mar 2015 10:00:00 +0000</pubDate><description>Plain text.</description></item>
</channel></rss>`
	atom := `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>ICSSI</title><id>urn:icssi</id>
<updated>2016-01-01T00:00:00Z</updated>
<entry xml:lang="ckb"><title>ڕاگەیەندراو</title><id>urn:icssi:1</id><link href="https://old.icssi.example/atom-1"/>
<published>2016-01-01T00:00:00Z</published><updated>2016-01-01T00:00:00Z</updated><content type="html">&lt;p&gt;دەق&lt;/p&gt;</content></entry>
</feed>`
	for _, c := range []struct {
		src  string
		want map[string]string // guid → language
	}{
		{rss, map[string]string{"feed-1": "ar", "feed-2": "en"}},
		{atom, map[string]string{"urn:icssi:1": "ckb"}},
	} {
		a, err := archive.ReadFeed([]byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			rep, err := n.fed.Import(ctx, a, n.opts())
			if err != nil {
				t.Fatal(err)
			}
			if (i == 0 && rep.Imported != len(c.want)) || (i == 1 && rep.Unchanged != len(c.want)) {
				t.Fatalf("%s run %d: %+v", a.Format, i+1, rep)
			}
		}
		for guid, lang := range c.want {
			rec, err := n.store.ImportedPost(ctx, n.actorID, guid)
			if err != nil {
				t.Fatal(err)
			}
			st, err := n.store.StatementByID(ctx, rec.StatementID)
			if err != nil || st.Language != lang || strings.Contains(st.BodyHTML, "script") {
				t.Fatalf("%s: %+v %v", guid, st, err)
			}
		}
	}

	dir := t.TempDir()
	pngFile(t, filepath.Join(dir, "pic.png"), color.RGBA{10, 200, 10, 255})
	folder := fstest.MapFS{
		"2015/solidarity.en.md": {Data: []byte("---\ntitle: Solidarity\npublish: 2015-05-01T10:00:00Z\ntags: [Iraq]\nimages:\n  - file: ../pic.png\n    alt: Green\n---\nWe stand together.\n")},
		"2015/solidarity.ar.md": {Data: []byte("---\ntitle: تضامن\npublish: 2015-05-01T11:00:00Z\n---\nنقف معاً.\n")},
		"broken.md":             {Data: []byte("---\ntitel: typo\n---\nText\n")},
		".hidden/x.md":          {Data: []byte("---\ntitle: Hidden\n---\nx\n")},
	}
	a, err := archive.ReadFolder(folder)
	if err != nil {
		t.Fatal(err)
	}
	opts := n.opts()
	opts.Dir = dir
	rep, err := n.fed.Import(ctx, a, opts)
	if err != nil || rep.Imported != 1 || len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0].Reason, "titel") {
		t.Fatalf("folder: %+v %v", rep, err)
	}
	rec, err := n.store.ImportedPost(ctx, n.actorID, "file:2015/solidarity.ar.md")
	if err != nil {
		t.Fatal(err)
	}
	st, err := n.store.StatementByID(ctx, rec.StatementID)
	if err != nil || st.Language != "en" || len(st.Translations) != 1 || len(st.Media) != 1 ||
		!st.PublishedAt.Equal(time.Date(2015, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("folder statement: %+v %v", st, err)
	}
}

// TestImportUpdates: a dry run writes nothing; a post changed at the
// source updates its statement on the next run (no Update is delivered);
// a statement an editor changed here since is not written over, and the
// report says so.
func TestImportUpdates(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			n := newImportNode(t, b.URL)
			ctx := context.Background()
			feed := func(text string) *archive.Archive {
				a, err := archive.ReadFeed([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>ICSSI</title><language>en</language>
<item><title>Appeal</title><link>https://old.icssi.example/appeal/</link><guid>appeal</guid>
<pubDate>Tue, 03 Mar 2015 10:00:00 +0000</pubDate><description>` + text + `</description></item></channel></rss>`))
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			dry := n.opts()
			dry.DryRun = true
			rep, err := n.fed.Import(ctx, feed("First text."), dry)
			if err != nil || rep.Imported != 1 || storagetest.Count(t, n.url, `SELECT COUNT(*) FROM statements`) != 0 {
				t.Fatalf("dry run: %+v %v", rep, err)
			}
			if rep, err := n.fed.Import(ctx, feed("First text."), n.opts()); err != nil || rep.Imported != 1 {
				t.Fatalf("import: %+v %v", rep, err)
			}
			rep, err = n.fed.Import(ctx, feed("Corrected text."), n.opts())
			if err != nil || rep.Updated != 1 {
				t.Fatalf("changed at the source: %+v %v", rep, err)
			}
			rec, err := n.store.ImportedPost(ctx, n.actorID, "appeal")
			if err != nil {
				t.Fatal(err)
			}
			st, err := n.store.StatementByID(ctx, rec.StatementID)
			if err != nil || !strings.Contains(st.BodyMarkdown, "Corrected text.") {
				t.Fatalf("after the update: %v\n%s", err, st.BodyMarkdown)
			}
			if d := storagetest.Count(t, n.url, `SELECT COUNT(*) FROM deliveries`); d != 0 {
				t.Fatalf("%d deliveries", d)
			}
			if rep, err := n.fed.Import(ctx, feed("Corrected text."), n.opts()); err != nil || rep.Unchanged != 1 {
				t.Fatalf("again: %+v %v", rep, err)
			}
			storagetest.Exec(t, n.url, `UPDATE statements SET updated_at = $1, body_markdown = 'Edited here.' WHERE id = $2`,
				time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), st.ID)
			rep, err = n.fed.Import(ctx, feed("Third text."), n.opts())
			if err != nil || rep.Updated != 0 || len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0].Reason, "edited on this node") {
				t.Fatalf("after an edit here: %+v %v", rep, err)
			}
			if st, _ := n.store.StatementByID(ctx, rec.StatementID); st.BodyMarkdown != "Edited here." {
				t.Fatalf("the editor's text was written over: %s", st.BodyMarkdown)
			}
		})
	}
}
