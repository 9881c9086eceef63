package feeds

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gorilla "github.com/gorilla/feeds"
)

// Content-Type values to serve each format with.
const (
	RSSType  = "application/rss+xml; charset=utf-8"
	AtomType = "application/atom+xml; charset=utf-8"
	JSONType = "application/feed+json; charset=utf-8"
)

// Feed describes one feed: the whole node, an actor, a tag or a language.
type Feed struct {
	Title       string
	Description string
	Link        string    // the HTML page this feed mirrors; required
	Self        string    // the feed's own URL
	Language    string    // BCP 47, "" if mixed
	Author      string    // display name, "" for mixed
	Updated     time.Time // newest change of any item; zero means "take it from the items"
	Icon        string    // optional absolute URL
	// Hubs are the WebSub hubs readers may subscribe to for pushes of
	// this feed (WebSub §4): RSS and Atom name each in a rel="hub" link,
	// JSON Feed in "hubs". Self must then be the exact topic URL.
	Hubs []string
}

// Item is one statement in a feed.
type Item struct {
	// ID is the statement's ActivityPub id (an https URL). It never changes
	// when the statement is edited, so readers do not show an edit as a new
	// item. Required.
	ID          string
	Title       string
	Link        string // the statement page; "" falls back to ID
	Summary     string // plain-text lead
	ContentHTML string // full, already-sanitized HTML
	// ContentWarning, when set, hides the body: see the package doc.
	ContentWarning string
	// Language is the item's BCP 47 tag ("ar", "ckb", ...); "" falls back to
	// the feed's. Readers need it to lay out right-to-left text.
	Language  string
	Published time.Time // required
	Updated   time.Time // equal to Published if never edited; zero means Published
	Author    string    // "" falls back to the feed's
	// AuthorURL is the author's own page, for an item written elsewhere
	// (a partner's post): Atom's <uri>, JSON Feed's author url. RSS has no
	// place for it.
	AuthorURL  string
	Categories []string // hashtags as written, in any script, without '#'
	Images     []Image
}

// Image is a picture attached to an item.
type Image struct {
	URL    string
	Type   string // MIME type; images without one get no RSS enclosure or JSON attachment
	Alt    string
	Length int64 // bytes, 0 if unknown
	Width  int
	Height int
}

// cwLabel and cwShow are the fixed words around a content warning.
const (
	cwLabel = "Content warning: "
	cwShow  = "Show"
)

// prepare validates the input and returns cleaned copies: every string is
// made safe for XML, times are UTC to the second, fallbacks are applied and
// content warnings are folded into the content. The caller's values are not
// modified. The three renderers start from its result, so they agree.
func prepare(in Feed, items []Item) (Feed, []Item, error) {
	f := Feed{
		Title:       clean(in.Title),
		Description: clean(in.Description),
		Link:        clean(in.Link),
		Self:        clean(in.Self),
		Language:    clean(in.Language),
		Author:      clean(in.Author),
		Updated:     instant(in.Updated),
		Icon:        clean(in.Icon),
	}
	for _, h := range in.Hubs {
		if h = clean(h); h != "" {
			f.Hubs = append(f.Hubs, h)
		}
	}
	if f.Link == "" {
		return Feed{}, nil, fmt.Errorf("feeds: feed %q has no link", f.Title)
	}
	out := make([]Item, len(items))
	var newest time.Time
	for n, in := range items {
		it := Item{
			ID:             clean(in.ID),
			Title:          clean(in.Title),
			Link:           clean(in.Link),
			Summary:        clean(in.Summary),
			ContentHTML:    clean(in.ContentHTML),
			ContentWarning: clean(in.ContentWarning),
			Language:       clean(in.Language),
			Published:      instant(in.Published),
			Updated:        instant(in.Updated),
			Author:         clean(in.Author),
			AuthorURL:      clean(in.AuthorURL),
		}
		if it.ID == "" {
			return Feed{}, nil, fmt.Errorf("feeds: item %d (%q) has no id", n, it.Title)
		}
		if it.Published.IsZero() {
			return Feed{}, nil, fmt.Errorf("feeds: item %s has no publication time", it.ID)
		}
		if it.Updated.IsZero() {
			it.Updated = it.Published
		}
		if it.Link == "" {
			it.Link = it.ID
		}
		if it.Language == "" {
			it.Language = f.Language
		}
		if it.Author == "" {
			it.Author = f.Author
		}
		for _, c := range in.Categories {
			if c = clean(c); c != "" {
				it.Categories = append(it.Categories, c)
			}
		}
		for _, im := range in.Images {
			im = Image{URL: clean(im.URL), Type: clean(im.Type), Alt: clean(im.Alt),
				Length: max(im.Length, 0), Width: max(im.Width, 0), Height: max(im.Height, 0)}
			if im.URL != "" {
				it.Images = append(it.Images, im)
			}
		}
		if it.ContentWarning != "" {
			it.Summary = it.ContentWarning
			it.ContentHTML = hiddenContent(it.ContentWarning, it.ContentHTML, it.Images)
			it.Images = nil
		}
		if it.Updated.After(newest) {
			newest = it.Updated
		}
		out[n] = it
	}
	if f.Updated.IsZero() {
		// A feed with nothing in it has never changed: the Unix epoch keeps
		// the required Atom <updated> valid and the output deterministic.
		f.Updated = newest
		if f.Updated.IsZero() {
			f.Updated = time.Unix(0, 0).UTC()
		}
	}
	return f, out, nil
}

