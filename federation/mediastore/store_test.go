package mediastore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tadamun/tadamun/federation/mediastore"
)

// Every store passes the same contract. S3 runs against gofakes3, an
// S3-compatible server written in Go, in this process on loopback (MinIO
// itself cannot be installed here); two clients on it stand for two
// processes, as two Dir values on one directory do.
type backend struct {
	name string
	// open returns two stores on the same media, as two processes see it.
	open func(t *testing.T) (mediastore.Store, mediastore.Store)
}

func backends() []backend {
	return []backend{
		{"dir", func(t *testing.T) (mediastore.Store, mediastore.Store) {
			root := filepath.Join(t.TempDir(), "media")
			return mediastore.NewDir(root), mediastore.NewDir(root)
		}},
		{"s3", func(t *testing.T) (mediastore.Store, mediastore.Store) {
			cfg := fakeS3(t, "media")
			return openS3(t, cfg), openS3(t, cfg)
		}},
	}
}

// fakeS3 starts an S3-compatible server with one bucket.
func fakeS3(t *testing.T, bucket string) mediastore.S3Config {
	t.Helper()
	return fakeS3On(t, s3mem.New(), bucket)
}

// fakeS3On starts an S3-compatible server on the backend be, with options.
func fakeS3On(t *testing.T, be *s3mem.Backend, bucket string, opts ...gofakes3.Option) mediastore.S3Config {
	t.Helper()
	if err := be.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(gofakes3.New(be, opts...).Server())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return mediastore.S3Config{Endpoint: ln.Addr().String(), Bucket: bucket, Region: "us-east-1",
		AccessKey: "tadamun", SecretKey: "tadamun-secret", Insecure: true, Prefix: "node/"}
}

func openS3(t *testing.T, cfg mediastore.S3Config) *mediastore.S3 {
	t.Helper()
	s, err := mediastore.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreContract(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			one, two := b.open(t)
			img := bytes.Repeat([]byte("RIFF-webp-"), 1000)

			// Written by one process, read by the other.
			if err := one.Put(ctx, "st1/photo.webp", bytes.NewReader(img), int64(len(img)), "image/webp"); err != nil {
				t.Fatal(err)
			}
			obj, info, err := two.Get(ctx, "st1/photo.webp")
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(obj)
			obj.Close()
			if err != nil || !bytes.Equal(got, img) {
				t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(img))
			}
			if info.Size != int64(len(img)) || info.ContentType != "image/webp" || info.Key != "st1/photo.webp" || info.ModTime.IsZero() {
				t.Fatalf("info %+v", info)
			}

			// Seeking, for ranges.
			obj, _, err = two.Get(ctx, "st1/photo.webp")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := obj.Seek(int64(len(img))-10, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			tail, _ := io.ReadAll(obj)
			obj.Close()
			if string(tail) != "RIFF-webp-" {
				t.Fatalf("after a seek read %q", tail)
			}

			// Replaced whole; unknown size.
			if err := two.Put(ctx, "st1/photo.webp", strings.NewReader("new"), -1, "image/webp"); err != nil {
				t.Fatal(err)
			}
			if info, err := one.Stat(ctx, "st1/photo.webp"); err != nil || info.Size != 3 {
				t.Fatalf("after replacing: %+v, %v", info, err)
			}

			// Listing by folder.
			for _, k := range []string{"st2/a.png", "actors/x/avatar.webp", "partners/p1.jpg"} {
				if err := one.Put(ctx, k, strings.NewReader(k), int64(len(k)), ""); err != nil {
					t.Fatal(err)
				}
			}
			if keys := walk(t, two, ""); strings.Join(keys, " ") != "actors/x/avatar.webp partners/p1.jpg st1/photo.webp st2/a.png" {
				t.Fatalf("all keys: %v", keys)
			}
			if keys := walk(t, two, "actors"); strings.Join(keys, " ") != "actors/x/avatar.webp" {
				t.Fatalf("keys under actors: %v", keys)
			}
			if keys := walk(t, two, "st"); len(keys) != 0 {
				t.Fatalf("a prefix is a folder, not the start of a name: %v", keys)
			}
			if info, err := two.Stat(ctx, "st2/a.png"); err != nil || info.ContentType != "image/png" {
				t.Fatalf("content type from the name: %+v, %v", info, err)
			}

			// Deleted by the other process; deleting again is fine.
			if err := two.Delete(ctx, "st2/a.png"); err != nil {
				t.Fatal(err)
			}
			if err := one.Delete(ctx, "st2/a.png"); err != nil {
				t.Fatalf("deleting a missing object: %v", err)
			}
			if _, _, err := one.Get(ctx, "st2/a.png"); !errors.Is(err, mediastore.ErrNotFound) {
				t.Fatalf("Get after delete: %v, want ErrNotFound", err)
			}
			if _, err := one.Stat(ctx, "nothing/here.png"); !errors.Is(err, mediastore.ErrNotFound) {
				t.Fatalf("Stat of a missing key: %v, want ErrNotFound", err)
			}
			if _, err := one.Stat(ctx, "actors"); !errors.Is(err, mediastore.ErrNotFound) {
				t.Fatalf("Stat of a folder: %v, want ErrNotFound", err)
			}

			// A folder removed whole, and only it.
			if err := mediastore.DeleteAll(ctx, two, "actors/"); err != nil {
				t.Fatal(err)
			}
			if keys := walk(t, one, ""); strings.Join(keys, " ") != "partners/p1.jpg st1/photo.webp" {
				t.Fatalf("after DeleteAll(actors/): %v", keys)
			}
			for _, p := range []string{"", "/", "../st1"} {
				if err := mediastore.DeleteAll(ctx, two, p); !errors.Is(err, mediastore.ErrInvalidKey) {
					t.Fatalf("DeleteAll(%q) = %v, want ErrInvalidKey", p, err)
				}
			}

			// Keys that could reach outside are refused before any I/O.
			for _, k := range []string{"", "../x.png", "a/../../x.png", "/etc/passwd", "a//b.png", `a\b.png`, "a/./b.png", "a\x00b"} {
				if err := one.Put(ctx, k, strings.NewReader("x"), 1, ""); !errors.Is(err, mediastore.ErrInvalidKey) {
					t.Errorf("Put(%q) = %v, want ErrInvalidKey", k, err)
				}
				if _, _, err := one.Get(ctx, k); !errors.Is(err, mediastore.ErrInvalidKey) {
					t.Errorf("Get(%q) = %v, want ErrInvalidKey", k, err)
				}
			}
		})
	}
}

