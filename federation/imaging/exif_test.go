package imaging

import (
	"bytes"
	"image/jpeg"
	"testing"
)

func TestOrientationReaders(t *testing.T) {
	for o := 1; o <= 8; o++ {
		if got := jpegOrientation(photoJPEG(t, quadrants(8, 8), o)); got != o {
			t.Errorf("jpeg: %d, want %d", got, o)
		}
		if got := pngOrientation(textPNG(t, quadrants(8, 8), o)); got != o {
			t.Errorf("png: %d, want %d", got, o)
		}
		if got := webpOrientation(metaWebP(4, 4, o)); got != o {
			t.Errorf("webp: %d, want %d", got, o)
		}
	}
	var plain bytes.Buffer
	jpeg.Encode(&plain, quadrants(8, 8), nil)
	tiff := exifTIFF(6)
	cases := map[string][]byte{
		"no exif":             plain.Bytes(),
		"empty":               nil,
		"soi only":            {0xFF, 0xD8},
		"segment too long":    {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x'},
		"truncated tiff":      append(append([]byte{0xFF, 0xD8}, segment(0xE1, append([]byte("Exif\x00\x00"), tiff[:20]...))...), 0xFF, 0xD9),
		"ifd past the end":    append(append([]byte{0xFF, 0xD8}, segment(0xE1, []byte("Exif\x00\x00MM\x00\x2a\xFF\xFF\xFF\xF0"))...), 0xFF, 0xD9),
		"orientation 9":       append(append([]byte{0xFF, 0xD8}, segment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(9)...))...), 0xFF, 0xD9),
		"orientation as LONG": append(append([]byte{0xFF, 0xD8}, segment(0xE1, append([]byte("Exif\x00\x00"), longOrientation()...))...), 0xFF, 0xD9),
	}
	for name, b := range cases {
		if got := jpegOrientation(b); got != 1 {
			t.Errorf("%s: orientation %d, want 1", name, got)
		}
	}
	// Little-endian TIFF is read as well as big-endian.
	le := []byte("II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00")
	if got := tiffOrientation(le); got != 8 {
		t.Errorf("little-endian: %d, want 8", got)
	}
}

func longOrientation() []byte {
	b := exifTIFF(6)
	b[8+2+2+1] = 4 // type of the first entry: LONG instead of SHORT
	return b
}

// FuzzOrientation feeds the EXIF readers arbitrary bytes: they must never
// panic, loop or give a value outside 1 to 8.
func FuzzOrientation(f *testing.F) {
	f.Add(photoJPEG(f, quadrants(8, 8), 6))
	f.Add(exifTIFF(3))
	f.Add(textPNG(f, quadrants(4, 4), 5))
	f.Add(metaWebP(4, 4, 8))
	f.Add([]byte("II\x2a\x00\x08\x00\x00\x00\xFF\xFF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for name, read := range map[string]func([]byte) int{
			"jpeg": jpegOrientation, "png": pngOrientation, "webp": webpOrientation, "tiff": tiffOrientation,
		} {
			if o := read(b); o < 1 || o > 8 {
				t.Fatalf("%s: orientation %d", name, o)
			}
		}
		// The metadata scanners of Clean must not panic either.
		jpegPixelsOnly(b)
		pngPixelsOnly(b)
	})
}