// hiddenContent is the content of an item with a content warning: the
// warning in the open, the body and images folded in <details>.
func hiddenContent(warning, body string, images []Image) string {
	var b strings.Builder
	b.WriteString("<p><strong>")
	b.WriteString(html.EscapeString(cwLabel + warning))
	b.WriteString("</strong></p><details><summary>")
	b.WriteString(cwShow)
	b.WriteString("</summary>")
	b.WriteString(body)
	for _, im := range images {
		b.WriteString(`<p><img src="`)
		b.WriteString(html.EscapeString(im.URL))
		b.WriteString(`" alt="`)
		b.WriteString(html.EscapeString(im.Alt))
		b.WriteString(`"`)
		if im.Width > 0 && im.Height > 0 {
			b.WriteString(` width="` + strconv.Itoa(im.Width) + `" height="` + strconv.Itoa(im.Height) + `"`)
		}
		b.WriteString("></p>")
	}
	b.WriteString("</details>")
	return b.String()
}

// toGorilla builds the library's generic feed from prepared input. Each
// renderer converts it with the library and then adds what the library
// cannot express.
func toGorilla(f Feed, items []Item) *gorilla.Feed {
	g := &gorilla.Feed{
		Title:       f.Title,
		Link:        &gorilla.Link{Href: f.Link},
		Description: f.Description,
		Updated:     f.Updated,
		Items:       make([]*gorilla.Item, 0, len(items)),
	}
	if f.Author != "" {
		g.Author = &gorilla.Author{Name: f.Author}
	}
	if f.Icon != "" {
		g.Image = &gorilla.Image{Url: f.Icon, Title: f.Title, Link: f.Link}
	}
	for _, it := range items {
		gi := &gorilla.Item{
			Title:       it.Title,
			Link:        &gorilla.Link{Href: it.Link},
			Description: it.Summary,
			Id:          it.ID,
			// The id is an ActivityPub IRI: it dereferences, but to JSON for
			// servers, so it is not the page a reader should open.
			IsPermaLink: "false",
			Created:     it.Published,
			Updated:     it.Updated,
			Content:     it.ContentHTML,
		}
		if it.Author != "" {
			gi.Author = &gorilla.Author{Name: it.Author}
		}
		// RSS allows one enclosure, and it must have a type: the first image
		// that has one. Length 0 is the usual "unknown" (the attribute is
		// required).
		for _, im := range it.Images {
			if im.Type != "" {
				gi.Enclosure = &gorilla.Enclosure{Url: im.URL, Type: im.Type, Length: strconv.FormatInt(im.Length, 10)}
				break
			}
		}
		g.Items = append(g.Items, gi)
	}
	return g
}

// instant is t in UTC, to the second: every format can carry that much, so
// all three say the same thing, and the time zone of the caller's values
// never changes the bytes.
func instant(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

// clean trims s and drops what XML 1.0 cannot carry: invalid UTF-8 becomes
// U+FFFD, and control characters other than tab, newline and carriage return
// (and the noncharacters U+FFFE, U+FFFF) are removed. encoding/xml would
// replace some of them in text but copies CDATA sections as they are, which
// would make <content:encoded> ill-formed.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if utf8.ValidString(s) && strings.IndexFunc(s, forbidden) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if forbidden(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// forbidden reports whether r is outside XML 1.0's Char production.
func forbidden(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20:
		return true
	case r >= 0xD800 && r <= 0xDFFF:
		return true
	case r == 0xFFFE || r == 0xFFFF:
		return true
	}
	return false
}

// rfc3339 formats a prepared time for Atom and the Atom elements in RSS.
func rfc3339(t time.Time) string {
	return t.Format(time.RFC3339)
}
