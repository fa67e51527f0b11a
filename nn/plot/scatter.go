package plot

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
)

// Path is a polyline in data coordinates, e.g. one sample's trajectory through a diffusion or
// flow-matching sampler; it is drawn in the colour of its class.
type Path struct {
	X, Y  []float64
	Class int
}

// Panel is one square plot of a Scatter: points (X[i], Y[i]) coloured by Class[i] (all
// PaletteColor(0) when Class is nil) over optional trajectories.
type Panel struct {
	Title string
	X, Y  []float64
	Class []int
	Paths []Path
}

// AddPath appends a trajectory to the panel and returns p for chaining.
// It panics when x and y differ in length.
func (p *Panel) AddPath(x, y []float64, class int) *Panel {
	if len(x) != len(y) {
		panic(fmt.Sprintf("plot.Panel.AddPath: len(x)=%d, len(y)=%d", len(x), len(y)))
	}
	p.Paths = append(p.Paths, Path{X: x, Y: y, Class: class})
	return p
}

// Scatter draws one or more 2-D point clouds side by side with shared axes, e.g. samples at
// t = 1, 0.75, …, 0. The zero value is ready to use.
type Scatter struct {
	Title      string
	Panels     []*Panel
	ClassNames []string // legend entries for classes 0, 1, …; no legend when empty
	PanelSize  int      // side of each square plot area in pixels; default 240
	// XMin/XMax and YMin/YMax fix the axis ranges when Min < Max; otherwise one range that fits
	// every panel's points and paths is shared by all panels.
	XMin, XMax, YMin, YMax float64
	PointRadius            int // disc radius in pixels; default 2; negative draws single pixels
	PathWidth              int // default 1
	TextScale              int // 1 (default) or 2
}

// AddPanel appends a panel of points (x[i], y[i]) coloured by class (may be nil) and returns it,
// so trajectories can be added with AddPath. It panics on mismatched lengths.
func (s *Scatter) AddPanel(title string, x, y []float64, class []int) *Panel {
	if len(x) != len(y) || (class != nil && len(class) != len(x)) {
		panic(fmt.Sprintf("plot.Scatter.AddPanel: len(x)=%d, len(y)=%d, len(class)=%d", len(x), len(y), len(class)))
	}
	p := &Panel{Title: title, X: x, Y: y, Class: class}
	s.Panels = append(s.Panels, p)
	return p
}

func (s *Scatter) params() (size, r, pw, ts int) {
	size, r, pw, ts = s.PanelSize, s.PointRadius, s.PathWidth, s.TextScale
	if size <= 0 {
		size = 240
	}
	if r == 0 {
		r = 2
	}
	if pw <= 0 {
		pw = 1
	}
	if ts <= 0 {
		ts = 1
	}
	return
}

// ranges returns the shared x and y ranges of all panels.
func (s *Scatter) ranges() (xlo, xhi, ylo, yhi float64) {
	var xs, ys [][]float64
	for _, p := range s.Panels {
		xs, ys = append(xs, p.X), append(ys, p.Y)
		for _, q := range p.Paths {
			xs, ys = append(xs, q.X), append(ys, q.Y)
		}
	}
	xlo, xhi = pad4(dataRange(false, xs...))
	ylo, yhi = pad4(dataRange(false, ys...))
	if s.XMin < s.XMax {
		xlo, xhi = s.XMin, s.XMax
	}
	if s.YMin < s.YMax {
		ylo, yhi = s.YMin, s.YMax
	}
	return
}

// Image renders all panels in one row, with a legend on the right when ClassNames is set.
func (s *Scatter) Image() *image.RGBA {
	size, rad, pw, ts := s.params()
	xlo, xhi, ylo, yhi := s.ranges()
	th := TextHeight(ts)
	probe := &axes{xlo: xlo, xhi: xhi, ylo: ylo, yhi: yhi}
	yw := probe.yLabelWidth(ts)
	const gap = 12
	top := gap
	if s.Title != "" {
		top += TextHeight(2*ts) + gap
	}
	anyPanelTitle := false
	for _, p := range s.Panels {
		anyPanelTitle = anyPanelTitle || p.Title != ""
	}
	if anyPanelTitle {
		top += th + 2*ts + 6
	}
	n := max(len(s.Panels), 1)
	panelW := yw + 6 + size + gap
	legendW := 0
	if len(s.ClassNames) > 0 {
		for _, c := range s.ClassNames {
			legendW = max(legendW, TextWidth(c, ts))
		}
		legendW += 6 + 14*ts + 6 + 6 + gap
	}
	w := max(gap+n*panelW+legendW, TextWidth(s.Title, 2*ts)+2*gap)
	h := top + size + 6 + th + gap + 2*ts
	cv := newCanvas(w, h, white)
	if s.Title != "" {
		cv.textCentered(w/2, gap, s.Title, 2*ts, black)
	}
	for i, p := range s.Panels {
		x0 := gap + i*panelW + yw + 6
		a := &axes{x0: x0, y0: top, x1: x0 + size, y1: top + size, xlo: xlo, xhi: xhi, ylo: ylo, yhi: yhi}
		a.draw(cv, ts, 5)
		if p.Title != "" {
			cv.textCentered(x0+size/2, top-th-2*ts-4, p.Title, ts, black)
		}
		for _, q := range p.Paths {
			a.polyline(cv, q.X, q.Y, pw, pastel(PaletteColor(q.Class)))
		}
		for j := range p.X {
			px, py := a.px(p.X[j]), a.py(p.Y[j])
			if !finite(px) || !finite(py) || px < float64(a.x0) || px > float64(a.x1-1) || py < float64(a.y0) || py > float64(a.y1-1) {
				continue
			}
			col := PaletteColor(0)
			if p.Class != nil {
				col = PaletteColor(p.Class[j])
			}
			ix, iy := int(math.Round(px)), int(math.Round(py))
			if rad < 0 {
				cv.set(ix, iy, col)
			} else {
				cv.disc(ix, iy, rad, col)
			}
		}
	}
	if len(s.ClassNames) > 0 {
		tw := legendW - (6 + 14*ts + 6 + 6 + gap)
		legendBox(cv, w-gap, top, tw, ts, len(s.ClassNames), func(k int) (string, color.RGBA) {
			return s.ClassNames[k], PaletteColor(k)
		})
	}
	return cv.img
}

// pastel mixes c halfway with white, so trajectories stay visible under the points.
func pastel(c color.RGBA) color.RGBA {
	m := func(v uint8) uint8 { return uint8((int(v) + 255 + 1) / 2) }
	return color.RGBA{m(c.R), m(c.G), m(c.B), 255}
}

// Encode writes the scatter plot as PNG to w.
func (s *Scatter) Encode(w io.Writer) error { return encodePNG(w, s.Image()) }

// WritePNG writes the scatter plot as PNG to path atomically, creating the parent directory if needed.
func (s *Scatter) WritePNG(path string) error { return WritePNG(path, s) }
