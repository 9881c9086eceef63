package imaging

import (
	"image"
	"math"
	"strings"
)

// BlurHash (https://blurha.sh) describes a picture in some twenty
// characters: the average colour and a few cosine components. Mastodon and
// its peers paint it while the real image loads, and in place of an image
// hidden behind a content warning. This is an encoder written from the
// algorithm's description.

// base83 is BlurHash's alphabet.
const base83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"

// blurSide is the long side of the copy the hash is computed on: the hash
// keeps only the lowest frequencies, which a small copy has just as well.
const blurSide = 64

// blurhash computes the BlurHash of m with 4 components along its long
// side and 3 along its short side.
func blurhash(m image.Image) string {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return ""
	}
	sw, sh := fit(w, h, blurSide)
	small := shrink(m, sw, sh)
	cx, cy := 4, 3
	if h > w {
		cx, cy = 3, 4
	}
	return blurhashOf(small, cx, cy)
}

// blurhashOf encodes an image with cx×cy components (1 to 9 each).
// Transparent parts count as the premultiplied colour, that is darkened.
func blurhashOf(m *image.RGBA, cx, cy int) string {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	// Linear light of each pixel, once.
	lin := make([][3]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := m.Pix[y*m.Stride+4*x:]
			lin[y*w+x] = [3]float64{srgbToLinear(p[0]), srgbToLinear(p[1]), srgbToLinear(p[2])}
		}
	}
	factors := make([][3]float64, 0, cx*cy)
	for j := 0; j < cy; j++ {
		for i := 0; i < cx; i++ {
			norm := 2.0
			if i == 0 && j == 0 {
				norm = 1
			}
			var f [3]float64
			for y := 0; y < h; y++ {
				by := math.Cos(math.Pi * float64(j) * float64(y) / float64(h))
				for x := 0; x < w; x++ {
					basis := by * math.Cos(math.Pi*float64(i)*float64(x)/float64(w))
					c := lin[y*w+x]
					f[0] += basis * c[0]
					f[1] += basis * c[1]
					f[2] += basis * c[2]
				}
			}
			scale := norm / float64(w*h)
			factors = append(factors, [3]float64{f[0] * scale, f[1] * scale, f[2] * scale})
		}
	}

	var sb strings.Builder
	put := func(v, digits int) {
		for d := digits - 1; d >= 0; d-- {
			div := 1
			for k := 0; k < d; k++ {
				div *= 83
			}
			sb.WriteByte(base83[(v/div)%83])
		}
	}
	put((cx-1)+(cy-1)*9, 1)
	ac := factors[1:]
	maxValue := 1.0
	if len(ac) > 0 {
		actual := 0.0
		for _, f := range ac {
			actual = math.Max(actual, math.Max(math.Abs(f[0]), math.Max(math.Abs(f[1]), math.Abs(f[2]))))
		}
		q := clampInt(int(math.Floor(actual*166-0.5)), 0, 82)
		maxValue = float64(q+1) / 166
		put(q, 1)
	} else {
		put(0, 1)
	}
	dc := factors[0]
	put(linearToSRGB(dc[0])<<16|linearToSRGB(dc[1])<<8|linearToSRGB(dc[2]), 4)
	for _, f := range ac {
		q := func(v float64) int {
			return clampInt(int(math.Floor(signPow(v/maxValue, 0.5)*9+9.5)), 0, 18)
		}
		put(q(f[0])*19*19+q(f[1])*19+q(f[2]), 2)
	}
	return sb.String()
}

func srgbToLinear(v uint8) float64 {
	c := float64(v) / 255
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

func linearToSRGB(v float64) int {
	v = math.Max(0, math.Min(1, v))
	if v <= 0.0031308 {
		return int(v*12.92*255 + 0.5)
	}
	return int((1.055*math.Pow(v, 1/2.4)-0.055)*255 + 0.5)
}

func signPow(v, exp float64) float64 {
	return math.Copysign(math.Pow(math.Abs(v), exp), v)
}

func clampInt(v, lo, hi int) int {
	return max(lo, min(hi, v))
}
