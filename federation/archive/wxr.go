package archive

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// WordPress eXtended RSS (WXR), the file Tools → Export writes: RSS 2.0
// whose items are every post, page, attachment and menu item, with
// WordPress's fields in the wp: namespace (wp:post_id, wp:status,
// wp:post_type, wp:post_date_gmt, wp:postmeta, wp:comment...). The body is
// content:encoded and the excerpt excerpt:encoded. Elements are matched by
// local name, so WXR 1.0, 1.1 and 1.2 (which differ in the wp namespace's
// URI) read alike; only the two "encoded" elements need their namespace.
//
// Multilingual sites mark translations in one of two ways:
//   - Polylang: each post has a category of domain "language" (its
//     language's slug, e.g. "ar") and one of domain "post_translations"
//     (the group's slug, e.g. "pll_5f2b…"); the group's wp:term at channel
//     level has a PHP-serialized description mapping language to post id,
//     a:2:{s:2:"en";i:12;s:2:"ar";i:13;}.
//   - WPML (its Export and Import add-on): postmeta
//     _wpml_import_language_code, _wpml_import_translation_group and, on
//     translations only, _wpml_import_source_language_code.

type wxrDoc struct {
	Channel struct {
		Title    string    `xml:"title"`
		Link     string    `xml:"link"`
		Language string    `xml:"language"`
		Terms    []wxrTerm `xml:"term"`
		Items    []wxrItem `xml:"item"`
	} `xml:"channel"`
}

type wxrTerm struct {
	Taxonomy    string `xml:"term_taxonomy"`
	Slug        string `xml:"term_slug"`
	Description string `xml:"term_description"`
}

type wxrItem struct {
	Title      string        `xml:"title"`
	Link       string        `xml:"link"`
	GUID       string        `xml:"guid"`
	Encoded    []wxrEncoded  `xml:"encoded"`
	PostID     int64         `xml:"post_id"`
	DateGMT    string        `xml:"post_date_gmt"`
	Date       string        `xml:"post_date"`
	PubDate    string        `xml:"pubDate"`
	Name       string        `xml:"post_name"`
	Status     string        `xml:"status"`
	Type       string        `xml:"post_type"`
	Parent     int64         `xml:"post_parent"`
	URL        string        `xml:"attachment_url"`
	Categories []wxrCategory `xml:"category"`
	Meta       []wxrMeta     `xml:"postmeta"`
	Comments   []struct {
		Approved string `xml:"comment_approved"`
	} `xml:"comment"`
}

type wxrEncoded struct {
	XMLName xml.Name
	Text    string `xml:",chardata"`
}

type wxrCategory struct {
	Domain   string `xml:"domain,attr"`
	Nicename string `xml:"nicename,attr"`
	Name     string `xml:",chardata"`
}

type wxrMeta struct {
	Key   string `xml:"meta_key"`
	Value string `xml:"meta_value"`
}

func (it *wxrItem) meta(key string) string {
	for _, m := range it.Meta {
		if m.Key == key {
			return strings.TrimSpace(m.Value)
		}
	}
	return ""
}

// ReadWXR reads a WordPress export. Posts and pages are returned (oldest
// first); attachments become the images of the posts that use them as
// featured image; other item types (menu items, revisions, blocks, custom
// types) are returned with Skip set.
func ReadWXR(r io.Reader) (*Archive, error) {
	var doc wxrDoc
	dec := xml.NewDecoder(r)
	dec.Strict = false // exports from old plugins carry stray entities
	dec.Entity = xml.HTMLEntity
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("archive: not a WordPress export (WXR): %w", err)
	}
	if len(doc.Channel.Items) == 0 && doc.Channel.Title == "" {
		return nil, errors.New("archive: not a WordPress export (WXR): no channel found")
	}
	// The channel's language is the site's locale (en-US, ar): its
	// language is what the posts are written in.
	lang, _, _ := strings.Cut(strings.TrimSpace(doc.Channel.Language), "-")
	a := &Archive{Format: "wxr", Title: strings.TrimSpace(doc.Channel.Title), Language: lang}
	attachments := map[int64]Image{}
	for _, it := range doc.Channel.Items {
		if it.Type == "attachment" && it.URL != "" {
			attachments[it.PostID] = Image{URL: strings.TrimSpace(it.URL), Alt: it.meta("_wp_attachment_image_alt")}
		}
	}
	polylang := polylangGroups(doc.Channel.Terms)
	for i := range doc.Channel.Items {
		it := &doc.Channel.Items[i]
		if it.Type == "attachment" {
			continue
		}
		if len(a.Posts) == MaxPosts {
			a.Truncated = true
			break
		}
		a.Posts = append(a.Posts, wxrPost(it, attachments, polylang))
	}
	byDate(a.Posts)
	return a, nil
}

