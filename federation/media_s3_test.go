package federation_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/mediastore"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// s3Bucket is an S3-compatible server (gofakes3, on loopback) whose clock
// the test moves: objects get their Last-Modified from it, as the partner
// media sweep reads ages from the store.
type s3Bucket struct {
	be    *s3mem.Backend
	clock gofakes3.TimeSourceAdvancer
	store *mediastore.S3
}

func newS3Bucket(t *testing.T, start time.Time) *s3Bucket {
	t.Helper()
	clock := gofakes3.FixedTimeSource(start.Truncate(time.Second))
	be := s3mem.New(s3mem.WithTimeSource(clock))
	if err := be.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The server's clock is the test's: its check of the client's is off.
	srv := httptest.NewUnstartedServer(gofakes3.New(be, gofakes3.WithTimeSource(clock), gofakes3.WithTimeSkewLimit(0)).Server())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	st, err := mediastore.NewS3(context.Background(), mediastore.S3Config{Endpoint: ln.Addr().String(), Bucket: "media",
		Region: "us-east-1", AccessKey: "tadamun", SecretKey: "tadamun-secret", Insecure: true, Prefix: "node/"})
	if err != nil {
		t.Fatal(err)
	}
	return &s3Bucket{be: be, clock: clock, store: st}
}

// keys lists the objects, as the server holds them (prefix included).
func (b *s3Bucket) keys(t *testing.T, under string) []string {
	t.Helper()
	list, err := b.be.ListBucket("media", nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list.Contents {
		if k, ok := strings.CutPrefix(c.Key, "node/"+under); ok {
			out = append(out, under+k)
		}
	}
	sort.Strings(out)
	return out
}

func (b *s3Bucket) object(t *testing.T, key string) []byte {
	t.Helper()
	obj, err := b.be.GetObject("media", "node/"+key, nil)
	if err != nil {
		t.Fatalf("object %s: %v", key, err)
	}
	defer obj.Contents.Close()
	data, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (b *s3Bucket) put(t *testing.T, key string, data []byte) {
	t.Helper()
	if err := b.store.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), ""); err != nil {
		t.Fatal(err)
	}
}

func noMetadata(t *testing.T, key string, data []byte) {
	t.Helper()
	for _, s := range []string{secretArtist, secretSerial, secretXMP, "Exif", "8BIM"} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("%s still contains %q", key, s)
		}
	}
}

