package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Bounds on what an archive may make us keep in memory.
const (
	// MaxPosts is the most posts read from one source; more are reported
	// and left out.
	MaxPosts = 100_000
	// MaxFieldBytes is the longest title, body or excerpt kept of a post;
	// federation.Import refuses longer bodies with a reason.
	MaxFieldBytes = 1 << 20
)

// Post kinds and the statuses posts have on the old site.
const (
	KindPost = "post"
	KindPage = "page"

	StatusPublish = "publish"
	StatusDraft   = "draft" // draft, pending review, or scheduled on the old site
)

// Post is one post or page of an archive as it was on the old site.
type Post struct {
	// GUID is the source's own identity of the post (WXR guid, feed item
	// id, or the file's path in a folder): what makes an import repeatable.
	GUID   string
	PostID int64  // WordPress post id; 0 if none
	Kind   string // KindPost or KindPage
	Status string // StatusPublish or StatusDraft
	Title  string
	// HTML is the body as the old site stored it (WXR, feeds); Markdown is
	// set instead when the source is Markdown (a folder).
	HTML     string
	Markdown string
	Summary  string // excerpt, as HTML for WXR and feeds
	Link     string // the post's old address ("" if unknown)
	Slug     string
	Date     time.Time // first published, UTC; zero if the source gives none
	Language string    // as the source says it; "" if it does not
	// Original is true when the source says the post is the original of
	// its translation group (WPML names the source language of the others).
	Original   bool
	Categories []string
	Tags       []string
	// Images are pictures the post carries besides those in its body (a
	// WordPress featured image; front matter images of a Markdown file).
	Images []Image
	// Group names the posts that translate each other ("" if none).
	Group    string
	Comments int // comments on the old site
	// Skip, when not empty, is why the post is not imported (a post type
	// that is not writing, a private or trashed post).
	Skip string
}

// Image is a picture: at URL (a WXR attachment, an inline image) or in
// File (a Markdown folder, relative to the folder).
type Image struct {
	URL  string
	File string
	Alt  string
}

// Archive is what a reader found.
type Archive struct {
	Format   string // "wxr", "rss", "atom" or "markdown"
	Title    string
	Language string // the site's or feed's language, if it says
	Posts    []Post
	// Truncated says more than MaxPosts posts were in the source.
	Truncated bool
}

// Hash is a digest of what a post carries: an import that finds the same
// digest for a post it imported before changes nothing.
func (p *Post) Hash() string {
	h := sha256.New()
	for _, f := range []string{p.Kind, p.Status, p.Title, p.HTML, p.Markdown, p.Summary, p.Link, p.Slug,
		p.Date.UTC().Format(time.RFC3339), p.Language, p.Group, strings.Join(p.Categories, "\x1f"), strings.Join(p.Tags, "\x1f")} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	for _, im := range p.Images {
		h.Write([]byte(im.URL + "\x1f" + im.File + "\x1f" + im.Alt + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// NormalizePath turns an old address (a full URL or a path) into the form
// its redirect is stored and looked up under: the path only, percent-escapes
// decoded, NFC, lower case (WordPress finds posts by slug case-insensitively
// and writes non-ASCII slugs percent-encoded in either case), no trailing
// slash. "/" and unparseable addresses give "".
func NormalizePath(raw string) string {
	p := raw
	if u, err := url.Parse(raw); err == nil {
		p = u.EscapedPath()
	} else if i := strings.IndexAny(raw, "?#"); i >= 0 {
		p = raw[:i]
	}
	if dec, err := url.PathUnescape(p); err == nil {
		p = dec
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = path.Clean(p)
	p = strings.ToLower(norm.NFC.String(p))
	if p == "/" || p == "." {
		return ""
	}
	return p
}

// dedupe returns the non-empty strings of list once each, in order.
func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := list[:0:0]
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s != "" && !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	return out
}

// clip cuts s to at most MaxFieldBytes.
func clip(s string) string {
	if len(s) <= MaxFieldBytes {
		return s
	}
	return strings.ToValidUTF8(s[:MaxFieldBytes], "")
}

// byDate orders posts oldest first (ties by id, then guid), the order they
// are imported in, so progress and resumption follow the site's history.
func byDate(posts []Post) {
	sort.SliceStable(posts, func(i, j int) bool {
		a, b := posts[i], posts[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.Before(b.Date)
		}
		if a.PostID != b.PostID {
			return a.PostID < b.PostID
		}
		return a.GUID < b.GUID
	})
}
