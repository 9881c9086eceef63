package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// Builders of test files carrying the metadata a phone or a photo editor
// writes. Each secret is a string that must not appear in what Process
// returns.

const (
	secretArtist = "Amal Haddad, photographer"
	secretSerial = "CAM-SERIAL-0047731"
	secretXMP    = "xmp-secret-Tahrir-Square"
	secretIPTC   = "iptc-secret-byline"
	secretCom    = "jpeg-comment-secret"
)

// gpsLatitude is 33° 18' 45.12" as three RATIONALs, as a GPS IFD holds it.
var gpsLatitude = func() []byte {
	var b []byte
	for _, r := range [][2]uint32{{33, 1}, {18, 1}, {451234, 10000}} {
		b = binary.BigEndian.AppendUint32(b, r[0])
		b = binary.BigEndian.AppendUint32(b, r[1])
	}
	return b
}()

type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

// addIFD appends a big-endian IFD with its out-of-line values to b and
// returns its offset.
func addIFD(b *[]byte, es []tiffEntry) int {
	off := len(*b)
	next := off + 2 + 12*len(es) + 4
	var extra []byte
	*b = binary.BigEndian.AppendUint16(*b, uint16(len(es)))
	for _, e := range es {
		*b = binary.BigEndian.AppendUint16(*b, e.tag)
		*b = binary.BigEndian.AppendUint16(*b, e.typ)
		*b = binary.BigEndian.AppendUint32(*b, e.count)
		if len(e.data) <= 4 {
			v := make([]byte, 4)
			copy(v, e.data)
			*b = append(*b, v...)
			continue
		}
		*b = binary.BigEndian.AppendUint32(*b, uint32(next+len(extra)))
		extra = append(extra, e.data...)
		if len(extra)%2 == 1 {
			extra = append(extra, 0)
		}
	}
	*b = binary.BigEndian.AppendUint32(*b, 0)
	*b = append(*b, extra...)
	return off
}

func ascii(s string) tiffEntry {
	return tiffEntry{typ: 2, count: uint32(len(s) + 1), data: append([]byte(s), 0)}
}

// exifTIFF is an EXIF block: orientation and artist in IFD0, the body
// serial number in the Exif IFD, a latitude in the GPS IFD.
func exifTIFF(orientation int) []byte {
	b := []byte("MM\x00\x2a\x00\x00\x00\x08")
	artist := ascii(secretArtist)
	artist.tag = 0x013B
	ifd0 := addIFD(&b, []tiffEntry{
		{tag: 0x0112, typ: 3, count: 1, data: binary.BigEndian.AppendUint16(nil, uint16(orientation))},
		artist,
		{tag: 0x8769, typ: 4, count: 1, data: make([]byte, 4)},
		{tag: 0x8825, typ: 4, count: 1, data: make([]byte, 4)},
	})
	serial := ascii(secretSerial)
	serial.tag = 0xA431
	exifIFD := addIFD(&b, []tiffEntry{serial})
	gpsIFD := addIFD(&b, []tiffEntry{
		{tag: 0x0001, typ: 2, count: 2, data: []byte("N\x00")},
		{tag: 0x0002, typ: 5, count: 3, data: gpsLatitude},
	})
	binary.BigEndian.PutUint32(b[ifd0+2+12*2+8:], uint32(exifIFD))
	binary.BigEndian.PutUint32(b[ifd0+2+12*3+8:], uint32(gpsIFD))
	return b
}

func segment(marker byte, payload []byte) []byte {
	s := []byte{0xFF, marker}
	s = binary.BigEndian.AppendUint16(s, uint16(len(payload)+2))
	return append(s, payload...)
}

