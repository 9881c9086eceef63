package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"
)

const (
	// MaxPixels is the largest picture accepted, in pixels (50 megapixels:
	// more than a 45-megapixel camera gives). The header's dimensions are
	// checked before the picture is decoded, so a file that claims to be
	// 100000×100000 costs nothing; a picture at the limit costs about
	// 200 MB while it is decoded.
	MaxPixels = 50_000_000

	// MaxDecodedBytes caps the memory the decoded picture may take, which
	// depends on its depth as well as its size: a 16-bit PNG takes 8 bytes a
	// pixel, so it may have at most 33 megapixels.
	MaxDecodedBytes = 256 << 20

	// MaxSide is the longest side of a published picture, in pixels; larger
	// ones are scaled down (as Mastodon and GoToSocial do, at about the
	// same size).
	MaxSide = 2560

	// JPEGQuality is the quality pictures without transparency are encoded at.
	JPEGQuality = 85
)

// Errors of Process and ProcessFile, to test with errors.Is. All are the
// uploader's: answer them with a 4xx.
var (
	// ErrTooLarge: the file has more bytes, or its picture more pixels,
	// than allowed.
	ErrTooLarge = errors.New("imaging: image too large")
	// ErrFormat: not a JPEG, PNG, GIF or WebP, or not a readable one.
	ErrFormat = errors.New("imaging: not a readable JPEG, PNG, GIF or WebP image")
	// ErrNotRegular: the path names a device, a FIFO, a directory...
	ErrNotRegular = errors.New("imaging: not a regular file")
)

// Image is a processed picture, ready to be stored and published.
type Image struct {
	Data      []byte // the new file: no metadata of the original
	MediaType string // image/jpeg or image/png
	Width     int
	Height    int
	Blurhash  string
}

// format is what the first bytes of a file say it is.
type format int

const (
	formatUnknown format = iota
	formatJPEG
	formatPNG
	formatGIF
	formatWebP
)

func sniff(b []byte) format {
	switch {
	case bytes.HasPrefix(b, []byte("\xFF\xD8\xFF")):
		return formatJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return formatGIF
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return formatWebP
	}
	return formatUnknown
}

// Process reads an image of at most maxBytes from r and returns a new
// file made from its pixels alone:
//
//   - JPEG, PNG, GIF and WebP are read; anything else is ErrFormat, as is a
//     file whose content does not decode (a WebP signature on garbage).
//   - Dimensions above MaxPixels are ErrTooLarge, found from the header
//     before any pixel memory is allocated.
//   - The EXIF orientation (JPEG APP1, PNG eXIf, WebP EXIF) is applied to
//     the pixels, since the tag itself does not survive.
//   - The picture is scaled down to at most MaxSide on its long side.
//   - JPEG is re-encoded as JPEG; PNG and GIF as PNG (a GIF keeps its
//     first frame only); WebP as JPEG, or as PNG when it has transparency
//     (there is no WebP encoder in Go's libraries).
//
// Nothing of the original's metadata (EXIF, XMP, IPTC, ICC profile, text
// chunks, comments) is carried over: the encoders write only pixels.
func Process(r io.Reader, maxBytes int64) (*Image, error) {
	// Read at most one byte past the limit: a longer input is refused
	// without reading it all, whatever length it claimed.
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("imaging: read: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
	}
	f := sniff(data)
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	orientation := 1
	switch f {
	case formatJPEG:
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
		orientation = jpegOrientation(data)
	case formatPNG:
		decodeConfig, decode = png.DecodeConfig, png.Decode
		orientation = pngOrientation(data)
	case formatGIF:
		// gif.Decode stops after the first frame: an animation's other
		// frames are never decoded.
		decodeConfig, decode = gif.DecodeConfig, gif.Decode
	case formatWebP:
		decodeConfig, decode = webp.DecodeConfig, webp.Decode
		orientation = webpOrientation(data)
	default:
		return nil, ErrFormat
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: no pixels", ErrFormat)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d is more than %d megapixels", ErrTooLarge, cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px*bytesPerPixel(cfg.ColorModel) > MaxDecodedBytes {
		return nil, fmt.Errorf("%w: %d×%d at %d bytes a pixel is more than %d MB decoded", ErrTooLarge, cfg.Width, cfg.Height,
			bytesPerPixel(cfg.ColorModel), MaxDecodedBytes>>20)
	}
	src, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}

	opaque := isOpaque(src)
	// Scale first, then turn: turning the small picture is cheaper, and
	// the scale factor does not depend on which way up it is.
	b := src.Bounds()
	w, h := fit(b.Dx(), b.Dy(), MaxSide)
	var scaled *image.RGBA
	if w == b.Dx() && h == b.Dy() {
		scaled = image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(scaled, scaled.Rect, src, b.Min, draw.Src)
	} else {
		scaled = shrink(src, w, h)
	}
	out := orient(scaled, orientation)

	var buf bytes.Buffer
	res := &Image{Width: out.Bounds().Dx(), Height: out.Bounds().Dy()}
	if opaque && f != formatPNG && f != formatGIF {
		res.MediaType = "image/jpeg"
		err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: JPEGQuality})
	} else {
		res.MediaType = "image/png"
		err = png.Encode(&buf, out)
	}
	if err != nil {
		return nil, fmt.Errorf("imaging: encode %s: %w", res.MediaType, err)
	}
	res.Data = buf.Bytes()
	res.Blurhash = blurhash(out)
	return res, nil
}

// bytesPerPixel is how much memory the standard decoders use for a pixel
// of the given colour model (an upper bound: YCbCr counts as 4:4:4).
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// isOpaque tells whether a decoded picture has no transparent pixel.
func isOpaque(m image.Image) bool {
	if o, ok := m.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// fit returns w×h scaled down so that its long side is at most side,
// keeping the aspect ratio (and at least one pixel each way).
func fit(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, int((int64(h)*int64(side)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(side)+int64(h)/2)/int64(h))), side
}

// Clean reports whether data is a file Process could have written: a JPEG
// or PNG whose segments or chunks are only those that carry pixels, no
// larger than MaxSide. Files already clean need not be processed again
// (re-encoding a JPEG loses a little each time).
func Clean(data []byte) bool {
	var cfg image.Config
	var err error
	switch sniff(data) {
	case formatJPEG:
		if !jpegPixelsOnly(data) {
			return false
		}
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case formatPNG:
		if !pngPixelsOnly(data) {
			return false
		}
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	default:
		return false
	}
	return err == nil && cfg.Width <= MaxSide && cfg.Height <= MaxSide
}
