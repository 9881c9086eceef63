package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/tadamun/tadamun/federation/imaging"
	"github.com/tadamun/tadamun/federation/mediastore"
)

// ReprocessResult counts what ReprocessMedia did.
type ReprocessResult struct {
	Processed int      // files re-encoded
	Failed    []string // files that could not be (each with the reason)
}

// ReprocessMedia re-encodes the images stored before images were processed
// on the way in (imaging.Process): statement images without a BlurHash, and
// avatars and headers that still carry metadata. Those files were published
// as they were given, EXIF and GPS position included; this removes that from
// what the node serves from now on (copies other servers fetched are out of
// our reach). Each file is replaced atomically; a GIF or WebP becomes a PNG
// or JPEG under a new name, and its row points to it before the old file is
// removed. Running it again does nothing. It works on either media store
// (a directory or an S3 bucket).
func (s *Service) ReprocessMedia(ctx context.Context) (ReprocessResult, error) {
	var res ReprocessResult
	if s.media == nil {
		return res, errNoMedia
	}
	rows, err := s.store.MediaWithoutBlurhash(ctx)
	if err != nil {
		return res, fmt.Errorf("federation: reprocess media: %w", err)
	}
	for _, m := range rows {
		old := m.Path
		img, rel, err := s.rewriteImage(ctx, old)
		if err != nil {
			res.Failed = append(res.Failed, fmt.Sprintf("%s: %v", old, err))
			continue
		}
		m.Path, m.MediaType, m.Width, m.Height, m.Blurhash = rel, img.MediaType, img.Width, img.Height, img.Blurhash
		if err := s.store.UpdateMediaFile(ctx, m); err != nil {
			return res, fmt.Errorf("federation: reprocess media: %w", err)
		}
		s.removeReplaced(ctx, old, rel)
		res.Processed++
	}

	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return res, fmt.Errorf("federation: reprocess media: %w", err)
	}
	for _, a := range actors {
		var replaced [][2]string // old and new paths, to remove once the row points to the new
		for _, p := range []*string{&a.AvatarPath, &a.HeaderPath} {
			if *p == "" {
				continue
			}
			data, err := s.readMedia(ctx, *p)
			if err == nil && imaging.Clean(data) {
				continue
			}
			_, rel, err := s.rewriteImage(ctx, *p)
			if err != nil {
				res.Failed = append(res.Failed, fmt.Sprintf("%s: %v", *p, err))
				continue
			}
			replaced = append(replaced, [2]string{*p, rel})
			*p = rel
			res.Processed++
		}
		if len(replaced) == 0 {
			continue
		}
		if err := s.store.UpdateActor(ctx, a); err != nil {
			return res, fmt.Errorf("federation: reprocess media: %w", err)
		}
		for _, r := range replaced {
			s.removeReplaced(ctx, r[0], r[1])
		}
	}
	return res, nil
}

// rewriteImage re-encodes the stored image rel and returns the image and
// its key: rel itself, or rel with a new extension when the format changed
// (GIF and WebP become PNG or JPEG). The store replaces an object whole, so
// a reader never sees half a file.
func (s *Service) rewriteImage(ctx context.Context, rel string) (*imaging.Image, string, error) {
	if !mediastore.ValidKey(rel) {
		return nil, "", fmt.Errorf("federation: media path %q leaves the media store", rel)
	}
	data, err := s.readMedia(ctx, rel)
	if err != nil {
		return nil, "", err
	}
	img, err := imaging.Process(bytes.NewReader(data), MaxImageBytes)
	if err != nil {
		return nil, "", err
	}
	newRel := strings.TrimSuffix(rel, path.Ext(rel)) + imageTypes[img.MediaType]
	if newRel != rel {
		if _, err := s.media.Stat(ctx, newRel); !errors.Is(err, mediastore.ErrNotFound) {
			newRel = strings.TrimSuffix(rel, path.Ext(rel)) + "-clean" + imageTypes[img.MediaType]
		}
	}
	if err := s.media.Put(ctx, newRel, bytes.NewReader(img.Data), int64(len(img.Data)), img.MediaType); err != nil {
		return nil, "", fmt.Errorf("federation: reprocess %s: %w", rel, err)
	}
	return img, newRel, nil
}

// removeReplaced removes the old file of an image that was re-encoded under
// a new name (once the row points to the new one).
func (s *Service) removeReplaced(ctx context.Context, old, rel string) {
	if old == rel {
		return
	}
	if err := s.media.Delete(ctx, old); err != nil {
		s.log.Warn("reprocess media: remove replaced file", "path", old, "err", err)
	}
}
