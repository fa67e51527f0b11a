package plot

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Picture is anything this package can render to an image: every chart type implements it,
// and Grid lays several Pictures out in one image.
type Picture interface {
	Image() *image.RGBA
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}

	lightGray = color.RGBA{225, 225, 225, 255}
	midGray   = color.RGBA{150, 150, 150, 255}
	darkGray  = color.RGBA{60, 60, 60, 255}
)

// palette holds the distinct series and class colours, used in order and cycled.
var palette = []color.RGBA{
	{31, 119, 180, 255},  // blue
	{255, 127, 14, 255},  // orange
	{44, 160, 44, 255},   // green
	{214, 39, 40, 255},   // red
	{148, 103, 189, 255}, // purple
	{140, 86, 75, 255},   // brown
	{227, 119, 194, 255}, // pink
	{127, 127, 127, 255}, // grey
	{188, 189, 34, 255},  // olive
	{23, 190, 207, 255},  // cyan
}

// PaletteColor returns the i-th of ten distinct colours (blue, orange, green, red, purple, brown,
// pink, grey, olive, cyan), cycling for i ≥ 10; negative i counts as |i|. Series and classes use it.
func PaletteColor(i int) color.RGBA {
	if i < 0 {
		i = -i
	}
	return palette[i%len(palette)]
}

// canvas is an RGBA image with the drawing primitives the charts need. Nothing is anti-aliased,
// so every pixel is exactly one of the colours drawn (which keeps output deterministic and testable).
type canvas struct {
	img *image.RGBA
}

func newCanvas(w, h int, bg color.RGBA) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h))}
	c.fill(0, 0, w, h, bg)
	return c
}

func (c *canvas) set(x, y int, col color.RGBA) {
	if image.Pt(x, y).In(c.img.Rect) {
		c.img.SetRGBA(x, y, col)
	}
}

// fill paints the half-open rectangle [x0,x1)×[y0,y1).
func (c *canvas) fill(x0, y0, x1, y1 int, col color.RGBA) {
	r := image.Rect(x0, y0, x1, y1).Intersect(c.img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c.img.SetRGBA(x, y, col)
		}
	}
}

// rect outlines the rectangle [x0,x1)×[y0,y1) with a one-pixel border.
func (c *canvas) rect(x0, y0, x1, y1 int, col color.RGBA) {
	c.fill(x0, y0, x1, y0+1, col)
	c.fill(x0, y1-1, x1, y1, col)
	c.fill(x0, y0, x0+1, y1, col)
	c.fill(x1-1, y0, x1, y1, col)
}

// dot paints a square brush of side w centred (as nearly as integers allow) on (x, y).
func (c *canvas) dot(x, y, w int, col color.RGBA) {
	if w <= 1 {
		c.set(x, y, col)
		return
	}
	o := (w - 1) / 2
	c.fill(x-o, y-o, x-o+w, y-o+w, col)
}

// line draws a segment between two points with Bresenham's algorithm and a square brush of width w.
// Coordinates are clamped to a generous range so huge values cannot make the loop run forever.
func (c *canvas) line(x0, y0, x1, y1 float64, w int, col color.RGBA) {
	lim := float64(4 * (c.img.Rect.Dx() + c.img.Rect.Dy() + 16))
	cl := func(v float64) int { return int(math.Round(math.Max(-lim, math.Min(lim, v)))) }
	ax, ay, bx, by := cl(x0), cl(y0), cl(x1), cl(y1)
	dx, dy := abs(bx-ax), -abs(by-ay)
	sx, sy := 1, 1
	if ax > bx {
		sx = -1
	}
	if ay > by {
		sy = -1
	}
	e := dx + dy
	for {
		c.dot(ax, ay, w, col)
		if ax == bx && ay == by {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			ax += sx
		}
		if e2 <= dx {
			e += dx
			ay += sy
		}
	}
}

// disc paints a filled circle of radius r centred on (x, y).
func (c *canvas) disc(x, y, r int, col color.RGBA) {
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if dx*dx+dy*dy <= r*r+r/2 {
				c.set(x+dx, y+dy, col)
			}
		}
	}
}

// text draws s with its top-left corner at (x, y).
func (c *canvas) text(x, y int, s string, scale int, col color.RGBA) {
	for _, r := range s {
		g, d := glyph(r), descent[r]
		for gy := 0; gy < glyphH; gy++ {
			for gx := 0; gx < glyphW; gx++ {
				if g[gy][gx] == '#' {
					c.fill(x+gx*scale, y+(gy+d)*scale, x+(gx+1)*scale, y+(gy+d+1)*scale, col)
				}
			}
		}
		x += (glyphW + 1) * scale
	}
}