// TestMediaOnS3: with an S3 store and no media directory at all, every
// media path of the federation layer works on the bucket: publishing
// (re-encoded, metadata gone), an edit that replaces the image (the old
// object removed), an unchanged edit (nothing rewritten), the avatar
// (replaced, the old removed), media reprocess (a GIF becomes a PNG, the
// GIF removed), partners' pictures (copied, reused, swept by age and
// evicted by bytes, oldest first) and deletion (the statement's folder
// emptied).
func TestMediaOnS3(t *testing.T) {
	for _, be := range storagetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			b := newS3Bucket(t, time.Now().Add(-3*time.Hour))
			store := openStore(t, be.URL, time.Now)
			client := transport.New(transport.Config{AllowPrivate: true})
			t.Cleanup(client.CloseIdleConnections)
			fed := federation.New(federation.Config{Scheme: "https", Host: "node.test", Client: client, Media: b.store,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, store)
			if fed.MediaDir() != "" {
				t.Fatalf("MediaDir = %q", fed.MediaDir())
			}
			local, err := fed.CreateActor(ctx, federation.NewActor{Username: "icssi"})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			photo, red := filepath.Join(dir, "photo.jpg"), filepath.Join(dir, "red.png")
			if err := os.WriteFile(photo, exifPhoto(t, 300, 200), 0o600); err != nil {
				t.Fatal(err)
			}
			pngFile(t, red, color.RGBA{R: 255, A: 255})

			// Publish and edit.
			st, err := fed.Publish(ctx, "icssi", draftWith(photo))
			if err != nil {
				t.Fatal(err)
			}
			if keys := b.keys(t, st.ID+"/"); len(keys) != 1 || keys[0] != st.Media[0].Path {
				t.Fatalf("after publish the bucket holds %v, the row names %+v", keys, st.Media)
			}
			noMetadata(t, st.Media[0].Path, b.object(t, st.Media[0].Path))
			if _, err := fed.Edit(ctx, st.ID, draftWith(photo)); err != nil {
				t.Fatal(err)
			}
			if keys := b.keys(t, st.ID+"/"); len(keys) != 1 || keys[0] != st.Media[0].Path {
				t.Fatalf("an edit with the same picture rewrote it: %v", keys)
			}
			// The stored JPEG handed back, as the admin's edit form does
			// with an image it keeps: left as it is, not re-encoded.
			kept := filepath.Join(dir, "kept.jpg")
			if err := os.WriteFile(kept, b.object(t, st.Media[0].Path), 0o600); err != nil {
				t.Fatal(err)
			}
			if got, err := fed.Edit(ctx, st.ID, draftWith(kept)); err != nil || got.Media[0].Path != st.Media[0].Path {
				t.Fatalf("a kept image was replaced: %v %+v", err, got)
			}
			if keys := b.keys(t, st.ID+"/"); len(keys) != 1 || keys[0] != st.Media[0].Path {
				t.Fatalf("a kept image was rewritten: %v", keys)
			}
			edited, err := fed.Edit(ctx, st.ID, draftWith(red))
			if err != nil {
				t.Fatal(err)
			}
			if keys := b.keys(t, st.ID+"/"); len(keys) != 1 || keys[0] != edited.Media[0].Path || keys[0] == st.Media[0].Path {
				t.Fatalf("after an edit with another picture the bucket holds %v, the row names %+v", keys, edited.Media)
			}

			// Avatar, twice: only the newest stays.
			var avatars []string
			for range 2 {
				a, err := fed.UpdateProfile(ctx, "icssi", federation.ProfileUpdate{AvatarData: exifPhoto(t, 64, 64)})
				if err != nil {
					t.Fatal(err)
				}
				avatars = append(avatars, a.AvatarPath)
			}
			if keys := b.keys(t, "actors/"); len(keys) != 1 || keys[0] != avatars[1] {
				t.Fatalf("avatars in the bucket %v, want only %s", keys, avatars[1])
			}
			noMetadata(t, avatars[1], b.object(t, avatars[1]))

			// Reprocess: an image stored as given by an older version.
			old, err := fed.Publish(ctx, "icssi", &content.Draft{Title: "Old", Language: "en", Body: "Old."})
			if err != nil {
				t.Fatal(err)
			}
			var g bytes.Buffer
			if err := gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 16, 8), color.Palette{color.Black, color.White}), nil); err != nil {
				t.Fatal(err)
			}
			b.put(t, old.ID+"/1.gif", g.Bytes())
			if err := store.AddMedia(ctx, []storage.Media{{ActorID: old.ActorID, StatementID: old.ID, Path: old.ID + "/1.gif",
				MediaType: "image/gif", Width: 16, Height: 8}}); err != nil {
				t.Fatal(err)
			}
			if res, err := fed.ReprocessMedia(ctx); err != nil || res.Processed != 1 || len(res.Failed) != 0 {
				t.Fatalf("ReprocessMedia = %+v, %v", res, err)
			}
			if keys := b.keys(t, old.ID+"/"); len(keys) != 1 || keys[0] != old.ID+"/1.png" {
				t.Fatalf("after reprocessing the bucket holds %v, want the PNG only", keys)
			}

			// Partners' pictures: copied three hours ago, one a minute
			// after the other.
			site := startPartnerSite(t, "127.0.0.45")
			partner, err := fed.ResolveActor(ctx, site.addActor(t, "/users/p"), true)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.PutFollowing(ctx, local.ID, partner.ID, "https://node.test/activities/f", storage.RelayPolicy{}); err != nil {
				t.Fatal(err)
			}
			var copies []string
			var sizes []int64
			for i := range 2 {
				path := fmt.Sprintf("/m/%d.png", i)
				site.serve(path, "image/png", pngBytes(t, 20, 20, color.RGBA{uint8(90 * i), 40, 0, 255}))
				id := fmt.Sprintf("%s/statuses/%d", partner.IRI, i)
				obj := map[string]any{"id": id, "attachment": map[string]any{"type": "Document", "mediaType": "image/png",
					"url": site.base + path}}
				att := fed.PartnerAttachments(ctx, obj)
				if len(att) != 1 || att[0].LocalPath == "" {
					t.Fatalf("not copied: %+v", att)
				}
				at := time.Now().Add(-3 * time.Hour)
				o := &storage.RemoteObject{IRI: id, RemoteActorID: partner.ID, Type: "Note", Public: true, PublishedAt: &at,
					Attachments: att}
				if err := store.UpsertRemoteObject(ctx, o); err != nil {
					t.Fatal(err)
				}
				// Its update names the same picture: the copy is reused.
				if again := fed.PartnerAttachments(ctx, obj); len(again) != 1 || again[0].LocalPath != att[0].LocalPath {
					t.Fatalf("copy not reused: %+v", again)
				}
				copies, sizes = append(copies, att[0].LocalPath), append(sizes, int64(len(b.object(t, att[0].LocalPath))))
				b.clock.Advance(time.Minute)
			}
			b.put(t, federation.PartnerMediaFolder+"/stray.png", []byte("x"))
			b.clock.Advance(3 * time.Hour) // now: the server's clock and ours agree again
			b.put(t, federation.PartnerMediaFolder+"/fresh.png", []byte("x"))
			if err := fed.SweepPartnerMediaWith(ctx, sizes[1]+1, 1000); err != nil {
				t.Fatal(err)
			}
			want := []string{copies[1], federation.PartnerMediaFolder + "/fresh.png"}
			sort.Strings(want)
			if keys := b.keys(t, federation.PartnerMediaFolder+"/"); strings.Join(keys, " ") != strings.Join(want, " ") {
				t.Fatalf("after the sweep the bucket holds %v, want %v (the oldest copy evicted, the old stray removed)", keys, want)
			}

			// Deleted: the statement's objects go.
			if _, err := fed.DeleteStatement(ctx, st.ID); err != nil {
				t.Fatal(err)
			}
			if keys := b.keys(t, st.ID+"/"); len(keys) != 0 {
				t.Fatalf("a deleted statement's objects remain: %v", keys)
			}
		})
	}
}
