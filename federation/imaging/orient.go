package imaging

import "image"

// pixels is what *image.RGBA and *image.NRGBA share: four bytes a pixel,
// rows Stride apart. Turning a picture moves whole pixels, so one routine
// serves both.
type pixels struct {
	pix    []byte
	stride int
	w, h   int
}

func pixelsOf(m image.Image) (pixels, bool) {
	switch m := m.(type) {
	case *image.RGBA:
		return pixels{m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy()}, true
	case *image.NRGBA:
		return pixels{m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy()}, true
	}
	return pixels{}, false
}

// orient returns m turned upright as EXIF orientation o says (1: as is;
// 2: mirrored; 3: upside down; 4: mirrored upside down; 5: mirrored and
// turned; 6: to be turned 90° clockwise; 7: mirrored and turned; 8: to be
// turned 90° anticlockwise). m must be an *image.RGBA or *image.NRGBA
// whose bounds start at (0, 0); the result has the same type.
func orient(m image.Image, o int) image.Image {
	src, ok := pixelsOf(m)
	if !ok || o < 2 || o > 8 {
		return m
	}
	w, h := src.w, src.h
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	var dst image.Image
	if _, isN := m.(*image.NRGBA); isN {
		dst = image.NewNRGBA(image.Rect(0, 0, dw, dh))
	} else {
		dst = image.NewRGBA(image.Rect(0, 0, dw, dh))
	}
	d, _ := pixelsOf(dst)
	for y := 0; y < h; y++ {
		row := src.pix[y*src.stride : y*src.stride+4*w]
		for x := 0; x < w; x++ {
			// Where the source pixel (x, y) lands in the upright picture.
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			copy(d.pix[dy*d.stride+4*dx:dy*d.stride+4*dx+4], row[4*x:4*x+4])
		}
	}
	return dst
}
