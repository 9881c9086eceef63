package federation_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// Images published before images were re-encoded are still on disk as they
// were given, metadata and all; ReprocessMedia cleans them in place.
func TestReprocessMediaCleansOldFiles(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			fed, store, mediaDir := newMediaNode(t, b.URL)
			st, err := fed.Publish(ctx, "icssi", draftWith())
			if err != nil {
				t.Fatal(err)
			}
			write := func(rel string, data []byte) {
				t.Helper()
				p := filepath.Join(mediaDir, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var g bytes.Buffer
			pal := image.NewPaletted(image.Rect(0, 0, 16, 8), color.Palette{color.Black, color.White})
			if err := gif.Encode(&g, pal, nil); err != nil {
				t.Fatal(err)
			}
			write(st.ID+"/1.jpg", exifPhoto(t, 300, 200))
			write(st.ID+"/2.gif", g.Bytes())
			if err := store.AddMedia(ctx, []storage.Media{
				{ActorID: st.ActorID, StatementID: st.ID, Path: st.ID + "/1.jpg", MediaType: "image/jpeg", Width: 300, Height: 200},
				{ActorID: st.ActorID, StatementID: st.ID, Path: st.ID + "/2.gif", MediaType: "image/gif", Width: 16, Height: 8, Position: 1},
			}); err != nil {
				t.Fatal(err)
			}
			a, err := store.ActorByUsername(ctx, "icssi")
			if err != nil {
				t.Fatal(err)
			}
			a.AvatarPath = "actors/" + a.ID + "/avatar.jpg"
			write(a.AvatarPath, exifPhoto(t, 64, 64))
			if err := store.UpdateActor(ctx, a); err != nil {
				t.Fatal(err)
			}

			res, err := fed.ReprocessMedia(ctx)
			if err != nil || res.Processed != 3 || len(res.Failed) != 0 {
				t.Fatalf("ReprocessMedia = %+v, %v", res, err)
			}
			clean := func(rel string) []byte {
				t.Helper()
				data, err := os.ReadFile(filepath.Join(mediaDir, filepath.FromSlash(rel)))
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range []string{secretArtist, secretSerial, secretXMP, "Exif", "8BIM"} {
					if bytes.Contains(data, []byte(s)) {
						t.Errorf("%s still contains %q", rel, s)
					}
				}
				return data
			}
			got, err := store.StatementByID(ctx, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			m := got.Media
			if len(m) != 2 || m[0].Path != st.ID+"/1.jpg" || m[0].Width != 200 || m[0].Height != 300 || m[0].Blurhash == "" ||
				m[1].Path != st.ID+"/2.png" || m[1].MediaType != "image/png" || m[1].Blurhash == "" {
				t.Fatalf("media rows after reprocessing: %+v", m)
			}
			if cfg, err := jpeg.DecodeConfig(bytes.NewReader(clean(m[0].Path))); err != nil || cfg.Width != 200 {
				t.Fatalf("1.jpg: %+v %v", cfg, err)
			}
			clean(m[1].Path)
			if _, err := os.Stat(filepath.Join(mediaDir, st.ID, "2.gif")); !os.IsNotExist(err) {
				t.Errorf("the replaced GIF is still there: %v", err)
			}
			avatar := clean(a.AvatarPath)

			// A second run finds nothing to do and leaves the files as they are.
			res, err = fed.ReprocessMedia(ctx)
			if err != nil || res.Processed != 0 {
				t.Fatalf("second run = %+v, %v", res, err)
			}
			if again := clean(a.AvatarPath); !bytes.Equal(again, avatar) {
				t.Error("the second run re-encoded the avatar again")
			}
		})
	}
}
