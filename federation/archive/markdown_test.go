package archive_test

import (
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation/archive"
)

// TestMarkdown: what WordPress bodies become for editors. Block-editor
// and classic-editor paragraphs, captions, right-to-left text and
// hashtags, links, and markup that must not survive.
func TestMarkdown(t *testing.T) {
	for _, c := range []struct {
		name, html string
		want, not  []string
		images     int
	}{
		{"block editor, Arabic, hashtag", "<!-- wp:paragraph -->\n<p dir=\"rtl\">نقف معاً مع <strong>نشطاء</strong> المجتمع المدني #حقوق_الإنسان</p>\n<!-- /wp:paragraph -->",
			[]string{"نقف معاً مع **نشطاء** المجتمع المدني #حقوق_الإنسان"}, []string{"wp:paragraph", `\_`}, 0},
		{"classic editor: blank lines, caption shortcode, gallery", "First line.\nSecond line.\n\n[caption id=\"a\" width=\"32\"]<img src=\"/a.jpg\" alt=\"A\" /> The caption[/caption]\n\nLast. [gallery ids=\"1,2\"]",
			[]string{"First line.  \nSecond line.", archive.Placeholder(0), "The caption", "\n\nLast."}, []string{"[caption", "[gallery", "<img"}, 1},
		{"figure and figcaption", `<figure><img src="https://x.example/b.jpg" alt="B"><figcaption>Under the picture</figcaption></figure><p>Text</p>`,
			[]string{archive.Placeholder(0), "\n\nUnder the picture\n\nText"}, nil, 1},
		{"hostile", `<p><a href="javascript:alert(1)">x</a> <a href="https://partner.example/r">r</a></p><script>alert(2)</script><iframe src="https://evil.example/"></iframe><p onclick="x()" style="color:red">y</p><img src="https://evil.example/t.gif" onerror="alert(3)">`,
			[]string{"[r](https://partner.example/r)", "y"}, []string{"javascript", "alert", "iframe", "onclick", "style", "onerror"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			md, imgs, err := archive.Markdown(c.html)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(md, w) {
					t.Errorf("missing %q in:\n%s", w, md)
				}
			}
			for _, w := range c.not {
				if strings.Contains(md, w) {
					t.Errorf("%q survived in:\n%s", w, md)
				}
			}
			if len(imgs) != c.images {
				t.Errorf("%d images, want %d: %v", len(imgs), c.images, imgs)
			}
		})
	}
}

// TestNormalizePath: the spellings of one old address meet in one key.
func TestNormalizePath(t *testing.T) {
	want := "/ar/2015/03/نقف-معاً"
	for _, in := range []string{"https://old.example/ar/2015/03/%d9%86%d9%82%d9%81-%d9%85%d8%b9%d8%a7%d9%8b/",
		"/ar/2015/03/%D9%86%D9%82%D9%81-%D9%85%D8%B9%D8%A7%D9%8B", "/AR/2015/03/نقف-معاً/", "/ar/2015/03/نقف-معاً?lang=ar"} {
		if got := archive.NormalizePath(in); got != want {
			t.Errorf("%s → %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"", "/", "https://old.example", "https://old.example/?p=12"} {
		if got := archive.NormalizePath(in); got != "" {
			t.Errorf("%q → %q, want nothing", in, got)
		}
	}
}