func walk(t *testing.T, st mediastore.Store, prefix string) []string {
	t.Helper()
	var keys []string
	if err := st.Walk(context.Background(), prefix, func(i mediastore.Info) error {
		keys = append(keys, i.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys
}

// TestServe: the node serves an object like a file, with ranges and 304s,
// from either store.
func TestServe(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			st, _ := b.open(t)
			ctx := context.Background()
			if err := st.Put(ctx, "st1/photo.webp", strings.NewReader("0123456789"), 10, "image/webp"); err != nil {
				t.Fatal(err)
			}
			get := func(key string, hdr ...string) (*httptest.ResponseRecorder, error) {
				r := httptest.NewRequest(http.MethodGet, "/media/"+key, nil)
				for i := 0; i+1 < len(hdr); i += 2 {
					r.Header.Set(hdr[i], hdr[i+1])
				}
				w := httptest.NewRecorder()
				return w, mediastore.Serve(w, r, st, key)
			}
			w, err := get("st1/photo.webp")
			if err != nil || w.Code != 200 || w.Body.String() != "0123456789" || w.Header().Get("Content-Type") != "image/webp" {
				t.Fatalf("GET: %v %d %q %q", err, w.Code, w.Body, w.Header().Get("Content-Type"))
			}
			lm := w.Header().Get("Last-Modified")
			if lm == "" {
				t.Fatal("no Last-Modified")
			}
			if w, err := get("st1/photo.webp", "Range", "bytes=2-4"); err != nil || w.Code != 206 || w.Body.String() != "234" {
				t.Fatalf("range: %v %d %q", err, w.Code, w.Body)
			}
			if w, err := get("st1/photo.webp", "If-Modified-Since", lm); err != nil || w.Code != 304 {
				t.Fatalf("conditional: %v %d", err, w.Code)
			}
			if _, err := get("st1/none.webp"); !errors.Is(err, mediastore.ErrNotFound) {
				t.Fatalf("missing: %v, want ErrNotFound", err)
			}
		})
	}
}

