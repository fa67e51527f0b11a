package plot

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"
)

// ColorScale chooses how a Heatmap turns values into colours.
type ColorScale int

const (
	// AutoScale is DivergingScale when any value is negative, SequentialScale otherwise.
	AutoScale ColorScale = iota
	// SequentialScale maps [lo, hi] from pale to dark blue (for probabilities, magnitudes).
	SequentialScale
	// DivergingScale maps [−m, m] through blue, white at zero, to red, with m = max|v|
	// (for signed data such as logit differences).
	DivergingScale
)

// ramp interpolates linearly between equally spaced anchor colours at t ∈ [0, 1] (clamped).
func ramp(anchors []color.RGBA, t float64) color.RGBA {
	if math.IsNaN(t) {
		return midGray
	}
	t = math.Max(0, math.Min(1, t))
	f := t * float64(len(anchors)-1)
	i := int(f)
	if i >= len(anchors)-1 {
		return anchors[len(anchors)-1]
	}
	u := f - float64(i)
	a, b := anchors[i], anchors[i+1]
	mix := func(p, q uint8) uint8 { return uint8(math.Round(float64(p) + u*(float64(q)-float64(p)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}

var (
	sequentialAnchors = []color.RGBA{{247, 251, 255, 255}, {198, 219, 239, 255}, {107, 174, 214, 255}, {33, 113, 181, 255}, {8, 48, 107, 255}}
	divergingAnchors  = []color.RGBA{{33, 102, 172, 255}, {103, 169, 207, 255}, {247, 247, 247, 255}, {239, 138, 98, 255}, {178, 24, 43, 255}}
)

// Sequential is the sequential colour map at t ∈ [0, 1]: near-white at 0, dark blue at 1.
func Sequential(t float64) color.RGBA { return ramp(sequentialAnchors, t) }

// Diverging is the diverging colour map at t ∈ [0, 1]: blue at 0, near-white at ½, red at 1.
func Diverging(t float64) color.RGBA { return ramp(divergingAnchors, t) }

// Heatmap draws a matrix of values as coloured cells with row and column labels (e.g. the
// tokens of an attention map, or layers × tokens of a logit-lens table), a colour bar and a title.
type Heatmap struct {
	Title                string
	Values               [][]float64 // Values[row][col]; NaN cells are grey
	RowLabels, ColLabels []string    // optional; shorter lists label the first rows/columns
	CellSize             int         // cell side in pixels; default 16
	Scale                ColorScale
	// Min and Max fix the colour range when Min < Max (for a diverging scale, ±max(|Min|, |Max|));
	// otherwise it comes from the data.
	Min, Max   float64
	ShowValues bool // print each value in its cell when it fits
	Decimals   int  // decimals of printed values and colour bar labels; default 2
	NoColorBar bool
	TextScale  int // 1 (default) or 2
}

// NewHeatmap returns a heatmap of the row-major rows×cols matrix data (e.g. a tensor's Data).
// It panics when len(data) ≠ rows·cols.
func NewHeatmap(data []float32, rows, cols int) *Heatmap {
	if rows < 0 || cols < 0 || len(data) != rows*cols {
		panic(fmt.Sprintf("plot.NewHeatmap: len(data)=%d does not match shape [%d %d]", len(data), rows, cols))
	}
	v := make([][]float64, rows)
	for r := range v {
		v[r] = make([]float64, cols)
		for c := range v[r] {
			v[r][c] = float64(data[r*cols+c])
		}
	}
	return &Heatmap{Values: v}
}

func (h *Heatmap) shape() (rows, cols int) {
	rows = len(h.Values)
	for _, r := range h.Values {
		cols = max(cols, len(r))
	}
	return
}

// Range returns the colour scale in use and the values mapped to its two ends.
func (h *Heatmap) Range() (ColorScale, float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range h.Values {
		for _, v := range r {
			if finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if h.Min < h.Max {
		lo, hi = h.Min, h.Max
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	sc := h.Scale
	if sc == AutoScale {
		sc = SequentialScale
		if lo < 0 {
			sc = DivergingScale
		}
	}
	if sc == DivergingScale {
		m := math.Max(math.Abs(lo), math.Abs(hi))
		if m == 0 {
			m = 1
		}
		return sc, -m, m
	}
	if lo == hi {
		hi = lo + 1
	}
	return sc, lo, hi
}

// ColorOf returns the colour the heatmap gives to value v.
func (h *Heatmap) ColorOf(v float64) color.RGBA {
	sc, lo, hi := h.Range()
	return colorFor(sc, lo, hi, v)
}

func colorFor(sc ColorScale, lo, hi, v float64) color.RGBA {
	if !finite(v) {
		return midGray
	}
	t := (v - lo) / (hi - lo)
	if sc == DivergingScale {
		return Diverging(t)
	}
	return Sequential(t)
}

func (h *Heatmap) params() (cs, s, dec int) {
	cs, s, dec = h.CellSize, h.TextScale, h.Decimals
	if cs <= 0 {
		cs = 16
	}
	if s <= 0 {
		s = 1
	}
	if dec <= 0 {
		dec = 2
	}
	return
}

// CellOrigin returns the pixel position of the top-left corner of cell (row, col) in Image().
func (h *Heatmap) CellOrigin(row, col int) (x, y int) {
	l := h.layout()
	return l.gx + col*l.cs, l.gy + row*l.cs
}

type heatLayout struct {
	w, h, gx, gy, cs, s int
	verticalCols        bool
}

func (h *Heatmap) layout() heatLayout {
	cs, s, dec := h.params()
	rows, cols := h.shape()
	th := TextHeight(s)
	const pad = 8
	l := heatLayout{cs: cs, s: s}
	rowW, colW := 0, 0
	for _, t := range h.RowLabels {
		rowW = max(rowW, TextWidth(t, s))
	}
	for _, t := range h.ColLabels {
		colW = max(colW, TextWidth(t, s))
	}
	top := pad
	if h.Title != "" {
		top += TextHeight(2*s) + 8
	}
	if len(h.ColLabels) > 0 {
		if colW+4 <= cs {
			top += th + 2*s + 4
		} else {
			l.verticalCols = true
			top += colW + 4
		}
	}
	left := pad
	if rowW > 0 {
		left += rowW + 4
	}
	right := pad
	if !h.NoColorBar {
		_, lo, hi := h.Range()
		lw := max(TextWidth(strconv.FormatFloat(lo, 'f', dec, 64), s), TextWidth(strconv.FormatFloat(hi, 'f', dec, 64), s))
		right += 10 + 12 + 4 + lw
	}
	l.gx, l.gy = left, top
	l.w = max(left+cols*cs+right, TextWidth(h.Title, 2*s)+2*pad)
	l.h = top + max(rows*cs, 0) + pad + 2*s
	if !h.NoColorBar {
		l.h = max(l.h, top+64+th+pad)
	}
	return l
}

// Image renders the heatmap.
func (h *Heatmap) Image() *image.RGBA {
	_, _, dec := h.params()
	l := h.layout()
	s, cs := l.s, l.cs
	th := TextHeight(s)
	sc, lo, hi := h.Range()
	rows, cols := h.shape()
	cv := newCanvas(l.w, l.h, white)
	if h.Title != "" {
		cv.textCentered(l.w/2, 8, h.Title, 2*s, black)
	}
	for r, row := range h.Values {
		for c, v := range row {
			col := colorFor(sc, lo, hi, v)
			x, y := l.gx+c*cs, l.gy+r*cs
			cv.fill(x, y, x+cs, y+cs, col)
			if h.ShowValues && finite(v) {
				t := strconv.FormatFloat(v, 'f', dec, 64)
				if TextWidth(t, s)+2 <= cs && th+2 <= cs {
					ink := black
					if luminance(col) < 0.5 {
						ink = white
					}
					cv.text(x+(cs-TextWidth(t, s))/2, y+(cs-th)/2, t, s, ink)
				}
			}
		}
	}
	for r, t := range h.RowLabels {
		if r < rows {
			cv.textRight(l.gx-4, l.gy+r*cs+(cs-th)/2, t, s, black)
		}
	}
	for c, t := range h.ColLabels {
		if c >= cols {
			continue
		}
		if l.verticalCols {
			cv.textUp(l.gx+c*cs+(cs-th)/2, l.gy-4-TextWidth(t, s), t, s, black)
		} else {
			cv.textCentered(l.gx+c*cs+cs/2, l.gy-4-th-2*s, t, s, black)
		}
	}
	if !h.NoColorBar {
		bx := l.gx + cols*cs + 10
		bh := max(rows*cs, 64)
		for y := 0; y < bh; y++ {
			v := hi - (hi-lo)*float64(y)/float64(bh-1)
			cv.fill(bx, l.gy+y, bx+12, l.gy+y+1, colorFor(sc, lo, hi, v))
		}
		cv.rect(bx-1, l.gy-1, bx+13, l.gy+bh+1, midGray)
		cv.text(bx+16, l.gy, strconv.FormatFloat(hi, 'f', dec, 64), s, darkGray)
		cv.text(bx+16, l.gy+bh-th, strconv.FormatFloat(lo, 'f', dec, 64), s, darkGray)
		if bh >= 3*th+8 {
			cv.text(bx+16, l.gy+bh/2-th/2, strconv.FormatFloat((lo+hi)/2, 'f', dec, 64), s, darkGray)
		}
	}
	return cv.img
}

// luminance is the relative brightness of c in [0, 1] (Rec. 601 weights).
func luminance(c color.RGBA) float64 {
	return (0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)) / 255
}

// Encode writes the heatmap as PNG to w.
func (h *Heatmap) Encode(w io.Writer) error { return encodePNG(w, h.Image()) }

// WritePNG writes the heatmap as PNG to path atomically, creating the parent directory if needed.
func (h *Heatmap) WritePNG(path string) error { return WritePNG(path, h) }

// Grid lays several pictures (heatmaps, charts, image grids) out in one image, row by row,
// under an optional title; e.g. one attention heatmap per layer × head.
type Grid struct {
	Title     string
	Cols      int // pictures per row; default ⌈√n⌉
	Gap       int // pixels between pictures; default 8
	TextScale int // scale of the title text is 2× this; default 1
	Panels    []Picture
}

// Add appends a picture and returns g for chaining.
func (g *Grid) Add(p Picture) *Grid {
	g.Panels = append(g.Panels, p)
	return g
}

// Image renders every panel and places each in a cell as large as the largest panel.
func (g *Grid) Image() *image.RGBA {
	n := len(g.Panels)
	cols, gap, s := g.Cols, g.Gap, g.TextScale
	if cols <= 0 {
		cols = max(1, int(math.Ceil(math.Sqrt(float64(n)))))
	}
	if gap <= 0 {
		gap = 8
	}
	if s <= 0 {
		s = 1
	}
	rows := (n + cols - 1) / cols
	imgs := make([]*image.RGBA, n)
	cw, ch := 0, 0
	for i, p := range g.Panels {
		imgs[i] = p.Image()
		cw, ch = max(cw, imgs[i].Rect.Dx()), max(ch, imgs[i].Rect.Dy())
	}
	top := gap
	if g.Title != "" {
		top += TextHeight(2*s) + 2*s + gap
	}
	w := max(gap+min(cols, max(n, 1))*(cw+gap), TextWidth(g.Title, 2*s)+2*gap)
	h := top + rows*(ch+gap)
	cv := newCanvas(w, h, white)
	if g.Title != "" {
		cv.textCentered(w/2, gap, g.Title, 2*s, black)
	}
	for i, im := range imgs {
		x, y := gap+(i%cols)*(cw+gap), top+(i/cols)*(ch+gap)
		r := im.Rect
		for yy := 0; yy < r.Dy(); yy++ {
			copy(cv.img.Pix[cv.img.PixOffset(x, y+yy):], im.Pix[im.PixOffset(r.Min.X, r.Min.Y+yy):im.PixOffset(r.Max.X, r.Min.Y+yy)])
		}
	}
	return cv.img
}

// Encode writes the grid as PNG to w.
func (g *Grid) Encode(w io.Writer) error { return encodePNG(w, g.Image()) }

// WritePNG writes the grid as PNG to path atomically, creating the parent directory if needed.
func (g *Grid) WritePNG(path string) error { return WritePNG(path, g) }
