package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestContract runs one suite of cases against every backend: a real SQLite
// file and a real PostgreSQL database. Any behaviour a caller relies on is
// pinned here, so both dialects keep it.
func TestContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Logf("contract suite on %s", b.Name)
			cases := []struct {
				name string
				fn   func(t *testing.T, url string)
			}{
				{"MigrateIdempotent", testMigrateIdempotent},
				{"MigrateConcurrent", testMigrateConcurrent},
				{"Actors", testActors},
				{"StatementsLifecycle", testStatementsLifecycle},
				{"StatementsVisibility", testStatementsVisibility},
				{"StatementsFilters", testStatementsFilters},
				{"StatementsPaging", testStatementsPaging},
				{"TxRollback", testTxRollback},
				{"UsersAndSessions", testUsersAndSessions},
				{"UserAccounts", testUserAccounts},
				{"LastAdminConcurrent", testLastAdminConcurrent},
				{"UserActorsAndPassword", testUserActorsAndPassword},
				{"NodeSettings", testNodeSettings},
				{"FederationMode", testFederationMode},
				{"TimePrecision", testTimePrecision},
				{"Search", testSearch},
				{"SearchPaging", testSearchPaging},
				{"ActorsChanged", testActorsChanged},
				{"FollowingLookup", testFollowingLookup},
				{"RelayPolicies", testRelayPolicies},
				{"PartnerPosts", testPartnerPosts},
				{"Relays", testRelays},
				{"PartnerMedia", testPartnerMedia},
				{"DomainPolicies", testDomainPolicies},
				{"StatementEditFields", testStatementEditFields},
				{"ActivityRetention", testActivityRetention},
			}
			for _, c := range cases {
				// Each case gets its own database so cases cannot lean on each other.
				t.Run(c.name, func(t *testing.T) {
					url := b.URL
					if c.name != "MigrateIdempotent" {
						url = freshURL(t, b.Name)
					}
					c.fn(t, url)
				})
			}
		})
	}
}

func freshURL(t *testing.T, name string) string {
	if name == "sqlite" {
		return storagetest.SQLiteURL(t)
	}
	return storagetest.PostgresURL(t)
}

var ctx = context.Background()

func testMigrateIdempotent(t *testing.T, url string) {
	s, err := storage.Open(ctx, storage.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Applied != 0 || st.Current() {
		t.Fatalf("fresh database reports %+v", st)
	}
	first, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 {
		t.Fatal("first Migrate applied nothing")
	}
	again, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("second Migrate applied %v", again)
	}
	st, err = s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Current() || st.Applied != len(first) {
		t.Fatalf("after migrating: %+v, applied %d", st, len(first))
	}
}

func testMigrateConcurrent(t *testing.T, url string) {
	const n = 4
	var wg sync.WaitGroup
	applied := make([][]string, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := storage.Open(ctx, storage.Config{URL: url})
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			applied[i], errs[i] = s.Migrate(ctx)
		}(i)
	}
	wg.Wait()
	total := 0
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("migrator %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	want := storagetest.Count(t, url, `SELECT COUNT(*) FROM schema_migrations`)
	if total != want || want == 0 {
		t.Fatalf("%d migrators applied %d migrations in all; the database records %d", n, total, want)
	}
}

