package feeds

import (
	"strconv"

	gorilla "github.com/gorilla/feeds"
)

// atomFeed is gorilla/feeds' <feed> plus the feed's language and all of
// its links: the library keeps a single link, but readers need
// rel="alternate" for the page, rel="self" for the feed's own URL and
// rel="hub" for its WebSub hubs.
// Links and Entries shadow the embedded fields. xml:lang is named by its
// namespace, for which encoding/xml writes the reserved "xml" prefix without
// declaring it, as XML requires.
type atomFeed struct {
	*gorilla.AtomFeed
	Lang    string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

// atomEntry is gorilla/feeds' <entry> plus what it cannot express: the
// entry's own xml:lang (a feed mixes English, Arabic and Sorani, and readers
// set text direction from it), one <category> per hashtag instead of the
// library's single string, and one enclosure link per image with its alt
// text, instead of the library's one. The library's own <published> field
// is filled in, since it leaves it empty.
type atomEntry struct {
	*gorilla.AtomEntry
	Lang       string         `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
}

// atomLink is gorilla/feeds' link with Atom's title attribute, which
// carries an image's alt text.
type atomLink struct {
	gorilla.AtomLink
	Title string `xml:"title,attr,omitempty"`
}

// atomCategory is <category term="...">.
type atomCategory struct {
	Term string `xml:"term,attr"`
}

// Atom renders f and items, in the order given, as an Atom 1.0 document.
func Atom(f Feed, items []Item) ([]byte, error) {
	f, items, err := prepare(f, items)
	if err != nil {
		return nil, err
	}
	af := (&gorilla.Atom{Feed: toGorilla(f, items)}).AtomFeed()
	af.Icon = f.Icon
	doc := atomFeed{
		AtomFeed: af,
		Lang:     f.Language,
		Links:    []atomLink{{AtomLink: gorilla.AtomLink{Href: f.Link, Rel: "alternate", Type: "text/html"}}},
		Entries:  make([]atomEntry, len(items)),
	}
	if f.Self != "" {
		doc.Links = append(doc.Links, atomLink{AtomLink: gorilla.AtomLink{Href: f.Self, Rel: "self", Type: "application/atom+xml"}})
	}
	for _, h := range f.Hubs {
		doc.Links = append(doc.Links, atomLink{AtomLink: gorilla.AtomLink{Href: h, Rel: "hub"}})
	}
	for n, it := range items {
		e := af.Entries[n]
		// The library's Links field has no tag (its elements are named by
		// their type), so encoding/xml does not see ours as shadowing it:
		// drop it, or the alternate and enclosure links would be doubled.
		e.Links = nil
		e.Published = rfc3339(it.Published)
		if e.Summary != nil {
			// gorilla/feeds marks the summary as HTML; ours is plain text.
			e.Summary.Type = "text"
		}
		if e.Author != nil && it.AuthorURL != "" {
			e.Author.Uri = it.AuthorURL
		}
		x := atomEntry{
			AtomEntry: e,
			Lang:      it.Language,
			Links:     []atomLink{{AtomLink: gorilla.AtomLink{Href: it.Link, Rel: "alternate", Type: "text/html"}}},
		}
		for _, im := range it.Images {
			l := atomLink{AtomLink: gorilla.AtomLink{Href: im.URL, Rel: "enclosure", Type: im.Type}, Title: im.Alt}
			if im.Length > 0 {
				l.Length = strconv.FormatInt(im.Length, 10)
			}
			x.Links = append(x.Links, l)
		}
		for _, c := range it.Categories {
			x.Categories = append(x.Categories, atomCategory{Term: c})
		}
		doc.Entries[n] = x
	}
	return marshalXML(doc, "atom")
}
