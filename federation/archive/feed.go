package archive

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"strings"

	"github.com/mmcdole/gofeed"
)

// ReadFeed reads an RSS 2.0 or Atom feed (gofeed parses both, and their
// dialects). Every item is a published post: feeds carry no drafts. The
// language is the item's own where the feed says it (Atom xml:lang on the
// entry or its content, Dublin Core dc:language on an RSS item), else the
// feed's (<language>, or xml:lang on the Atom feed).
func ReadFeed(data []byte) (*Archive, error) {
	f, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("archive: not an RSS or Atom feed: %w", err)
	}
	a := &Archive{Format: f.FeedType, Title: strings.TrimSpace(f.Title), Language: strings.TrimSpace(f.Language)}
	var langs map[string]string
	if f.FeedType == "atom" {
		langs = atomEntryLanguages(data)
	}
	for i, it := range f.Items {
		if len(a.Posts) == MaxPosts {
			a.Truncated = true
			break
		}
		p := Post{GUID: strings.TrimSpace(it.GUID), Kind: KindPost, Status: StatusPublish,
			Title: clip(strings.TrimSpace(html.UnescapeString(it.Title))), Link: strings.TrimSpace(it.Link)}
		if p.GUID == "" {
			p.GUID = p.Link
		}
		if p.GUID == "" {
			p.GUID = fmt.Sprintf("item:%d", i)
		}
		p.HTML = it.Content
		if p.HTML == "" {
			p.HTML = it.Description
		} else {
			p.Summary = clip(it.Description)
		}
		p.HTML = clip(p.HTML)
		switch {
		case it.PublishedParsed != nil:
			p.Date = it.PublishedParsed.UTC()
		case it.UpdatedParsed != nil:
			p.Date = it.UpdatedParsed.UTC()
		}
		if it.DublinCoreExt != nil && len(it.DublinCoreExt.Language) > 0 {
			p.Language = strings.TrimSpace(it.DublinCoreExt.Language[0])
		}
		if l := langs[p.GUID]; l != "" {
			p.Language = l
		}
		p.Tags = dedupe(it.Categories)
		if it.Image != nil && it.Image.URL != "" {
			p.Images = append(p.Images, Image{URL: it.Image.URL, Alt: it.Image.Title})
		}
		for _, e := range it.Enclosures {
			if strings.HasPrefix(e.Type, "image/") && e.URL != "" && len(p.Images) < 8 {
				p.Images = append(p.Images, Image{URL: e.URL})
			}
		}
		a.Posts = append(a.Posts, p)
	}
	byDate(a.Posts)
	return a, nil
}

// atomEntryLanguages maps each Atom entry's id to its xml:lang (on the
// entry, else on its content), which gofeed does not keep.
func atomEntryLanguages(data []byte) map[string]string {
	var doc struct {
		Entries []struct {
			Lang    string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			ID      string `xml:"id"`
			Content struct {
				Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			} `xml:"content"`
		} `xml:"entry"`
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	if err := dec.Decode(&doc); err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range doc.Entries {
		if l := firstNonEmpty(e.Lang, e.Content.Lang); l != "" {
			out[strings.TrimSpace(e.ID)] = l
		}
	}
	return out
}