func wxrPost(it *wxrItem, attachments map[int64]Image, polylang map[string]map[int64]string) Post {
	p := Post{GUID: strings.TrimSpace(it.GUID), PostID: it.PostID, Kind: it.Type, Title: clip(strings.TrimSpace(it.Title)),
		Link: strings.TrimSpace(it.Link), Slug: strings.TrimSpace(it.Name), Date: wxrDate(it)}
	if p.GUID == "" {
		p.GUID = "wp-post:" + strconv.FormatInt(it.PostID, 10)
	}
	for _, e := range it.Encoded {
		if strings.Contains(e.XMLName.Space, "excerpt") {
			p.Summary = clip(strings.TrimSpace(e.Text))
		} else {
			p.HTML = clip(e.Text)
		}
	}
	for _, c := range it.Comments {
		if c.Approved == "1" {
			p.Comments++
		}
	}
	switch it.Type {
	case "post":
		p.Kind = KindPost
	case "page":
		p.Kind = KindPage
	default:
		p.Skip = fmt.Sprintf("a WordPress %q item, not a post or page", it.Type)
	}
	switch it.Status {
	case "publish":
		p.Status = StatusPublish
	case "draft", "pending", "future", "auto-draft":
		p.Status = StatusDraft
	case "private":
		p.Status, p.Skip = StatusDraft, firstNonEmpty(p.Skip, "private on the old site: readers never saw it")
	case "trash":
		p.Status, p.Skip = StatusDraft, firstNonEmpty(p.Skip, "in the old site's trash")
	default:
		p.Status, p.Skip = StatusDraft, firstNonEmpty(p.Skip, fmt.Sprintf("unknown WordPress status %q", it.Status))
	}
	var group string
	for _, c := range it.Categories {
		name := strings.TrimSpace(c.Name)
		switch c.Domain {
		case "category":
			if c.Nicename != "uncategorized" {
				p.Categories = append(p.Categories, name)
			}
		case "post_tag":
			p.Tags = append(p.Tags, name)
		case "language": // Polylang
			p.Language = strings.TrimSpace(c.Nicename)
		case "post_translations": // Polylang
			group = strings.TrimSpace(c.Nicename)
		}
	}
	if group != "" {
		p.Group = "polylang:" + group
		if p.Language == "" {
			p.Language = polylang[group][it.PostID]
		}
	}
	if g := it.meta("_wpml_import_translation_group"); g != "" { // WPML
		p.Group = "wpml:" + g
		p.Language = firstNonEmpty(it.meta("_wpml_import_language_code"), p.Language)
		p.Original = it.meta("_wpml_import_source_language_code") == ""
	}
	p.Categories, p.Tags = dedupe(p.Categories), dedupe(p.Tags)
	if id, err := strconv.ParseInt(it.meta("_thumbnail_id"), 10, 64); err == nil {
		if im, ok := attachments[id]; ok {
			p.Images = append(p.Images, im)
		}
	}
	return p
}

// wxrDate is when a post was published, in UTC: post_date_gmt, which
// WordPress leaves as zeros for drafts, else the RSS pubDate, else
// post_date (the site's local time, taken as UTC for want of its zone).
func wxrDate(it *wxrItem) time.Time {
	for _, s := range []string{it.DateGMT, it.PubDate, it.Date} {
		s = strings.TrimSpace(s)
		if s == "" || strings.HasPrefix(s, "0000") {
			continue
		}
		for _, layout := range []string{"2006-01-02 15:04:05", time.RFC1123Z, time.RFC1123} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// phpPair matches one language → post id entry of a serialized PHP array,
// s:2:"en";i:12;
var phpPair = regexp.MustCompile(`s:\d+:"([^"]{1,35})";i:(\d+);`)

// polylangGroups reads Polylang's translation groups: group slug → post
// id → language.
func polylangGroups(terms []wxrTerm) map[string]map[int64]string {
	out := map[string]map[int64]string{}
	for _, t := range terms {
		if t.Taxonomy != "post_translations" {
			continue
		}
		m := map[int64]string{}
		for _, sub := range phpPair.FindAllStringSubmatch(t.Description, 64) {
			if id, err := strconv.ParseInt(sub[2], 10, 64); err == nil {
				m[id] = sub[1]
			}
		}
		out[strings.TrimSpace(t.Slug)] = m
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
