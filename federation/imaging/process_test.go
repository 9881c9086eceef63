package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"
	"time"
)

const testMax = 10 << 20

// mustNotContain fails if any of the needles is in data.
func mustNotContain(t *testing.T, data []byte, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if bytes.Contains(data, []byte(n)) {
			t.Errorf("processed file still contains %q", n)
		}
	}
}

func decodeBack(t *testing.T, im *Image) image.Image {
	t.Helper()
	m, typ, err := image.Decode(bytes.NewReader(im.Data))
	if err != nil {
		t.Fatalf("processed file does not decode: %v", err)
	}
	if "image/"+typ != im.MediaType {
		t.Fatalf("media type %s, file is %s", im.MediaType, typ)
	}
	if b := m.Bounds(); b.Dx() != im.Width || b.Dy() != im.Height {
		t.Fatalf("reported %d×%d, file is %v", im.Width, im.Height, b)
	}
	return m
}

func TestProcessStripsJPEGMetadata(t *testing.T) {
	src := photoJPEG(t, quadrants(64, 48), 1)
	// The fixture carries everything the test looks for.
	for _, s := range []string{secretArtist, secretSerial, secretXMP, secretIPTC, secretCom, "Exif\x00\x00", string(gpsLatitude)} {
		if !bytes.Contains(src, []byte(s)) {
			t.Fatalf("fixture lacks %q", s)
		}
	}
	im, err := Process(bytes.NewReader(src), testMax)
	if err != nil {
		t.Fatal(err)
	}
	mustNotContain(t, im.Data, secretArtist, secretSerial, secretXMP, secretIPTC, secretCom,
		"Exif", "http://ns.adobe.com/xap/1.0/", "Photoshop 3.0", "8BIM", string(gpsLatitude), "MM\x00\x2a")
	if im.MediaType != "image/jpeg" || im.Width != 64 || im.Height != 48 {
		t.Fatalf("got %s %d×%d", im.MediaType, im.Width, im.Height)
	}
	decodeBack(t, im)
	// Only the segments an encoder writes for pixels remain.
	for i := 2; i+4 <= len(im.Data); {
		marker := im.Data[i+1]
		if marker == 0xDA {
			break
		}
		if marker >= 0xE1 && marker <= 0xEF || marker == 0xFE {
			t.Errorf("marker %#x left in the output", marker)
		}
		i += 2 + int(binary.BigEndian.Uint16(im.Data[i+2:]))
	}
}

func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { return int(a>>8)-int(w) < 60 && int(w)-int(a>>8) < 60 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

func TestProcessAppliesOrientation(t *testing.T) {
	red, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	// The stored picture is 80×40 with its top-left quadrant red; where
	// that quadrant must be once the picture is upright (0 top-left,
	// 1 top-right, 2 bottom-right, 3 bottom-left).
	cases := []struct {
		o, corner int
		w, h      int
	}{
		{1, 0, 80, 40}, {2, 1, 80, 40}, {3, 2, 80, 40}, {4, 3, 80, 40},
		{5, 0, 40, 80}, {6, 1, 40, 80}, {7, 2, 40, 80}, {8, 3, 40, 80},
	}
	for _, c := range cases {
		t.Run(string(rune('0'+c.o)), func(t *testing.T) {
			for name, src := range map[string][]byte{
				"jpeg": photoJPEG(t, quadrants(80, 40), c.o),
				"png":  textPNG(t, quadrants(80, 40), c.o),
			} {
				im, err := Process(bytes.NewReader(src), testMax)
				if err != nil {
					t.Fatal(err)
				}
				if im.Width != c.w || im.Height != c.h {
					t.Fatalf("%s: orientation %d gave %d×%d, want %d×%d", name, c.o, im.Width, im.Height, c.w, c.h)
				}
				m := decodeBack(t, im)
				centres := [4]image.Point{{c.w / 4, c.h / 4}, {3 * c.w / 4, c.h / 4}, {3 * c.w / 4, 3 * c.h / 4}, {c.w / 4, 3 * c.h / 4}}
				for k, p := range centres {
					want := blue
					if k == c.corner {
						want = red
					}
					if got := m.At(p.X, p.Y); !near(got, want) {
						t.Errorf("%s: orientation %d: pixel %v is %v, want %v", name, c.o, p, got, want)
					}
				}
			}
		})
	}
}

// pngHeader is a PNG signature and IHDR claiming w×h in 8-bit RGBA,
// without pixels.
func pngHeader(w, h uint32) []byte { return pngHeaderDepth(w, h, 8) }

func pngHeaderDepth(w, h uint32, depth byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, 6, 0, 0, 0)
	c := binary.BigEndian.AppendUint32(nil, 13)
	c = append(c, "IHDR"...)
	c = append(c, ihdr...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	return append([]byte("\x89PNG\r\n\x1a\n"), c...)
}

func TestProcessRefusesHugeDimensionsWithoutAllocating(t *testing.T) {
	sof := []byte{8, 0xFF, 0xFF, 0xFF, 0xFF, 1, 1, 0x11, 0}
	cases := map[string][]byte{
		"png 100000×100000":    pngHeader(100000, 100000),
		"png 8000×6251":        pngHeader(8000, 6251), // just over 50 megapixels
		"jpeg 65535×65535":     append(append([]byte{0xFF, 0xD8}, segment(0xC0, sof)...), segment(0xDA, []byte{1, 1, 0, 0, 63, 0})...),
		"gif 65535×65535":      []byte("GIF89a\xFF\xFF\xFF\xFF\x00\x00\x00"),
		"webp 16384×16384":     riff(riffChunk("VP8X", []byte{0, 0, 0, 0, 0xFF, 0x3F, 0, 0xFF, 0x3F, 0})...),
		"webp 16777216²":       riff(riffChunk("VP8X", []byte{0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})...),
		"png 100000×1 strip":   pngHeader(100000, 1000),
		"png 16-bit 7000×6000": pngHeaderDepth(7000, 6000, 16), // 42 megapixels, 336 MB decoded
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Process(bytes.NewReader(src), testMax)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) && !(strings.HasPrefix(name, "webp 1677") && errors.Is(err, ErrFormat)) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("refusing it allocated %d bytes", alloc)
			}
			if took > time.Second {
				t.Errorf("refusing it took %v", took)
			}
		})
	}
}

