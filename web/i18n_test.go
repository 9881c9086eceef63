package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestTemplatesHaveNoBareWords fails when a template holds interface words
// that do not go through the translation function: whatever letters remain
// once actions, tags and comments are taken out were written in English by
// hand.
func TestTemplatesHaveNoBareWords(t *testing.T) {
	actions := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tags := regexp.MustCompile(`(?s)<[^>]*>`)
	// Words that are names, not interface text.
	allowed := map[string]bool{"Tadamun": true}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates: %v %v", names, err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(templateFS, n)
		if err != nil {
			t.Fatal(err)
		}
		text := tags.ReplaceAllString(actions.ReplaceAllString(string(b), " "), " ")
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
			if !allowed[w] {
				t.Errorf("%s: %q is not translated (use {{t %q}})", n, w, w)
			}
		}
		// Attribute values that people read (labels, placeholders aside).
		for _, m := range regexp.MustCompile(`(?:aria-label|title|alt)="([^"{]*[A-Za-z][^"{]*)"`).FindAllStringSubmatch(string(b), -1) {
			t.Errorf("%s: attribute text %q is not translated", n, m[1])
		}
	}
}

// TestPluralForms: counts choose the CLDR form of the interface language.
func TestPluralForms(t *testing.T) {
	cat, err := catalogues()
	if err != nil {
		t.Fatal(err)
	}
	u := newUI(cat, "en")
	for _, c := range []struct {
		key  string
		n    int
		want string
	}{
		{"%d likes", 0, "0 likes"},
		{"%d likes", 1, "1 like"},
		{"%d likes", 2, "2 likes"},
		{"%d replies", 1, "1 reply"},
		{"%d followers on the fediverse", 1, "1 follower on the fediverse"},
		{"%d followers on the fediverse", 1000, "1,000 followers on the fediverse"},
	} {
		if got := u.T(c.key, c.n); got != c.want {
			t.Errorf("T(%q, %d) = %q, want %q", c.key, c.n, got, c.want)
		}
	}
	if got := u.Message("No such statement."); got != "No such statement." {
		t.Errorf("Message = %q", got)
	}
	if got := u.Message("100% sure"); got != "100% sure" {
		t.Errorf("a message with a per cent sign must come back as it is, got %q", got)
	}
	if u.Dir() != "ltr" || newUI(cat, "ar").Dir() != "rtl" {
		t.Error("interface direction does not follow the interface language")
	}
}