func newActor(t *testing.T, s *storage.Store, username string) *storage.Actor {
	t.Helper()
	a := &storage.Actor{Username: username, DisplayName: "Name of " + username, PrivateKeyPEM: "priv", PublicKeyPEM: "pub",
		Fields: []storage.Field{{Name: "Site", Value: "https://example.org"}}, Languages: []string{"ar", "en"}}
	if err := s.CreateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

func testActors(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	if a.ID == "" || a.Type != storage.ActorOrganization || a.ObjectType != "Note" {
		t.Fatalf("defaults not applied: %+v", a)
	}
	got, err := s.ActorByUsername(ctx, "icssi")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != a.ID || got.DisplayName != a.DisplayName || len(got.Fields) != 1 || got.Fields[0].Value != "https://example.org" ||
		fmt.Sprint(got.Languages) != "[ar en]" || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("read back %+v, wrote %+v", got, a)
	}
	dup := &storage.Actor{Username: "icssi", PrivateKeyPEM: "x", PublicKeyPEM: "y"}
	if err := s.CreateActor(ctx, dup); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("duplicate username: got %v, want ErrConflict", err)
	}
	if err := s.CreateActor(ctx, &storage.Actor{Username: "Bad Name"}); err == nil {
		t.Fatal("invalid username accepted")
	}
	if _, err := s.ActorByUsername(ctx, "nobody"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing actor: got %v, want ErrNotFound", err)
	}
	inst := &storage.Actor{Username: "node.example", Type: storage.ActorApplication, IsInstance: true, PrivateKeyPEM: "p", PublicKeyPEM: "q"}
	if err := s.CreateActor(ctx, inst); err != nil {
		t.Fatal(err)
	}
	if got, err := s.InstanceActor(ctx); err != nil || got.ID != inst.ID {
		t.Fatalf("instance actor: %v %v", got, err)
	}
	newActor(t, s, "partner")
	list, err := s.ListActors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Username != "icssi" || list[1].Username != "partner" {
		t.Fatalf("ListActors = %v", list)
	}
	got.Summary = "Updated"
	got.ManuallyApprovesFollowers = true
	if err := s.UpdateActor(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ActorByID(ctx, got.ID); again.Summary != "Updated" || !again.ManuallyApprovesFollowers {
		t.Fatalf("update not stored: %+v", again)
	}
}

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func newStatement(t *testing.T, s *storage.Store, actorID, slug, lang string, published *time.Time, state string) *storage.Statement {
	t.Helper()
	st := &storage.Statement{ActorID: actorID, Slug: slug, Language: lang, Title: "Title " + slug, BodyMarkdown: "body",
		BodyHTML: "<p>body</p>", State: state, PublishedAt: published, RepliesEnabled: true}
	if err := s.CreateStatement(ctx, st); err != nil {
		t.Fatal(err)
	}
	return st
}

