package content

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestFindHashtags(t *testing.T) {
	zwnj := "\u200c"
	cases := []struct {
		name, text string
		want       []string
	}{
		{"arabic with underscore", "نقف معاً #حقوق_الإنسان اليوم", []string{"حقوق_الإنسان"}},
		{"latin", "Solidarity with #Iraq.", []string{"Iraq"}},
		{"latin diacritics", "#Solidarité et #Kurdistanê, #Città!", []string{"Solidarité", "Kurdistanê", "Città"}},
		{"sorani letters", "#مافی_مرۆڤ و #ئازادیی_ڕادەربڕین", []string{"مافی_مرۆڤ", "ئازادیی_ڕادەربڕین"}},
		{"sorani zwnj inside", "#ئازادی" + zwnj + "یەکان هەموو", []string{"ئازادی" + zwnj + "یەکان"}},
		{"zwnj at the end is not part", "#ئازادی" + zwnj + " x", []string{"ئازادی"}},
		{"arabic-indic digits with letters", "#کۆبوونەوە_٢٠٢٥ و #2025Iraq", []string{"کۆبوونەوە_٢٠٢٥", "2025Iraq"}},
		{"digits alone are not tags", "issue #1 and #٢٠٢٥ and #12_34", nil},
		{"fragment of a URL", "see https://a.example/page#section and a.example/#x", nil},
		{"after a letter or digit", "C#sharp x1#y", nil},
		{"after = or )", "q=#x (a)#b", nil},
		{"punctuation ends a tag", "(#Iraq), «#تضامن»", []string{"Iraq", "تضامن"}},
		{"arabic harakat", "#تَضَامُن", []string{"تَضَامُن"}},
		{"middle dot inside", "#l·lengua", []string{"l·lengua"}},
		{"a lone hash", "# and #", nil},
		{"double hash", "##x", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FindHashtags(c.text); !reflect.DeepEqual(got, c.want) {
				t.Errorf("FindHashtags(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

func TestFindHashtagsLength(t *testing.T) {
	long := "#" + strings.Repeat("a", MaxTagLength+1)
	if got := FindHashtags(long); got != nil {
		t.Errorf("a %d-letter tag was found: %q", MaxTagLength+1, got)
	}
	ok := "#" + strings.Repeat("a", MaxTagLength)
	if got := FindHashtags(ok); len(got) != 1 {
		t.Errorf("a %d-letter tag was not found", MaxTagLength)
	}
}

func TestLinkHashtags(t *testing.T) {
	href := func(name string) string { return "https://node.example/tags/" + url.PathEscape(name) }
	src := "Solidarity with #Iraq & *#حقوق_الإنسان*\n\n```\ncode #notatag\n```\n\n" +
		"A link: https://a.example/x#frag and [#notlinked](https://b.example/) and `#code`.\n\n# Heading #InHeading"
	h, err := RenderMarkdown(src)
	if err != nil {
		t.Fatal(err)
	}
	out, tags := LinkHashtags(h, href)
	want := []string{"Iraq", "حقوق_الإنسان", "InHeading"}
	if !reflect.DeepEqual(tags, want) {
		t.Errorf("tags = %q, want %q\n%s", tags, want, out)
	}
	for _, s := range []string{
		`<a href="https://node.example/tags/iraq" class="mention hashtag" rel="tag">#<span>Iraq</span></a> &amp; <em><a `,
		`<a href="https://node.example/tags/%D8%AD%D9%82%D9%88%D9%82_%D8%A7%D9%84%D8%A5%D9%86%D8%B3%D8%A7%D9%86" class="mention hashtag" rel="tag">#<span>حقوق_الإنسان</span></a>`,
		"code #notatag", `<code>#code</code>`, `>#notlinked</a>`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	// Linking again changes nothing and still reports the tags.
	again, tags2 := LinkHashtags(out, href)
	if again != out {
		t.Errorf("second pass changed the HTML:\n%s\n%s", out, again)
	}
	if !reflect.DeepEqual(tags2, want) {
		t.Errorf("second pass tags = %q, want %q", tags2, want)
	}
	// The output is still what the sanitizer lets through.
	if s := ownPolicy.Sanitize(out); s != out {
		t.Errorf("linked HTML does not survive the sanitizer:\n%s\n%s", out, s)
	}
}

func TestLinkHashtagsEscapes(t *testing.T) {
	out, tags := LinkHashtags(`<p>&lt;b&gt; #x&lt;script&gt;</p>`, func(n string) string { return "https://n.example/tags/" + n })
	if !reflect.DeepEqual(tags, []string{"x"}) || strings.Contains(out, "<script>") || strings.Contains(out, "<b>") {
		t.Errorf("out = %s, tags = %q", out, tags)
	}
}

func TestReadableURL(t *testing.T) {
	u := "https://node.example/@icssi/%D9%86%D9%82%D9%81-%D9%85%D8%B9%D8%A7%D9%8B-%D9%85%D9%86-%D8%A3%D8%AC%D9%84-%D8%A7%D9%84%D8%B9%D8%B1%D8%A7%D9%82"
	scheme, visible, rest := ReadableURL(u, 30)
	if scheme != "https://" || visible != "node.example/@icssi/نقف-معاً-م" || rest != "ن-أجل-العراق" {
		t.Errorf("ReadableURL = %q %q %q", scheme, visible, rest)
	}
	if _, v, r := ReadableURL("https://node.example/@icssi/short", 30); v != "node.example/@icssi/short" || r != "" {
		t.Errorf("short address split: %q %q", v, r)
	}
	// A path that is not valid UTF-8 once decoded is shown as it is.
	if _, v, _ := ReadableURL("https://n.example/%FF", 30); v != "n.example/%FF" {
		t.Errorf("invalid UTF-8 path shown as %q", v)
	}
}
