package federation

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/imaging"
	"github.com/tadamun/tadamun/storage"
)

// MaxImageBytes is the largest image accepted (Mastodon takes 16 MB; most
// servers fetch far less happily).
const MaxImageBytes = 10 << 20

// imageTypes are the media types of stored images, with their file
// extensions. Every image is re-encoded, as JPEG or PNG (imaging.Process).
var imageTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}

// pendingImage is an image read and re-encoded, not yet stored.
type pendingImage struct {
	data          []byte
	mediaType     string
	alt           string
	width, height int
	blurhash      string
}

// readImages reads the images of a draft and re-encodes each with
// imaging.ProcessFile, before anything is stored: what is published is a
// new file made of the pixels alone, turned upright and scaled down, with
// none of the original's metadata (GPS position, camera serial number,
// names). A path that is not a regular file (/dev/zero, a FIFO) is refused
// without being read.
func readImages(imgs []content.Image) ([]pendingImage, error) {
	var out []pendingImage
	for _, im := range imgs {
		p, err := imaging.ProcessFile(im.File, MaxImageBytes)
		switch {
		case errors.Is(err, imaging.ErrTooLarge):
			return nil, invalid("image %s is too large (at most %d MB and %d megapixels): %v", im.File, MaxImageBytes>>20,
				imaging.MaxPixels/1_000_000, err)
		case errors.Is(err, imaging.ErrNotRegular):
			return nil, invalid("image %s is not a regular file", im.File)
		case errors.Is(err, imaging.ErrFormat):
			return nil, invalid("image %s: use JPEG, PNG, GIF or WebP: %v", im.File, err)
		case err != nil:
			return nil, invalid("image %s: %v", im.File, err)
		}
		out = append(out, pendingImage{data: p.Data, mediaType: p.MediaType, alt: im.Alt, width: p.Width, height: p.Height,
			blurhash: p.Blurhash})
	}
	return out, nil
}

// mediaFolder is where a statement's files live.
func (s *Service) mediaFolder(statementID string) string {
	return filepath.Join(s.mediaDir, statementID)
}

// writeImages writes the files and returns their rows. prefix starts each
// file name: an edit writes its images beside the ones they replace, under
// new names, so the old ones stay until the edit commits.
func (s *Service) writeImages(st *storage.Statement, imgs []pendingImage, prefix string) ([]storage.Media, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	if s.mediaDir == "" {
		return nil, fmt.Errorf("federation: no media directory configured")
	}
	dir := s.mediaFolder(st.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("federation: media folder: %w", err)
	}
	var rows []storage.Media
	for i, im := range imgs {
		name := prefix + strconv.Itoa(i+1) + imageTypes[im.mediaType]
		if err := os.WriteFile(filepath.Join(dir, name), im.data, 0o600); err != nil {
			return nil, fmt.Errorf("federation: write image: %w", err)
		}
		rows = append(rows, storage.Media{ActorID: st.ActorID, StatementID: st.ID, Path: st.ID + "/" + name,
			MediaType: im.mediaType, AltText: im.alt, Width: im.width, Height: im.height, Blurhash: im.blurhash, Position: i})
	}
	return rows, nil
}

// removeMedia deletes a statement's files.
func (s *Service) removeMedia(statementID string) {
	if s.mediaDir == "" || !storage.ValidID(statementID) {
		return
	}
	if err := os.RemoveAll(s.mediaFolder(statementID)); err != nil {
		s.log.Warn("remove media", "statement", statementID, "err", err)
	}
}

// MediaDir is where media files are kept ("" when none is configured).
func (s *Service) MediaDir() string { return s.mediaDir }
