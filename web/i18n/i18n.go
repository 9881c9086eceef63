// Package i18n holds the interface's words: one function, UI.T, through
// which every word of the site and the admin interface passes, and the
// message catalogues behind it.
package i18n

import (
	"io/fs"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/tadamun/tadamun/federation/content"
)

// Every word of the interface (the site's headings, labels, counts, error
// pages) goes through one function, ui.T, with the English text as its key.
// A catalogue for another language is one more entry in catalogues; no
// template changes. English needs entries only where a count changes the
// words: x/text chooses the CLDR plural form of the interface language
// (Arabic has six), so a translation gives every form its language has.

// pluralMessage is a message whose words depend on a count: the forms by
// CLDR category ("=0", "one", "two", "few", "many", "other").
type pluralMessage struct {
	key   string
	forms []any // selector, message, selector, message, ...
}

// english holds the messages whose English differs from their key.
var english = []pluralMessage{
	{"%d likes", []any{"one", "%d like", "other", "%d likes"}},
	{"%d boosts", []any{"one", "%d boost", "other", "%d boosts"}},
	{"%d replies", []any{"one", "%d reply", "other", "%d replies"}},
	{"%d statements", []any{"one", "%d statement", "other", "%d statements"}},
	{"%d followers on the fediverse", []any{"one", "%d follower on the fediverse", "other", "%d followers on the fediverse"}},
	{"%d media files at the original only", []any{"one", "%d media file at the original only", "other", "%d media files at the original only"}},
}

// Catalogues builds the message catalogue of every interface language.
func Catalogues() (*catalog.Builder, error) {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for _, m := range english {
		if err := b.Set(language.English, m.key, plural.Selectf(1, "%d", m.forms...)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// UI is the interface in one language: its words, its code and its
// direction (the direction of the interface, not of the statements shown in
// it, which carry their own).
type UI struct {
	lang string
	p    *message.Printer
}

// New returns the interface in lang, with the words of cat.
func New(cat catalog.Catalog, lang string) *UI {
	return &UI{lang: lang, p: message.NewPrinter(language.Make(lang), message.Catalog(cat))}
}

// T translates an interface message, filling in args as fmt does.
func (u *UI) T(key string, args ...any) string { return u.p.Sprintf(key, args...) }

// Lang is the interface language's BCP 47 code.
func (u *UI) Lang() string { return u.lang }

// Dir is "rtl" or "ltr" for the interface language.
func (u *UI) Dir() string { return content.Direction(u.lang) }

// Message translates a fixed sentence, such as an HTTP error's message. One
// that carries a '%' was built with data in it (a name, a number) and is
// shown as it is rather than read as a format.
func (u *UI) Message(msg string) string {
	if strings.ContainsRune(msg, '%') {
		return msg
	}
	return u.p.Sprintf(msg)
}

// Untranslated lists the interface words written by hand in the templates
// of fsys that match pattern, instead of going through "t": whatever
// letters remain once actions, tags and comments are taken out, and the
// text of aria-label, title and alt attributes. Names that are not
// interface text (the product's) are allowed.
func Untranslated(fsys fs.FS, pattern string) ([]string, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		text := tags.ReplaceAllString(actions.ReplaceAllString(string(b), " "), " ")
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
			if w != "Tadamun" {
				out = append(out, n+": "+w)
			}
		}
		for _, m := range labels.FindAllStringSubmatch(string(b), -1) {
			out = append(out, n+": "+m[1])
		}
	}
	return out, nil
}

var (
	actions = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tags    = regexp.MustCompile(`(?s)<[^>]*>`)
	labels  = regexp.MustCompile(`(?:aria-label|title|alt|placeholder)="([^"{]*[\pL][^"{]*)"`)
)
