package feeds

import (
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	gofeedatom "github.com/mmcdole/gofeed/atom"
	gofeedjson "github.com/mmcdole/gofeed/json"
	gofeedrss "github.com/mmcdole/gofeed/rss"
)

// parse reads out with gofeed, an independent parser used by many readers,
// keeping its format-specific view for what the universal one drops.
func parse(t *testing.T, out []byte) *gofeed.Feed {
	t.Helper()
	p := gofeed.NewParser()
	p.KeepOriginalFeed = true
	// gofeed would otherwise take an <img> from the content as the item's
	// image; we check the images we declared.
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	parsed, err := p.ParseString(string(out))
	if err != nil {
		t.Fatalf("gofeed cannot parse the feed: %v\n%s", err, out)
	}
	return parsed
}

// TestParsedFields renders the fixture in each format, parses it back with
// gofeed and checks that every field arrived intact.
func TestParsedFields(t *testing.T) {
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			f, items := fixture(r.self)
			out, err := r.fn(f, items)
			if err != nil {
				t.Fatal(err)
			}
			got := parse(t, out)
			checkFeed(t, r.name, got, f)
			if len(got.Items) != len(items) {
				t.Fatalf("%d items, want %d", len(got.Items), len(items))
			}
			for n, want := range items {
				t.Run(strconv.Itoa(n), func(t *testing.T) {
					checkItem(t, r.name, got, n, want, f.Author)
				})
			}
		})
	}
}

func checkFeed(t *testing.T, format string, got *gofeed.Feed, f Feed) {
	t.Helper()
	desc := got.Description
	if format == "rss" {
		desc = html.UnescapeString(desc)
	}
	eq(t, "feed title", got.Title, f.Title)
	eq(t, "feed description", desc, f.Description)
	eq(t, "feed link", got.Link, f.Link)
	eq(t, "feed self link", got.FeedLink, f.Self)
	eq(t, "feed language", got.Language, f.Language)
	if got.Author == nil {
		t.Error("feed author missing")
	} else {
		eq(t, "feed author", got.Author.Name, f.Author)
	}
	if got.Image == nil {
		t.Error("feed icon missing")
	} else {
		eq(t, "feed icon", got.Image.URL, f.Icon)
	}
	// JSON Feed has no feed-level time; gofeed copies the first item's.
	if format != "json" {
		if got.UpdatedParsed == nil || !got.UpdatedParsed.Equal(f.Updated) {
			t.Errorf("feed updated = %v, want %v", got.UpdatedParsed, f.Updated)
		}
	}
}

func checkItem(t *testing.T, format string, feed *gofeed.Feed, n int, want Item, feedAuthor string) {
	t.Helper()
	got := feed.Items[n]
	eq(t, "title", got.Title, want.Title)
	eq(t, "link", got.Link, want.Link)
	eq(t, "id", got.GUID, want.ID)
	if !slices.Equal(got.Categories, want.Categories) {
		t.Errorf("categories = %q, want %q", got.Categories, want.Categories)
	}
	author := want.Author
	if author == "" {
		author = feedAuthor
	}
	if got.Author == nil {
		t.Error("author missing")
	} else {
		eq(t, "author", got.Author.Name, author)
	}
	checkTimes(t, format, got, want)

	summary, content := want.Summary, want.ContentHTML
	if want.ContentWarning != "" {
		summary, content = cwWarning, cwContent
	}
	desc := got.Description
	if format == "rss" {
		// RSS descriptions are HTML to readers: the plain text was escaped.
		desc = html.UnescapeString(desc)
	}
	eq(t, "summary", desc, summary)
	eq(t, "content", got.Content, content)

	images := want.Images
	if want.ContentWarning != "" {
		// Hidden with the body: nothing a reader would show as a thumbnail.
		images = nil
		if strings.Contains(desc, want.Summary) || strings.Contains(desc, "Testimonies") ||
			!strings.HasPrefix(got.Content, "<p><strong>Content warning: ") {
			t.Errorf("content warning does not hide the body: summary %q, content %q", desc, got.Content)
		}
	}

	switch format {
	case "rss":
		checkRSSItem(t, feed.OriginalFeed().(*gofeedrss.Feed).Items[n], got, want, images)
	case "atom":
		checkAtomItem(t, feed.OriginalFeed().(*gofeedatom.Feed).Entries[n], got, images)
	case "json":
		checkJSONItem(t, feed.OriginalFeed().(*gofeedjson.Feed).Items[n], got, want, images)
	}
}

