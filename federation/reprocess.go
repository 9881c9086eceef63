package federation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/tadamun/tadamun/federation/imaging"
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
// removed. Running it again does nothing.
func (s *Service) ReprocessMedia(ctx context.Context) (ReprocessResult, error) {
	var res ReprocessResult
	if s.mediaDir == "" {
		return res, fmt.Errorf("federation: no media directory configured")
	}
	rows, err := s.store.MediaWithoutBlurhash(ctx)
	if err != nil {
		return res, fmt.Errorf("federation: reprocess media: %w", err)
	}
	for _, m := range rows {
		old := m.Path
		img, rel, err := s.rewriteImage(old)
		if err != nil {
			res.Failed = append(res.Failed, fmt.Sprintf("%s: %v", old, err))
			continue
		}
		m.Path, m.MediaType, m.Width, m.Height, m.Blurhash = rel, img.MediaType, img.Width, img.Height, img.Blurhash
		if err := s.store.UpdateMediaFile(ctx, m); err != nil {
			return res, fmt.Errorf("federation: reprocess media: %w", err)
		}
		s.removeReplaced(old, rel)
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
			data, err := os.ReadFile(s.mediaPath(*p))
			if err == nil && imaging.Clean(data) {
				continue
			}
			_, rel, err := s.rewriteImage(*p)
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
			s.removeReplaced(r[0], r[1])
		}
	}
	return res, nil
}

// mediaPath is the file of a path relative to the media directory.
func (s *Service) mediaPath(rel string) string {
	return filepath.Join(s.mediaDir, filepath.FromSlash(rel))
}

// rewriteImage re-encodes the media file rel and returns the image and its
// path: rel itself, or rel with a new extension when the format changed
// (GIF and WebP become PNG or JPEG). The new file is written beside the old
// and renamed into place, so a reader never sees half a file.
func (s *Service) rewriteImage(rel string) (*imaging.Image, string, error) {
	if strings.Contains(rel, "..") {
		return nil, "", fmt.Errorf("federation: media path %q leaves the media directory", rel)
	}
	img, err := imaging.ProcessFile(s.mediaPath(rel), MaxImageBytes)
	if err != nil {
		return nil, "", err
	}
	newRel := strings.TrimSuffix(rel, path.Ext(rel)) + imageTypes[img.MediaType]
	if newRel != rel {
		if _, err := os.Lstat(s.mediaPath(newRel)); !errors.Is(err, os.ErrNotExist) {
			newRel = strings.TrimSuffix(rel, path.Ext(rel)) + "-clean" + imageTypes[img.MediaType]
		}
	}
	dst := s.mediaPath(newRel)
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".reprocess-*")
	if err != nil {
		return nil, "", fmt.Errorf("federation: reprocess %s: %w", rel, err)
	}
	_, werr := tmp.Write(img.Data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return nil, "", fmt.Errorf("federation: reprocess %s: %w", rel, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return nil, "", fmt.Errorf("federation: reprocess %s: %w", rel, err)
	}
	return img, newRel, nil
}

// removeReplaced removes the old file of an image that was re-encoded under
// a new name (once the row points to the new one).
func (s *Service) removeReplaced(old, rel string) {
	if old == rel {
		return
	}
	if err := os.Remove(s.mediaPath(old)); err != nil {
		s.log.Warn("reprocess media: remove replaced file", "path", old, "err", err)
	}
}