// quadrants is a w×h picture whose top-left quadrant is red and the rest blue.
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{0, 0, 255, 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{255, 0, 0, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

// photoJPEG encodes m as a JPEG carrying EXIF (orientation, artist, serial
// number, GPS), XMP, IPTC and a comment, as a phone or editor writes them.
func photoJPEG(t testing.TB, m image.Image, orientation int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	out := append([]byte{}, plain[:2]...)
	out = append(out, segment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(orientation)...))...)
	out = append(out, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:Description>"+secretXMP+"</rdf:Description></x:xmpmeta>"))...)
	// IPTC travels in a Photoshop APP13 segment: an 8BIM resource 0x0404
	// holding IPTC records; 2:80 is the by-line.
	iptc := append([]byte{0x1C, 2, 80}, binary.BigEndian.AppendUint16(nil, uint16(len(secretIPTC)))...)
	iptc = append(iptc, secretIPTC...)
	res := append([]byte("8BIM\x04\x04\x00\x00"), binary.BigEndian.AppendUint32(nil, uint32(len(iptc)))...)
	res = append(res, iptc...)
	out = append(out, segment(0xED, append([]byte("Photoshop 3.0\x00"), res...))...)
	out = append(out, segment(0xFE, []byte(secretCom))...)
	return append(out, plain[2:]...)
}

func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

const (
	secretTEXt = "png-tEXt-secret-author"
	secretITXt = "png-iTXt-secret-location"
	secretZKey = "GPSSecretKeyword"
)

// textPNG encodes m as a PNG with tEXt, zTXt, iTXt and eXIf chunks after IHDR.
func textPNG(t testing.TB, m image.Image, orientation int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	const ihdrEnd = 8 + 4 + 4 + 13 + 4
	out := append([]byte{}, plain[:ihdrEnd]...)
	out = append(out, pngChunk("tEXt", []byte("Author\x00"+secretTEXt))...)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("compressed comment"))
	zw.Close()
	out = append(out, pngChunk("zTXt", append([]byte(secretZKey+"\x00\x00"), z.Bytes()...))...)
	out = append(out, pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta>"+secretITXt+"</x:xmpmeta>"))...)
	out = append(out, pngChunk("eXIf", exifTIFF(orientation))...)
	return append(out, plain[ihdrEnd:]...)
}

// bitWriter packs bits least significant first, as VP8L reads them.
type bitWriter struct {
	b    []byte
	nbit uint
}

func (w *bitWriter) put(v uint32, n uint) {
	for i := uint(0); i < n; i++ {
		if w.nbit%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte((v>>i)&1) << (w.nbit % 8)
		w.nbit++
	}
}

// solidVP8L is a lossless WebP bitstream of a w×h picture of one opaque
// colour: five "simple" prefix codes of one symbol each, so that every
// pixel takes no bits at all.
func solidVP8L(w, h int, c color.RGBA) []byte {
	bw := &bitWriter{b: []byte{0x2f}}
	bw.nbit = 8
	bw.put(uint32(w-1), 14)
	bw.put(uint32(h-1), 14)
	bw.put(0, 1)                                         // alpha is not used
	bw.put(0, 3)                                         // version 0
	bw.put(0, 1)                                         // no transform
	bw.put(0, 1)                                         // no colour cache
	bw.put(0, 1)                                         // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} { // green, red, blue, alpha, distance
		bw.put(1, 1) // simple code
		bw.put(0, 1) // one symbol
		bw.put(1, 1) // of 8 bits
		bw.put(uint32(sym), 8)
	}
	return bw.b
}

func riffChunk(fourcc string, data []byte) []byte {
	c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// metaWebP is an extended WebP (VP8X) with a lossless picture, an EXIF
// chunk (orientation, GPS, serial...) and an XMP chunk.
func metaWebP(w, h, orientation int) []byte {
	vp8x := []byte{0x08 | 0x04, 0, 0, 0} // EXIF and XMP present
	vp8x = append(vp8x, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	body := []byte("WEBP")
	body = append(body, riffChunk("VP8X", vp8x)...)
	body = append(body, riffChunk("VP8L", solidVP8L(w, h, color.RGBA{20, 160, 60, 255}))...)
	body = append(body, riffChunk("EXIF", exifTIFF(orientation))...)
	body = append(body, riffChunk("XMP ", []byte("<x:xmpmeta>"+secretXMP+"</x:xmpmeta>"))...)
	return riff(body[4:]...)
}

// riff wraps chunks in a RIFF WEBP header.
func riff(chunks ...byte) []byte {
	body := append([]byte("WEBP"), chunks...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

func gifEncode(t testing.TB, w *bytes.Buffer, m *image.Paletted) {
	t.Helper()
	if err := gif.Encode(w, m, nil); err != nil {
		t.Fatal(err)
	}
}