// checkTimes: all formats carry the publication time; Atom and JSON Feed
// always carry the modification time, RSS only when the item was edited.
func checkTimes(t *testing.T, format string, got *gofeed.Item, want Item) {
	t.Helper()
	if got.PublishedParsed == nil || !got.PublishedParsed.Equal(want.Published) {
		t.Errorf("published = %v, want %v", got.PublishedParsed, want.Published)
	}
	edited := !want.Updated.Equal(want.Published)
	switch {
	case format == "rss" && !edited:
		if got.UpdatedParsed != nil {
			t.Errorf("unedited RSS item has updated %v", got.UpdatedParsed)
		}
	case got.UpdatedParsed == nil || !got.UpdatedParsed.Equal(want.Updated):
		t.Errorf("updated = %v, want %v", got.UpdatedParsed, want.Updated)
	}
}

func checkRSSItem(t *testing.T, orig *gofeedrss.Item, got *gofeed.Item, want Item, images []Image) {
	t.Helper()
	if orig.GUID == nil || orig.GUID.IsPermalink != "false" {
		t.Errorf("guid = %+v, want isPermaLink=false", orig.GUID)
	}
	if got.DublinCoreExt == nil || !slices.Equal(got.DublinCoreExt.Language, []string{want.Language}) {
		t.Errorf("dc:language = %+v, want %q", got.DublinCoreExt, want.Language)
	}
	// RSS allows one enclosure: the first image.
	var encs []*gofeed.Enclosure
	if len(images) > 0 {
		encs = enclosures(images[:1])
	}
	eqEnclosures(t, got.Enclosures, encs)
	if len(images) > 0 {
		if got.Image == nil {
			t.Error("item image missing")
		} else {
			eq(t, "item image", got.Image.URL, images[0].URL)
		}
	}
	media := got.Extensions["media"]["content"]
	if len(media) != len(images) {
		t.Fatalf("%d media:content, want %d", len(media), len(images))
	}
	for n, im := range images {
		m := media[n]
		eq(t, "media url", m.Attrs["url"], im.URL)
		eq(t, "media type", m.Attrs["type"], im.Type)
		eq(t, "media medium", m.Attrs["medium"], "image")
		eq(t, "media fileSize", m.Attrs["fileSize"], strconv.FormatInt(im.Length, 10))
		eq(t, "media width", m.Attrs["width"], strconv.Itoa(im.Width))
		eq(t, "media height", m.Attrs["height"], strconv.Itoa(im.Height))
		if d := m.Children["description"]; len(d) != 1 || d[0].Value != im.Alt || d[0].Attrs["type"] != "plain" {
			t.Errorf("media:description = %+v, want %q", d, im.Alt)
		}
	}
}

func checkAtomItem(t *testing.T, orig *gofeedatom.Entry, got *gofeed.Item, images []Image) {
	t.Helper()
	eqEnclosures(t, got.Enclosures, enclosures(images))
	var titles []string
	for _, l := range orig.Links {
		if l.Rel == "enclosure" {
			titles = append(titles, l.Title)
		}
	}
	var alts []string
	for _, im := range images {
		alts = append(alts, im.Alt)
	}
	if !slices.Equal(titles, alts) {
		t.Errorf("enclosure titles = %q, want the alt texts %q", titles, alts)
	}
	if orig.Content == nil || orig.Content.Type != "html" {
		t.Errorf("content = %+v, want type html", orig.Content)
	}
}

func checkJSONItem(t *testing.T, orig *gofeedjson.Item, got *gofeed.Item, want Item, images []Image) {
	t.Helper()
	eq(t, "language", orig.Language, want.Language)
	eqEnclosures(t, got.Enclosures, enclosures(images))
	if len(images) == 0 {
		if got.Image != nil {
			t.Errorf("item image = %q, want none", got.Image.URL)
		}
		return
	}
	if got.Image == nil {
		t.Error("item image missing")
	} else {
		eq(t, "item image", got.Image.URL, images[0].URL)
	}
	if orig.Attachments == nil {
		t.Fatal("attachments missing")
	}
	for n, a := range *orig.Attachments {
		eq(t, "attachment title", a.Title, images[n].Alt)
	}
}

// enclosures is what a parser should report for images.
func enclosures(images []Image) []*gofeed.Enclosure {
	var out []*gofeed.Enclosure
	for _, im := range images {
		out = append(out, &gofeed.Enclosure{URL: im.URL, Type: im.Type, Length: strconv.FormatInt(im.Length, 10)})
	}
	return out
}

