package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestImportsContract pins the records of imported posts on both
// databases: one row per (actor, guid), updated in place; old addresses
// and WordPress ids lead to visible statements only.
func TestImportsContract(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testImportedPosts(t, freshURL(t, b.Name)) })
	}
}

func testImportedPosts(t *testing.T, url string) {
	s := storagetest.Open(t, url)
	a := newActor(t, s, "icssi")
	past := time.Date(2015, 3, 1, 9, 0, 0, 0, time.UTC)
	st := newStatement(t, s, a.ID, "we-stand", "en", &past, storage.StatePublished)
	draft := newStatement(t, s, a.ID, "draft-one", "en", nil, storage.StateDraft)

	if _, err := s.ImportedPost(ctx, a.ID, "https://old.example/?p=12"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a post never imported: %v", err)
	}
	en := &storage.ImportedPost{ActorID: a.ID, GUID: "https://old.example/?p=12", StatementID: st.ID, Language: "en",
		Hash: "h1", OldPath: "/2015/03/we-stand", OldPostID: 12}
	ar := &storage.ImportedPost{ActorID: a.ID, GUID: "https://old.example/?p=13", StatementID: st.ID, Language: "ar",
		Hash: "h2", OldPath: "/ar/2015/03/نقف-معا", OldPostID: 13}
	dr := &storage.ImportedPost{ActorID: a.ID, GUID: "https://old.example/?p=14", StatementID: draft.ID, Language: "en",
		Hash: "h3", OldPath: "/draft-one", OldPostID: 14}
	for _, p := range []*storage.ImportedPost{en, ar, dr} {
		if err := s.PutImportedPost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.CountImportedPosts(ctx, a.ID); err != nil || n != 3 {
		t.Fatalf("count: %d %v", n, err)
	}
	// A second put of the same guid updates the row rather than adding one.
	en.Hash = "h1b"
	if err := s.PutImportedPost(ctx, en); err != nil {
		t.Fatal(err)
	}
	got, err := s.ImportedPost(ctx, a.ID, en.GUID)
	if err != nil || got.Hash != "h1b" || got.StatementID != st.ID || got.OldPostID != 12 || got.Language != "en" {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if n, _ := s.CountImportedPosts(ctx, a.ID); n != 3 {
		t.Fatalf("a repeated put added a row: %d", n)
	}

	tg, err := s.ImportTargetByPath(ctx, "/ar/2015/03/نقف-معا")
	if err != nil || tg.Username != "icssi" || tg.Slug != "we-stand" || tg.Language != "ar" || tg.Primary != "en" {
		t.Fatalf("by path: %+v %v", tg, err)
	}
	if tg, err := s.ImportTargetByPostID(ctx, 12); err != nil || tg.Slug != "we-stand" || tg.Language != "en" {
		t.Fatalf("by post id: %+v %v", tg, err)
	}
	for _, p := range []string{"/draft-one", "/nothing", ""} {
		if _, err := s.ImportTargetByPath(ctx, p); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("path %q (a draft, unknown, empty) answered: %v", p, err)
		}
	}
	if _, err := s.ImportTargetByPostID(ctx, 14); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a draft's post id answered: %v", err)
	}
	// A deleted statement keeps its record, but its old address no longer
	// answers (its page is a tombstone).
	if _, err := s.DeleteStatement(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportTargetByPostID(ctx, 12); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a deleted statement's post id answered: %v", err)
	}
}
