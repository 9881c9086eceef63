package archive

import (
	"fmt"
	"regexp"
	"strings"

	htmltomarkdown "github.com/JohannesKaufmann/html-to-markdown/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/tadamun/tadamun/federation/content"
)

// MaxInlineImages is the most inline images read from one post's body;
// federation.Import keeps at most content.MaxImages of them.
const MaxInlineImages = 32

// Editors edit Markdown, so a post's HTML becomes Markdown: first made
// safe with the sanitizer used for every remote post (content.SanitizeRemote:
// nothing that runs, styles, frames or links elsewhere than http(s)),
// then converted with html-to-markdown. The sanitizer keeps no images, so
// each <img> is taken out first and its place marked with a token of
// letters and digits (which survives both steps untouched); the importer
// puts the stored copy back in its place, or drops it.

// Placeholder is the token that marks the place of inline image i in the
// Markdown that Markdown returns.
func Placeholder(i int) string { return fmt.Sprintf("tadamunimage%04dx", i) }

// shortcodes are WordPress's built-in shortcodes: a caption keeps what it
// wraps; the others (galleries, embeds, players) have nothing to show
// without WordPress and are removed.
var (
	captionCode = regexp.MustCompile(`(?s)\[caption[^\]]*\](.*?)\[/caption\]`)
	otherCodes  = regexp.MustCompile(`\[/?(gallery|embed|video|audio|playlist|wp_caption)\b[^\]]*\]`)
	blockStart  = regexp.MustCompile(`(?i)<(p|div|h[1-6]|ul|ol|blockquote|pre|figure|table)\b`)
)

// Markdown converts a post's HTML body to Markdown and lists its inline
// images in order (at most MaxInlineImages; later ones are dropped).
func Markdown(body string) (string, []Image, error) {
	classic := !blockStart.MatchString(body)
	body = captionCode.ReplaceAllString(body, "<figure>$1</figure>")
	body = otherCodes.ReplaceAllString(body, "")
	if classic {
		body = autop(body)
	}
	doc, err := html.Parse(strings.NewReader("<body>" + body + "</body>"))
	if err != nil {
		return "", nil, fmt.Errorf("archive: read HTML: %w", err)
	}
	var imgs []Image
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			switch {
			case c.Type == html.ElementNode && c.DataAtom == atom.Img:
				token := ""
				if src := attr(c, "src"); src != "" && len(imgs) < MaxInlineImages {
					token = " " + Placeholder(len(imgs)) + " "
					imgs = append(imgs, Image{URL: src, Alt: attr(c, "alt")})
				}
				n.InsertBefore(&html.Node{Type: html.TextNode, Data: token}, c)
				n.RemoveChild(c)
			case c.Type == html.ElementNode && c.DataAtom == atom.Figcaption:
				c.DataAtom, c.Data = atom.P, "p" // the caption stays, as its own paragraph
				walk(c)
			default:
				walk(c)
			}
			c = next
		}
	}
	walk(doc)
	var b strings.Builder
	if err := html.Render(&b, doc); err != nil {
		return "", nil, fmt.Errorf("archive: write HTML: %w", err)
	}
	md, err := htmltomarkdown.ConvertString(content.SanitizeRemote(b.String()))
	if err != nil {
		return "", nil, fmt.Errorf("archive: convert to Markdown: %w", err)
	}
	// The converter escapes every "_"; inside a word (a hashtag such as
	// #حقوق_الإنسان) it is never emphasis, and editors should not see "\_".
	md = intraword.ReplaceAllString(md, "${1}_")
	return strings.TrimSpace(md), imgs, nil
}

// intraword is an escaped underscore after a letter or digit.
var intraword = regexp.MustCompile(`([\p{L}\p{N}\p{M}])\\_`)

// autop does what WordPress does when it shows a post written in the
// classic editor, which stores paragraphs as blank lines: each becomes a
// <p>, and single line breaks become <br>.
func autop(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, para := range regexp.MustCompile(`\n\s*\n`).Split(s, -1) {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>" + strings.ReplaceAll(para, "\n", "<br>\n") + "</p>\n")
	}
	return b.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}
