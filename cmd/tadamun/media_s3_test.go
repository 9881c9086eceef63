package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tadamun/tadamun/storage/storagetest"
)

// An S3-compatible store for media: gofakes3, an S3 server written in Go,
// on loopback in the test process (MinIO itself cannot be installed here).
// The serve processes reach it over HTTP with minio-go, as they would MinIO.
type fakeBucket struct {
	be       *s3mem.Backend
	endpoint string
	bucket   string
}

func startFakeS3(t *testing.T, bucket string) *fakeBucket {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(gofakes3.New(be).Server())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &fakeBucket{be: be, endpoint: ln.Addr().String(), bucket: bucket}
}

// env is the settings that put a node's media in this bucket, under prefix.
func (f *fakeBucket) env(prefix string) []string {
	return []string{"TADAMUN_MEDIA_STORE=s3", "TADAMUN_S3_ENDPOINT=" + f.endpoint, "TADAMUN_S3_BUCKET=" + f.bucket,
		"TADAMUN_S3_REGION=us-east-1", "TADAMUN_S3_ACCESS_KEY=tadamun", "TADAMUN_S3_SECRET_KEY=tadamun-secret-key",
		"TADAMUN_S3_PREFIX=" + prefix, "TADAMUN_S3_INSECURE=true"}
}

