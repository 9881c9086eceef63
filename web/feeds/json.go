package feeds

import (
	"bytes"
	"encoding/json"
	"fmt"

	gorilla "github.com/gorilla/feeds"
)

// jsonFeed is gorilla/feeds' JSON Feed. Items shadows the library's field,
// which is "omitempty": JSON Feed 1.1 requires the items array, so an empty
// feed must still say "items": [].
type jsonFeed struct {
	*gorilla.JSONFeed
	Items []jsonItem `json:"items"`
}

// jsonItem is gorilla/feeds' item plus the 1.1 item language, which the
// library has no field for, and attachments that use the specification's
// "size_in_bytes" (the library writes "size", which readers ignore, and
// holds it in an int32).
type jsonItem struct {
	*gorilla.JSONItem
	Language    string           `json:"language,omitempty"`
	Attachments []jsonAttachment `json:"attachments,omitempty"`
}

// jsonAttachment is a JSON Feed 1.1 attachment.
type jsonAttachment struct {
	URL         string `json:"url"`
	MIMEType    string `json:"mime_type"`
	Title       string `json:"title,omitempty"`
	SizeInBytes int64  `json:"size_in_bytes,omitempty"`
}

// JSON renders f and items, in the order given, as a JSON Feed 1.1 document.
func JSON(f Feed, items []Item) ([]byte, error) {
	f, items, err := prepare(f, items)
	if err != nil {
		return nil, err
	}
	jf := (&gorilla.JSON{Feed: toGorilla(f, items)}).JSONFeed()
	jf.FeedUrl = f.Self
	jf.Language = f.Language
	jf.Icon = f.Icon
	for _, h := range f.Hubs {
		// JSON Feed 1.1: "type" names the protocol; "WebSub" is the
		// specification's own example.
		jf.Hubs = append(jf.Hubs, &gorilla.JSONHub{Type: "WebSub", Url: h})
	}
	doc := jsonFeed{JSONFeed: jf, Items: make([]jsonItem, len(items))}
	for n, it := range items {
		ji := jf.Items[n]
		ji.Tags = it.Categories
		if ji.Author != nil { // the same author as ji.Authors[0]
			ji.Author.Url = it.AuthorURL
		}
		ji.Image = ""
		if len(it.Images) > 0 {
			ji.Image = it.Images[0].URL
		}
		doc.Items[n] = jsonItem{JSONItem: ji, Language: it.Language, Attachments: attachments(it.Images)}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// content_html is HTML: keep it readable rather than \u003c-escaped. The
	// feed is served as a document of its own, never inlined into a page, so
	// that escaping would protect nothing.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("feeds: encode json: %w", err)
	}
	return b.Bytes(), nil
}

// attachments lists the images that have a MIME type, which JSON Feed
// requires. The alt text becomes the title only where it is unique in the
// item: JSON Feed reads attachments sharing a title as alternative formats
// of one resource.
func attachments(images []Image) []jsonAttachment {
	alts := make(map[string]int, len(images))
	for _, im := range images {
		alts[im.Alt]++
	}
	var out []jsonAttachment
	for _, im := range images {
		if im.Type == "" {
			continue
		}
		a := jsonAttachment{URL: im.URL, MIMEType: im.Type, SizeInBytes: im.Length}
		if alts[im.Alt] == 1 {
			a.Title = im.Alt
		}
		out = append(out, a)
	}
	return out
}