func testStatementsLifecycle(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	st := &storage.Statement{ActorID: a.ID, Slug: "we-stand-together", Language: "en", Title: "We Stand Together",
		Summary: "Lead", BodyMarkdown: "Body", BodyHTML: "<p>Body</p>", State: storage.StatePublished,
		PublishedAt: at("2026-01-02T03:04:05Z"), RepliesEnabled: true,
		Translations: []storage.Translation{{Language: "ar", Title: "نقف معاً", BodyMarkdown: "نص", BodyHTML: "<p>نص</p>"}},
		Tags:         []storage.Tag{{Name: "تضامن", Display: "تضامن"}, {Name: "iraq", Display: "Iraq"}}}
	if err := s.CreateStatement(ctx, st); err != nil {
		t.Fatal(err)
	}
	if !storage.ValidID(st.ID) {
		t.Fatalf("id %q is not a valid id", st.ID)
	}
	got, err := s.StatementBySlug(ctx, a.ID, "we-stand-together")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != st.ID || got.ActorUsername != "icssi" || got.Title != st.Title || !got.PublishedAt.Equal(*st.PublishedAt) ||
		len(got.Translations) != 1 || got.Translations[0].Title != "نقف معاً" || len(got.Tags) != 2 {
		t.Fatalf("read back %+v", got)
	}
	// The same slug again gets a suffix rather than an error.
	second := newStatement(t, s, a.ID, "we-stand-together", "en", at("2026-01-03T00:00:00Z"), storage.StatePublished)
	if second.Slug != "we-stand-together-2" {
		t.Fatalf("second slug = %q", second.Slug)
	}
	// A translation into the primary language is refused and nothing is left behind.
	bad := &storage.Statement{ActorID: a.ID, Slug: "bad", Language: "en", Title: "x", State: storage.StateDraft,
		Translations: []storage.Translation{{Language: "en", Title: "y"}}}
	if err := s.CreateStatement(ctx, bad); err == nil {
		t.Fatal("translation into the primary language accepted")
	}
	if _, err := s.StatementBySlug(ctx, a.ID, "bad"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("failed create left a row: %v", err)
	}
	// Delete makes a tombstone that keeps the id and slug.
	del, err := s.DeleteStatement(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if del.State != storage.StateDeleted || del.DeletedAt == nil {
		t.Fatalf("deleted = %+v", del)
	}
	tomb, err := s.StatementByID(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tomb.State != storage.StateDeleted || tomb.Title != "" || tomb.BodyHTML != "" || len(tomb.Translations) != 0 || len(tomb.Tags) != 0 {
		t.Fatalf("tombstone keeps content: %+v", tomb)
	}
	if _, err := s.DeleteStatement(ctx, st.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	third := newStatement(t, s, a.ID, "we-stand-together", "en", at("2026-01-04T00:00:00Z"), storage.StatePublished)
	if third.Slug != "we-stand-together-3" {
		t.Fatalf("slug of a deleted statement was reused: %q", third.Slug)
	}
	if _, err := s.StatementByID(ctx, storage.NewID()); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing statement: %v", err)
	}
}

func testStatementsVisibility(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	newStatement(t, s, a.ID, "published", "en", at("2026-01-01T00:00:00Z"), storage.StatePublished)
	sched := newStatement(t, s, a.ID, "scheduled", "en", at("2026-06-01T12:00:00Z"), storage.StateScheduled)
	newStatement(t, s, a.ID, "draft", "en", nil, storage.StateDraft)
	gone := newStatement(t, s, a.ID, "gone", "en", at("2026-01-02T00:00:00Z"), storage.StatePublished)
	if _, err := s.DeleteStatement(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	slugs := func(q storage.StatementQuery) string {
		list, err := s.ListStatements(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, st := range list {
			out = append(out, st.Slug)
		}
		return fmt.Sprint(out)
	}
	before := sched.PublishedAt.Add(-time.Microsecond)
	if got := slugs(storage.StatementQuery{VisibleAt: before}); got != "[published]" {
		t.Errorf("a microsecond before the scheduled time readers see %s", got)
	}
	if got := slugs(storage.StatementQuery{VisibleAt: *sched.PublishedAt}); got != "[scheduled published]" {
		t.Errorf("at the scheduled time readers see %s", got)
	}
	if got := slugs(storage.StatementQuery{}); got != "[draft scheduled published]" {
		t.Errorf("editors see %s", got)
	}
	if sched.VisibleAt(before) || !sched.VisibleAt(*sched.PublishedAt) {
		t.Error("Statement.VisibleAt disagrees with the query")
	}
}

func testStatementsFilters(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	b := newActor(t, s, "partner")
	en := &storage.Statement{ActorID: a.ID, Slug: "en", Language: "en", Title: "English", State: storage.StatePublished,
		PublishedAt: at("2026-01-01T00:00:00Z"), Tags: []storage.Tag{{Name: "iraq", Display: "Iraq"}},
		Translations: []storage.Translation{{Language: "ckb", Title: "کوردی"}}}
	if err := s.CreateStatement(ctx, en); err != nil {
		t.Fatal(err)
	}
	ar := &storage.Statement{ActorID: b.ID, Slug: "ar", Language: "ar", Title: "عربي", State: storage.StatePublished,
		PublishedAt: at("2026-01-02T00:00:00Z"), Tags: []storage.Tag{{Name: "تضامن", Display: "تضامن"}}}
	if err := s.CreateStatement(ctx, ar); err != nil {
		t.Fatal(err)
	}
	vis := *at("2027-01-01T00:00:00Z")
	cases := []struct {
		name string
		q    storage.StatementQuery
		want string
	}{
		{"all", storage.StatementQuery{VisibleAt: vis}, "[ar en]"},
		{"actor", storage.StatementQuery{VisibleAt: vis, ActorID: b.ID}, "[ar]"},
		{"language primary", storage.StatementQuery{VisibleAt: vis, Language: "ar"}, "[ar]"},
		{"language translation", storage.StatementQuery{VisibleAt: vis, Language: "ckb"}, "[en]"},
		{"unicode tag", storage.StatementQuery{VisibleAt: vis, Tag: "تضامن"}, "[ar]"},
		{"tag", storage.StatementQuery{VisibleAt: vis, Tag: "iraq"}, "[en]"},
		{"no match", storage.StatementQuery{VisibleAt: vis, Tag: "nothing"}, "[]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, err := s.ListStatements(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range list {
				got = append(got, st.Slug)
			}
			if fmt.Sprint(got) != c.want {
				t.Errorf("got %v, want %s", got, c.want)
			}
		})
	}
}

func testStatementsPaging(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	same := at("2026-03-01T00:00:00Z") // several share a time: the id breaks ties
	for i := 0; i < 7; i++ {
		p := same
		if i%2 == 0 {
			p = at(fmt.Sprintf("2026-02-0%dT00:00:00Z", i+1))
		}
		newStatement(t, s, a.ID, fmt.Sprintf("s%d", i), "en", p, storage.StatePublished)
	}
	vis := *at("2027-01-01T00:00:00Z")
	seen := map[string]bool{}
	var cur *storage.Cursor
	pages := 0
	for {
		list, err := s.ListStatements(ctx, storage.StatementQuery{VisibleAt: vis, Limit: 3, Before: cur})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		pages++
		for _, st := range list {
			if seen[st.Slug] {
				t.Fatalf("%s listed twice", st.Slug)
			}
			seen[st.Slug] = true
		}
		last := list[len(list)-1]
		cur = &storage.Cursor{PublishedAt: *last.PublishedAt, ID: last.ID}
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("paging saw %d statements in %d pages", len(seen), pages)
	}
}

func testTxRollback(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.CreateActor(ctx, &storage.Actor{Username: "ghost", PrivateKeyPEM: "p", PublicKeyPEM: "q"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v", err)
	}
	if _, err := s.ActorByUsername(ctx, "ghost"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("rolled-back actor is visible: %v", err)
	}
}

func testUsersAndSessions(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
	if _, err := storage.HashPassword("short"); err == nil {
		t.Fatal("short password accepted")
	}
	h, err := storage.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	u := &storage.User{Username: "amal", PasswordHash: h, Role: storage.RoleAdmin}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &storage.User{Username: "amal", PasswordHash: h, Role: storage.RoleEditor}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("duplicate user: %v", err)
	}
	if err := s.CreateUser(ctx, &storage.User{Username: "x", PasswordHash: h, Role: "root"}); err == nil {
		t.Fatal("unknown role accepted")
	}
	got, err := s.UserByUsername(ctx, "amal")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CheckPassword("correct horse battery") || got.CheckPassword("wrong horse battery") {
		t.Fatal("password check is wrong")
	}
	tok, err := s.CreateSession(ctx, u.ID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if su, err := s.UserBySession(ctx, tok); err != nil || su.ID != u.ID {
		t.Fatalf("UserBySession = %v, %v", su, err)
	}
	if _, err := s.UserBySession(ctx, tok+"x"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("wrong token: %v", err)
	}
	expired, err := s.CreateSession(ctx, u.ID, "test", -time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserBySession(ctx, expired); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("expired session: %v", err)
	}
	if err := s.DeleteSession(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserBySession(ctx, tok); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
}

func testTimePrecision(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	p := time.Date(2026, 11, 23, 20, 5, 58, 769123000, time.FixedZone("Baghdad", 3*3600))
	st := newStatement(t, s, a.ID, "t", "en", &p, storage.StatePublished)
	got, err := s.StatementByID(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.PublishedAt.Equal(p) || got.PublishedAt.Location() != time.UTC {
		t.Fatalf("stored %v, read %v", p, got.PublishedAt)
	}
}

func testSearch(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	st := &storage.Statement{ActorID: a.ID, Slug: "s", Language: "en", Title: "We Stand Together", BodyMarkdown: "Iraqi civil society activists",
		State: storage.StatePublished, PublishedAt: at("2026-01-01T00:00:00Z"),
		Translations: []storage.Translation{{Language: "ar", Title: "نقف معاً", BodyMarkdown: "ناشطو المجتمع المدني العراقي"}}}
	if err := s.CreateStatement(ctx, st); err != nil {
		t.Fatal(err)
	}
	later := newStatement(t, s, a.ID, "later", "en", at("2027-01-01T00:00:00Z"), storage.StateScheduled)
	later.BodyMarkdown = "civil society later"
	if err := s.UpdateStatement(ctx, later); err != nil {
		t.Fatal(err)
	}
	vis := *at("2026-06-01T00:00:00Z")
	find := func(q string) string {
		list, err := s.SearchStatements(ctx, q, vis, 20, 0)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		var slugs []string
		for _, x := range list {
			slugs = append(slugs, x.Slug)
		}
		return fmt.Sprint(slugs)
	}
	for q, want := range map[string]string{
		"civil":                "[s]", // the scheduled statement also matches, but is not visible yet
		"CIVIL Society":        "[s]",
		"المدني":               "[s]",
		"together activists":   "[s]",
		"together nowhere":     "[]",
		`"quoted" OR NEAR(x)*`: "[]", // query syntax is taken as words, never parsed
		"":                     "[]",
	} {
		if got := find(q); got != want {
			t.Errorf("search %q = %s, want %s", q, got, want)
		}
	}
	if got, _ := s.SearchStatements(ctx, "later", *at("2027-02-01T00:00:00Z"), 20, 0); len(got) != 1 {
		t.Errorf("the scheduled statement is not found after its time")
	}
	if _, err := s.DeleteStatement(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	if got := find("civil"); got != "[]" {
		t.Errorf("a deleted statement is still found: %s", got)
	}
}

// testSearchPaging: of 1,000 statements that match, 850 scheduled ones rank
// best and 50 are deleted; the 100 visible ones come back in full pages, each
// once, because visibility and paging are decided in the database, not by
// filtering a capped list of ids afterwards.
func testSearchPaging(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	visible := map[string]bool{}
	var deleted []string
	err := s.Tx(ctx, func(tx *storage.Store) error {
		for i := 0; i < 1000; i++ {
			st := &storage.Statement{ActorID: a.ID, Slug: fmt.Sprintf("s%04d", i), Language: "en", Title: fmt.Sprintf("Title %04d", i),
				BodyMarkdown: "water", State: storage.StatePublished, RepliesEnabled: true}
			published := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
			if i < 850 { // scheduled, and better matches: the word three times
				st.State, st.BodyMarkdown = storage.StateScheduled, "water water water"
				published = published.AddDate(2, 0, 0)
			}
			st.PublishedAt = &published
			if err := tx.CreateStatement(ctx, st); err != nil {
				return err
			}
			switch {
			case i >= 850 && i < 900:
				deleted = append(deleted, st.ID)
			case i >= 900:
				visible[st.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range deleted {
		if _, err := s.DeleteStatement(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	vis := *at("2026-06-01T00:00:00Z")
	seen := map[string]bool{}
	for page := 0; page < 5; page++ {
		list, err := s.SearchStatements(ctx, "water", vis, 20, page*20)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 20 {
			t.Fatalf("page %d: %d results, want 20", page+1, len(list))
		}
		for _, st := range list {
			if !visible[st.ID] || seen[st.ID] {
				t.Fatalf("page %d: %s (visible %v, seen before %v)", page+1, st.Slug, visible[st.ID], seen[st.ID])
			}
			seen[st.ID] = true
			if st.Title == "" || st.ActorUsername != "icssi" {
				t.Fatalf("result not loaded in full: %+v", st)
			}
		}
	}
	if list, err := s.SearchStatements(ctx, "water", vis, 20, 100); err != nil || len(list) != 0 {
		t.Fatalf("page 6: %d results, %v", len(list), err)
	}
}

// testActorsChanged: the newest profile change among actors, which feeds
// fold into their version so that a rename reaches them.
func testActorsChanged(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	if got, err := s.ActorsChanged(ctx); err != nil || !got.IsZero() {
		t.Fatalf("no actors: %v, %v", got, err)
	}
	a := newActor(t, s, "icssi")
	newActor(t, s, "isf")
	first, err := s.ActorsChanged(ctx)
	if err != nil || first.Before(a.UpdatedAt) {
		t.Fatalf("after two actors: %v, %v (first created %v)", first, err, a.UpdatedAt)
	}
	time.Sleep(2 * time.Millisecond)
	a.DisplayName = "Renamed"
	if err := s.UpdateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.ActorsChanged(ctx)
	if err != nil || !got.Equal(a.UpdatedAt) || !got.After(first) {
		t.Fatalf("after a rename: %v, %v; want %v", got, err, a.UpdatedAt)
	}
}
