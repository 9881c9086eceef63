package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
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