// TestDirPrivate: files and folders are the owner's alone, and nothing is
// left behind by a write.
func TestDirPrivate(t *testing.T) {
	root := filepath.Join(t.TempDir(), "media")
	d := mediastore.NewDir(root)
	if err := d.Put(context.Background(), "draft/secret.png", strings.NewReader("x"), 1, ""); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{root: 0o700, filepath.Join(root, "draft"): 0o700,
		filepath.Join(root, "draft", "secret.png"): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s is %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(root, "draft"))
	if len(ents) != 1 {
		t.Errorf("%d files in the folder, want only the one written", len(ents))
	}
}

// TestNewS3Checks: a missing bucket or a URL for an endpoint is said plainly.
func TestNewS3Checks(t *testing.T) {
	cfg := fakeS3(t, "media")
	cfg.Bucket = "nope"
	if _, err := mediastore.NewS3(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing bucket: %v", err)
	}
	cfg.Bucket, cfg.Endpoint = "media", "http://"+cfg.Endpoint
	if _, err := mediastore.NewS3(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "without a scheme") {
		t.Errorf("endpoint with a scheme: %v", err)
	}
}

// TestCheck: a usable store passes and is left as it was; a directory that
// cannot be made, or a bucket that does not exist, fails with the reason.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			st, _ := b.open(t)
			if err := mediastore.Check(ctx, st); err != nil {
				t.Fatal(err)
			}
			if keys := walk(t, st, ""); len(keys) != 0 {
				t.Fatalf("the check left %v behind", keys)
			}
		})
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Below a regular file no directory can be made, whoever runs the test.
	if err := mediastore.Check(ctx, mediastore.NewDir(filepath.Join(file, "media"))); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("a directory that cannot be made: %v", err)
	}
	cfg := fakeS3(t, "media")
	cfg.Bucket = "elsewhere"
	s3, err := mediastore.OpenS3(cfg) // no request yet: commands start while the store is away
	if err != nil {
		t.Fatal(err)
	}
	if err := mediastore.Check(ctx, s3); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a missing bucket: %v", err)
	}
	cfg.Endpoint = "127.0.0.1:1" // nothing listens there
	s3, err = mediastore.OpenS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := mediastore.Check(ctx, s3); err == nil {
		t.Error("an endpoint nobody answers passed the check")
	}
}

// TestTouch: a touched object becomes the newest, so the partner media
// eviction (oldest first) keeps it longest; its bytes and type stay.
func TestTouch(t *testing.T) {
	ctx := context.Background()
	t.Run("dir", func(t *testing.T) {
		root := t.TempDir()
		d := mediastore.NewDir(root)
		if err := d.Put(ctx, "partners/a.png", strings.NewReader("png"), 3, "image/png"); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-48 * time.Hour)
		if err := os.Chtimes(filepath.Join(root, "partners", "a.png"), old, old); err != nil {
			t.Fatal(err)
		}
		if err := mediastore.Touch(ctx, d, "partners/a.png"); err != nil {
			t.Fatal(err)
		}
		if info, err := d.Stat(ctx, "partners/a.png"); err != nil || !info.ModTime.After(old.Add(time.Hour)) {
			t.Fatalf("after Touch: %+v %v", info, err)
		}
	})
	t.Run("s3", func(t *testing.T) {
		// The server's clock stands still until advanced (its check of the
		// client's clock is off: they differ by the hour advanced).
		clock := gofakes3.FixedTimeSource(time.Now().Truncate(time.Second))
		be := s3mem.New(s3mem.WithTimeSource(clock))
		cfg := fakeS3On(t, be, "media", gofakes3.WithTimeSource(clock), gofakes3.WithTimeSkewLimit(0))
		s3 := openS3(t, cfg)
		if err := s3.Put(ctx, "partners/a.png", strings.NewReader("png"), 3, "image/png"); err != nil {
			t.Fatal(err)
		}
		before, err := s3.Stat(ctx, "partners/a.png")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		if err := mediastore.Touch(ctx, s3, "partners/a.png"); err != nil {
			t.Fatal(err)
		}
		after, err := s3.Stat(ctx, "partners/a.png")
		if err != nil || !after.ModTime.After(before.ModTime) || after.ContentType != "image/png" || after.Size != 3 {
			t.Fatalf("before %+v, after Touch %+v %v", before, after, err)
		}
		if err := mediastore.Touch(ctx, s3, "partners/none.png"); !errors.Is(err, mediastore.ErrNotFound) {
			t.Fatalf("touching a missing object: %v", err)
		}
	})
}
