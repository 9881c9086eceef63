package mediastore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Dir keeps media as files under a directory, readable by the owner only
// (drafts' images are not public). Several processes may share it.
type Dir struct{ root string }

// NewDir returns a store on the directory root, created on first Put.
func NewDir(root string) *Dir { return &Dir{root: root} }

// Root is the directory.
func (d *Dir) Root() string { return d.root }

// tempPrefix marks a file being written; Walk skips such files.
const tempPrefix = ".put-"

// Path is the file that holds key, for code that needs a file name.
func (d *Dir) Path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put writes to a temporary file beside the target and renames it into
// place, so that a reader, in this process or another, never sees half a
// file.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	p, err := d.Path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("mediastore: put %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("mediastore: put %s: %w", key, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := io.Copy(f, readerCtx{ctx, r}); err != nil {
		return fmt.Errorf("mediastore: put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mediastore: put %s: %w", key, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("mediastore: put %s: %w", key, err)
	}
	done = true
	return nil
}

// Get opens the file.
func (d *Dir) Get(ctx context.Context, key string) (io.ReadSeekCloser, Info, error) {
	p, err := d.Path(key)
	if err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, Info{}, d.fail("get", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, d.fail("get", key, err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, Info{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return f, d.info(key, fi), nil
}

// Stat describes the file.
func (d *Dir) Stat(ctx context.Context, key string) (Info, error) {
	p, err := d.Path(key)
	if err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return Info{}, d.fail("stat", key, err)
	}
	if fi.IsDir() {
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return d.info(key, fi), nil
}

// Delete removes the file.
func (d *Dir) Delete(ctx context.Context, key string) error {
	p, err := d.Path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mediastore: delete %s: %w", key, err)
	}
	return nil
}

// Touch gives the file the current time as its modification time.
func (d *Dir) Touch(ctx context.Context, key string) error {
	p, err := d.Path(key)
	if err != nil {
		return err
	}
	now := time.Now()
	if err := os.Chtimes(p, now, now); err != nil {
		return d.fail("touch", key, err)
	}
	return nil
}

// Walk visits the files under prefix.
func (d *Dir) Walk(ctx context.Context, prefix string, fn func(Info) error) error {
	if !validPrefix(prefix) {
		return fmt.Errorf("%w: prefix %q", ErrInvalidKey, prefix)
	}
	start := filepath.Join(d.root, filepath.FromSlash(strings.TrimSuffix(prefix, "/")))
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // nothing under that prefix, or removed meanwhile
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || !e.Type().IsRegular() || strings.HasPrefix(e.Name(), tempPrefix) {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		return fn(d.info(filepath.ToSlash(rel), fi))
	})
	if err != nil {
		return fmt.Errorf("mediastore: walk %q: %w", prefix, err)
	}
	return nil
}

func (d *Dir) info(key string, fi fs.FileInfo) Info {
	return Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime(), ContentType: typeOf(key)}
}

func (d *Dir) fail(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return fmt.Errorf("mediastore: %s %s: %w", op, key, err)
}

// readerCtx stops a copy when ctx ends.
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
