package imaging

import (
	"bytes"
	"encoding/binary"
)

// The EXIF orientation tag (0x0112) says how the camera was held: the
// sensor's rows are stored as they were read, and viewers are expected to
// turn the picture. Once the metadata is stripped nothing would tell them
// to, so Process applies it to the pixels itself. Only the orientation is
// read; the rest of the EXIF block is thrown away unread.

const tagOrientation = 0x0112

// exifMagic starts the payload of a JPEG APP1 segment that holds EXIF.
var exifMagic = []byte("Exif\x00\x00")

// jpegOrientation returns the EXIF orientation (1 to 8) of a JPEG file, or 1
// when it has none or it cannot be read. It walks the marker segments up to
// the start of the scan, each bounded by its declared length.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte before a marker
			i++
			continue
		case marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01:
			i += 2 // markers without a length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, exifMagic) {
			return tiffOrientation(seg[len(exifMagic):])
		}
		i += 2 + n
	}
	return 1
}

// pngOrientation reads the orientation from a PNG eXIf chunk (PNG 1.5),
// which must come before the image data.
func pngOrientation(b []byte) int {
	const sig = 8
	for i := sig; i+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || n > len(b)-i-12 {
			return 1
		}
		switch typ {
		case "eXIf":
			return tiffOrientation(b[i+8 : i+8+n])
		case "IDAT", "IEND":
			return 1
		}
		i += 12 + n
	}
	return 1
}

// webpOrientation reads the orientation from a WebP EXIF chunk. Some
// writers start the chunk with JPEG's "Exif\0\0", most with the TIFF header
// directly; both are accepted.
func webpOrientation(b []byte) int {
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			return 1
		}
		if string(b[i:i+4]) == "EXIF" {
			return tiffOrientation(bytes.TrimPrefix(b[i+8:i+8+n], exifMagic))
		}
		i += 8 + n + n&1 // chunks are padded to an even size
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from the first IFD of a TIFF structure
// (the form EXIF takes). Every offset is checked against the buffer, and
// only IFD0 is read, so no offset can send it round in a loop.
func tiffOrientation(b []byte) int {
	if len(b) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(b[2:]) != 42 {
		return 1
	}
	ifd := bo.Uint32(b[4:])
	if ifd > uint32(len(b)-2) {
		return 1
	}
	count := int(bo.Uint16(b[ifd:]))
	for k := 0; k < count; k++ {
		e := int(ifd) + 2 + 12*k
		if e+12 > len(b) {
			return 1
		}
		if bo.Uint16(b[e:]) != tagOrientation {
			continue
		}
		// The value is a SHORT (type 3), count 1, held in the entry itself.
		if bo.Uint16(b[e+2:]) != 3 || bo.Uint32(b[e+4:]) != 1 {
			return 1
		}
		if v := int(bo.Uint16(b[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

// jpegPixelsOnly reports whether a JPEG has, before its scan, only the
// segments that describe pixels (tables, frame, restart interval, JFIF):
// no EXIF, XMP, IPTC, ICC or comment.
func jpegPixelsOnly(b []byte) bool {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return false
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return false
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF:
			i++
			continue
		case marker == 0xDA:
			return true
		case marker >= 0xE1 && marker <= 0xEF, marker == 0xFE:
			return false
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 {
			return false
		}
		i += 2 + n
	}
	return false
}

// pngPixelsOnly reports whether a PNG has only the chunks Go's encoder
// writes: IHDR, PLTE, tRNS, IDAT, IEND.
func pngPixelsOnly(b []byte) bool {
	for i := 8; i+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		switch string(b[i+4 : i+8]) {
		case "IHDR", "PLTE", "tRNS", "IDAT":
		case "IEND":
			return true
		default:
			return false
		}
		if n > len(b)-i-12 {
			return false
		}
		i += 12 + n
	}
	return false
}
