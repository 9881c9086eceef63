package content

import (
	"bytes"
	"html"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
)

// Hashtags in running text follow the rules Mastodon applies, so that a
// tag we link is a tag its users see linked, and the reverse:
//   - a tag starts with '#' that does not follow a letter, a digit, '/',
//     '=' or ')' (so "page#part", "a.example/#x" and "&#39;" are not tags);
//   - its name is letters, combining marks, digits and '_', with '·' and
//     ZWNJ (U+200C, which Sorani and Persian write inside words) allowed
//     between them but not at either end;
//   - it has at least one letter, so "#1" and "#٢٠٢٥" alone are not tags.

// MaxTagLength bounds a hashtag's name in runes (Mastodon's limit too).
const MaxTagLength = 100

// FindHashtags returns the hashtags of plain text, in order, as written
// (without '#').
func FindHashtags(text string) []string {
	var out []string
	for _, m := range hashtagSpans(text) {
		out = append(out, text[m[0]+1:m[1]])
	}
	return out
}

// hashtagSpans returns the byte ranges of the hashtags in text, '#'
// included.
func hashtagSpans(text string) [][2]int {
	var out [][2]int
	prev := rune(-1)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r != '#' || !tagMayFollow(prev) {
			prev = r
			i += n
			continue
		}
		end := scanTagName(text, i+n)
		if end > i+n {
			out = append(out, [2]int{i, end})
			r, _ = utf8.DecodeLastRuneInString(text[:end])
			prev, i = r, end
			continue
		}
		prev = r
		i += n
	}
	return out
}

// tagMayFollow reports whether a '#' after r can start a hashtag.
func tagMayFollow(r rune) bool {
	if r < 0 {
		return true
	}
	return !(isTagWordRune(r) || r == '/' || r == '=' || r == ')' || r == '#' || r == '&')
}

// scanTagName returns the end of the hashtag name starting at start, or
// start when there is none.
func scanTagName(text string, start int) int {
	lastWord, letters, runes := start, false, 0
	for i := start; i < len(text); runes++ {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case isTagWordRune(r):
			if unicode.IsLetter(r) || unicode.In(r, unicode.Mn, unicode.Mc) {
				letters = true
			}
			lastWord = i + n
		case isTagSeparator(r) && i > start:
			// inside a name only: a trailing one is left out by lastWord
		default:
			i = len(text)
			continue
		}
		i += n
	}
	if !letters || runes > MaxTagLength {
		return start
	}
	return lastWord
}

func isTagWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd)
}

func isTagSeparator(r rune) bool { return r == '\u00b7' || r == '\u200c' }

// LinkHashtags links the hashtags in the text of sanitized HTML to href(name),
// Mastodon's way (<a class="mention hashtag" rel="tag">#<span>Name</span></a>),
// and returns the names of every hashtag the HTML links, the new ones and
// those already linked, as written. Text inside links, code and pre is left
// alone, so linking twice changes nothing.
func LinkHashtags(h string, href func(name string) string) (string, []string) {
	if !strings.Contains(h, "#") {
		return h, nil
	}
	var out bytes.Buffer
	var tags []string
	z := xhtml.NewTokenizer(strings.NewReader(h))
	skip := 0      // depth inside a, code, pre
	inTag := false // inside one of our hashtag links
	var label strings.Builder
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return out.String(), tags
		case xhtml.StartTagToken:
			name, _ := z.TagName()
			raw := z.Raw()
			if n := string(name); n == "a" || n == "code" || n == "pre" {
				if skip == 0 && n == "a" && isHashtagLink(z) {
					inTag = true
					label.Reset()
				}
				skip++
			}
			out.Write(raw)
			continue
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			if n := string(name); (n == "a" || n == "code" || n == "pre") && skip > 0 {
				skip--
				if skip == 0 && inTag {
					inTag = false
					if t := strings.TrimPrefix(strings.TrimSpace(label.String()), "#"); NormalizeTag(t) != "" {
						tags = append(tags, t)
					}
				}
			}
		case xhtml.TextToken:
			if inTag {
				label.WriteString(html.UnescapeString(string(z.Raw())))
			}
			if skip == 0 {
				text := html.UnescapeString(string(z.Raw()))
				spans := hashtagSpans(text)
				if len(spans) > 0 {
					last := 0
					for _, sp := range spans {
						name := text[sp[0]+1 : sp[1]]
						out.WriteString(html.EscapeString(text[last:sp[0]]))
						out.WriteString(`<a href="` + html.EscapeString(href(NormalizeTag(name))) +
							`" class="mention hashtag" rel="tag">#<span>` + html.EscapeString(name) + `</span></a>`)
						tags = append(tags, name)
						last = sp[1]
					}
					out.WriteString(html.EscapeString(text[last:]))
					continue
				}
			}
		}
		out.Write(z.Raw())
	}
}

// isHashtagLink reports whether the start tag z is on is a hashtag link
// (class "hashtag"), reading its attributes.
func isHashtagLink(z *xhtml.Tokenizer) bool {
	for {
		k, v, more := z.TagAttr()
		if string(k) == "class" {
			for _, c := range strings.Fields(string(v)) {
				if c == "hashtag" {
					return true
				}
			}
		}
		if !more {
			return false
		}
	}
}

// ReadableURL splits an address for display as Mastodon shows links: the
// scheme (hidden), the first keep runes of the rest with its
// percent-encoding decoded (node.example/@icssi/نقف-معاً…), and the
// remainder (hidden behind an ellipsis). A reader sees a readable address,
// in its own script, not %D9%86%D9%82….
func ReadableURL(u string, keep int) (scheme, visible, rest string) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", u, ""
	}
	scheme = pu.Scheme + "://"
	text := strings.TrimPrefix(u, scheme)
	if p, err := url.PathUnescape(pu.EscapedPath()); err == nil && utf8.ValidString(p) {
		text = pu.Host + p
		if pu.RawQuery != "" {
			text += "?" + pu.RawQuery
		}
	}
	if utf8.RuneCountInString(text) <= keep {
		return scheme, text, ""
	}
	i, n := 0, 0
	for i = range text {
		if n == keep {
			break
		}
		n++
	}
	return scheme, text[:i], text[i:]
}
