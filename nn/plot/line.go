package plot

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
)

// Series is one named line of a LineChart: the points (X[i], Y[i]) joined in order.
// Non-finite values (and values ≤ 0 on a log axis) break the line instead of being drawn.
type Series struct {
	Name  string
	X, Y  []float64
	Color color.RGBA // zero value: PaletteColor(index of the series)
}

// LineChart plots several named series of (x, y) points, e.g. train and validation loss against
// step, with tick labels, a title, axis labels and a legend. The zero value is ready to use;
// zero sizes take the defaults below.
type LineChart struct {
	Title, XLabel, YLabel string
	Width, Height         int  // image size in pixels; default 640×400
	LogY                  bool // plot log10(y); ticks at powers of ten (and 2×, 5× for short ranges)
	TextScale             int  // 1 (default) or 2: size of tick and label text; the title is twice it
	LineWidth             int  // default 2
	// YMin and YMax fix the y range when YMin < YMax; otherwise it fits the data.
	YMin, YMax float64
	Series     []Series
}

// Add appends a series with points (x[i], y[i]) and returns c for chaining.
// It panics when x and y differ in length.
func (c *LineChart) Add(name string, x, y []float64) *LineChart {
	if len(x) != len(y) {
		panic(fmt.Sprintf("plot.LineChart.Add: series %q has len(x)=%d, len(y)=%d", name, len(x), len(y)))
	}
	c.Series = append(c.Series, Series{Name: name, X: x, Y: y})
	return c
}

// AddY appends a series with x = 0, 1, …, len(y)−1 and returns c for chaining.
func (c *LineChart) AddY(name string, y []float64) *LineChart {
	x := make([]float64, len(y))
	for i := range x {
		x[i] = float64(i)
	}
	return c.Add(name, x, y)
}

func (c *LineChart) dims() (w, h, s, lw int) {
	w, h, s, lw = c.Width, c.Height, c.TextScale, c.LineWidth
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 400
	}
	if s <= 0 {
		s = 1
	}
	if lw <= 0 {
		lw = 2
	}
	return
}

// seriesColor is the colour of series i: its own when set, else PaletteColor(i).
func (c *LineChart) seriesColor(i int) color.RGBA {
	if col := c.Series[i].Color; col.A != 0 {
		return col
	}
	return PaletteColor(i)
}

// layout computes the axes (plot rectangle and data ranges) for the current series.
func (c *LineChart) layout() *axes {
	w, h, s, _ := c.dims()
	var xs, ys [][]float64
	for _, se := range c.Series {
		xs, ys = append(xs, se.X), append(ys, se.Y)
	}
	a := &axes{logY: c.LogY}
	a.xlo, a.xhi = dataRange(false, xs...)
	if c.YMin < c.YMax && (!c.LogY || c.YMin > 0) {
		a.ylo, a.yhi = c.YMin, c.YMax
		if c.LogY {
			a.ylo, a.yhi = math.Log10(a.ylo), math.Log10(a.yhi)
		}
	} else if c.LogY {
		lo, hi := dataRange(true, ys...)
		a.ylo, a.yhi = pad(math.Log10(lo), math.Log10(hi), 0.04)
	} else {
		a.ylo, a.yhi = pad4(dataRange(false, ys...))
	}
	th := TextHeight(s)
	top := 10
	if c.Title != "" {
		top += TextHeight(2*s) + 10
	}
	left := 10 + a.yLabelWidth(s) + 6
	if c.YLabel != "" {
		left += th + 8
	}
	bottom := 10 + 6 + th
	if c.XLabel != "" {
		bottom += th + 8
	}
	right := 10 + TextWidth("0", s)*2 // room for the last x tick label to overhang
	a.x0, a.y0, a.x1, a.y1 = left, top, w-right, h-bottom
	return a
}

// pad4 widens a linear y range by 4% so lines do not sit on the frame.
func pad4(lo, hi float64) (float64, float64) { return pad(lo, hi, 0.04) }

// Image renders the chart.
func (c *LineChart) Image() *image.RGBA {
	w, h, s, lw := c.dims()
	cv := newCanvas(w, h, white)
	a := c.layout()
	a.draw(cv, s, 8)
	for i, se := range c.Series {
		a.polyline(cv, se.X, se.Y, lw, c.seriesColor(i))
	}
	th := TextHeight(s)
	if c.Title != "" {
		cv.textCentered((a.x0+a.x1)/2, 10, c.Title, 2*s, black)
	}
	if c.XLabel != "" {
		cv.textCentered((a.x0+a.x1)/2, a.y1+6+th+8, c.XLabel, s, black)
	}
	if c.YLabel != "" {
		cv.textUp(10, (a.y0+a.y1)/2-TextWidth(c.YLabel, s)/2, c.YLabel, s, black)
	}
	c.legend(cv, a, s)
	return cv.img
}

// legend draws a boxed list of series names with colour swatches in the plot's top-right corner.
func (c *LineChart) legend(cv *canvas, a *axes, s int) {
	var names []int
	wmax := 0
	for i, se := range c.Series {
		if se.Name != "" {
			names = append(names, i)
			wmax = max(wmax, TextWidth(se.Name, s))
		}
	}
	if len(names) == 0 {
		return
	}
	legendBox(cv, a.x1-8, a.y0+8, wmax, s, len(names), func(k int) (string, color.RGBA) {
		i := names[k]
		return c.Series[i].Name, c.seriesColor(i)
	})
}

// legendBox draws a white box with a border whose top-right corner is (right, top), holding n
// rows of a colour swatch and a label.
func legendBox(cv *canvas, right, top, textW, s, n int, row func(k int) (string, color.RGBA)) {
	th := TextHeight(s)
	rowH := th + 4*s
	sw := 14 * s
	bw := 6 + sw + 6 + textW + 6
	bh := 6 + n*rowH - 4*s + 6
	x0 := right - bw
	cv.fill(x0, top, right, top+bh, white)
	cv.rect(x0, top, right, top+bh, midGray)
	for k := 0; k < n; k++ {
		name, col := row(k)
		y := top + 6 + k*rowH
		cv.fill(x0+6, y+th/2-s, x0+6+sw, y+th/2+s+1, col)
		cv.text(x0+6+sw+6, y, name, s, black)
	}
}

// Encode writes the chart as PNG to w.
func (c *LineChart) Encode(w io.Writer) error { return encodePNG(w, c.Image()) }

// WritePNG writes the chart as PNG to path atomically, creating the parent directory if needed.
func (c *LineChart) WritePNG(path string) error { return WritePNG(path, c) }
