package federation_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// pngBytes is a w×h PNG of one colour.
func pngBytes(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func doc(attachments ...any) map[string]any {
	return map[string]any{"id": "https://partner.example/statuses/1", "type": "Note", "attachment": attachments}
}

// TestPartnerMediaRefusesPrivateAddresses: with the guard on (as on a
// public node), an attachment on a loopback or private address is never
// requested; the post keeps the link only.
func TestPartnerMediaRefusesPrivateAddresses(t *testing.T) {
	ctx := context.Background()
	site := startPartnerSite(t, "127.0.0.41")
	site.serve("/m/1.png", "image/png", pngBytes(t, 8, 8, color.RGBA{200, 0, 0, 255}))
	n := newBackfillNode(t, storagetest.SQLiteURL(t), false)
	port := strings.TrimPrefix(site.base, "http://127.0.0.41")
	for _, u := range []string{site.base + "/m/1.png", "http://localhost" + port + "/m/1.png", "http://10.0.0.1/m/1.png",
		"http://[::1]" + port + "/m/1.png"} {
		got := n.fed.PartnerAttachments(ctx, doc(map[string]any{"type": "Image", "mediaType": "image/png", "url": u, "name": "alt"}))
		if len(got) != 1 || got[0].LocalPath != "" || got[0].URL != u || got[0].Alt != "alt" {
			t.Errorf("%s: %+v", u, got)
		}
	}
	if h := site.hitsOf("/m/1.png"); h != 0 {
		t.Fatalf("a private address was requested %d times", h)
	}
	if entries, _ := os.ReadDir(filepath.Join(n.media, federation.PartnerMediaFolder)); len(entries) != 0 {
		t.Fatalf("files written: %v", entries)
	}
}

// TestPartnerAttachmentShapes: the attachment forms servers send are read;
// at most 4 images of a post are copied; what is not an image, too large
// or not decodable is linked, with its type and alt text.
func TestPartnerAttachmentShapes(t *testing.T) {
	ctx := context.Background()
	site := startPartnerSite(t, "127.0.0.42")
	n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
	for i := range 6 {
		site.serve(fmt.Sprintf("/m/%d.png", i), "image/png", pngBytes(t, 10+i, 10, color.RGBA{uint8(40 * i), 100, 0, 255}))
	}
	site.serve("/m/big.png", "image/png", bytes.Repeat([]byte{0x89}, federation.MaxPartnerImageBytes+1))
	site.serve("/m/garbage.png", "image/png", []byte("<html>not a picture</html>"))
	u := func(p string) string { return site.base + p }
	long := strings.Repeat("ص", 2000)
	got := n.fed.PartnerAttachments(ctx, doc(
		// Mastodon: Document, url a string. Audio is linked, never fetched.
		map[string]any{"type": "Document", "mediaType": "audio/ogg", "url": u("/m/a.ogg"), "name": "a song"},
		map[string]any{"type": "Document", "mediaType": "image/png", "url": u("/m/big.png"), "name": "too big"},
		map[string]any{"type": "Document", "mediaType": "image/png", "url": u("/m/garbage.png"), "name": "garbage"},
		map[string]any{"type": "Document", "mediaType": "image/png", "url": u("/m/0.png"), "name": "<p>zero</p>", "blurhash": "<script>"},
		// Pleroma / PeerTube: url a list of Links, the image wins.
		map[string]any{"type": "Document", "name": long, "url": []any{
			map[string]any{"type": "Link", "mediaType": "text/html", "href": u("/page")},
			map[string]any{"type": "Link", "mediaType": "image/png", "href": u("/m/1.png")}}},
		// A Link object as url.
		map[string]any{"type": "Image", "url": map[string]any{"type": "Link", "href": u("/m/2.png"), "mediaType": "image/png"}},
		// A bare Link attachment.
		map[string]any{"type": "Link", "href": u("/m/3.png"), "mediaType": "image/png"},
		// An Image without a media type: sniffed. The fifth image: not copied.
		map[string]any{"type": "Image", "url": u("/m/4.png")},
		map[string]any{"type": "Document", "mediaType": "image/png", "url": u("/m/5.png")},
		// Dropped: no usable address.
		map[string]any{"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)"},
		"data:image/png;base64,AAAA",
	))
	if len(got) != 9 {
		t.Fatalf("%d attachments: %+v", len(got), got)
	}
	copied := 0
	for _, a := range got {
		if a.LocalPath != "" {
			copied++
			checkCopy(t, n.media, a.LocalPath)
		}
	}
	if copied != federation.MaxPartnerImages {
		t.Errorf("%d copied, want %d", copied, federation.MaxPartnerImages)
	}
	for i, want := range []struct {
		url, mt, alt string
		local        bool
	}{
		{u("/m/a.ogg"), "audio/ogg", "a song", false},
		{u("/m/big.png"), "image/png", "too big", false},
		{u("/m/garbage.png"), "image/png", "garbage", false},
		{u("/m/0.png"), "image/png", "zero", true},
		{u("/m/1.png"), "image/png", strings.Repeat("ص", 1499) + "…", true},
		{u("/m/2.png"), "image/png", "", true},
		{u("/m/3.png"), "image/png", "", true},
		{u("/m/4.png"), "", "", false},
		{u("/m/5.png"), "image/png", "", false},
	} {
		a := got[i]
		if a.URL != want.url || a.MediaType != want.mt || a.Alt != want.alt || (a.LocalPath != "") != want.local {
			t.Errorf("attachment %d: %+v", i, a)
		}
		if want.local && (a.Width == 0 || a.Height != 10 || a.Blurhash == "" || a.Blurhash == "<script>") {
			t.Errorf("attachment %d: size or blurhash %+v", i, a)
		}
	}
	if h := site.hitsOf("/m/a.ogg") + site.hitsOf("/m/4.png") + site.hitsOf("/m/5.png"); h != 0 {
		t.Errorf("%d fetches of media beyond the images copied", h)
	}
}

// TestSweepPartnerMedia: the sweep evicts the oldest copies beyond the byte
// bound (their posts keep the link), removes copies no post names once
// they are an hour old, and keeps each partner's newest posts only.
func TestSweepPartnerMedia(t *testing.T) {
	ctx := context.Background()
	site := startPartnerSite(t, "127.0.0.43")
	n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
	partner := n.resolve(t, site.addActor(t, "/users/p"))
	local, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.store.PutFollowing(ctx, local.ID, partner.ID, "https://node.test/activities/f", storage.RelayPolicy{}); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-3 * time.Hour)
	var posts []*storage.RemoteObject
	var sizes []int64
	for i := range 3 {
		path := fmt.Sprintf("/m/%d.png", i)
		site.serve(path, "image/png", pngBytes(t, 20, 20, color.RGBA{uint8(80 * i), 0, 0, 255}))
		id := fmt.Sprintf("%s/statuses/%d", partner.IRI, i)
		att := n.fed.PartnerAttachments(ctx, map[string]any{"id": id,
			"attachment": map[string]any{"type": "Document", "mediaType": "image/png", "url": site.base + path}})
		if len(att) != 1 || att[0].LocalPath == "" {
			t.Fatalf("not copied: %+v", att)
		}
		at := old.Add(time.Duration(i) * time.Minute)
		o := &storage.RemoteObject{IRI: id, RemoteActorID: partner.ID, Type: "Note", Public: true, PublishedAt: &at, Attachments: att}
		if err := n.store.UpsertRemoteObject(ctx, o); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(n.media, att[0].LocalPath)
		if err := os.Chtimes(file, at, at); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		posts, sizes = append(posts, o), append(sizes, fi.Size())
	}
	stray := filepath.Join(n.media, federation.PartnerMediaFolder, "stray.png")
	fresh := filepath.Join(n.media, federation.PartnerMediaFolder, "fresh.png")
	for _, f := range []string{stray, fresh} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(stray, old, old); err != nil {
		t.Fatal(err)
	}
	exists := func(rel string) bool {
		_, err := os.Stat(filepath.Join(n.media, rel))
		return !errors.Is(err, fs.ErrNotExist)
	}

	// Bound: the two newest copies (and the fresh stray byte) fit.
	if err := n.fed.SweepPartnerMediaWith(ctx, sizes[1]+sizes[2]+1, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a copy nobody names, hours old, was kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a copy written moments ago was removed before its post could be stored")
	}
	o0, err := n.store.RemoteObjectByID(ctx, posts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if a := o0.Attachments[0]; a.LocalPath != "" || a.URL != site.base+"/m/0.png" || exists(posts[0].Attachments[0].LocalPath) {
		t.Errorf("the oldest copy was not evicted: %+v", a)
	}
	for _, o := range posts[1:] {
		got, err := n.store.RemoteObjectByID(ctx, o.ID)
		if err != nil || got.Attachments[0].LocalPath == "" || !exists(got.Attachments[0].LocalPath) {
			t.Errorf("%s lost its copy: %+v %v", o.IRI, got, err)
		}
	}

	// Posts: only the newest is kept; the others go, and their copies with them.
	if err := n.fed.SweepPartnerMediaWith(ctx, 1<<30, 1); err != nil {
		t.Fatal(err)
	}
	for i, o := range posts {
		_, err := n.store.RemoteObjectByID(ctx, o.ID)
		if i < 2 && !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("post %d kept: %v", i, err)
		}
		if i == 2 && err != nil {
			t.Errorf("the newest post was pruned: %v", err)
		}
	}
	if exists(posts[1].Attachments[0].LocalPath) || !exists(posts[2].Attachments[0].LocalPath) {
		t.Error("copies do not follow their posts")
	}

	// The hourly prune of the inbox worker sweeps too.
	if err := os.WriteFile(stray, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(stray, old, old); err != nil {
		t.Fatal(err)
	}
	if err := n.fed.PruneActivities(ctx); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(federation.PartnerMediaFolder, "stray.png")) {
		t.Error("the hourly prune left a copy no post names")
	}
}

