package web_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/mediastore"
	"github.com/tadamun/tadamun/storage/storagetest"
	"github.com/tadamun/tadamun/web"
)

// TestMediaFromS3: with media in an S3 bucket the node serves them itself,
// as from the directory: statement images with their visibility checked,
// ranges, 304s and HEAD; avatars; partners' copies only when they are
// pictures. A missing object is a 404 and a store that does not answer a
// 500, neither of them cacheable.
func TestMediaFromS3(t *testing.T) {
	ctx := context.Background()
	be := s3mem.New()
	if err := be.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewUnstartedServer(gofakes3.New(be).Server())
	s3srv.Listener.Close()
	s3srv.Listener = ln
	s3srv.Start()
	defer s3srv.Close()
	s3, err := mediastore.NewS3(ctx, mediastore.S3Config{Endpoint: ln.Addr().String(), Bucket: "media", Region: "us-east-1",
		AccessKey: "tadamun", SecretKey: "tadamun-secret", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}

	st := storagetest.Open(t, storagetest.SQLiteURL(t))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fed := federation.New(federation.Config{Scheme: "http", Host: "node.test", Logger: quiet, Media: s3}, st)
	srv, err := web.New(web.Config{Version: "test", Logger: quiet, BodyLimit: 1024, Metrics: prometheus.NewRegistry()}, st, fed)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	get := func(method, path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, hs.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}

	if _, err := fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "oslo.png")
	if err := os.WriteFile(file, pic.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	draft := &content.Draft{Title: "Oslo", Language: "en", Body: "In Oslo.", Images: []content.Image{{File: file, Alt: "A square"}}}
	s, err := fed.Publish(ctx, "icssi", draft)
	if err != nil {
		t.Fatal(err)
	}
	key := s.Media[0].Path
	obj, _, err := s3.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(obj)
	obj.Close()

	res, body := get(http.MethodGet, "/media/"+key)
	if res.StatusCode != 200 || !bytes.Equal(body, stored) || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("Cache-Control") != "public, max-age=86400" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET = %d, %d bytes of %d, %v", res.StatusCode, len(body), len(stored), res.Header)
	}
	lm := res.Header.Get("Last-Modified")
	if res, body := get(http.MethodHead, "/media/"+key); res.StatusCode != 200 || len(body) != 0 ||
		res.ContentLength != int64(len(stored)) {
		t.Errorf("HEAD = %d, length %d, body %d bytes", res.StatusCode, res.ContentLength, len(body))
	}
	if res, body := get(http.MethodGet, "/media/"+key, "Range", "bytes=0-7"); res.StatusCode != 206 || !bytes.Equal(body, stored[:8]) {
		t.Errorf("range = %d %q", res.StatusCode, body)
	}
	if res, _ := get(http.MethodGet, "/media/"+key, "If-Modified-Since", lm); res.StatusCode != 304 {
		t.Errorf("conditional = %d", res.StatusCode)
	}

	// A draft's image is in the bucket but not served.
	draft.Title, draft.Draft = "Draft", true
	d, err := fed.Publish(ctx, "icssi", draft)
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := get(http.MethodGet, "/media/"+d.Media[0].Path); res.StatusCode != 404 {
		t.Errorf("a draft's image = %d", res.StatusCode)
	}

	// An avatar.
	a, err := fed.UpdateProfile(ctx, "icssi", federation.ProfileUpdate{AvatarData: pic.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if res, body := get(http.MethodGet, "/media/"+a.AvatarPath); res.StatusCode != 200 || !bytes.HasPrefix(body, []byte("\x89PNG")) ||
		res.Header.Get("Content-Type") != "image/png" || res.Header.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("avatar = %d %v", res.StatusCode, res.Header)
	}

	// Partners' copies: a picture is served with the type read from its
	// bytes; anything else in that folder is not.
	put := func(key string, data []byte) {
		t.Helper()
		if err := s3.Put(ctx, key, bytes.NewReader(data), int64(len(data)), ""); err != nil {
			t.Fatal(err)
		}
	}
	put("partners/copy.jpg", pic.Bytes())
	put("partners/page.png", []byte("<html><script>alert(1)</script></html>"))
	if res, body := get(http.MethodGet, "/media/partners/copy.jpg"); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" ||
		!bytes.Equal(body, pic.Bytes()) {
		t.Errorf("partner copy = %d %v", res.StatusCode, res.Header)
	}
	if res, _ := get(http.MethodGet, "/media/partners/page.png"); res.StatusCode != 404 {
		t.Errorf("a page among partners' copies = %d", res.StatusCode)
	}

	// The row names an object the bucket lost: 404, not cached.
	if err := s3.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if res, _ := get(http.MethodGet, "/media/"+key); res.StatusCode != 404 || res.Header.Get("Cache-Control") == "public, max-age=86400" {
		t.Errorf("a lost object = %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	// The store does not answer: an error, not cached.
	s3srv.Close()
	if res, _ := get(http.MethodGet, "/media/"+a.AvatarPath); res.StatusCode != 500 || res.Header.Get("Cache-Control") == "public, max-age=3600" {
		t.Errorf("store down = %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
}
