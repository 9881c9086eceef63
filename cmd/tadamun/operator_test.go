package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// writePNG writes a small PNG picture for statements' images.
func writePNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeText(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantMode fails unless path has exactly the permission bits want.
func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %#o, want %#o", path, got, want)
	}
}

// TestFilesOwnerOnly: the database (with its WAL and shared-memory files),
// the media folder and its files, and backups hold the actors' private keys
// or unpublished work, so they are created readable by the owner only, even
// under the common umask 022. Files left readable by an older version are
// tightened when the node opens them.
func TestFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	env := cleanEnv()
	data := filepath.Join(dir, "tadamun-data")
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	writePNG(t, filepath.Join(dir, "pic.png"))
	md := writeText(t, filepath.Join(dir, "s.md"), "---\ntitle: With a picture\nlanguage: en\nimages:\n  - file: pic.png\n    alt: A red dot\n---\nBody.\n")
	tadamun(t, dir, env, "publish", "--actor", "icssi", md).must(t)

	s := startServe(t, dir, env)
	wantMode(t, data, 0o700)
	for _, f := range []string{"tadamun.db", "tadamun.db-wal", "tadamun.db-shm"} {
		wantMode(t, filepath.Join(data, f), 0o600)
	}
	media := filepath.Join(data, "media")
	wantMode(t, media, 0o700)
	n := 0
	filepath.WalkDir(media, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		if d.IsDir() {
			wantMode(t, p, 0o700)
		} else {
			n++
			wantMode(t, p, 0o600)
		}
		return nil
	})
	if n != 1 {
		t.Errorf("%d media files, want 1", n)
	}
	backup := filepath.Join(dir, "copy.db")
	tadamun(t, dir, env, "backup", backup).must(t)
	wantMode(t, backup, 0o600)
	s.signal(t, syscall.SIGTERM)

	// Files an older version left readable are tightened on the next open.
	for _, p := range []string{data, media} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(data, "tadamun.db"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := tadamun(t, dir, env, "statement", "list").must(t); !strings.Contains(r.stdout, "With a picture") {
		t.Fatalf("statement list:\n%s", r.stdout)
	}
	wantMode(t, data, 0o700)
	wantMode(t, media, 0o700)
	wantMode(t, filepath.Join(data, "tadamun.db"), 0o600)
}

// hostile is remote text that would take over an operator's terminal: OSC 52
// writes the clipboard, CSI 2J clears the screen, a C1 CSI does the same on
// terminals that take 8-bit controls, a right-to-left override reorders
// what follows (Trojan source), and a newline would break a table row.
const hostile = "evil\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\u009b2J\u202etxt.exe\nX"

// TestRemoteTextIsInert: remote names and replies printed by the CLI carry no
// control characters, escape sequences or bidi overrides.
func TestRemoteTextIsInert(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "node.db")
	env := cleanEnv("TADAMUN_DATABASE=" + dbURL)
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	tadamun(t, dir, env, "publish", "--actor", "icssi", seedFile(t)).must(t)

	ctx := context.Background()
	st := storagetest.Open(t, dbURL)
	actor, err := st.ActorByUsername(ctx, "icssi")
	if err != nil {
		t.Fatal(err)
	}
	list, err := st.ListStatements(ctx, storage.StatementQuery{})
	if err != nil || len(list) != 1 {
		t.Fatalf("statements: %v %v", list, err)
	}
	r := &storage.RemoteActor{IRI: "https://x.example/users/evil", Host: "x.example", Type: "Person", Username: hostile,
		DisplayName: hostile, Inbox: "https://x.example/inbox", FetchedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := st.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := st.PutFollower(ctx, actor.ID, r.ID, "https://x.example/follows/1", storage.FollowPending); err != nil {
		t.Fatal(err)
	}
	o := &storage.RemoteObject{IRI: "https://x.example/notes/1", RemoteActorID: r.ID, Type: "Note",
		StatementID: list[0].ID, ContentHTML: "<p>" + hostile + "</p>", Moderation: storage.ModerationPending}
	if err := st.UpsertRemoteObject(ctx, o); err != nil {
		t.Fatal(err)
	}
	st.Close()

	for _, args := range [][]string{{"followers", "list", "icssi"}, {"followers", "list", "icssi", "--pending"}, {"replies", "list"}} {
		out := tadamun(t, dir, env, args...).must(t).stdout
		if !strings.Contains(out, "evil") || !strings.Contains(out, "txt.exe") {
			t.Errorf("%v lost the printable text:\n%q", args, out)
		}
		if i := strings.IndexFunc(out, func(r rune) bool {
			return r != '\n' && (r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0x202e)
		}); i >= 0 {
			t.Errorf("%v printed a control character %q:\n%q", args, out[i:], out)
		}
		if strings.Contains(out, "ZWNobyBwd25lZA") {
			t.Errorf("%v printed the clipboard payload:\n%q", args, out)
		}
		if n := strings.Count(out, "\n"); n != 2 {
			t.Errorf("%v printed %d lines, want a header and one row:\n%s", args, n, out)
		}
	}
}

// TestStatementSizeLimit: a text over the limit, or a translation that would
// make the statement's Create larger than other servers' inboxes take, is
// refused with one line and nothing is stored.
func TestStatementSizeLimit(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "node.db")
	env := cleanEnv("TADAMUN_DATABASE=" + dbURL)
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	oneLine := func(r result, want string) {
		t.Helper()
		if r.code != 1 || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.Contains(r.stderr, want) {
			t.Fatalf("exit %d, stderr %q; want one line with %q", r.code, r.stderr, want)
		}
	}
	words := func(n int) string { return strings.Repeat("solidarity ", n/11) }

	huge := writeText(t, filepath.Join(dir, "huge.md"), "---\ntitle: Too long\nlanguage: en\n---\n"+words(150_000)+"\n")
	oneLine(tadamun(t, dir, env, "publish", "--actor", "icssi", huge), "the limit is 100000 bytes")
	if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM statements`); n != 0 {
		t.Fatalf("%d statements stored after a refused publish", n)
	}

	long := writeText(t, filepath.Join(dir, "long.md"), "---\ntitle: Long\nlanguage: en\n---\n"+words(95_000)+"\n")
	tadamun(t, dir, env, "publish", "--actor", "icssi", long).must(t)
	list, err := storagetest.Open(t, dbURL).ListStatements(context.Background(), storage.StatementQuery{})
	if err != nil || len(list) != 1 {
		t.Fatalf("statements: %v %v", list, err)
	}
	id := list[0].ID
	refused := false
	for i, lang := range []string{"ar", "fr", "it", "de", "es", "ckb", "ku", "fa", "tr", "nl", "sv", "pt"} {
		f := writeText(t, filepath.Join(dir, lang+".md"), "---\ntitle: Long "+lang+"\nlanguage: "+lang+"\n---\n"+words(95_000)+"\n")
		r := tadamun(t, dir, env, "statement", "translate", id, f)
		if r.code == 0 {
			continue
		}
		oneLine(r, "servers accept at most 1000000")
		if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM statement_translations`); n != i {
			t.Fatalf("%d translations stored, want the %d accepted before", n, i)
		}
		t.Logf("refused the %d. translation of about 95 kB", i+1)
		refused = true
		break
	}
	if !refused {
		t.Fatal("twelve translations of 95 kB each were all accepted")
	}
	if n := storagetest.Count(t, dbURL, `SELECT COUNT(*) FROM activities WHERE LENGTH(body) > 1000000`); n != 0 {
		t.Fatalf("%d activities over 1,000,000 bytes were stored", n)
	}
}
