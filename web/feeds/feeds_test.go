package feeds

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// baghdad is UTC+3: fixture times are given there to show that the output
// does not depend on the caller's time zone.
var baghdad = time.FixedZone("AST", 3*60*60)

// render is one of the three renderers with its file extension and the
// feed URL the web layer would give it.
type render struct {
	name string
	fn   func(Feed, []Item) ([]byte, error)
	self string
}

var renders = []render{
	{"rss", RSS, "https://node.example/@icssi/feed.rss"},
	{"atom", Atom, "https://node.example/@icssi/feed.atom"},
	{"json", JSON, "https://node.example/@icssi/feed.json"},
}

// Content of the fixture's content-warning item, as a reader must receive it.
const (
	cwWarning = "Descriptions of violence"
	cwBody    = "<p>Testimonies from families in Nineveh describe the attack in detail.</p>"
	cwContent = `<p><strong>Content warning: Descriptions of violence</strong></p>` +
		`<details><summary>Show</summary>` + cwBody +
		`<p><img src="https://node.example/media/nineveh.jpg" alt="Damaged houses" width="800" height="600"></p>` +
		`</details>`
)

// fixture is an actor's feed as the web layer would build it: newest first,
// with an edited item, two images, a content warning, Sorani, Arabic, and
// an English statement that also carries an Arabic hashtag.
func fixture(self string) (Feed, []Item) {
	f := Feed{
		Title:       "ICSSI — Iraqi Civil Society Solidarity Initiative",
		Description: "Statements from ICSSI in English, Arabic & Kurdish",
		Link:        "https://node.example/@icssi",
		Self:        self,
		Author:      "ICSSI",
		Updated:     time.Date(2026, 3, 5, 15, 30, 0, 0, baghdad),
		Icon:        "https://node.example/media/icssi.png",
	}
	items := []Item{{
		ID:          "https://node.example/statements/01kedited0000000000000000",
		Title:       "Update: the Mosul water campaign & what comes next",
		Link:        "https://node.example/@icssi/mosul-water",
		Summary:     "The campaign reached 40 neighbourhoods; here is the plan for the summer.",
		ContentHTML: "<p>The campaign reached <em>40 neighbourhoods</em>.</p>\n<p>Next: the summer plan.</p>",
		Language:    "en",
		Published:   time.Date(2026, 3, 1, 12, 0, 0, 0, baghdad),
		Updated:     time.Date(2026, 3, 5, 15, 30, 0, 0, baghdad),
		Categories:  []string{"water", "Mosul"},
	}, {
		ID:          "https://node.example/statements/01kphotos0000000000000000",
		Title:       "Photos from the Basra gathering",
		Link:        "https://node.example/@icssi/basra-gathering",
		Summary:     "Two hundred people met on the Corniche.",
		ContentHTML: "<p>Two hundred people met on the Corniche.</p>",
		Language:    "en",
		Published:   time.Date(2026, 2, 20, 18, 0, 0, 0, baghdad),
		Updated:     time.Date(2026, 2, 20, 18, 0, 0, 0, baghdad),
		Author:      "Basra Committee",
		Categories:  []string{"Basra"},
		Images: []Image{
			{URL: "https://node.example/media/basra-1.jpg", Type: "image/jpeg", Alt: "Crowd on the Corniche at sunset", Length: 245760, Width: 1600, Height: 1067},
			{URL: "https://node.example/media/basra-2.png", Type: "image/png", Alt: "Banner reading نقف معاً", Length: 98304, Width: 1200, Height: 800},
		},
	}, {
		ID:             "https://node.example/statements/01kwarning000000000000000",
		Title:          "Testimonies from Nineveh",
		Link:           "https://node.example/@icssi/nineveh-testimonies",
		Summary:        "Families describe the attack on their village.",
		ContentHTML:    cwBody,
		ContentWarning: cwWarning,
		Language:       "en",
		Published:      time.Date(2026, 2, 12, 10, 0, 0, 0, baghdad),
		Updated:        time.Date(2026, 2, 12, 10, 0, 0, 0, baghdad),
		Categories:     []string{"Nineveh"},
		Images:         []Image{{URL: "https://node.example/media/nineveh.jpg", Type: "image/jpeg", Alt: "Damaged houses", Length: 120000, Width: 800, Height: 600}},
	}, {
		ID:          "https://node.example/statements/01ksorani0000000000000000",
		Title:       "پێکەوە دەوەستین",
		Link:        "https://node.example/@icssi/pekewe-dewestin",
		Summary:     "دەستەی هاوپشتی لەگەڵ کۆمەڵگەی مەدەنی عێراقدا دەوەستێت.",
		ContentHTML: "<p>زیاتر لە ١٢ ساڵە…</p>",
		Language:    "ckb",
		Published:   time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC),
		Updated:     time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC),
		Categories:  []string{"هاوپشتی"},
	}, {
		ID:          "https://node.example/statements/01karabic0000000000000000",
		Title:       "نقف معاً",
		Link:        "https://node.example/@icssi/naqif-maan",
		Summary:     "تقف المبادرة مع المجتمع المدني العراقي.",
		ContentHTML: "<p>لأكثر من ١٢ عاماً…</p>",
		Language:    "ar",
		Published:   time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC),
		Updated:     time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC),
		Author:      "مبادرة التضامن مع المجتمع المدني العراقي",
		Categories:  []string{"تضامن"},
	}, {
		ID:          "https://node.example/statements/01kenglish000000000000000",
		Title:       "We Stand Together",
		Link:        "https://node.example/@icssi/we-stand-together",
		Summary:     "ICSSI stands with Iraqi civil society & its <partners>.",
		ContentHTML: "<p>For more than 12 years…</p>",
		Language:    "en",
		Published:   time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC),
		Updated:     time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC),
		Categories:  []string{"Iraq", "تضامن"},
	}}
	return f, items
}

