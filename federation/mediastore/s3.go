package mediastore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says which bucket of an S3-compatible object store (Amazon S3,
// MinIO, Garage, Ceph, ...) holds the media.
type S3Config struct {
	// Endpoint is the store's host and optional port, without scheme,
	// e.g. "minio.internal:9000" or "s3.eu-west-1.amazonaws.com".
	Endpoint string
	Bucket   string
	// Prefix, if set, is put before every key ("tadamun/" keeps the media
	// in a folder of a shared bucket).
	Prefix    string
	Region    string // "" lets the client ask the store
	AccessKey string
	SecretKey string
	// Insecure talks plain HTTP: only for a store on the same machine or a
	// private network.
	Insecure bool
	// Transport, if set, carries the requests (tests).
	Transport http.RoundTripper
}

// maxRetries is how often a failed request to the store is tried again.
const maxRetries = 3

// S3 keeps media as objects in a bucket, through minio-go. Objects are
// private (no ACL is set): the node reads them and serves them itself.
type S3 struct {
	c        *minio.Client
	bucket   string
	prefix   string
	endpoint string
}

// NewS3 connects to the store and checks that the bucket exists; it does
// not create it (an operator chooses its region, policy and lifecycle).
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	s, err := OpenS3(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.checkBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// OpenS3 makes the client without a request: commands that never touch
// media start even while the store is away. Check (at serve start) or the
// first Put tells whether it is reachable.
func OpenS3(cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("mediastore: S3 needs an endpoint and a bucket")
	}
	if strings.Contains(cfg.Endpoint, "://") {
		return nil, fmt.Errorf("mediastore: S3 endpoint %q: give host[:port] without a scheme (plain HTTP is the insecure setting)", cfg.Endpoint)
	}
	if cfg.Prefix != "" && !validPrefix(cfg.Prefix) {
		return nil, fmt.Errorf("mediastore: S3 prefix %q: use a relative folder such as tadamun/", cfg.Prefix)
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    !cfg.Insecure,
		Region:    cfg.Region,
		Transport: cfg.Transport,
		// A reader waits while a picture is fetched: a few quick retries
		// ride over a blip, and a store that is down is told in about a
		// second rather than the client's default of ten retries.
		MaxRetries: maxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("mediastore: S3 client for %s: %w", cfg.Endpoint, err)
	}
	prefix := cfg.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &S3{c: c, bucket: cfg.Bucket, prefix: prefix, endpoint: cfg.Endpoint}, nil
}

// checkBucket asks whether the bucket exists.
func (s *S3) checkBucket(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("mediastore: S3 bucket %s at %s: %w", s.bucket, s.endpoint, err)
	}
	if !ok {
		return fmt.Errorf("mediastore: S3 bucket %s does not exist at %s: create it first", s.bucket, s.endpoint)
	}
	return nil
}

// String names the bucket and endpoint, for logs and errors.
func (s *S3) String() string { return "s3://" + s.bucket + "/" + s.prefix + " at " + s.endpoint }

// Put uploads the object (in parts if it is large or its size unknown).
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if contentType == "" {
		contentType = typeOf(key)
	}
	if size < 0 {
		// Media are images the node has encoded in memory anyway; with a
		// known length the upload is one plain signed PUT, which every
		// S3-compatible store understands (not all decode the chunked
		// uploads used for streams of unknown length).
		b, err := io.ReadAll(readerCtx{ctx, r})
		if err != nil {
			return fmt.Errorf("mediastore: put %s: %w", key, err)
		}
		r, size = bytes.NewReader(b), int64(len(b))
	}
	_, err := s.c.PutObject(ctx, s.bucket, s.prefix+key, r, size, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("mediastore: put %s: %w", key, err)
	}
	return nil
}

// Get opens the object; reads and seeks become ranged GETs.
func (s *S3) Get(ctx context.Context, key string) (io.ReadSeekCloser, Info, error) {
	if err := checkKey(key); err != nil {
		return nil, Info{}, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, s.fail("get", key, err)
	}
	oi, err := obj.Stat() // the first request: tells a missing key at once
	if err != nil {
		obj.Close()
		return nil, Info{}, s.fail("get", key, err)
	}
	return obj, s.info(key, oi), nil
}

// Stat asks for the object's metadata.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	oi, err := s.c.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.fail("stat", key, err)
	}
	return s.info(key, oi), nil
}

// Delete removes the object; S3 answers a missing one as deleted.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("mediastore: delete %s: %w", key, err)
	}
	return nil
}

// Walk lists the objects under prefix, page by page.
func (s *S3) Walk(ctx context.Context, prefix string, fn func(Info) error) error {
	if !validPrefix(prefix) {
		return fmt.Errorf("%w: prefix %q", ErrInvalidKey, prefix)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	// Cancelling stops the listing goroutine when fn stops early.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if oi.Err != nil {
			return fmt.Errorf("mediastore: walk %q: %w", prefix, oi.Err)
		}
		key := strings.TrimPrefix(oi.Key, s.prefix)
		if !ValidKey(key) {
			continue // not one of ours (e.g. "folder/" markers made by other tools)
		}
		if err := fn(s.info(key, oi)); err != nil {
			return err
		}
	}
	return nil
}

func (s *S3) info(key string, oi minio.ObjectInfo) Info {
	ct := oi.ContentType
	if ct == "" || ct == "binary/octet-stream" {
		ct = typeOf(key)
	}
	return Info{Key: key, Size: oi.Size, ModTime: oi.LastModified, ContentType: ct}
}

func (s *S3) fail(op, key string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return fmt.Errorf("mediastore: %s %s: %w", op, key, err)
}

func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == minio.NoSuchKey || r.StatusCode == http.StatusNotFound && r.Code != minio.NoSuchBucket
}

// Touch marks the object as just written, without changing its bytes (a
// copy onto itself with its metadata replaced gets a new Last-Modified), so
// that an eviction oldest-first keeps it longest.
func (s *S3) Touch(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	info, err := s.Stat(ctx, key)
	if err != nil {
		return err
	}
	_, err = s.c.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: s.prefix + key, ReplaceMetadata: true,
			ContentType: info.ContentType},
		minio.CopySrcOptions{Bucket: s.bucket, Object: s.prefix + key})
	if err != nil {
		return s.fail("touch", key, err)
	}
	return nil
}
