package i18n

import (
	"testing"
	"testing/fstest"
)

// TestPluralForms: counts choose the CLDR form of the interface language.
func TestPluralForms(t *testing.T) {
	cat, err := Catalogues()
	if err != nil {
		t.Fatal(err)
	}
	u := New(cat, "en")
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
	if u.Dir() != "ltr" || New(cat, "ar").Dir() != "rtl" {
		t.Error("interface direction does not follow the interface language")
	}
}

// TestUntranslated: the check that templates hold no hand-written words.
func TestUntranslated(t *testing.T) {
	fsys := fstest.MapFS{
		"ok.html":   {Data: []byte(`<p lang="{{uiLang}}">{{t "Search"}}</p><footer>Tadamun {{.Version}}</footer>`)},
		"bare.html": {Data: []byte(`<h1>Latest statements</h1>`)},
		"attr.html": {Data: []byte(`<nav aria-label="Pages"></nav>`)},
	}
	got, err := Untranslated(fsys, "*.html")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("want the two words of bare.html and the label of attr.html, got %q", got)
	}
}
