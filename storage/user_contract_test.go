package storage_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

func newUser(t *testing.T, s *storage.Store, name, role string) *storage.User {
	t.Helper()
	// A cheap stand-in hash: these cases never check a password.
	u := &storage.User{Username: name, PasswordHash: "$2a$04$" + name, Role: role}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// testUserAccounts: listing, lookup by id, role changes and deletion, with
// the node never left without an admin.
func testUserAccounts(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	amal := newUser(t, s, "amal", storage.RoleAdmin)
	zed := newUser(t, s, "zed", storage.RoleEditor)
	bilal := newUser(t, s, "bilal", storage.RoleEditor)

	us, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range us {
		names = append(names, u.Username+":"+u.Role)
	}
	if got := strings.Join(names, ","); got != "amal:admin,bilal:editor,zed:editor" {
		t.Fatalf("ListUsers = %s", got)
	}
	if u, err := s.UserByID(ctx, zed.ID); err != nil || u.Username != "zed" {
		t.Fatalf("UserByID = %v, %v", u, err)
	}
	if _, err := s.UserByID(ctx, "nobody"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("UserByID unknown: %v", err)
	}

	// The last admin can be neither demoted nor deleted.
	if err := s.SetRole(ctx, amal.ID, storage.RoleEditor); !errors.Is(err, storage.ErrConflict) || !errors.Is(err, storage.ErrLastAdmin) {
		t.Fatalf("demote last admin: %v", err)
	}
	if err := s.DeleteUser(ctx, amal.ID); !errors.Is(err, storage.ErrConflict) || !strings.Contains(err.Error(), "at least one admin") {
		t.Fatalf("delete last admin: %v", err)
	}
	if u, _ := s.UserByID(ctx, amal.ID); u == nil || u.Role != storage.RoleAdmin {
		t.Fatalf("refused change changed the admin: %+v", u)
	}
	if err := s.SetRole(ctx, zed.ID, "root"); err == nil {
		t.Fatal("unknown role accepted")
	}
	if err := s.SetRole(ctx, "nobody", storage.RoleAdmin); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("SetRole unknown user: %v", err)
	}
	if err := s.SetRole(ctx, zed.ID, storage.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	// With two admins, one may go.
	if err := s.SetRole(ctx, amal.ID, storage.RoleEditor); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, zed.ID); !errors.Is(err, storage.ErrLastAdmin) {
		t.Fatalf("delete the admin left: %v", err)
	}
	if err := s.DeleteUser(ctx, bilal.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByID(ctx, bilal.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted user still found: %v", err)
	}
	if err := s.DeleteUser(ctx, bilal.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if n, _ := s.CountUsers(ctx); n != 2 {
		t.Fatalf("CountUsers = %d, want 2", n)
	}
}

// testLastAdminConcurrent: two admins demoted at the same moment by two
// connections; one change must be refused so that one admin remains.
func testLastAdminConcurrent(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newUser(t, s, "amal", storage.RoleAdmin)
	b := newUser(t, s, "bilal", storage.RoleAdmin)
	s2 := storagetest.Open(t, url)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, job := range []struct {
		st *storage.Store
		id string
	}{{s, a.ID}, {s2, b.ID}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				errs[i] = job.st.SetRole(ctx, job.id, storage.RoleEditor)
			} else {
				errs[i] = job.st.DeleteUser(ctx, job.id)
			}
		}()
	}
	wg.Wait()
	us, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admins := 0
	for _, u := range us {
		if u.Role == storage.RoleAdmin {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("admins left = %d (errors %v, %v)", admins, errs[0], errs[1])
	}
}

// testUserActorsAndPassword: the actors given to an editor, and a password
// change that ends every session of that user (and only of that user).
func testUserActorsAndPassword(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	admin := newUser(t, s, "amal", storage.RoleAdmin)
	ed := newUser(t, s, "bilal", storage.RoleEditor)
	x, y := newActor(t, s, "zeta"), newActor(t, s, "alpha")

	if ids, err := s.UserActors(ctx, ed.ID); err != nil || len(ids) != 0 {
		t.Fatalf("UserActors before = %v, %v", ids, err)
	}
	if err := s.SetUserActors(ctx, ed.ID, []string{x.ID, y.ID, x.ID}); err != nil {
		t.Fatal(err)
	}
	if ids, err := s.UserActors(ctx, ed.ID); err != nil || !slices.Equal(ids, []string{y.ID, x.ID}) {
		t.Fatalf("UserActors = %v, %v; want alpha, zeta", ids, err)
	}
	// An unknown actor changes nothing.
	if err := s.SetUserActors(ctx, ed.ID, []string{x.ID, "no-such-actor"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown actor: %v", err)
	}
	if ids, _ := s.UserActors(ctx, ed.ID); len(ids) != 2 {
		t.Fatalf("failed SetUserActors changed the grants: %v", ids)
	}
	if err := s.SetUserActors(ctx, "nobody", []string{x.ID}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := s.SetUserActors(ctx, ed.ID, []string{x.ID}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.UserActors(ctx, ed.ID); !slices.Equal(ids, []string{x.ID}) {
		t.Fatalf("replaced grants = %v", ids)
	}
	// Grants survive a round trip through admin.
	if err := s.SetRole(ctx, ed.ID, storage.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, ed.ID, storage.RoleEditor); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.UserActors(ctx, ed.ID); !slices.Equal(ids, []string{x.ID}) {
		t.Fatalf("grants after role round trip = %v", ids)
	}

	// Password change: every session of the user ends, others' stay.
	tok1, _ := s.CreateSession(ctx, ed.ID, "phone", time.Hour)
	tok2, _ := s.CreateSession(ctx, ed.ID, "laptop", time.Hour)
	tokA, _ := s.CreateSession(ctx, admin.ID, "desk", time.Hour)
	h, err := storage.HashPassword("a new long password")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, ed.ID, h); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{tok1, tok2} {
		if _, err := s.UserBySession(ctx, tok); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("session survived a password change: %v", err)
		}
	}
	if u, err := s.UserBySession(ctx, tokA); err != nil || u.ID != admin.ID {
		t.Fatalf("another user's session ended: %v", err)
	}
	if u, _ := s.UserByID(ctx, ed.ID); !u.CheckPassword("a new long password") {
		t.Fatal("new password does not check")
	}
	if err := s.SetPassword(ctx, "nobody", h); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("SetPassword unknown user: %v", err)
	}

	// Deleting a user or an actor removes the grants (ON DELETE CASCADE).
	if err := s.DeleteUser(ctx, ed.ID); err != nil {
		t.Fatal(err)
	}
	if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM user_actors`); n != 0 {
		t.Fatalf("grants of a deleted user left: %d", n)
	}
	if n := storagetest.Count(t, url, `SELECT COUNT(*) FROM sessions WHERE user_id = $1`, ed.ID); n != 0 {
		t.Fatalf("sessions of a deleted user left: %d", n)
	}
}

// testNodeSettings: unset by default, set and read back in one query,
// invalid input refused without a change, empty fields unset.
func testNodeSettings(t *testing.T, url string) {
	clock := storagetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := storagetest.OpenClock(t, url, clock)
	n, err := s.NodeSettings(ctx)
	if err != nil || n != (storage.NodeSettings{}) {
		t.Fatalf("NodeSettings unset = %+v, %v", n, err)
	}
	want := storage.NodeSettings{Name: "شبكة التضامن", Description: "Statements from the network.\nIn Arabic and English.", Language: "AR"}
	if err := s.SetNodeSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.NodeSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != want.Name || got.Description != want.Description || got.Language != "ar" || !got.UpdatedAt.Equal(clock.Now()) {
		t.Fatalf("NodeSettings = %+v", got)
	}
	for _, bad := range []storage.NodeSettings{
		{Name: strings.Repeat("x", storage.MaxNodeNameLength+1)},
		{Description: strings.Repeat("x", storage.MaxNodeDescriptionLength+1)},
		{Name: "a\x00b"},
		{Language: "not a language"},
		{Name: "\xff"},
	} {
		if err := s.SetNodeSettings(ctx, bad); err == nil {
			t.Fatalf("accepted %+v", bad)
		}
	}
	if again, _ := s.NodeSettings(ctx); again != got {
		t.Fatalf("refused settings changed something: %+v", again)
	}
	clock.Advance(time.Hour)
	if err := s.SetNodeSettings(ctx, storage.NodeSettings{Name: "Tadamun"}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.NodeSettings(ctx)
	if got.Name != "Tadamun" || got.Description != "" || got.Language != "" || !got.UpdatedAt.Equal(clock.Now()) {
		t.Fatalf("after unsetting = %+v", got)
	}
}

// testFederationMode: open by default; allow-list mode set and read back;
// an unknown mode refused without a change; node settings leave it alone.
func testFederationMode(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	if m, err := s.FederationMode(ctx); err != nil || m != storage.FederationOpen {
		t.Fatalf("default mode = %q, %v", m, err)
	}
	if err := s.SetFederationMode(ctx, storage.FederationAllowList); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFederationMode(ctx, "closed"); err == nil {
		t.Fatal("an unknown mode was accepted")
	}
	if err := s.SetNodeSettings(ctx, storage.NodeSettings{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.FederationMode(ctx); err != nil || m != storage.FederationAllowList {
		t.Fatalf("mode = %q, %v", m, err)
	}
	if err := s.SetFederationMode(ctx, storage.FederationOpen); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.FederationMode(ctx); m != storage.FederationOpen {
		t.Fatalf("mode after reopening = %q", m)
	}
}