// keys lists the bucket's objects, read from the store itself.
func (f *fakeBucket) keys(t *testing.T) []string {
	t.Helper()
	list, err := f.be.ListBucket(f.bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list.Contents {
		out = append(out, c.Key)
	}
	sort.Strings(out)
	return out
}

// object reads one object from the store itself.
func (f *fakeBucket) object(t *testing.T, key string) []byte {
	t.Helper()
	obj, err := f.be.GetObject(f.bucket, key, nil)
	if err != nil {
		t.Fatalf("object %s: %v (bucket holds %v)", key, err, f.keys(t))
	}
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The metadata a phone and an editor leave in a photograph; none of it may
// be served.
const (
	secretComment = "GPS 33.3152N 44.3661E camera BODY-SERIAL-992871"
	secretXMP     = "xmp-photographer-Amal-Haddad"
)

// photoWithMetadata is a JPEG carrying a comment and an XMP block.
func photoWithMetadata(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	segment := func(marker byte, payload string) []byte {
		n := len(payload) + 2
		return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
	}
	src := buf.Bytes()
	out := append([]byte{}, src[:2]...)
	out = append(out, segment(0xFE, secretComment)...)
	out = append(out, segment(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>"+secretXMP+"</x:xmpmeta>")...)
	return append(out, src[2:]...)
}

// postFiles sends fields and files as multipart/form-data with the CSRF
// token, as the admin forms do.
func (b *adminBrowser) postFiles(path string, fields url.Values, files map[string][]byte) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields.Set("csrf", b.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				b.t.Fatal(err)
			}
		}
	}
	for field, data := range files {
		fw, err := w.CreateFormFile(field, field+".jpg")
		if err != nil {
			b.t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			b.t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.base+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// getMedia fetches a media file from a serve process.
func getMedia(t *testing.T, s *server, path string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+"/media/"+path, nil)
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
	return res
}

func readBody(t *testing.T, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// localMediaFiles lists the regular files under a data directory's media
// folder: with an S3 store there must be none left.
func localMediaFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(dataDir, "media"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestMediaSharedThroughS3 is issue 10's media acceptance test: two serve
// processes, each with a data directory of its own, on one PostgreSQL
// database and one S3 bucket. A statement with a photograph is published
// through process A's admin interface, and an avatar uploaded there;
// process B serves both, the same bytes as the bucket holds, without the
// photograph's metadata, with ranges and conditional requests. Deleting the
// statement through A removes its object, and B answers 404. Neither
// process keeps a media file on its own disk.
func TestMediaSharedThroughS3(t *testing.T) {
	dbURL := storagetest.PostgresURL(t)
	s3 := startFakeS3(t, "media")
	domain := freeAddr(t)
	base := cleanEnv(append(s3.env("node/"), "TADAMUN_DATABASE="+dbURL, "TADAMUN_DOMAIN="+domain,
		"TADAMUN_INSECURE_HTTP=true", "TADAMUN_ALLOW_PRIVATE_ADDRESSES=true")...)
	dirA, dirB := t.TempDir(), t.TempDir()
	tadamun(t, dirA, base, "actor", "create", "icssi", "--name", "ICSSI").must(t)
	a := startServe(t, dirA, base, "--listen", domain)
	b := startServe(t, dirB, base)
	if !strings.Contains(a.logText(), "media store ready") {
		t.Errorf("serve does not log its media store:\n%s", a.logText())
	}

	admin := signInAdmin(t, &node{dir: dirA, domain: domain, db: dbURL, env: base, srv: a})
	photo := photoWithMetadata(t)
	res, body := admin.postFiles("/admin/statements", url.Values{"actor": {"icssi"}, "title": {"Oslo"},
		"body": {"People in Oslo stand with Iraqi civil society."}, "language": {"en"}, "zone": {"UTC"},
		"alt0": {"People demonstrating in Oslo"}, "action": {"publish"}}, map[string][]byte{"image0": photo})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish with an image through A = %d %s", res.StatusCode, body)
	}
	id := strings.TrimPrefix(res.Header.Get("Location"), "/admin/statements/")
	store := storagetest.Open(t, dbURL)
	ctx := context.Background()
	st, err := store.StatementByID(ctx, id)
	if err != nil || len(st.Media) != 1 {
		t.Fatalf("statement %s: %v, %d media", id, err, len(st.Media))
	}
	key := st.Media[0].Path
	stored := s3.object(t, "node/"+key)

	// B serves what A stored: the bucket's bytes, re-encoded, metadata gone.
	res = getMedia(t, b, key)
	served := readBody(t, res)
	if res.StatusCode != http.StatusOK || !bytes.Equal(served, stored) {
		t.Fatalf("B serves %s: %d, %d bytes, want the %d bytes in the bucket", key, res.StatusCode, len(served), len(stored))
	}
	if bytes.Equal(served, photo) || bytes.Contains(served, []byte(secretComment)) || bytes.Contains(served, []byte(secretXMP)) {
		t.Fatal("the served photograph still carries its metadata")
	}
	h := res.Header
	if h.Get("Content-Type") != st.Media[0].MediaType || h.Get("Cache-Control") != "public, max-age=86400" ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Last-Modified") == "" {
		t.Errorf("B's headers: %v", h)
	}
	if res := getMedia(t, a, key); !bytes.Equal(readBody(t, res), stored) {
		t.Error("A serves other bytes than B")
	}
	res = getMedia(t, b, key, "Range", "bytes=10-19")
	if got := readBody(t, res); res.StatusCode != http.StatusPartialContent || !bytes.Equal(got, stored[10:20]) {
		t.Errorf("range from B: %d %q", res.StatusCode, got)
	}
	res = getMedia(t, b, key, "If-Modified-Since", h.Get("Last-Modified"))
	if readBody(t, res); res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET from B: %d", res.StatusCode)
	}

	// An edit through B that keeps the image: B has no copy on disk and
	// reads it from the bucket, finds it unchanged and leaves it as it is
	// (a JPEG re-encoded would differ: each save would degrade it).
	// The session lives in the shared database, and cookies are per host,
	// not per port: the editor signed in through A is signed in on B.
	editor := &adminBrowser{t: t, base: b.base, http: admin.http}
	editor.get("/admin/statements/" + id)
	res, body = editor.postFiles("/admin/statements/"+id, url.Values{"actor": {"icssi"}, "title": {"Oslo"},
		"body": {"People in Oslo and Baghdad stand together."}, "language": {"en"}, "zone": {"UTC"},
		"keep0": {"on"}, "malt0": {"People demonstrating in Oslo"}, "action": {"publish"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit through B = %d %s", res.StatusCode, body)
	}
	st, err = store.StatementByID(ctx, id)
	if err != nil || len(st.Media) != 1 || !strings.Contains(st.BodyMarkdown, "Baghdad") || st.Media[0].Path != key {
		t.Fatalf("after the edit through B (the image was %s): %v %+v", key, err, st)
	}
	if keys := s3.keys(t); len(keys) != 1 || keys[0] != "node/"+key {
		t.Fatalf("after the edit through B the bucket holds %v, the row names %s", keys, key)
	}
	if res := getMedia(t, a, key); !bytes.Equal(readBody(t, res), s3.object(t, "node/"+key)) {
		t.Fatal("A does not serve the image as edited through B")
	}

	// An avatar uploaded through A, served by B.
	admin.get("/admin/actors/icssi/profile")
	res, body = admin.postFiles("/admin/actors/icssi/profile", url.Values{"name": {"ICSSI"}, "summary": {""},
		"languages": {"en"}, "object_type": {"Note"}}, map[string][]byte{"avatar": photo})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("avatar through A = %d %s", res.StatusCode, body)
	}
	actor, err := store.ActorByUsername(ctx, "icssi")
	if err != nil || actor.AvatarPath == "" {
		t.Fatalf("avatar not recorded: %v %+v", err, actor)
	}
	res = getMedia(t, b, actor.AvatarPath)
	avatar := readBody(t, res)
	if res.StatusCode != http.StatusOK || !bytes.Equal(avatar, s3.object(t, "node/"+actor.AvatarPath)) ||
		bytes.Contains(avatar, []byte(secretComment)) || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("B serves the avatar: %d, %d bytes", res.StatusCode, len(avatar))
	}

	if files := append(localMediaFiles(t, dirA), localMediaFiles(t, dirB)...); len(files) > 0 {
		t.Errorf("media files on a process's own disk: %v", files)
	}

	// Deleted through A: the object goes, B answers 404.
	admin.get("/admin/statements/" + id + "/delete")
	if res, body := admin.post("/admin/statements/"+id+"/delete", url.Values{"confirm": {"yes"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete through A = %d %s", res.StatusCode, body)
	}
	for _, k := range s3.keys(t) {
		if strings.HasPrefix(k, "node/"+id+"/") {
			t.Errorf("the deleted statement's object %s remains", k)
		}
	}
	if res := getMedia(t, b, key); res.StatusCode != http.StatusNotFound {
		t.Errorf("B serves a deleted statement's image: %d", res.StatusCode)
	} else {
		res.Body.Close()
	}
	if keys := s3.keys(t); len(keys) != 1 || keys[0] != "node/"+actor.AvatarPath {
		t.Errorf("the bucket holds %v, want only the avatar", keys)
	}
}

// TestServeChecksMediaStore: serve stops at once, naming the bucket, when
// it does not exist, while a command that touches no media (backup) runs;
// a command run with an incomplete S3 setting is refused before it does
// anything.
func TestServeChecksMediaStore(t *testing.T) {
	s3 := startFakeS3(t, "media")
	dir := t.TempDir()
	env := cleanEnv(append(s3.env(""), "TADAMUN_S3_BUCKET=missing-bucket")...)
	r := tadamun(t, dir, env, "serve", "--listen", freeAddr(t))
	if r.code == 0 || !strings.Contains(r.stderr, "missing-bucket") || !strings.Contains(r.stderr, "create it first") {
		t.Errorf("serve with a missing bucket: exit %d\n%s", r.code, r.stderr)
	}
	// Commands that touch no media run while the store cannot be used;
	// backup says where the media are, since they are not in its file.
	r = tadamun(t, dir, env, "backup", filepath.Join(dir, "copy.db"))
	if r.code != 0 || !strings.Contains(r.stdout, "media are not in it: back up missing-bucket/") {
		t.Errorf("backup with the bucket missing: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	env = cleanEnv(append(s3.env(""), "TADAMUN_S3_SECRET_KEY=")...)
	if r := tadamun(t, dir, env, "actor", "list"); r.code != exitUsage || !strings.Contains(r.stderr, "TADAMUN_S3_SECRET_KEY") {
		t.Errorf("a command without the secret key: exit %d\n%s", r.code, r.stderr)
	}
}
