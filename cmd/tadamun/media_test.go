package main

import (
	"bytes"
	"context"
	be "encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestMediaReprocess: an image stored by an older version (published as
// given, with a text chunk naming the photographer, and no BlurHash) is
// cleaned by "tadamun media reprocess"; a second run finds nothing to do.
func TestMediaReprocess(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "node.db")
	env := cleanEnv("TADAMUN_DATABASE=" + dbURL)
	m := image.NewRGBA(image.Rect(0, 0, 8, 8))
	m.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	if err := os.WriteFile(filepath.Join(dir, "pic.png"), plain, 0o600); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(dir, "s.md")
	if err := os.WriteFile(md, []byte("---\ntitle: Picture\nlanguage: en\nimages:\n  - file: pic.png\n    alt: A red dot\n---\nBody.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	tadamun(t, dir, env, "publish", "--actor", "icssi", md).must(t)

	// Make it look as an older version left it.
	ctx := context.Background()
	st := storagetest.Open(t, dbURL)
	list, err := st.ListStatements(ctx, storage.StatementQuery{})
	if err != nil || len(list) != 1 || len(list[0].Media) != 1 {
		t.Fatalf("statements: %v %v", list, err)
	}
	row := list[0].Media[0]
	const secret = "Photographer: Amal Haddad"
	chunk := be.BigEndian.AppendUint32(nil, uint32(len("Author\x00"+secret)))
	chunk = append(chunk, "tEXtAuthor\x00"+secret...)
	chunk = be.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	old := append(append(append([]byte{}, plain[:33]...), chunk...), plain[33:]...)
	file := filepath.Join(dir, "tadamun-data", "media", filepath.FromSlash(row.Path))
	if err := os.WriteFile(file, old, 0o600); err != nil {
		t.Fatal(err)
	}
	row.Blurhash = ""
	if err := st.UpdateMediaFile(ctx, &row); err != nil {
		t.Fatal(err)
	}

	if r := tadamun(t, dir, env, "media", "reprocess").must(t); !strings.Contains(r.stdout, "re-encoded 1 images") {
		t.Fatalf("first run: %s", r.stdout)
	}
	data, err := os.ReadFile(file)
	if err != nil || bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte("tEXt")) {
		t.Fatalf("after reprocessing the file still has its text chunk (%v)", err)
	}
	if r := tadamun(t, dir, env, "media", "reprocess").must(t); !strings.Contains(r.stdout, "re-encoded 0 images") {
		t.Fatalf("second run: %s", r.stdout)
	}
}
