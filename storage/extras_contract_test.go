package storage_test

import (
	"fmt"
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestStatementExtras reads back, on both databases, what loadExtras
// gathers in one query: translations by language, tags by name, mentions
// by handle and media by position, each kept with its own statement, with
// their times and numbers intact.
func TestStatementExtras(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := storagetest.Open(t, b.URL)
			a := newActor(t, s, "icssi")
			pub := at("2026-11-20T10:00:00Z")
			var sts []*storage.Statement
			for i := 0; i < 3; i++ {
				st := &storage.Statement{ActorID: a.ID, Slug: fmt.Sprintf("s%d", i), Language: "en", Title: "T", BodyHTML: "<p>b</p>",
					State: storage.StatePublished, PublishedAt: pub, RepliesEnabled: true,
					Translations: []storage.Translation{{Language: "fa", Title: fmt.Sprintf("fa%d", i), ContentWarning: "cw"},
						{Language: "ar", Title: fmt.Sprintf("ar%d", i), BodyHTML: "<p>ب</p>"}},
					Tags: []storage.Tag{{Name: "solidarity", Display: "Solidarity"}, {Name: fmt.Sprintf("iraq%d", i), Display: "Iraq"}},
					Mentions: []storage.Mention{{ActorIRI: "https://b.example/u/zed", Handle: "@zed@b.example", Inbox: "https://b.example/inbox"},
						{ActorIRI: "https://a.example/u/amal", Handle: "@amal@a.example", Inbox: "https://a.example/inbox"}}}
				if err := s.CreateStatement(ctx, st); err != nil {
					t.Fatal(err)
				}
				if err := s.AddMedia(ctx, []storage.Media{
					{ActorID: a.ID, StatementID: st.ID, Path: st.ID + "/2.png", MediaType: "image/png", AltText: "second", Width: 20, Height: 10, Blurhash: "LKO2", Position: 1},
					{ActorID: a.ID, StatementID: st.ID, Path: st.ID + "/1.jpg", MediaType: "image/jpeg", AltText: "first", Width: 640, Height: 480, Position: 0},
				}); err != nil {
					t.Fatal(err)
				}
				sts = append(sts, st)
			}
			check := func(t *testing.T, got *storage.Statement, i int) {
				t.Helper()
				if len(got.Translations) != 2 || got.Translations[0].Language != "ar" || got.Translations[0].Title != fmt.Sprintf("ar%d", i) ||
					got.Translations[0].BodyHTML != "<p>ب</p>" || got.Translations[1].ContentWarning != "cw" ||
					!got.Translations[0].CreatedAt.Equal(sts[i].UpdatedAt) || !got.Translations[1].UpdatedAt.Equal(sts[i].UpdatedAt) {
					t.Errorf("translations of %d: %+v (created %v)", i, got.Translations, sts[i].UpdatedAt)
				}
				if fmt.Sprint(got.Tags) != fmt.Sprintf("[{iraq%d Iraq} {solidarity Solidarity}]", i) {
					t.Errorf("tags of %d: %v", i, got.Tags)
				}
				if len(got.Mentions) != 2 || got.Mentions[0].Handle != "@amal@a.example" || got.Mentions[0].ActorIRI != "https://a.example/u/amal" ||
					got.Mentions[1].Inbox != "https://b.example/inbox" {
					t.Errorf("mentions of %d: %+v", i, got.Mentions)
				}
				if len(got.Media) != 2 || got.Media[0].AltText != "first" || got.Media[0].Width != 640 || got.Media[0].Height != 480 ||
					got.Media[1].Blurhash != "LKO2" || got.Media[1].Position != 1 || got.Media[1].MediaType != "image/png" ||
					got.Media[0].StatementID != sts[i].ID || got.Media[0].ActorID != a.ID || got.Media[0].CreatedAt.IsZero() {
					t.Errorf("media of %d: %+v", i, got.Media)
				}
			}
			for i, st := range sts {
				got, err := s.StatementByID(ctx, st.ID)
				if err != nil {
					t.Fatal(err)
				}
				check(t, got, i)
			}
			list, err := s.ListStatements(ctx, storage.StatementQuery{VisibleAt: *at("2026-11-21T00:00:00Z")})
			if err != nil || len(list) != 3 {
				t.Fatalf("list: %d, %v", len(list), err)
			}
			for _, got := range list {
				for i, st := range sts {
					if st.ID == got.ID {
						check(t, got, i)
					}
				}
			}
		})
	}
}