// TestPartnerMediaReusedOnUpdate: an edited post whose picture did not
// change keeps its copy; nothing is fetched again.
func TestPartnerMediaReusedOnUpdate(t *testing.T) {
	ctx := context.Background()
	site := startPartnerSite(t, "127.0.0.44")
	n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
	partner := n.resolve(t, site.addActor(t, "/users/p"))
	site.serve("/m/1.png", "image/png", pngBytes(t, 12, 9, color.RGBA{0, 0, 200, 255}))
	obj := map[string]any{"id": partner.IRI + "/statuses/1", "attachment": []any{
		map[string]any{"type": "Document", "mediaType": "image/png", "url": site.base + "/m/1.png", "name": "first"}}}
	first := n.fed.PartnerAttachments(ctx, obj)
	if len(first) != 1 || first[0].LocalPath == "" {
		t.Fatalf("not copied: %+v", first)
	}
	o := &storage.RemoteObject{IRI: partner.IRI + "/statuses/1", RemoteActorID: partner.ID, Type: "Note", Public: true, Attachments: first}
	if err := n.store.UpsertRemoteObject(ctx, o); err != nil {
		t.Fatal(err)
	}
	obj["attachment"].([]any)[0].(map[string]any)["name"] = "edited alt"
	again := n.fed.PartnerAttachments(ctx, obj)
	if len(again) != 1 || again[0].LocalPath != first[0].LocalPath || again[0].Alt != "edited alt" || again[0].Width != 12 || again[0].Blurhash != first[0].Blurhash {
		t.Fatalf("after the edit: %+v", again)
	}
	if h := site.hitsOf("/m/1.png"); h != 1 {
		t.Fatalf("the picture was fetched %d times", h)
	}
}

