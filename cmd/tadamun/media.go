package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/tadamun/tadamun/federation/mediastore"
	"github.com/tadamun/tadamun/storage"
)

// mediaReprocessCmd is "tadamun media reprocess": after an upgrade from a
// version that published images as they were given, it re-encodes the
// stored ones so that their metadata (GPS position, camera serial number,
// names) is no longer served.
func mediaReprocessCmd(*flag.FlagSet) runFunc {
	return func(ctx context.Context, a *app, args []string) error {
		if len(args) != 0 {
			return usagef("media reprocess takes no arguments")
		}
		return a.withStore(ctx, func(st *storage.Store) error {
			res, err := a.federation(st).ReprocessMedia(ctx)
			if err != nil {
				return err
			}
			for _, f := range res.Failed {
				fmt.Fprintf(a.stderr, "not re-encoded: %s\n", f)
			}
			fmt.Fprintf(a.stdout, "re-encoded %d images\n", res.Processed)
			if len(res.Failed) > 0 {
				return fmt.Errorf("%d images could not be re-encoded", len(res.Failed))
			}
			return nil
		})
	}
}

// openMedia makes the configured media store without a request to it: a
// command that never touches media runs while an S3 store is away. serve
// checks the store before it takes requests (checkMedia).
func (a *app) openMedia() (mediastore.Store, error) {
	if a.cfg.MediaStore != "s3" {
		return mediastore.NewDir(a.mediaDir()), nil
	}
	s3, err := mediastore.OpenS3(a.cfg.S3)
	if err != nil {
		return nil, usagef("invalid setting media-store s3: %v", err)
	}
	return s3, nil
}

// checkMediaTimeout bounds the start-up check of the media store.
const checkMediaTimeout = 30 * time.Second

// checkMedia proves at start-up that the media store can be written, read
// and deleted from, so that a wrong bucket or key stops serve with a clear
// message rather than failing the first upload.
func checkMedia(ctx context.Context, a *app) error {
	ctx, cancel := context.WithTimeout(ctx, checkMediaTimeout)
	defer cancel()
	if err := mediastore.Check(ctx, a.media); err != nil {
		if a.cfg.MediaStore == "s3" {
			return fmt.Errorf("media store (media-store s3, bucket %s at %s): %w; check s3-endpoint, s3-bucket, the keys and s3-insecure",
				a.cfg.S3.Bucket, a.cfg.S3.Endpoint, err)
		}
		return fmt.Errorf("media folder %s: %w", a.mediaDir(), err)
	}
	a.log.Info("media store ready", "store", a.cfg.MediaStore, "where", mediaWhere(a))
	return nil
}

// mediaWhere names the media store for the log.
func mediaWhere(a *app) string {
	if a.cfg.MediaStore == "s3" {
		return a.cfg.S3.Bucket + "/" + a.cfg.S3.Prefix + " at " + a.cfg.S3.Endpoint
	}
	return a.mediaDir()
}