func eqEnclosures(t *testing.T, got, want []*gofeed.Enclosure) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d enclosures, want %d", len(got), len(want))
		return
	}
	for n := range want {
		if *got[n] != *want[n] {
			t.Errorf("enclosure %d = %+v, want %+v", n, *got[n], *want[n])
		}
	}
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// TestEmptyFeed checks that a feed without items is valid in each format.
func TestEmptyFeed(t *testing.T) {
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			f := emptyFixture(r.self)
			out, err := r.fn(f, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := parse(t, out)
			if len(got.Items) != 0 {
				t.Errorf("%d items, want none", len(got.Items))
			}
			eq(t, "title", got.Title, f.Title)
			link := f.Link
			if r.name == "atom" {
				// gofeed re-serializes Atom hrefs through net/url, which
				// percent-encodes the Arabic of the IRI.
				link = (&url.URL{Scheme: "https", Host: "node.example", Path: "/tags/تضامن"}).String()
			}
			eq(t, "link", got.Link, link)
			eq(t, "language", got.Language, f.Language)
			if r.name == "json" && !strings.Contains(string(out), `"items": []`) {
				t.Error(`JSON Feed requires "items" even when empty`)
			}
		})
	}
}

// TestEmptyFeedWithoutTime: a feed that never had an item and was given no
// time still renders, with the epoch as its (required) Atom updated time.
func TestEmptyFeedWithoutTime(t *testing.T) {
	f := emptyFixture("")
	f.Updated = time.Time{}
	for _, r := range renders {
		out, err := r.fn(f, nil)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		parse(t, out)
		if r.name == "atom" && !strings.Contains(string(out), "<updated>1970-01-01T00:00:00Z</updated>") {
			t.Errorf("atom: no epoch updated time:\n%s", out)
		}
	}
}

// TestFallbacks: an item without link, language or author takes the id, the
// feed's language and the feed's author; a feed without time takes its
// newest item's.
func TestFallbacks(t *testing.T) {
	f := Feed{Title: "Sorani", Link: "https://node.example/ckb", Language: "ckb", Author: "ICSSI"}
	p := time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC)
	items := []Item{
		{ID: "https://node.example/statements/a", Title: "یەک", Published: p},
		{ID: "https://node.example/statements/b", Title: "دوو", Published: p, Updated: p.Add(time.Hour)},
	}
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			out, err := r.fn(f, items)
			if err != nil {
				t.Fatal(err)
			}
			got := parse(t, out)
			for n, it := range got.Items {
				eq(t, "link", it.Link, items[n].ID)
				if it.Author == nil || it.Author.Name != "ICSSI" {
					t.Errorf("author = %+v, want the feed's", it.Author)
				}
			}
			if r.name != "json" && (got.UpdatedParsed == nil || !got.UpdatedParsed.Equal(p.Add(time.Hour))) {
				t.Errorf("feed updated = %v, want the newest item's", got.UpdatedParsed)
			}
			switch r.name {
			case "rss":
				for _, it := range got.Items {
					if it.DublinCoreExt == nil || !slices.Equal(it.DublinCoreExt.Language, []string{"ckb"}) {
						t.Errorf("dc:language = %+v, want ckb", it.DublinCoreExt)
					}
				}
			case "json":
				for _, it := range got.OriginalFeed().(*gofeedjson.Feed).Items {
					eq(t, "language", it.Language, "ckb")
				}
			}
		})
	}
}

// TestControlCharacters feeds text that XML cannot carry; the output must
// still parse, without those characters.
func TestControlCharacters(t *testing.T) {
	f := Feed{Title: "Bad\x00 input", Link: "https://node.example/"}
	items := []Item{{
		ID:          "https://node.example/statements/ctl",
		Title:       "bell\x07 and \xff byte",
		Summary:     "escape\x1b[0m",
		ContentHTML: "<p>null\x00 in CDATA ]]> end</p>",
		Published:   time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC),
	}}
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			out, err := r.fn(f, items)
			if err != nil {
				t.Fatal(err)
			}
			if r.name != "json" {
				wellFormed(t, out)
			}
			got := parse(t, out)
			eq(t, "feed title", got.Title, "Bad input")
			it := got.Items[0]
			eq(t, "title", it.Title, "bell and \uFFFD byte")
			eq(t, "content", it.Content, "<p>null in CDATA ]]> end</p>")
		})
	}
}
