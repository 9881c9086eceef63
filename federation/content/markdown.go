package content

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"golang.org/x/text/unicode/norm"
)

// markdown renders CommonMark with GitHub's tables, strikethrough and
// autolinks. Raw HTML in the source is dropped by goldmark (no WithUnsafe),
// and the output is sanitized again anyway.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify))

// ownPolicy is for HTML we render ourselves from an editor's Markdown.
var ownPolicy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("dir", "lang").Globally()
	p.RequireNoFollowOnLinks(false)
	// Hashtag links (hashtags.go) keep Mastodon's markup through a second
	// sanitizing, so their class and rel survive wherever they are shown.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^mention hashtag$`)).OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^tag$`)).OnElements("a")
	return p
}()

// remotePolicy is for HTML from other servers (replies, partners' posts): the
// elements Mastodon federates and shows, nothing that runs, styles or frames.
// Links get rel="nofollow noopener noreferrer" and open in a new tab.
var remotePolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "a", "del", "pre", "code", "em", "strong", "b", "i", "u",
		"ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^((h|p|u|dt|e)-[a-z-]+|mention|hashtag|ellipsis|invisible|quote-inline)( ((h|p|u|dt|e)-[a-z-]+|mention|hashtag|ellipsis|invisible|quote-inline))*$`)).OnElements("a", "span")
	p.AllowAttrs("lang", "dir").Globally()
	p.AllowAttrs("start", "reversed").OnElements("ol")
	p.AllowAttrs("value").OnElements("li")
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// RenderMarkdown turns an editor's Markdown into sanitized HTML.
func RenderMarkdown(src string) (string, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return "", fmt.Errorf("content: render markdown: %w", err)
	}
	return ownPolicy.Sanitize(buf.String()), nil
}

// SanitizeRemote makes HTML from another server safe to store and show:
// scripts, styles, event attributes, forms, frames and non-http(s) links are
// removed, whatever their spelling.
func SanitizeRemote(html string) string {
	return strings.TrimSpace(remotePolicy.Sanitize(html))
}

// PlainText strips all markup, for summaries, titles and feed fields, and
// returns the text itself: "Evil &amp; Co" becomes "Evil & Co". It is not
// safe to put into HTML as it is; templates and feed writers escape it
// once, where it is written out. (The sanitizer's output is HTML with
// entities; keeping it would escape every & twice on a page.)
func PlainText(h string) string {
	return strings.TrimSpace(html.UnescapeString(bluemonday.StrictPolicy().Sanitize(h)))
}

// Slugify makes a URL path segment from a title: letters and digits of any
// script are kept (an Arabic title gives an Arabic slug), lower-cased,
// everything else becomes single hyphens, at most 80 characters.
func Slugify(title string) string {
	var b strings.Builder
	hyphen := false
	n := 0
	for _, r := range norm.NFC.String(strings.ToLower(title)) {
		if n >= 80 {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
				n++
			}
			hyphen = false
			b.WriteRune(r)
			n++
			continue
		}
		hyphen = true
	}
	if b.Len() == 0 {
		return "statement"
	}
	return b.String()
}

// NormalizeTag returns the key a hashtag is stored and matched under: no
// leading '#', NFC, lower case. "#Iraq" and "#iraq" are the same tag;
// "#تضامن" keeps its Arabic letters. It returns "" for something that is not
// a hashtag (empty, or with spaces or punctuation other than '_').
func NormalizeTag(s string) string {
	s = norm.NFC.String(strings.TrimPrefix(strings.TrimSpace(s), "#"))
	if s == "" {
		return ""
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || r == '\u200c' || r == '\u00b7') {
			return ""
		}
	}
	return strings.ToLower(s)
}