// textUp draws s rotated 90° counter-clockwise (reading bottom to top) with the bounding box's
// top-left corner at (x, y); the box is TextHeight wide and TextWidth tall.
func (c *canvas) textUp(x, y int, s string, scale int, col color.RGBA) {
	h := TextWidth(s, scale)
	i := 0
	for _, r := range s {
		g, d := glyph(r), descent[r]
		// Glyph column gx goes to row (bottom − gx); glyph row gy goes to column gy.
		base := y + h - i*(glyphW+1)*scale
		for gy := 0; gy < glyphH; gy++ {
			for gx := 0; gx < glyphW; gx++ {
				if g[gy][gx] == '#' {
					c.fill(x+(gy+d)*scale, base-(gx+1)*scale, x+(gy+d+1)*scale, base-gx*scale, col)
				}
			}
		}
		i++
	}
}

// textCentered draws s horizontally centred on cx with its top at y.
func (c *canvas) textCentered(cx, y int, s string, scale int, col color.RGBA) {
	c.text(cx-TextWidth(s, scale)/2, y, s, scale, col)
}

// textRight draws s with its right edge at x and its top at y.
func (c *canvas) textRight(x, y int, s string, scale int, col color.RGBA) {
	c.text(x-TextWidth(s, scale), y, s, scale, col)
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// encodePNG writes img as PNG with default compression (deterministic for equal images).
func encodePNG(w io.Writer, img image.Image) error {
	return png.Encode(w, img)
}

// writeAtomic creates path's parent directory if needed, writes to a temporary file in that
// directory through encode, and renames it over path, so readers never see a partial file.
// Errors name the path.
func writeAtomic(path string, encode func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plot: write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("plot: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriter(f)
	if err = encode(bw); err != nil {
		return fmt.Errorf("plot: write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("plot: write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("plot: write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("plot: write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("plot: write %s: %w", path, err)
	}
	return nil
}

// WriteFile writes path atomically through encode, as every writer in this
// package does: the parent directory is created if needed, the bytes go to a
// temporary file beside path, which is then renamed over it. Other packages
// that draw their own images (diffusion/pic) use it for the same guarantee.
func WriteFile(path string, encode func(io.Writer) error) error {
	return writeAtomic(path, encode)
}

// WritePNG renders p and writes it to path as PNG, atomically (see the package doc).
func WritePNG(path string, p Picture) error {
	img := p.Image()
	return writeAtomic(path, func(w io.Writer) error { return encodePNG(w, img) })
}

// niceTicks returns about n round tick values covering [lo, hi]: multiples of a step
// 1, 2 or 5 × 10^k, and the number of decimals needed to print them.
func niceTicks(lo, hi float64, n int) ([]float64, int) {
	if !(hi > lo) {
		return []float64{lo}, decimalsFor(math.Abs(lo) / 10)
	}
	raw := (hi - lo) / float64(max(n, 1))
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := p
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			step = m * p
			break
		}
	}
	var ticks []float64
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, v)
	}
	return ticks, decimalsFor(step)
}

// decimalsFor is the number of decimals that print multiples of step exactly.
func decimalsFor(step float64) int {
	if step <= 0 || math.IsNaN(step) || math.IsInf(step, 0) {
		return 0
	}
	d := int(math.Ceil(-math.Log10(step) - 1e-9))
	if d < 0 {
		d = 0
	}
	return d
}

// formatTick prints v with d decimals, switching to exponent notation for very large or
// very small magnitudes so labels stay short.
func formatTick(v float64, d int) string {
	a := math.Abs(v)
	if v != 0 && (a >= 1e6 || a < 1e-4 || d > 5) {
		return shortE(strconv.FormatFloat(v, 'g', 3, 64))
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// logTicks returns tick values for a log axis over [lo, hi] (both > 0): the powers of ten inside,
// plus 2× and 5× multiples when fewer than three powers fit.
func logTicks(lo, hi float64) []float64 {
	k0, k1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	var pow, all []float64
	for k := k0; k <= k1; k++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, k)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			if m == 1 {
				pow = append(pow, v)
			}
			all = append(all, v)
		}
	}
	if len(pow) >= 3 {
		if len(pow) > 8 { // keep every other power when there are many decades
			var thin []float64
			for i := 0; i < len(pow); i += 2 {
				thin = append(thin, pow[i])
			}
			return thin
		}
		return pow
	}
	if len(all) >= 2 {
		return all
	}
	return []float64{lo, hi}
}

// formatLog prints a log-axis tick: plain decimals for moderate values, "1e-5" style otherwise.
func formatLog(v float64) string {
	a := math.Abs(v)
	if a >= 1e-3 && a < 1e5 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return shortE(strconv.FormatFloat(v, 'g', 3, 64))
}

// shortE drops the exponent's plus sign and leading zeros: "1e-05" → "1e-5", "2e+06" → "2e6".
func shortE(s string) string {
	s = strings.Replace(s, "e+", "e", 1)
	for strings.Contains(s, "e0") || strings.Contains(s, "e-0") {
		s = strings.Replace(strings.Replace(s, "e0", "e", 1), "e-0", "e-", 1)
	}
	return s
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
