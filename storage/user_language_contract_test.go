package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestUserLanguageContract: the admin's interface language kept with the
// user (migration 0012), on both databases: none at first, set, read back
// by every lookup the admin uses (the session's above all), cleared, and
// refused when it is no language tag or names no user.
func TestUserLanguageContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testUserLanguage(t, b.URL) })
	}
}

func testUserLanguage(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	amal := newUser(t, s, "amal", storage.RoleAdmin)
	zed := newUser(t, s, "zed", storage.RoleEditor)
	if u, err := s.UserByID(ctx, amal.ID); err != nil || u.Language != "" {
		t.Fatalf("a new user's language = %+v, %v; want none", u, err)
	}
	if err := s.SetUserLanguage(ctx, amal.ID, "ckb"); err != nil {
		t.Fatal(err)
	}
	token, err := s.CreateSession(ctx, amal.ID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	lookups := map[string]func() (*storage.User, error){
		"UserByID":       func() (*storage.User, error) { return s.UserByID(ctx, amal.ID) },
		"UserByUsername": func() (*storage.User, error) { return s.UserByUsername(ctx, "amal") },
		"UserBySession":  func() (*storage.User, error) { return s.UserBySession(ctx, token) },
		"ListUsers": func() (*storage.User, error) {
			us, err := s.ListUsers(ctx)
			if err != nil || len(us) != 2 {
				return nil, err
			}
			return us[0], nil
		},
	}
	for name, get := range lookups {
		u, err := get()
		if err != nil || u == nil || u.Language != "ckb" {
			t.Errorf("%s after SetUserLanguage(ckb) = %+v, %v", name, u, err)
		}
	}
	// The other user's choice is their own.
	if u, _ := s.UserByID(ctx, zed.ID); u == nil || u.Language != "" {
		t.Errorf("another user's language changed: %+v", u)
	}
	for _, bad := range []string{"not a tag!", "x-" + string(make([]byte, 40)), "ar'--"} {
		if err := s.SetUserLanguage(ctx, amal.ID, bad); err == nil {
			t.Errorf("SetUserLanguage(%q) accepted", bad)
		}
	}
	if err := s.SetUserLanguage(ctx, "nobody", "ar"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("SetUserLanguage of an unknown user: %v", err)
	}
	if u, _ := s.UserByID(ctx, amal.ID); u == nil || u.Language != "ckb" {
		t.Errorf("a refused change changed the language: %+v", u)
	}
	if err := s.SetUserLanguage(ctx, amal.ID, ""); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.UserBySession(ctx, token); u == nil || u.Language != "" {
		t.Errorf("language after clearing = %+v", u)
	}
	// A user created with a language keeps it.
	u := &storage.User{Username: "noor", PasswordHash: "$2a$04$noor", Role: storage.RoleEditor, Language: "ar"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByUsername(ctx, "noor"); err != nil || got.Language != "ar" {
		t.Errorf("CreateUser with a language: %+v, %v", got, err)
	}
}
