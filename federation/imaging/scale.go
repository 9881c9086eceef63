package imaging

import (
	"image"
	"image/draw"
)

// shrink returns src scaled down to w×h (each at most src's size) as
// premultiplied RGBA, by area averaging: every output pixel is the mean of
// the source area it covers, weighted by how much of each source pixel
// falls inside it. That is the right filter for reducing a photograph
// (no aliasing, no ringing), and it streams: the source is converted one
// row at a time and only two rows of sums are kept, so scaling a
// 50-megapixel picture needs memory for the output and little more. (A
// kernel scaler such as golang.org/x/image/draw's Catmull-Rom keeps an
// intermediate of output width × source height in float64s: 245 MB to
// reduce a 4000×3000 photograph.)
func shrink(src image.Image, w, h int) *image.RGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xs := spans(sw, w)
	ys := spans(sh, h)

	// row holds one source row as premultiplied RGBA; hrow the same row
	// reduced to the output width.
	rowImg := image.NewRGBA(image.Rect(0, 0, sw, 1))
	hrow := make([]float32, 4*w)
	acc := make([]float32, 4*w) // sums for the output row being built
	area := float32(sw) * float32(sh) / (float32(w) * float32(h))
	dy := 0
	for sy := 0; sy < sh; sy++ {
		draw.Draw(rowImg, rowImg.Rect, src, image.Pt(b.Min.X, b.Min.Y+sy), draw.Src)
		clear(hrow)
		for dx, sp := range xs {
			var r, g, bl, a float32
			for k, wt := range sp.weights {
				p := rowImg.Pix[4*(sp.first+k):]
				r += wt * float32(p[0])
				g += wt * float32(p[1])
				bl += wt * float32(p[2])
				a += wt * float32(p[3])
			}
			hrow[4*dx], hrow[4*dx+1], hrow[4*dx+2], hrow[4*dx+3] = r, g, bl, a
		}
		// This source row feeds the output rows whose spans include it:
		// at most two, since the output is smaller.
		for dy < h {
			sp := ys[dy]
			k := sy - sp.first
			if k < 0 || k >= len(sp.weights) {
				break
			}
			wt := sp.weights[k]
			for i, v := range hrow {
				acc[i] += wt * v
			}
			if k < len(sp.weights)-1 {
				break // the output row needs more source rows
			}
			out := dst.Pix[dy*dst.Stride : dy*dst.Stride+4*w]
			for i, v := range acc {
				out[i] = uint8(min(255, v/area+0.5))
			}
			clear(acc)
			dy++
			// The same source row may also start the next output row.
		}
	}
	return dst
}

// span is the source pixels one output pixel covers, with the share of
// each inside it (1 for pixels wholly inside, less at the edges).
type span struct {
	first   int
	weights []float32
}

// spans divides n source pixels among m ≤ n output pixels.
func spans(n, m int) []span {
	out := make([]span, m)
	for i := range out {
		// Output pixel i covers source [i·n/m, (i+1)·n/m); in units of
		// 1/m of a source pixel the ends are integers: i·n and (i+1)·n.
		lo, hi := i*n, (i+1)*n
		first, last := lo/m, (hi-1)/m
		ws := make([]float32, last-first+1)
		for k := range ws {
			pLo, pHi := (first+k)*m, (first+k+1)*m
			ws[k] = float32(min(hi, pHi)-max(lo, pLo)) / float32(m)
		}
		out[i] = span{first: first, weights: ws}
	}
	return out
}
