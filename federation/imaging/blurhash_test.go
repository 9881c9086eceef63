package imaging

import (
	"image"
	"image/color"
	"strings"
	"testing"
)

// decode83 reads a base-83 number, as a BlurHash decoder does.
func decode83(s string) int {
	v := 0
	for _, c := range s {
		v = v*83 + strings.IndexRune(base83, c)
	}
	return v
}

func solid(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

func TestBlurhash(t *testing.T) {
	// A flat colour: the average is the colour itself, and the other
	// components are nearly zero (the sampled cosines do not sum to exactly
	// zero, in this encoder as in the reference one), so their maximum
	// quantizes to a small value.
	h := blurhash(solid(100, 75, color.NRGBA{200, 30, 90, 255}))
	if len(h) != 1+1+4+11*2 {
		t.Fatalf("4×3 hash %q has %d characters", h, len(h))
	}
	if h[0] != base83[3+2*9] || decode83(h[1:2]) > 3 {
		t.Errorf("size or maximum wrong in %q", h)
	}
	if dc := decode83(h[2:6]); dc != 200<<16|30<<8|90 {
		t.Errorf("average colour %06x, want c81e5a", dc)
	}

	// Dark on the left, light on the right: the first horizontal
	// component is negative (the cosine is +1 on the left).
	m := solid(64, 48, color.NRGBA{255, 255, 255, 255})
	for y := 0; y < 48; y++ {
		for x := 0; x < 32; x++ {
			m.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 255})
		}
	}
	h = blurhash(m)
	if r := decode83(h[6:8]) / (19 * 19); r >= 9 {
		t.Errorf("left-to-right gradient gave red component %d in %q", r, h)
	}
	// A portrait picture gets 3×4 components.
	if h := blurhash(solid(30, 60, color.NRGBA{1, 2, 3, 255})); h[0] != base83[2+3*9] {
		t.Errorf("portrait size %c", h[0])
	}
}
