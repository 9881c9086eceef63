package feeds

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	gorilla "github.com/gorilla/feeds"
)

// Namespaces of the RSS extension elements we write.
const (
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsMedia   = "http://search.yahoo.com/mrss/"
)

// rssDoc is the <rss> root. gorilla/feeds' RssFeedXml declares only the
// content namespace; we also write Atom, Dublin Core and Media RSS elements,
// whose prefixes must be declared here for the document to be namespace
// well-formed. The prefixed names below follow gorilla/feeds' own convention
// (its "content:encoded"): encoding/xml writes them as given.
type rssDoc struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	NSContent string     `xml:"xmlns:content,attr"`
	NSAtom    string     `xml:"xmlns:atom,attr"`
	NSDC      string     `xml:"xmlns:dc,attr"`
	NSMedia   string     `xml:"xmlns:media,attr"`
	Channel   rssChannel `xml:"channel"`
}

// rssChannel is gorilla/feeds' channel plus the self link readers use to
// notice a moved feed and the WebSub hub links, the author as a name (RSS's managingEditor must be an
// e-mail address; gorilla/feeds writes " (Name)" when there is none), and
// items that carry our extensions. Items here shadows the embedded one.
type rssChannel struct {
	*gorilla.RssFeed
	Links   []rssAtomLink `xml:"atom:link"`
	Creator string        `xml:"dc:creator,omitempty"`
	Items   []rssItem     `xml:"item"`
}

// rssAtomLink is <atom:link>: rel="self", recommended by the RSS Advisory
// Board and used by readers to find the canonical feed URL, and
// rel="hub", where WebSub subscribers find the hubs.
type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

// rssItem is gorilla/feeds' item (title, link, description, content:encoded,
// enclosure, guid, pubDate) plus what it has no field for. Categories
// shadows the library's single <category> string: a statement has many
// hashtags.
type rssItem struct {
	*gorilla.RssItem
	Updated    string         `xml:"atom:updated,omitempty"`
	Creator    string         `xml:"dc:creator,omitempty"`
	Language   string         `xml:"dc:language,omitempty"`
	Categories []string       `xml:"category"`
	Media      []mediaContent `xml:"media:content"`
}

// mediaContent is Media RSS's <media:content>: unlike the single RSS
// enclosure it can list every image, with its size and alt text.
type mediaContent struct {
	URL         string     `xml:"url,attr"`
	Type        string     `xml:"type,attr,omitempty"`
	Medium      string     `xml:"medium,attr"`
	FileSize    int64      `xml:"fileSize,attr,omitempty"`
	Width       int        `xml:"width,attr,omitempty"`
	Height      int        `xml:"height,attr,omitempty"`
	Description *mediaText `xml:"media:description"`
}

// mediaText is a Media RSS text element; ours are plain text.
type mediaText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

// RSS renders f and items, in the order given, as an RSS 2.0 document.
func RSS(f Feed, items []Item) ([]byte, error) {
	f, items, err := prepare(f, items)
	if err != nil {
		return nil, err
	}
	channel := (&gorilla.Rss{Feed: toGorilla(f, items)}).RssFeed()
	channel.ManagingEditor = ""
	channel.Language = f.Language
	channel.Description = rssText(f.Description)
	doc := rssDoc{
		Version:   "2.0",
		NSContent: nsContent,
		NSAtom:    nsAtom,
		NSDC:      nsDC,
		NSMedia:   nsMedia,
		Channel:   rssChannel{RssFeed: channel, Creator: f.Author, Items: make([]rssItem, len(items))},
	}
	if f.Self != "" {
		doc.Channel.Links = append(doc.Channel.Links, rssAtomLink{Href: f.Self, Rel: "self", Type: "application/rss+xml"})
	}
	for _, h := range f.Hubs {
		doc.Channel.Links = append(doc.Channel.Links, rssAtomLink{Href: h, Rel: "hub"})
	}
	for n, it := range items {
		ri := channel.Items[n]
		// RSS <author> must be an e-mail address; names go in dc:creator.
		ri.Author = ""
		ri.Description = rssText(it.Summary)
		x := rssItem{RssItem: ri, Creator: it.Author, Language: it.Language, Categories: it.Categories}
		if !it.Updated.Equal(it.Published) {
			x.Updated = rfc3339(it.Updated)
		}
		for _, im := range it.Images {
			m := mediaContent{URL: im.URL, Type: im.Type, Medium: "image", FileSize: im.Length, Width: im.Width, Height: im.Height}
			if im.Alt != "" {
				m.Description = &mediaText{Type: "plain", Text: im.Alt}
			}
			x.Media = append(x.Media, m)
		}
		doc.Channel.Items[n] = x
	}
	return marshalXML(doc, "rss")
}

// rssText prepares plain text for an RSS <description>. Readers treat that
// element as HTML, so text such as "a <b> tag" would be rendered as markup;
// escaping it once more makes them show the text as written.
func rssText(s string) string {
	return rssEscaper.Replace(s)
}

var rssEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// marshalXML writes the XML declaration and doc, indented like gorilla/feeds'
// own output, ending in a newline.
func marshalXML(doc any, format string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("feeds: encode %s: %w", format, err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