// TestPartnerMediaDomainPolicy: pictures are not fetched from a blocked
// domain, nor, in the allow-list mode, from a domain not listed.
func TestPartnerMediaDomainPolicy(t *testing.T) {
	ctx := context.Background()
	site := startPartnerSite(t, "127.0.0.46")
	site.serve("/m/1.png", "image/png", pngBytes(t, 8, 8, color.RGBA{0, 90, 0, 255}))
	n := newBackfillNode(t, storagetest.SQLiteURL(t), true)
	obj := doc(map[string]any{"type": "Image", "mediaType": "image/png", "url": site.base + "/m/1.png"})
	if _, err := n.fed.SetDomainPolicy(ctx, "127.0.0.46", storage.PolicyBlock, "test"); err != nil {
		t.Fatal(err)
	}
	if got := n.fed.PartnerAttachments(ctx, obj); len(got) != 1 || got[0].LocalPath != "" {
		t.Fatalf("copied from a blocked domain: %+v", got)
	}
	if err := n.fed.RemoveDomainPolicy(ctx, "127.0.0.46"); err != nil {
		t.Fatal(err)
	}
	if err := n.fed.SetFederationMode(ctx, storage.FederationAllowList); err != nil {
		t.Fatal(err)
	}
	if got := n.fed.PartnerAttachments(ctx, obj); len(got) != 1 || got[0].LocalPath != "" {
		t.Fatalf("copied from a domain not allowed: %+v", got)
	}
	if h := site.hitsOf("/m/1.png"); h != 0 {
		t.Fatalf("fetched %d times", h)
	}
	if _, err := n.fed.SetDomainPolicy(ctx, "127.0.0.46", storage.PolicyAllow, "test"); err != nil {
		t.Fatal(err)
	}
	if got := n.fed.PartnerAttachments(ctx, obj); len(got) != 1 || got[0].LocalPath == "" {
		t.Fatalf("not copied from an allowed domain: %+v", got)
	}
}
