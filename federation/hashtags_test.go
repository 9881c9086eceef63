package federation_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestHashtagsInText: hashtags written in a statement's text, in Arabic,
// Sorani (with ZWNJ) and Latin with diacritics, are linked in the stored
// HTML, kept as the statement's tags beside the front matter's, federated as
// Hashtag tags, found by the tag listing; so are a translation's. "#1", a
// URL's fragment and code are left alone, and the Note's closing link shows
// a readable address.
func TestHashtagsInText(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			store := storagetest.Open(t, b.URL)
			clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			fed := federation.New(federation.Config{Scheme: "https", Host: "node.test", MediaDir: t.TempDir(),
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock }}, store)
			if _, err := fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
				t.Fatal(err)
			}
			parse := func(src string) *content.Draft {
				d, err := content.ParseStatementFile([]byte(src))
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			st, err := fed.Publish(ctx, "icssi", parse("---\ntitle: نقف معاً\nlanguage: ar\ntags: [Iraq]\n---\n"+
				"نقف معاً من أجل #حقوق_الإنسان و #العراق.\n\nSee issue #1, https://a.example/p#frag and `#code`.\n"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fed.Translate(ctx, st.ID, parse("---\ntitle: پێکەوە\nlanguage: ckb\n---\nبۆ #ئازادی\u200cیەکان و #Solidarité.\n")); err != nil {
				t.Fatal(err)
			}
			got, err := store.StatementByID(ctx, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tg := range got.Tags {
				names = append(names, tg.Name)
			}
			want := []string{"iraq", "حقوق_الإنسان", "العراق", "ئازادی\u200cیەکان", "solidarité"}
			slices.Sort(names)
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("tags = %q, want %q", names, want)
			}
			for _, s := range []string{
				`<a href="https://node.test/tags/` + url.PathEscape("حقوق_الإنسان") + `" class="mention hashtag" rel="tag">#<span>حقوق_الإنسان</span></a>`,
				"issue #1", `<code>#code</code>`, `https://a.example/p#frag</a>`,
			} {
				if !strings.Contains(got.BodyHTML, s) {
					t.Errorf("body lacks %q:\n%s", s, got.BodyHTML)
				}
			}
			if !strings.Contains(got.Translations[0].BodyHTML, `class="mention hashtag" rel="tag">#<span>Solidarité</span></a>`) {
				t.Errorf("translation's hashtag not linked:\n%s", got.Translations[0].BodyHTML)
			}

			// Every tag is listed: the tag page finds the statement by a tag
			// that only its translation's text carries.
			list, err := store.ListStatements(ctx, storage.StatementQuery{VisibleAt: clock.Add(time.Minute), Tag: "solidarité", Limit: 10})
			if err != nil || len(list) != 1 {
				t.Fatalf("statements tagged solidarité: %d, %v", len(list), err)
			}

			actor, err := store.ActorByUsername(ctx, "icssi")
			if err != nil {
				t.Fatal(err)
			}
			doc, err := fed.StatementDocument(got, actor, 0)
			if err != nil {
				t.Fatal(err)
			}
			var note struct {
				Content    string            `json:"content"`
				ContentMap map[string]string `json:"contentMap"`
				Tag        []struct{ Type, Href, Name string }
			}
			if err := json.Unmarshal(doc, &note); err != nil {
				t.Fatal(err)
			}
			var hashtags []string
			for _, tg := range note.Tag {
				if tg.Type == "Hashtag" {
					hashtags = append(hashtags, tg.Name)
				}
			}
			w := []string{"#Iraq", "#حقوق_الإنسان", "#العراق", "#ئازادی\u200cیەکان", "#Solidarité"}
			slices.Sort(hashtags)
			slices.Sort(w)
			if !slices.Equal(hashtags, w) {
				t.Errorf("Note's Hashtag tags = %q, want %q", hashtags, w)
			}
			// The closing line repeats only the tags the text does not link,
			// and the link to the page reads as an address.
			if n := strings.Count(note.Content, "#<span>حقوق_الإنسان</span>"); n != 1 {
				t.Errorf("#حقوق_الإنسان appears %d times in the Note, want 1:\n%s", n, note.Content)
			}
			if !strings.Contains(note.Content, "#<span>Iraq</span>") {
				t.Errorf("front matter tag missing from the Note:\n%s", note.Content)
			}
			if !strings.Contains(note.Content, `<span class="invisible">https://</span><span>node.test/@icssi/نقف-معاً</span></a>`) {
				t.Errorf("the Note's link is not readable:\n%s", note.Content)
			}
		})
	}
}
