package plot

import (
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"math"
	"slices"
)

// ImageGrid lays out small images (e.g. generated samples) in a grid, each upscaled by an
// integer factor with nearest-neighbour pixels, under optional row and column labels.
//
// Convention: each image is channel-first, [C, H, W] flattened row-major with C = 3 (RGB) or
// C = 1 (grey), values in [−1, 1] (−1 black, 1 full intensity) — the range a diffusion model
// works in. Set ZeroOne for values in [0, 1]. Values outside the range are clamped.
type ImageGrid struct {
	Title                string
	Images               [][]float32 // each of length 3·H·W or H·W
	H, W                 int
	Cols                 int  // images per row; default ⌈√n⌉
	Upscale              int  // integer magnification; default 4
	ZeroOne              bool // values are in [0, 1] instead of [−1, 1]
	RowLabels, ColLabels []string
	Gap                  int // pixels between images; default 2
	TextScale            int // 1 (default) or 2
}

// Add appends one [C, H, W] image and returns g for chaining.
func (g *ImageGrid) Add(chw []float32) *ImageGrid {
	g.Images = append(g.Images, chw)
	return g
}

// ToRGBA converts one [C, H, W] image (C = 3 or 1) with values in [−1, 1] (or [0, 1] when
// zeroOne) to an RGBA image: byte = round(255·clamp(v′, 0, 1)) with v′ = (v+1)/2 (or v).
// It panics when len(chw) is neither 3·h·w nor h·w.
func ToRGBA(chw []float32, h, w int, zeroOne bool) *image.RGBA {
	n := h * w
	if h <= 0 || w <= 0 || (len(chw) != 3*n && len(chw) != n) {
		panic(fmt.Sprintf("plot.ToRGBA: len(data)=%d does not match shape [3 %d %d] or [1 %d %d]", len(chw), h, w, h, w))
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	gray := len(chw) == n
	for i := 0; i < n; i++ {
		var r, gg, b uint8
		if gray {
			r = toByte(chw[i], zeroOne)
			gg, b = r, r
		} else {
			r, gg, b = toByte(chw[i], zeroOne), toByte(chw[n+i], zeroOne), toByte(chw[2*n+i], zeroOne)
		}
		o := 4 * i
		img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = r, gg, b, 255
	}
	return img
}

func toByte(v float32, zeroOne bool) uint8 {
	f := float64(v)
	if !zeroOne {
		f = (f + 1) / 2
	}
	if math.IsNaN(f) {
		return 0
	}
	return uint8(math.Round(255 * math.Max(0, math.Min(1, f))))
}

// Image renders the grid.
func (g *ImageGrid) Image() *image.RGBA {
	n := len(g.Images)
	cols, up, gap, s := g.Cols, g.Upscale, g.Gap, g.TextScale
	if cols <= 0 {
		cols = max(1, int(math.Ceil(math.Sqrt(float64(n)))))
	}
	if up <= 0 {
		up = 4
	}
	if gap <= 0 {
		gap = 2
	}
	if s <= 0 {
		s = 1
	}
	rows := (n + cols - 1) / cols
	th := TextHeight(s)
	cw, ch := g.W*up, g.H*up
	const margin = 8
	top := margin
	if g.Title != "" {
		top += TextHeight(2*s) + 2*s + 8
	}
	if len(g.ColLabels) > 0 {
		top += th + 2*s + 4
	}
	left := margin
	rw := 0
	for _, t := range g.RowLabels {
		rw = max(rw, TextWidth(t, s))
	}
	if rw > 0 {
		left += rw + 6
	}
	ncols := min(cols, max(n, 1))
	w := max(left+ncols*cw+(ncols-1)*gap+margin, TextWidth(g.Title, 2*s)+2*margin)
	h := top + rows*ch + max(rows-1, 0)*gap + margin
	cv := newCanvas(w, h, white)
	if g.Title != "" {
		cv.textCentered(w/2, margin, g.Title, 2*s, black)
	}
	for c, t := range g.ColLabels {
		if c < ncols {
			cv.textCentered(left+c*(cw+gap)+cw/2, top-th-2*s-4, t, s, black)
		}
	}
	for r, t := range g.RowLabels {
		if r < rows {
			cv.textRight(left-6, top+r*(ch+gap)+(ch-th)/2, t, s, black)
		}
	}
	for i, data := range g.Images {
		src := ToRGBA(data, g.H, g.W, g.ZeroOne)
		x0, y0 := left+(i%cols)*(cw+gap), top+(i/cols)*(ch+gap)
		for y := 0; y < ch; y++ {
			for x := 0; x < cw; x++ {
				cv.img.SetRGBA(x0+x, y0+y, src.RGBAAt(x/up, y/up))
			}
		}
	}
	return cv.img
}

// Encode writes the grid as PNG to w.
func (g *ImageGrid) Encode(w io.Writer) error { return encodePNG(w, g.Image()) }

// WritePNG writes the grid as PNG to path atomically, creating the parent directory if needed.
func (g *ImageGrid) WritePNG(path string) error { return WritePNG(path, g) }

// WriteGIF writes frames as a looping animated GIF to path atomically (creating the parent
// directory if needed), showing each frame for delay hundredths of a second. See EncodeGIF.
func WriteGIF(path string, frames []image.Image, delay int) error {
	return writeAtomic(path, func(w io.Writer) error { return EncodeGIF(w, frames, delay) })
}

// EncodeGIF writes frames as a looping animated GIF. All frames must have the same size. The
// 256-colour palette is shared by all frames and chosen by median cut over the frames' colours
// (quantised to 5 bits per channel); pixels map to their nearest palette colour without dithering,
// so the output is a deterministic function of the input.
func EncodeGIF(w io.Writer, frames []image.Image, delay int) error {
	if len(frames) == 0 {
		return fmt.Errorf("plot: EncodeGIF: no frames")
	}
	b0 := frames[0].Bounds()
	if b0.Empty() {
		return fmt.Errorf("plot: EncodeGIF: frame 0 is empty")
	}
	for i, f := range frames {
		if f.Bounds().Size() != b0.Size() {
			return fmt.Errorf("plot: EncodeGIF: frame %d is %v, frame 0 is %v", i, f.Bounds().Size(), b0.Size())
		}
	}
	hist := make([]int, 1<<15)
	for _, f := range frames {
		b := f.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				hist[bin(f.At(x, y))]++
			}
		}
	}
	pal := medianCut(hist, 256)
	lut := make([]uint8, 1<<15)
	for k, c := range hist {
		if c > 0 {
			lut[k] = nearest(pal, binColor(k))
		}
	}
	out := &gif.GIF{LoopCount: 0}
	for _, f := range frames {
		b := f.Bounds()
		p := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), pal)
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				p.Pix[y*p.Stride+x] = lut[bin(f.At(b.Min.X+x, b.Min.Y+y))]
			}
		}
		out.Image = append(out.Image, p)
		out.Delay = append(out.Delay, delay)
	}
	return gif.EncodeAll(w, out)
}

