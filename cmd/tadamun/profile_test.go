package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestActorUpdateProfileFlags: `tadamun actor update` changes what the
// admin interface's profile form changes (languages, Note/Article,
// approving followers by hand) and refuses a bad value, changing nothing.
func TestActorUpdateProfileFlags(t *testing.T) {
	dir := t.TempDir()
	env := cleanEnv()
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI", "--languages", "en").must(t)
	tadamun(t, dir, env, "actor", "update", "icssi", "--languages", "ar, ckb", "--object-type", "Article",
		"--approve-followers").must(t)
	r := tadamun(t, dir, env, "actor", "update", "icssi", "--object-type", "Video", "--name", "Changed")
	if r.code == 0 || !strings.Contains(r.stderr, "Note or Article") {
		t.Fatalf("bad object type: exit %d, %s", r.code, r.stderr)
	}
	st := storagetest.Open(t, "sqlite:"+filepath.Join(dir, "tadamun-data", "tadamun.db"))
	a, err := st.ActorByUsername(context.Background(), "icssi")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(a.Languages, ",") != "ar,ckb" || a.ObjectType != "Article" || !a.ManuallyApprovesFollowers || a.DisplayName != "ICSSI" {
		t.Fatalf("actor after update: %+v", a)
	}
	tadamun(t, dir, env, "actor", "update", "icssi", "--approve-followers=false").must(t)
	if a, err = st.ActorByUsername(context.Background(), "icssi"); err != nil || a.ManuallyApprovesFollowers {
		t.Fatalf("approve-followers=false: %+v %v", a, err)
	}
}
