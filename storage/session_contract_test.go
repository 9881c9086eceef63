package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestSessionContract: listing, revoking by public id (only one's own),
// sliding expiry and expiry, on both databases.
func TestSessionContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testSessions(t, b.URL) })
	}
}

func testSessions(t *testing.T, url string) {
	clock := storagetest.NewClock(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	s := storagetest.OpenClock(t, url, clock)
	a, b := newUser(t, s, "amal", storage.RoleAdmin), newUser(t, s, "basel", storage.RoleEditor)
	ta1, err := s.CreateSession(ctx, a.ID, "Firefox", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	ta2, err := s.CreateSession(ctx, a.ID, "Chromium", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := s.CreateSession(ctx, b.ID, "Safari", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListSessions(ctx, a.ID)
	if err != nil || len(list) != 2 || list[0].UserAgent != "Chromium" || list[0].ID != storage.SessionID(ta2) ||
		len(list[0].ID) != storage.SessionIDLength || list[1].ID != storage.SessionID(ta1) {
		t.Fatalf("ListSessions = %+v %v", list, err)
	}
	// Another user's session id, a malformed id and an unknown one are not found.
	for _, id := range []string{storage.SessionID(tb), "zz", storage.SessionID(ta1)[:8], "%", "0000000000000000"} {
		if err := s.RevokeSession(ctx, a.ID, id); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("RevokeSession(%q) = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.UserBySession(ctx, tb); err != nil {
		t.Fatalf("basel's session ended: %v", err)
	}
	if err := s.RevokeSession(ctx, a.ID, storage.SessionID(ta1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserBySession(ctx, ta1); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("revoked session works: %v", err)
	}
	// Sliding expiry: used within its hour, it lasts another hour.
	clock.Advance(50 * time.Minute)
	if err := s.TouchSession(ctx, ta2, time.Hour); err != nil {
		t.Fatal(err)
	}
	clock.Advance(50 * time.Minute)
	if _, err := s.UserBySession(ctx, ta2); err != nil {
		t.Errorf("touched session expired: %v", err)
	}
	if _, err := s.UserBySession(ctx, tb); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("untouched session still works after its hour: %v", err)
	}
	// An expired session is not revived by a touch, and is deleted.
	if err := s.TouchSession(ctx, tb, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserBySession(ctx, tb); !errors.Is(err, storage.ErrNotFound) {
		t.Error("touch revived an expired session")
	}
	if n, err := s.DeleteExpiredSessions(ctx); err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions = %d %v", n, err)
	}
	if n, err := s.RevokeSessions(ctx, a.ID); err != nil || n != 1 {
		t.Errorf("RevokeSessions = %d %v", n, err)
	}
	if list, err := s.ListSessions(ctx, a.ID); err != nil || len(list) != 0 {
		t.Errorf("after RevokeSessions: %v %v", list, err)
	}
}