// bin is the 15-bit index of c's colour with 5 bits per channel.
func bin(c color.Color) int {
	r, g, b, _ := c.RGBA()
	return int(r>>11)<<10 | int(g>>11)<<5 | int(b>>11)
}

// binColor is the 8-bit colour at the centre of bin k (0 and 255 map to themselves).
func binColor(k int) [3]float64 {
	ch := func(v int) float64 { return float64(v) * 255 / 31 }
	return [3]float64{ch(k >> 10), ch(k >> 5 & 31), ch(k & 31)}
}

// medianCut splits the occupied colour bins into at most n boxes: it repeatedly halves (by pixel
// count, along the box's widest channel) the box with the widest channel range, and returns the
// count-weighted mean colour of each box. Ties break by box order, so the result is deterministic.
func medianCut(hist []int, n int) color.Palette {
	var all []int
	for k, c := range hist {
		if c > 0 {
			all = append(all, k)
		}
	}
	boxes := [][]int{all}
	chOf := func(k, a int) int { return k >> (10 - 5*a) & 31 }
	widest := func(bx []int) (axis, span int) {
		for a := 0; a < 3; a++ {
			lo, hi := 31, 0
			for _, k := range bx {
				lo, hi = min(lo, chOf(k, a)), max(hi, chOf(k, a))
			}
			if hi-lo > span {
				axis, span = a, hi-lo
			}
		}
		return
	}
	for len(boxes) < n {
		best, bestSpan, bestAxis := -1, 0, 0
		for i, bx := range boxes {
			if len(bx) < 2 {
				continue
			}
			if a, s := widest(bx); s > bestSpan {
				best, bestSpan, bestAxis = i, s, a
			}
		}
		if best < 0 {
			break
		}
		bx := boxes[best]
		slices.SortFunc(bx, func(p, q int) int {
			if d := chOf(p, bestAxis) - chOf(q, bestAxis); d != 0 {
				return d
			}
			return p - q
		})
		total := 0
		for _, k := range bx {
			total += hist[k]
		}
		acc, cut := 0, 1
		for i, k := range bx {
			acc += hist[k]
			if 2*acc >= total {
				cut = min(max(i+1, 1), len(bx)-1)
				break
			}
		}
		boxes[best] = bx[:cut:cut]
		boxes = append(boxes, bx[cut:])
	}
	pal := make(color.Palette, 0, len(boxes))
	for _, bx := range boxes {
		var sum [3]float64
		tot := 0.0
		for _, k := range bx {
			c := binColor(k)
			wgt := float64(hist[k])
			for a := range sum {
				sum[a] += wgt * c[a]
			}
			tot += wgt
		}
		if tot == 0 {
			pal = append(pal, color.RGBA{0, 0, 0, 255})
			continue
		}
		q := func(v float64) uint8 { return uint8(math.Round(v / tot)) }
		pal = append(pal, color.RGBA{q(sum[0]), q(sum[1]), q(sum[2]), 255})
	}
	return pal
}

// nearest is the index of the palette colour closest to c in squared RGB distance (first on ties).
func nearest(pal color.Palette, c [3]float64) uint8 {
	best, bd := 0, math.Inf(1)
	for i, p := range pal {
		r, g, b, _ := p.RGBA()
		d := sq(float64(r>>8)-c[0]) + sq(float64(g>>8)-c[1]) + sq(float64(b>>8)-c[2])
		if d < bd {
			best, bd = i, d
		}
	}
	return uint8(best)
}

func sq(x float64) float64 { return x * x }
