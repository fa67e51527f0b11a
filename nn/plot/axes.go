package plot

import (
	"image/color"
	"math"
	"strconv"
	"strings"
)

// axes maps data coordinates to the pixels of a plot rectangle and draws its frame, grid and ticks.
type axes struct {
	x0, y0, x1, y1 int     // plot rectangle in pixels, half-open
	xlo, xhi       float64 // data range on x
	ylo, yhi       float64 // data range on y (log10 of it when logY)
	logY           bool
}

// px returns the pixel x of data x.
func (a *axes) px(x float64) float64 {
	return float64(a.x0) + (x-a.xlo)/(a.xhi-a.xlo)*float64(a.x1-1-a.x0)
}

// py returns the pixel y of data y (NaN when y is not drawable on a log axis).
func (a *axes) py(y float64) float64 {
	if a.logY {
		if y <= 0 {
			return math.NaN()
		}
		y = math.Log10(y)
	}
	return float64(a.y1-1) - (y-a.ylo)/(a.yhi-a.ylo)*float64(a.y1-1-a.y0)
}

// dataRange returns [lo, hi] of the finite values in vs (positive ones only when positive is set),
// widened when empty or degenerate so that every axis has a nonzero span.
func dataRange(positive bool, vs ...[]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		for _, x := range v {
			if !finite(x) || (positive && x <= 0) {
				continue
			}
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	switch {
	case lo > hi: // nothing drawable
		if positive {
			return 0.1, 10
		}
		return 0, 1
	case lo == hi:
		if positive {
			return lo / 2, hi * 2
		}
		d := math.Max(math.Abs(lo)*0.1, 0.5)
		return lo - d, hi + d
	}
	return lo, hi
}

// pad widens [lo, hi] by frac of its span on both sides.
func pad(lo, hi, frac float64) (float64, float64) {
	d := (hi - lo) * frac
	return lo - d, hi + d
}

// yTicks returns the y tick positions (in data units, not log) and their labels.
func (a *axes) yTicks() ([]float64, []string) {
	var vs []float64
	var ls []string
	if a.logY {
		vs = logTicks(math.Pow(10, a.ylo), math.Pow(10, a.yhi))
		exp := false
		for _, v := range vs {
			ls = append(ls, formatLog(v))
			exp = exp || strings.Contains(ls[len(ls)-1], "e")
		}
		if exp { // one style per axis: all "1e-4", never "0.001" beside "1e-5"
			for i, v := range vs {
				ls[i] = shortE(strconv.FormatFloat(v, 'e', -1, 64))
			}
		}
		return vs, ls
	}
	vs, d := niceTicks(a.ylo, a.yhi, 6)
	for _, v := range vs {
		ls = append(ls, formatTick(v, d))
	}
	return vs, ls
}

func (a *axes) xTicks(n int) ([]float64, []string) {
	vs, d := niceTicks(a.xlo, a.xhi, n)
	ls := make([]string, len(vs))
	for i, v := range vs {
		ls[i] = formatTick(v, d)
	}
	return vs, ls
}

// yLabelWidth is the widest y tick label in pixels.
func (a *axes) yLabelWidth(scale int) int {
	_, ls := a.yTicks()
	w := 0
	for _, l := range ls {
		w = max(w, TextWidth(l, scale))
	}
	return w
}

// draw paints grid lines, the frame, tick marks and tick labels (y labels to the left of the frame,
// x labels below it).
func (a *axes) draw(c *canvas, scale int, xTickCount int) {
	ys, yl := a.yTicks()
	xs, xl := a.xTicks(xTickCount)
	th := TextHeight(scale)
	for i, v := range ys {
		p := a.py(v)
		if math.IsNaN(p) {
			continue
		}
		y := int(math.Round(p))
		if y < a.y0 || y >= a.y1 {
			continue
		}
		c.fill(a.x0, y, a.x1, y+1, lightGray)
		c.fill(a.x0-4, y, a.x0, y+1, darkGray)
		c.textRight(a.x0-6, y-th/2, yl[i], scale, darkGray)
	}
	for i, v := range xs {
		x := int(math.Round(a.px(v)))
		if x < a.x0 || x >= a.x1 {
			continue
		}
		c.fill(x, a.y0, x+1, a.y1, lightGray)
		c.fill(x, a.y1, x+1, a.y1+4, darkGray)
		c.textCentered(x, a.y1+6, xl[i], scale, darkGray)
	}
	c.rect(a.x0-1, a.y0-1, a.x1+1, a.y1+1, darkGray)
}

// clipSegment clips the segment (x0,y0)–(x1,y1) to the rectangle [l,r]×[t,b] (Liang–Barsky);
// ok is false when nothing of it is inside.
func clipSegment(x0, y0, x1, y1, l, t, r, b float64) (ax, ay, bx, by float64, ok bool) {
	dx, dy := x1-x0, y1-y0
	u0, u1 := 0.0, 1.0
	for _, pq := range [4][2]float64{{-dx, x0 - l}, {dx, r - x0}, {-dy, y0 - t}, {dy, b - y0}} {
		p, q := pq[0], pq[1]
		if p == 0 {
			if q < 0 {
				return 0, 0, 0, 0, false
			}
			continue
		}
		u := q / p
		if p < 0 {
			u0 = math.Max(u0, u)
		} else {
			u1 = math.Min(u1, u)
		}
	}
	if u0 > u1 {
		return 0, 0, 0, 0, false
	}
	return x0 + u0*dx, y0 + u0*dy, x0 + u1*dx, y0 + u1*dy, true
}

// polyline draws the path through (xs[i], ys[i]) in data coordinates, clipped to the plot rectangle;
// points that are not finite (or not drawable on a log axis) break the line.
func (a *axes) polyline(c *canvas, xs, ys []float64, w int, col color.RGBA) {
	l, t := float64(a.x0), float64(a.y0)
	r, b := float64(a.x1-1), float64(a.y1-1)
	havePrev := false
	var px, py float64
	for i := range xs {
		x, y := a.px(xs[i]), a.py(ys[i])
		if !finite(x) || !finite(y) {
			havePrev = false
			continue
		}
		if havePrev {
			if ax, ay, bx, by, ok := clipSegment(px, py, x, y, l, t, r, b); ok {
				c.line(ax, ay, bx, by, w, col)
			}
		} else if x >= l && x <= r && y >= t && y <= b {
			c.dot(int(math.Round(x)), int(math.Round(y)), w, col) // a lone point still shows
		}
		px, py, havePrev = x, y, true
	}
}
