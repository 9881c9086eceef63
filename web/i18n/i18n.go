// Package i18n holds the interface's words: one function, UI.T, through
// which every word of the site and the admin interface passes, and the
// message catalogues behind it (locales/*.json, one file per language).
package i18n

import (
	"embed"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/tadamun/tadamun/federation/content"
)

// Every word of the interface (the site's headings, labels, counts, error
// pages) goes through one function, ui.T, with the English text as its key.
// A language is one file in locales/, read and checked when the process
// starts (catalogue.go); no template or Go changes. x/text chooses the CLDR
// plural form of the interface language (Arabic has six), so a translation
// gives every form its language has.

//go:embed locales/*.json
var localeFiles embed.FS

// shipped is the embedded catalogues, read once per process.
var shipped = sync.OnceValues(func() (*Set, error) {
	sub, err := fs.Sub(localeFiles, "locales")
	if err != nil {
		return nil, err
	}
	return Load(sub)
})

// Shipped returns the catalogues built into the binary.
func Shipped() (*Set, error) { return shipped() }

// Catalogues builds the message catalogue of every shipped interface
// language.
func Catalogues() (*catalog.Builder, error) {
	s, err := Shipped()
	if err != nil {
		return nil, err
	}
	return s.builder, nil
}

// UI is the interface in one language: its words, its numerals and dates,
// its code and its direction (the direction of the interface, not of the
// statements shown in it, which carry their own).
type UI struct {
	lang   Language
	p      *message.Printer
	dates  dateFormat
	digits *strings.Replacer // nil: Latin digits as they are
}

// New returns the interface in lang, with the words of cat. The numerals
// and the language's name come from the shipped catalogue of lang when
// there is one.
func New(cat catalog.Catalog, lang string) *UI {
	l := Language{Tag: lang, Name: lang, Numerals: NumeralsLatin}
	if s, err := Shipped(); err == nil {
		if u := s.UI(lang); u != nil {
			l = u.lang
		}
	}
	return newUI(cat, l)
}

func newUI(cat catalog.Catalog, l Language) *UI {
	// The Unicode extension "nu" makes x/text print every number (counts,
	// thousands separators) in the catalogue's numerals.
	tag := language.Make(l.Tag + "-u-nu-" + l.Numerals)
	u := &UI{lang: l, p: message.NewPrinter(tag, message.Catalog(cat)), dates: dateFormatFor(l.Tag)}
	if l.Numerals == NumeralsArabic {
		u.digits = arabicDigits
	}
	return u
}

// T translates an interface message, filling in args as fmt does.
func (u *UI) T(key string, args ...any) string { return u.p.Sprintf(key, args...) }

// Lang is the interface language's BCP 47 code.
func (u *UI) Lang() string { return u.lang.Tag }

// Name is the interface language's name in itself ("العربية").
func (u *UI) Name() string { return u.lang.Name }

// Dir is "rtl" or "ltr" for the interface language.
func (u *UI) Dir() string { return content.Direction(u.lang.Tag) }

// Number prints n in the interface's numerals.
func (u *UI) Number(n int) string { return u.p.Sprintf("%d", n) }

// Digits rewrites the Latin digits of s into the interface's numerals.
func (u *UI) Digits(s string) string {
	if u.digits == nil {
		return s
	}
	return u.digits.Replace(s)
}

// Date is t's day in the interface language's long date format (CLDR,
// dates.go), with its month names and numerals; always the UTC day.
func (u *UI) Date(t time.Time) string { return u.Digits(u.dates(t.UTC())) }

// DateTime is Date with the UTC time of day, for the admin interface.
func (u *UI) DateTime(t time.Time) string {
	return u.Date(t) + " " + u.Digits(t.UTC().Format("15:04")) + " UTC"
}

// Message translates a fixed sentence, such as an HTTP error's message. One
// that carries a '%' was built with data in it (a name, a number) and is
// shown as it is rather than read as a format.
func (u *UI) Message(msg string) string {
	if strings.ContainsRune(msg, '%') {
		return msg
	}
	return u.p.Sprintf(msg)
}

var arabicDigits = strings.NewReplacer("0", "٠", "1", "١", "2", "٢", "3", "٣", "4", "٤", "5", "٥", "6", "٦", "7", "٧", "8", "٨", "9", "٩")

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