// emptyFixture is a tag feed with nothing in it yet.
func emptyFixture(self string) Feed {
	return Feed{
		Title:    "#تضامن",
		Link:     "https://node.example/tags/تضامن",
		Self:     self,
		Language: "ar",
		Updated:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

// golden compares out with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, out []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once to create it)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, out)
	}
}

func TestGolden(t *testing.T) {
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			out, err := r.fn(fixture(r.self))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "fixture."+r.name, out)

			out, err = r.fn(emptyFixture(r.self), nil)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "empty."+r.name, out)
		})
	}
}

// TestDeterministic renders the same feed twice and once more with every
// time moved to another zone: the bytes must not change.
func TestDeterministic(t *testing.T) {
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			f, items := fixture(r.self)
			first, err := r.fn(f, items)
			if err != nil {
				t.Fatal(err)
			}
			again, err := r.fn(f, items)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, again) {
				t.Fatal("two renderings of the same input differ")
			}
			tokyo := time.FixedZone("JST", 9*60*60)
			f.Updated = f.Updated.In(tokyo)
			for n := range items {
				items[n].Published = items[n].Published.In(tokyo)
				items[n].Updated = items[n].Updated.In(tokyo)
			}
			moved, err := r.fn(f, items)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, moved) {
				t.Fatal("the caller's time zone changed the output")
			}
		})
	}
}

// TestInputUntouched checks that rendering does not modify the caller's
// items (the content warning and fallbacks work on copies).
func TestInputUntouched(t *testing.T) {
	for _, r := range renders {
		f, items := fixture(r.self)
		_, want := fixture(r.self)
		if _, err := r.fn(f, items); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(items) != fmt.Sprint(want) {
			t.Errorf("%s modified its input", r.name)
		}
	}
}

// TestUTF8Intact checks that Arabic and Sorani are written as UTF-8, not as
// character references.
func TestUTF8Intact(t *testing.T) {
	for _, r := range renders {
		out, err := r.fn(fixture(r.self))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"نقف معاً", "پێکەوە دەوەستین", "تضامن", "هاوپشتی", "مبادرة التضامن مع المجتمع المدني العراقي"} {
			if !bytes.Contains(out, []byte(s)) {
				t.Errorf("%s: %q is not in the output as UTF-8", r.name, s)
			}
		}
		if bytes.Contains(out, []byte("&#x6")) || bytes.Contains(out, []byte("&#16")) || bytes.Contains(out, []byte(`\u06`)) {
			t.Errorf("%s: Arabic script escaped as references", r.name)
		}
	}
}

func TestInvalidInput(t *testing.T) {
	f, items := fixture("")
	noLink := f
	noLink.Link = ""
	noID := append([]Item(nil), items...)
	noID[2].ID = " "
	noTime := append([]Item(nil), items...)
	noTime[3].Published = time.Time{}
	tests := []struct {
		name  string
		f     Feed
		items []Item
		want  string
	}{
		{"feed without link", noLink, items, "has no link"},
		{"item without id", f, noID, "item 2"},
		{"item without publication time", f, noTime, "no publication time"},
	}
	for _, tc := range tests {
		for _, r := range renders {
			t.Run(tc.name+"/"+r.name, func(t *testing.T) {
				out, err := r.fn(tc.f, tc.items)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "feeds: ") {
					t.Fatalf("got %v, %d bytes; want an error containing %q", err, len(out), tc.want)
				}
			})
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"  trimmed\n", "trimmed"},
		{"نقف معاً", "نقف معاً"},
		{"a\x00b\x07c\x1bd", "abcd"},
		{"keep\ttab\nand\r\nnewlines", "keep\ttab\nand\r\nnewlines"},
		{"bad \xff\xfe utf-8", "bad \uFFFD utf-8"},
		{"non\uFFFEchar\uFFFF", "nonchar"},
		{"emoji 🤝 ok", "emoji 🤝 ok"},
	}
	for _, tc := range tests {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
