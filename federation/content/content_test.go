package content

import (
	"strings"
	"testing"
	"time"
)

func TestNormalizeLanguage(t *testing.T) {
	cases := []struct{ in, want string }{
		{"en", "en"}, {"EN", "en"}, {"ar", "ar"}, {"ckb", "ckb"}, {"ar-iq", "ar-IQ"}, {"ku", "ku"}, {"fr", "fr"}, {"it", "it"},
		{"xx", ""}, {"zz", ""}, {"english", ""}, {"", ""}, {"und", ""},
	}
	for _, c := range cases {
		got, err := NormalizeLanguage(c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("NormalizeLanguage(%q) = %q, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizeLanguage(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestDirection(t *testing.T) {
	for lang, want := range map[string]string{
		"ar": "rtl", "ckb": "rtl", "fa": "rtl", "he": "rtl", "ur": "rtl", "ar-IQ": "rtl", "ku-Arab": "rtl",
		"en": "ltr", "ku": "ltr", "fr": "ltr", "ckb-Latn": "ltr", "it": "ltr", "garbage!": "ltr",
	} {
		if got := Direction(lang); got != want {
			t.Errorf("Direction(%q) = %s, want %s", lang, got, want)
		}
	}
}

func TestRenderMarkdown(t *testing.T) {
	html, err := RenderMarkdown("# Head\n\nSome *text* <script>alert(1)</script> and [a link](javascript:alert(1)) and https://example.org\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h1", "<em>text</em>", `href="https://example.org"`} {
		if !strings.Contains(html, want) {
			t.Errorf("rendered HTML lacks %q:\n%s", want, html)
		}
	}
	for _, bad := range []string{"<script", "javascript:"} {
		if strings.Contains(html, bad) {
			t.Errorf("rendered HTML keeps %q:\n%s", bad, html)
		}
	}
}

func TestSanitizeRemote(t *testing.T) {
	cases := []struct {
		name, in   string
		keep, drop []string
	}{
		{"script", `<p>hi<script>alert(1)</script></p>`, []string{"<p>hi</p>"}, []string{"script", "alert"}},
		{"event attribute", `<p onclick="x()">a</p><img src=x onerror=alert(1)>`, []string{"<p>a</p>"}, []string{"onclick", "onerror", "<img"}},
		{"javascript link", `<a href="javascript:alert(1)">x</a><a href="JaVaScRiPt:alert(1)">y</a>`, nil, []string{"javascript", "href"}},
		{"style and css", `<p style="position:fixed;top:0">a</p><style>body{display:none}</style>`, []string{"<p>a</p>"}, []string{"style", "fixed", "display"}},
		{"iframe and form", `<iframe src="https://e.vil"></iframe><form action="/x"><input></form>`, nil, []string{"iframe", "form", "input"}},
		{"mastodon mention", `<p><span class="h-card"><a href="https://m.example/@a" class="u-url mention">@<span>a</span></a></span> hi</p>`,
			[]string{`class="h-card"`, `class="u-url mention"`, `rel="nofollow noreferrer noopener"`}, nil},
		{"data url", `<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`, nil, []string{"data:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := SanitizeRemote(c.in)
			for _, k := range c.keep {
				if !strings.Contains(got, k) {
					t.Errorf("lost %q: %s", k, got)
				}
			}
			for _, d := range c.drop {
				if strings.Contains(strings.ToLower(got), d) {
					t.Errorf("kept %q: %s", d, got)
				}
			}
		})
	}
}

func TestSlugifyAndTags(t *testing.T) {
	for in, want := range map[string]string{
		"We Stand Together With Iraqi Civil Society Activists!": "we-stand-together-with-iraqi-civil-society-activists",
		"نقف معاً مع ناشطي المجتمع المدني":                      "نقف-معاً-مع-ناشطي-المجتمع-المدني",
		"  --  ":                       "statement",
		"2015: Année de la solidarité": "2015-année-de-la-solidarité",
	} {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"#Iraq": "iraq", "تضامن": "تضامن", "#ActivityPub": "activitypub", "two words": "", "#": "", "a-b": "", "hak_mafi": "hak_mafi"} {
		if got := NormalizeTag(in); got != want {
			t.Errorf("NormalizeTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseStatementFile(t *testing.T) {
	good := "---\ntitle: We Stand Together\nlanguage: EN\nsummary: A lead.\ntags: [Iraq, \"#تضامن\"]\npublish: 2026-12-01T12:00:00+03:00\n---\n\nBody *here*.\n"
	d, err := ParseStatementFile([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "We Stand Together" || d.Language != "en" || d.Summary != "A lead." || d.Body != "Body *here*." ||
		len(d.Tags) != 2 || d.Tags[1] != "تضامن" || !d.PublishAt.Equal(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) || !d.RepliesEnabled {
		t.Fatalf("parsed %+v", d)
	}
	crlf := strings.ReplaceAll(good, "\n", "\r\n")
	if _, err := ParseStatementFile([]byte("\ufeff" + crlf)); err != nil {
		t.Fatalf("CRLF with BOM: %v", err)
	}
	bad := []struct{ name, src, want string }{
		{"no front matter", "# Title\n", "no front matter"},
		{"unclosed", "---\ntitle: x\nlanguage: en\n", "not closed"},
		{"no title", "---\nlanguage: en\n---\nbody", "no title"},
		{"blank title", "---\ntitle: \"  \"\nlanguage: en\n---\nbody", "no title"},
		{"no language", "---\ntitle: x\n---\nbody", "no language"},
		{"unknown language", "---\ntitle: x\nlanguage: xx\n---\nbody", "unknown language code"},
		{"unknown key", "---\ntitle: x\nlanguage: en\ntitel: y\n---\nbody", "titel"},
		{"bad time", "---\ntitle: x\nlanguage: en\npublish: tomorrow\n---\nbody", "not a time"},
		{"bad type", "---\ntitle: x\nlanguage: en\ntype: Video\n---\nbody", "Note or Article"},
		{"bad tag", "---\ntitle: x\nlanguage: en\ntags: [\"two words\"]\n---\nbody", "hashtag"},
		{"bad yaml", "---\ntitle: [x\nlanguage: en\n---\nbody", "front matter"},
		{"not utf8", "---\ntitle: \xff\nlanguage: en\n---\n", "UTF-8"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseStatementFile([]byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func FuzzParseStatementFile(f *testing.F) {
	f.Add([]byte("---\ntitle: x\nlanguage: en\n---\nbody"))
	f.Add([]byte("---\ntitle: [x\n---\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseStatementFile(b)
		if err == nil && (d.Title == "" || d.Language == "") {
			t.Fatalf("accepted a statement without title or language: %+v", d)
		}
	})
}

// TestPlainText: markup goes, and the text comes back as text, entities
// decoded, so that it is escaped exactly once where it is written out.
func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"Evil & Co":                        "Evil & Co",
		"Evil &amp; Co":                    "Evil & Co",
		"<b>Evil</b> &lt;Co&gt;":           "Evil <Co>",
		"<script>alert(1)</script>Mallory": "Mallory",
		"  «سلام» &quot;x&quot; ":          `«سلام» "x"`,
	} {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}
