package mediastore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
	"time"
)

// ErrNotFound is returned for a key that holds nothing.
var ErrNotFound = errors.New("mediastore: not found")

// ErrInvalidKey is returned for a key ValidKey refuses.
var ErrInvalidKey = errors.New("mediastore: invalid key")

// Info describes one stored object.
type Info struct {
	Key         string
	Size        int64
	ModTime     time.Time
	ContentType string // "" if unknown
}

// Store keeps media objects by key. Implementations are safe for concurrent
// use, also by several processes on the same directory or bucket: a Put
// replaces an object whole, so a reader sees the old bytes or the new,
// never a mixture.
type Store interface {
	// Put stores r's bytes under key, replacing what was there. size is the
	// length of r, or -1 if unknown.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the object for reading; it can seek, so Serve can answer
	// range requests. The caller closes it.
	Get(ctx context.Context, key string) (io.ReadSeekCloser, Info, error)
	// Stat describes the object without reading it.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the object; a missing one is not an error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn for every object whose key starts with prefix (a
	// folder, "" for all), in no set order, until fn returns an error.
	Walk(ctx context.Context, prefix string, fn func(Info) error) error
}

// ValidKey reports whether key is a relative slash-separated path whose
// segments are neither empty, "." nor "..", with no backslash or control
// character: a key can never reach outside the store's directory or prefix.
func ValidKey(key string) bool {
	if key == "" || len(key) > 512 {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return false
		}
	}
	return true
}

// validPrefix accepts "" (everything) or a valid key, with or without a
// trailing slash.
func validPrefix(prefix string) bool {
	p := strings.TrimSuffix(prefix, "/")
	return p == "" || ValidKey(p)
}

func checkKey(key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return nil
}

// typeOf guesses a content type from the key's extension.
func typeOf(key string) string { return mime.TypeByExtension(path.Ext(key)) }

// Serve answers a GET or HEAD for the object under key: Content-Type,
// Last-Modified, conditional requests and ranges, as for a file. A missing
// object is ErrNotFound, for the caller's error handler (404).
func Serve(w http.ResponseWriter, r *http.Request, st Store, key string) error {
	obj, info, err := st.Get(r.Context(), key)
	if err != nil {
		return err
	}
	defer obj.Close()
	if info.ContentType != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", info.ContentType)
	}
	http.ServeContent(w, r, path.Base(key), info.ModTime, obj)
	return nil
}

// DeleteAll removes every object under the folder prefix (a statement's
// images, say); a directory store removes the folder itself too. prefix
// must not be empty: nothing removes the whole store by accident.
func DeleteAll(ctx context.Context, st Store, prefix string) error {
	prefix = strings.TrimSuffix(prefix, "/")
	if !ValidKey(prefix) {
		return fmt.Errorf("%w: prefix %q", ErrInvalidKey, prefix)
	}
	if d, ok := st.(*Dir); ok {
		p, err := d.Path(prefix)
		if err != nil {
			return err
		}
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("mediastore: delete %s/: %w", prefix, err)
		}
		return nil
	}
	var keys []string
	if err := st.Walk(ctx, prefix, func(i Info) error {
		keys = append(keys, i.Key)
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := st.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// toucher is a store that can mark an object as just used (Dir, S3).
type toucher interface {
	Touch(ctx context.Context, key string) error
}

// Touch marks the object under key as just written, so that an eviction
// that removes the oldest objects first keeps it longest. A store that
// cannot does nothing.
func Touch(ctx context.Context, st Store, key string) error {
	if t, ok := st.(toucher); ok {
		return t.Touch(ctx, key)
	}
	return nil
}

// checkFolder holds the objects Check writes; it is not a statement id, so
// no media route ever serves it.
const checkFolder = "tadamun-check"

// Check proves the store usable before a server takes requests: it writes
// a small object, reads it back and removes it. An S3 bucket that does not
// exist, wrong credentials or a read-only directory are told here, at
// start-up, rather than by the first editor who uploads an image.
func Check(ctx context.Context, st Store) error {
	if s, ok := st.(*S3); ok {
		if err := s.checkBucket(ctx); err != nil {
			return err
		}
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("mediastore: check: %w", err)
	}
	key := checkFolder + "/" + hex.EncodeToString(rnd[:]) + ".txt"
	body := []byte("tadamun can write here\n")
	if err := st.Put(ctx, key, bytes.NewReader(body), int64(len(body)), "text/plain"); err != nil {
		return fmt.Errorf("mediastore: cannot write to the media store: %w", err)
	}
	obj, _, err := st.Get(ctx, key)
	if err == nil {
		var got []byte
		got, err = io.ReadAll(io.LimitReader(obj, 1024))
		obj.Close()
		if err == nil && !bytes.Equal(got, body) {
			err = errors.New("read back other bytes than written")
		}
	}
	if err != nil {
		return fmt.Errorf("mediastore: cannot read back from the media store: %w", err)
	}
	if err := DeleteAll(ctx, st, checkFolder); err != nil {
		return fmt.Errorf("mediastore: cannot delete from the media store: %w", err)
	}
	return nil
}
