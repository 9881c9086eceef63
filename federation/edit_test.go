package federation_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// pngFile writes an 8×8 picture of one colour.
func pngFile(t *testing.T, path string, c color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := 0; x < 8; x++ {
		for y := 0; y < 8; y++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEditImages: an edit replaces a published statement's images (new
// files, the old ones removed, one Update), keeps them untouched when the
// file names the same pictures (no Update), and removes them when the file
// has none. A refused edit leaves files and rows as they were.
func TestEditImages(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			store := storagetest.Open(t, b.URL)
			media, dir := t.TempDir(), t.TempDir()
			clock := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
			fed := federation.New(federation.Config{Scheme: "https", Host: "node.test", MediaDir: media,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock }}, store)
			if _, err := fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
				t.Fatal(err)
			}
			red, blue := filepath.Join(dir, "red.png"), filepath.Join(dir, "blue.png")
			pngFile(t, red, color.RGBA{R: 255, A: 255})
			pngFile(t, blue, color.RGBA{B: 255, A: 255})
			draft := func(img string) *content.Draft {
				src := "---\ntitle: Pictures\nlanguage: en\n"
				if img != "" {
					src += "images:\n  - file: " + img + "\n    alt: A colour\n"
				}
				d, err := content.ParseStatementFile([]byte(src + "---\nBody.\n"))
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			updates := func() int {
				n, err := store.CountActivities(ctx, storage.Outbound, "Update")
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			files := func() []string {
				var out []string
				filepath.WalkDir(media, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						rel, _ := filepath.Rel(media, p)
						out = append(out, filepath.ToSlash(rel))
					}
					return nil
				})
				return out
			}
			st, err := fed.Publish(ctx, "icssi", draft(red))
			if err != nil {
				t.Fatal(err)
			}
			first := files()
			if len(first) != 1 || len(st.Media) != 1 || st.Media[0].Path != first[0] {
				t.Fatalf("after publish: files %v, media %+v", first, st.Media)
			}

			// The same picture: nothing changes, nothing is sent.
			if _, err := fed.Edit(ctx, st.ID, draft(red)); err != nil {
				t.Fatal(err)
			}
			if f := files(); len(f) != 1 || f[0] != first[0] || updates() != 0 {
				t.Fatalf("an edit with the same picture: files %v, %d Updates", f, updates())
			}

			// Another picture: a new file, the old one gone, one Update.
			clock = clock.Add(time.Minute)
			got, err := fed.Edit(ctx, st.ID, draft(blue))
			if err != nil {
				t.Fatal(err)
			}
			second := files()
			if len(second) != 1 || second[0] == first[0] || len(got.Media) != 1 || got.Media[0].Path != second[0] || updates() != 1 {
				t.Fatalf("an edit with another picture: files %v (before %v), media %+v, %d Updates", second, first, got.Media, updates())
			}
			stored, err := store.StatementByID(ctx, st.ID)
			if err != nil || len(stored.Media) != 1 || stored.Media[0].Path != second[0] {
				t.Fatalf("stored media: %+v %v", stored, err)
			}

			// A refused edit (no title) leaves everything as it was.
			bad := draft(red)
			bad.Title = ""
			if _, err := fed.Edit(ctx, st.ID, bad); err == nil {
				t.Fatal("an edit without a title was accepted")
			}
			if f := files(); len(f) != 1 || f[0] != second[0] {
				t.Fatalf("files after a refused edit: %v", f)
			}

			// No pictures: the file goes, followers are told.
			clock = clock.Add(time.Minute)
			if _, err := fed.Edit(ctx, st.ID, draft("")); err != nil {
				t.Fatal(err)
			}
			if f := files(); len(f) != 0 || updates() != 2 {
				t.Fatalf("an edit without pictures: files %v, %d Updates", f, updates())
			}
			if _, err := fed.Edit(ctx, "01aaaaaaaaaaaaaaaaaaaaaaaa", draft("")); err == nil || !strings.Contains(err.Error(), "no statement") {
				t.Fatalf("edit of an unknown statement: %v", err)
			}
		})
	}
}
