package storage_test

import (
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestAdminStatementsContract: the admin list shows every state of the
// given actors only, filters by state and language (a translation counts),
// pages with a total, on both databases.
func TestAdminStatementsContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testAdminStatements(t, b.URL) })
	}
}

func testAdminStatements(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a, other := newActor(t, s, "icssi"), newActor(t, s, "other")
	pub := newStatement(t, s, a.ID, "pub", "en", at("2026-01-01T00:00:00Z"), storage.StatePublished)
	sched := newStatement(t, s, a.ID, "sched", "ar", at("2027-01-01T00:00:00Z"), storage.StateScheduled)
	draft := newStatement(t, s, a.ID, "draft", "en", nil, storage.StateDraft)
	gone := newStatement(t, s, a.ID, "gone", "en", at("2025-01-01T00:00:00Z"), storage.StatePublished)
	if _, err := s.DeleteStatement(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	newStatement(t, s, other.ID, "elsewhere", "en", at("2026-01-01T00:00:00Z"), storage.StatePublished)
	tr := *pub
	tr.Translations = []storage.Translation{{Language: "fr", Title: "Titre", BodyMarkdown: "x", BodyHTML: "<p>x</p>"}}
	if err := s.UpdateStatement(ctx, &tr); err != nil {
		t.Fatal(err)
	}
	ids := func(list []*storage.Statement) []string {
		var out []string
		for _, st := range list {
			out = append(out, st.Slug)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		q     storage.AdminStatementQuery
		want  []string
		total int
	}{
		{"no actors", storage.AdminStatementQuery{}, nil, 0},
		{"all of icssi", storage.AdminStatementQuery{ActorIDs: []string{a.ID}}, []string{"sched", draft.Slug, "pub", "gone"}, 4},
		{"scheduled", storage.AdminStatementQuery{ActorIDs: []string{a.ID}, State: storage.StateScheduled}, []string{sched.Slug}, 1},
		{"deleted", storage.AdminStatementQuery{ActorIDs: []string{a.ID}, State: storage.StateDeleted}, []string{"gone"}, 1},
		{"french translation", storage.AdminStatementQuery{ActorIDs: []string{a.ID}, Language: "fr"}, []string{"pub"}, 1},
		{"arabic", storage.AdminStatementQuery{ActorIDs: []string{a.ID, other.ID}, Language: "ar"}, []string{"sched"}, 1},
		{"second page", storage.AdminStatementQuery{ActorIDs: []string{a.ID}, Limit: 2, Offset: 2}, []string{"pub", "gone"}, 4},
		{"past the end", storage.AdminStatementQuery{ActorIDs: []string{a.ID}, Offset: 50}, nil, 4},
		{"both actors", storage.AdminStatementQuery{ActorIDs: []string{a.ID, other.ID}, State: storage.StatePublished}, []string{"elsewhere", "pub"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := s.ListAdminStatements(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(list)
			if total != tc.total || len(got) != len(tc.want) {
				t.Fatalf("got %v (total %d), want %v (total %d)", got, total, tc.want, tc.total)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
