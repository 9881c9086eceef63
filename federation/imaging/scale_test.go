package imaging

import (
	"image"
	"image/color"
	"testing"
)

func TestShrinkAveragesAreas(t *testing.T) {
	// A fine checkerboard of black and white averages to grey; a kernel
	// that samples instead of averaging would give stripes.
	board := image.NewGray(image.Rect(0, 0, 90, 60))
	for y := 0; y < 60; y++ {
		for x := 0; x < 90; x++ {
			if (x+y)%2 == 0 {
				board.SetGray(x, y, color.Gray{255})
			}
		}
	}
	m := shrink(board, 45, 30)
	for y := 0; y < 30; y++ {
		for x := 0; x < 45; x++ {
			if v := m.RGBAAt(x, y).R; v < 120 || v > 135 {
				t.Fatalf("pixel %d,%d = %d, want about 127", x, y, v)
			}
		}
	}
	// 3 pixels into 2: each output pixel is one source pixel and half of
	// the middle one.
	row := image.NewRGBA(image.Rect(0, 0, 3, 1))
	row.SetRGBA(0, 0, color.RGBA{0, 0, 0, 255})
	row.SetRGBA(1, 0, color.RGBA{90, 90, 90, 255})
	row.SetRGBA(2, 0, color.RGBA{210, 210, 210, 255})
	m = shrink(row, 2, 1)
	if a, b := m.RGBAAt(0, 0).R, m.RGBAAt(1, 0).R; a != 30 || b != 170 {
		t.Fatalf("3→2 gave %d, %d; want 30, 170", a, b)
	}
	// Transparency is averaged premultiplied: a transparent pixel does not
	// lend its hidden colour.
	pair := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	pair.SetNRGBA(0, 0, color.NRGBA{255, 255, 255, 0})
	pair.SetNRGBA(1, 0, color.NRGBA{0, 0, 200, 255})
	if c := shrink(pair, 1, 1).RGBAAt(0, 0); c.R != 0 || c.B != 100 || c.A != 128 {
		t.Fatalf("transparent average %v", c)
	}
}