// gradient is a w×h opaque picture with some detail.
func gradient(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := m.PixOffset(x, y)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = uint8(x*255/w), uint8(y*255/h), uint8((x^y)&0xFF), 255
		}
	}
	return m
}

func TestProcessScalesDown(t *testing.T) {
	cases := []struct{ w, h, ww, wh int }{
		{4000, 3000, 2560, 1920},
		{3000, 4000, 1920, 2560},
		{2560, 100, 2560, 100},
		{6000, 10, 2560, 4},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, gradient(c.w, c.h), nil); err != nil {
			t.Fatal(err)
		}
		im, err := Process(&buf, testMax)
		if err != nil {
			t.Fatal(err)
		}
		if im.Width != c.ww || im.Height != c.wh {
			t.Errorf("%d×%d became %d×%d, want %d×%d", c.w, c.h, im.Width, im.Height, c.ww, c.wh)
		}
		decodeBack(t, im)
	}
}

func TestProcessStripsPNGChunks(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 30, 20))
	for i := range m.Pix {
		m.Pix[i] = uint8(i)
	}
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 128 // half transparent
	}
	src := textPNG(t, m, 1)
	im, err := Process(bytes.NewReader(src), testMax)
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != "image/png" {
		t.Fatalf("a transparent PNG became %s", im.MediaType)
	}
	mustNotContain(t, im.Data, "tEXt", "zTXt", "iTXt", "eXIf", secretTEXt, secretITXt, secretZKey, secretArtist, secretSerial)
	back := decodeBack(t, im)
	if _, _, _, a := back.At(5, 5).RGBA(); a>>8 < 120 || a>>8 > 136 {
		t.Errorf("transparency lost: alpha %d", a>>8)
	}
}

func TestProcessWebP(t *testing.T) {
	src := metaWebP(30, 20, 6)
	im, err := Process(bytes.NewReader(src), testMax)
	if err != nil {
		t.Fatal(err)
	}
	mustNotContain(t, im.Data, "EXIF", "Exif", "XMP", secretXMP, secretArtist, secretSerial, string(gpsLatitude), "RIFF")
	if im.MediaType != "image/jpeg" || im.Width != 20 || im.Height != 30 {
		t.Fatalf("got %s %d×%d, want image/jpeg 20×30 (turned by its EXIF orientation)", im.MediaType, im.Width, im.Height)
	}
	if m := decodeBack(t, im); !near(m.At(10, 10), color.RGBA{20, 160, 60, 255}) {
		t.Errorf("colour %v", m.At(10, 10))
	}
}

func TestProcessRefusesBadInput(t *testing.T) {
	garbage := append([]byte("RIFF\x40\x00\x00\x00WEBPVP8 \x30\x00\x00\x00"), bytes.Repeat([]byte{0x5A, 0xA5, 0x13}, 16)...)
	var truncated bytes.Buffer
	png.Encode(&truncated, gradient(50, 50))
	cases := []struct {
		name string
		data []byte
		max  int64
		want error
	}{
		{"webp signature on garbage", garbage, testMax, ErrFormat},
		{"webp signature alone", []byte("RIFF\x04\x00\x00\x00WEBP"), testMax, ErrFormat},
		{"text", []byte("not an image at all"), testMax, ErrFormat},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), testMax, ErrFormat},
		{"truncated png", truncated.Bytes()[:truncated.Len()/2], testMax, ErrFormat},
		{"empty", nil, testMax, ErrFormat},
		{"over the byte limit", photoJPEG(t, gradient(64, 64), 1), 100, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im, err := Process(bytes.NewReader(c.data), c.max)
			if !errors.Is(err, c.want) || im != nil {
				t.Fatalf("Process = %v, %v; want %v", im, err, c.want)
			}
		})
	}
}

func TestProcessGIFFirstFrame(t *testing.T) {
	var buf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 16, 8), []color.Color{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}})
	gifEncode(t, &buf, pal)
	im, err := Process(&buf, testMax)
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != "image/png" || im.Width != 16 || im.Height != 8 {
		t.Fatalf("got %s %d×%d", im.MediaType, im.Width, im.Height)
	}
}

func BenchmarkProcess4000x3000JPEG(b *testing.B) {
	src := photoJPEG(b, gradient(4000, 3000), 6)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Process(bytes.NewReader(src), 50<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func TestClean(t *testing.T) {
	for name, src := range map[string][]byte{
		"jpeg": photoJPEG(t, quadrants(40, 20), 6),
		"png":  textPNG(t, quadrants(40, 20), 1),
		"webp": metaWebP(8, 8, 1),
	} {
		if Clean(src) {
			t.Errorf("%s with metadata counted as clean", name)
		}
		im, err := Process(bytes.NewReader(src), testMax)
		if err != nil {
			t.Fatal(err)
		}
		if !Clean(im.Data) {
			t.Errorf("%s: Process's own output is not clean", name)
		}
	}
	var big bytes.Buffer
	jpeg.Encode(&big, gradient(3000, 10), nil)
	if Clean(big.Bytes()) {
		t.Error("a JPEG wider than MaxSide counted as clean")
	}
}
