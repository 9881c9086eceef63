package federation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/imaging"
	"github.com/tadamun/tadamun/federation/mediastore"
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
	// source is the SHA-256 of the file as given. An edit that keeps an
	// image hands back the stored file itself; re-encoding a JPEG is lossy
	// and never gives the same bytes, so this is how sameImages knows it.
	source [sha256.Size]byte
}

// readImages reads the images of a draft and re-encodes each with
// imaging.Process, before anything is stored: what is published is a
// new file made of the pixels alone, turned upright and scaled down, with
// none of the original's metadata (GPS position, camera serial number,
// names). A path that is not a regular file (/dev/zero, a FIFO) is refused
// without being read.
func readImages(imgs []content.Image) ([]pendingImage, error) {
	var out []pendingImage
	for _, im := range imgs {
		src, err := readSource(im.File)
		var p *imaging.Image
		if err == nil {
			p, err = imaging.Process(bytes.NewReader(src), MaxImageBytes)
		}
		switch {
		case errors.Is(err, imaging.ErrTooLarge):
			mb, mp := MaxImageBytes>>20, imaging.MaxPixels/1_000_000
			return nil, keepText(reject("image %s is too large (at most %d MB and %d megapixels)", im.File, mb, mp),
				fmt.Sprintf("image %s is too large (at most %d MB and %d megapixels): %v", im.File, mb, mp, err))
		case errors.Is(err, imaging.ErrNotRegular):
			return nil, reject("image %s is not a regular file", im.File)
		case errors.Is(err, imaging.ErrFormat):
			return nil, keepText(reject("the file %s is not an image: use JPEG, PNG, GIF or WebP", im.File),
				fmt.Sprintf("image %s: use JPEG, PNG, GIF or WebP: %v", im.File, err))
		case errors.Is(err, fs.ErrNotExist):
			return nil, keepText(reject("image %s does not exist", im.File), fmt.Sprintf("image %s: %v", im.File, err))
		case err != nil:
			return nil, keepText(reject("image %s could not be read or converted", im.File), fmt.Sprintf("image %s: %v", im.File, err))
		}
		out = append(out, pendingImage{data: p.Data, mediaType: p.MediaType, alt: im.Alt, width: p.Width, height: p.Height,
			blurhash: p.Blurhash, source: sha256.Sum256(src)})
	}
	return out, nil
}

// readSource reads an image file given by an editor, as imaging.ProcessFile
// would: only a regular file (a device such as /dev/zero would be read
// without end, a FIFO would block), opened non-blocking and checked again
// once open, and at most MaxImageBytes of it whatever length it reports.
func readSource(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("imaging: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s", imaging.ErrNotRegular, path)
	}
	if fi.Size() > MaxImageBytes {
		return nil, fmt.Errorf("%w: %s has more than %d bytes", imaging.ErrTooLarge, path, MaxImageBytes)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("imaging: %w", err)
	}
	defer f.Close()
	if fi2, err := f.Stat(); err != nil || !fi2.Mode().IsRegular() || !os.SameFile(fi, fi2) {
		return nil, fmt.Errorf("%w: %s (it changed while it was opened)", imaging.ErrNotRegular, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("imaging: %w", err)
	}
	if len(b) > MaxImageBytes {
		return nil, fmt.Errorf("%w: %s has more than %d bytes", imaging.ErrTooLarge, path, MaxImageBytes)
	}
	return b, nil
}

// mediaTimeout bounds one media operation started where no request's
// context is at hand (a rolled-back publish cleaning up after itself).
const mediaTimeout = 2 * time.Minute

// mediaCtx is a context for media work that must finish even if the request
// that caused it has gone: files of a rolled-back statement are removed.
func mediaCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), mediaTimeout)
}

// errNoMedia is returned when images come but no media store is configured.
var errNoMedia = errors.New("federation: no media store configured")

// writeImages stores the images and returns their rows; see putImages.
func (s *Service) writeImages(st *storage.Statement, imgs []pendingImage, prefix string) ([]storage.Media, error) {
	ctx, cancel := mediaCtx()
	defer cancel()
	return s.putImages(ctx, st, imgs, prefix)
}

// putImages stores the images under the statement's folder (its id) in the
// media store and returns their rows. prefix starts each name: an edit
// stores its images beside the ones they replace, under new names, so the
// old ones stay until the edit commits. If one fails, those already stored
// are removed.
func (s *Service) putImages(ctx context.Context, st *storage.Statement, imgs []pendingImage, prefix string) ([]storage.Media, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	if s.media == nil {
		return nil, errNoMedia
	}
	var rows []storage.Media
	for i, im := range imgs {
		key := st.ID + "/" + prefix + strconv.Itoa(i+1) + imageTypes[im.mediaType]
		if err := s.media.Put(ctx, key, bytes.NewReader(im.data), int64(len(im.data)), im.mediaType); err != nil {
			s.removeFiles(rows)
			return nil, fmt.Errorf("federation: store image: %w", err)
		}
		rows = append(rows, storage.Media{ActorID: st.ActorID, StatementID: st.ID, Path: key,
			MediaType: im.mediaType, AltText: im.alt, Width: im.width, Height: im.height, Blurhash: im.blurhash, Position: i})
	}
	return rows, nil
}

// removeMedia deletes a statement's files (its whole folder).
func (s *Service) removeMedia(statementID string) {
	if s.media == nil || !storage.ValidID(statementID) {
		return
	}
	ctx, cancel := mediaCtx()
	defer cancel()
	if err := mediastore.DeleteAll(ctx, s.media, statementID); err != nil {
		s.log.Warn("remove media", "statement", statementID, "err", err)
	}
}

// readMedia reads a stored file whole, at most MaxImageBytes of it.
func (s *Service) readMedia(ctx context.Context, key string) ([]byte, error) {
	if s.media == nil {
		return nil, errNoMedia
	}
	obj, _, err := s.media.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("federation: read %s: %w", key, err)
	}
	if len(b) > MaxImageBytes {
		return nil, fmt.Errorf("federation: %s is larger than %d MB", key, MaxImageBytes>>20)
	}
	return b, nil
}

// MediaDir is the local media directory: the default store, and where
// uploads wait to be processed ("" when none is configured).
func (s *Service) MediaDir() string { return s.mediaDir }
