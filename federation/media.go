package federation

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif"  // registers GIF for image.DecodeConfig
	_ "image/jpeg" // registers JPEG
	_ "image/png"  // registers PNG
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
)

// MaxImageBytes is the largest image accepted (Mastodon takes 16 MB; most
// servers fetch far less happily).
const MaxImageBytes = 10 << 20

// imageTypes are the formats accepted, with the extension they are stored under.
var imageTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}

// pendingImage is an image read and checked, not yet stored.
type pendingImage struct {
	data          []byte
	mediaType     string
	alt           string
	width, height int
}

// readImages reads and checks the images of a draft, before anything is stored.
func readImages(imgs []content.Image) ([]pendingImage, error) {
	var out []pendingImage
	for _, im := range imgs {
		fi, err := os.Stat(im.File)
		if err != nil {
			return nil, invalid("image %s: %v", im.File, err)
		}
		if fi.Size() > MaxImageBytes {
			return nil, invalid("image %s is larger than %d MB", im.File, MaxImageBytes>>20)
		}
		data, err := os.ReadFile(im.File)
		if err != nil {
			return nil, invalid("image %s: %v", im.File, err)
		}
		mt := http.DetectContentType(data)
		if _, ok := imageTypes[mt]; !ok {
			return nil, invalid("image %s is %s: use JPEG, PNG, GIF or WebP", im.File, mt)
		}
		p := pendingImage{data: data, mediaType: mt, alt: im.Alt}
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
			p.width, p.height = cfg.Width, cfg.Height
		} else if mt != "image/webp" {
			return nil, invalid("image %s cannot be read: %v", im.File, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// mediaFolder is where a statement's files live.
func (s *Service) mediaFolder(statementID string) string {
	return filepath.Join(s.mediaDir, statementID)
}

// writeImages writes the files and returns their rows.
func (s *Service) writeImages(st *storage.Statement, imgs []pendingImage) ([]storage.Media, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	if s.mediaDir == "" {
		return nil, fmt.Errorf("federation: no media directory configured")
	}
	dir := s.mediaFolder(st.ID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("federation: media folder: %w", err)
	}
	var rows []storage.Media
	for i, im := range imgs {
		name := strconv.Itoa(i+1) + imageTypes[im.mediaType]
		if err := os.WriteFile(filepath.Join(dir, name), im.data, 0o640); err != nil {
			return nil, fmt.Errorf("federation: write image: %w", err)
		}
		rows = append(rows, storage.Media{ActorID: st.ActorID, StatementID: st.ID, Path: st.ID + "/" + name,
			MediaType: im.mediaType, AltText: im.alt, Width: im.width, Height: im.height, Position: i})
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
