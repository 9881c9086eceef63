package storage_test

import (
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestVersions checks on both databases that the constant-time versions
// move with every change a reader could see, stay put otherwise, and that
// the answers kept under them (CountVisible, Languages) follow.
func TestVersions(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := storagetest.Open(t, b.URL)
			a := newActor(t, s, "icssi")
			now := *at("2026-11-23T12:00:00Z")
			type version struct {
				readers string
				n       int
				newest  time.Time
			}
			read := func(t *testing.T, at time.Time) version {
				t.Helper()
				r, err := s.ReadersVersion(ctx, at)
				if err != nil {
					t.Fatal(err)
				}
				n, newest, err := s.StatementsVersion(ctx, storage.StatementQuery{VisibleAt: at})
				if err != nil {
					t.Fatal(err)
				}
				return version{r, n, newest}
			}
			counts := func(t *testing.T, at time.Time, want int, wantLangs string) {
				t.Helper()
				n, err := s.CountVisible(ctx, "", at)
				if err != nil || n != want {
					t.Errorf("CountVisible = %d, %v; want %d", n, err, want)
				}
				n, err = s.CountVisible(ctx, a.ID, at)
				if err != nil || n != want {
					t.Errorf("CountVisible of the actor = %d, %v; want %d", n, err, want)
				}
				langs, err := s.Languages(ctx, at)
				if err != nil || joinStrings(langs) != wantLangs {
					t.Errorf("Languages = %v, %v; want %s", langs, err, wantLangs)
				}
			}
			v0 := read(t, now)
			counts(t, now, 0, "")
			if again := read(t, now); again != v0 {
				t.Fatalf("version moved without a change: %+v then %+v", v0, again)
			}
			first := newStatement(t, s, a.ID, "first", "en", at("2026-11-23T10:00:00Z"), storage.StatePublished)
			v1 := read(t, now)
			if v1.readers == v0.readers || v1.n == v0.n {
				t.Errorf("publishing did not move the versions: %+v then %+v", v0, v1)
			}
			counts(t, now, 1, "en")
			later := newStatement(t, s, a.ID, "later", "ar", at("2026-11-24T09:00:00Z"), storage.StateScheduled)
			v2 := read(t, now)
			if v2.readers == v1.readers {
				t.Error("scheduling did not move the readers' version")
			}
			counts(t, now, 1, "en")
			// Nothing is written when the scheduled time comes: the newest
			// visible publish time is what moves.
			due := *at("2026-11-24T09:00:00Z")
			v3 := read(t, due)
			if v3.readers == v2.readers || v3.n == v2.n {
				t.Errorf("the scheduled statement coming due did not move the versions: %+v then %+v", v2, v3)
			}
			counts(t, due, 2, "ar en")
			// The clock going back (tests do it) hides it again.
			counts(t, now, 1, "en")
			// A translation.
			first.Translations = []storage.Translation{{Language: "ckb", Title: "یەکەم"}}
			if err := s.UpdateStatement(ctx, first); err != nil {
				t.Fatal(err)
			}
			v4 := read(t, due)
			if v4.readers == v3.readers || v4.n == v3.n {
				t.Errorf("a translation did not move the versions: %+v then %+v", v3, v4)
			}
			counts(t, due, 2, "ar ckb en")
			// Media attached to a statement.
			if err := s.AddMedia(ctx, []storage.Media{{ActorID: a.ID, StatementID: later.ID, Path: later.ID + "/1.png",
				MediaType: "image/png"}}); err != nil {
				t.Fatal(err)
			}
			v5 := read(t, due)
			if v5.readers == v4.readers {
				t.Error("new media did not move the readers' version")
			}
			// A deletion of a statement that is not the newest.
			if _, err := s.DeleteStatement(ctx, first.ID); err != nil {
				t.Fatal(err)
			}
			v6 := read(t, due)
			if v6.readers == v5.readers || v6.n == v5.n {
				t.Errorf("a deletion did not move the versions: %+v then %+v", v5, v6)
			}
			counts(t, due, 1, "ar")
			// A write that is rolled back leaves the kept answers right.
			_ = s.Tx(ctx, func(tx *storage.Store) error {
				newStatement(t, tx, a.ID, "rolled-back", "fr", at("2026-11-23T11:00:00Z"), storage.StatePublished)
				if n, err := tx.CountVisible(ctx, "", due); err != nil || n != 2 {
					t.Errorf("inside the transaction CountVisible = %d, %v; want 2", n, err)
				}
				return errRollback
			})
			counts(t, due, 1, "ar")
		})
	}
}

var errRollback = rollbackError{}

type rollbackError struct{}

func (rollbackError) Error() string { return "roll back" }

func joinStrings(l []string) string {
	out := ""
	for i, v := range l {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
