package plot

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// claimed lists every character the package promises to draw.
const claimed = "0123456789" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz" + ".,-+:=()/%<>|_[]' "

func TestFontCoversClaimedCharacters(t *testing.T) {
	seen := map[[glyphH]string]rune{}
	for _, r := range claimed {
		g, ok := font[r]
		if !ok {
			t.Errorf("no glyph for %q", r)
			continue
		}
		for i, row := range g {
			if len(row) != glyphW || strings.Trim(row, "#.") != "" {
				t.Errorf("glyph %q row %d = %q: want %d cells of '#' or '.'", r, i, row, glyphW)
			}
		}
		if r != ' ' && g == font[' '] {
			t.Errorf("glyph %q is blank", r)
		}
		if prev, dup := seen[g]; dup {
			t.Errorf("glyphs %q and %q are identical", prev, r)
		}
		seen[g] = r
	}
	for r, d := range descent {
		if d < 0 || d > 2 {
			t.Errorf("descent[%q] = %d, want 0..2", r, d)
		}
	}
}

func TestTextWidthAndFallback(t *testing.T) {
	for _, tc := range []struct {
		s     string
		scale int
		want  int
	}{{"", 1, 0}, {"a", 1, 5}, {"ab", 1, 11}, {"ab", 2, 22}, {"héllo", 1, 29}} {
		if got := TextWidth(tc.s, tc.scale); got != tc.want {
			t.Errorf("TextWidth(%q, %d) = %d, want %d", tc.s, tc.scale, got, tc.want)
		}
	}
	if glyph('é') != font['?'] {
		t.Error("a rune without a glyph should draw as '?'")
	}
	// Drawing "I" at scale 2 puts ink at glyph cell (2, 0) → pixels (4..5, 0..1).
	c := newCanvas(20, 20, white)
	c.text(0, 0, "I", 2, black)
	for _, p := range []image.Point{{4, 0}, {5, 1}, {4, 12}} {
		if got := c.img.RGBAAt(p.X, p.Y); got != black {
			t.Errorf("pixel %v = %v, want black", p, got)
		}
	}
	if got := c.img.RGBAAt(0, 0); got != white {
		t.Errorf("pixel (0,0) = %v, want white", got)
	}
}

// decodePNG encodes p as PNG, decodes it back and returns the image.
func decodePNG(t *testing.T, enc func(io.Writer) error) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func rgbaAt(img image.Image, x, y int) color.RGBA {
	return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
}

func TestLineChartPassesThroughKnownPixels(t *testing.T) {
	red := color.RGBA{200, 0, 0, 255}
	for _, tc := range []struct {
		name string
		c    *LineChart
		x, y float64 // a point on series 1
	}{
		{"linear", &LineChart{Title: "loss", XLabel: "step", YLabel: "nats"}, 5, 2},
		{"log", &LineChart{LogY: true, Width: 300, Height: 200}, 5, 10},
		{"fixed-range", &LineChart{YMin: 0, YMax: 10, TextScale: 2}, 5, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.AddY("flat", []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
			c.Series = append(c.Series, Series{Name: "ramp", X: []float64{0, 10}, Y: []float64{1, 100}, Color: red})
			c.Add("point", []float64{tc.x}, []float64{tc.y})
			img := decodePNG(t, c.Encode)
			w, h, _, _ := c.dims()
			if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
				t.Fatalf("size %v, want %dx%d", b.Size(), w, h)
			}
			a := c.layout()
			// The flat series at x = 3 has the first palette colour.
			px, py := int(math.Round(a.px(3))), int(math.Round(a.py(1)))
			if got := rgbaAt(img, px, py); got != PaletteColor(0) {
				t.Errorf("flat series pixel (%d,%d) = %v, want %v", px, py, got, PaletteColor(0))
			}
			// The lone point of series 2 is drawn in PaletteColor(2).
			px, py = int(math.Round(a.px(tc.x))), int(math.Round(a.py(tc.y)))
			if got := rgbaAt(img, px, py); got != PaletteColor(2) {
				t.Errorf("point pixel (%d,%d) = %v, want %v", px, py, got, PaletteColor(2))
			}
			// The plot's corner is white and the frame dark.
			if got := rgbaAt(img, a.x1-2, a.y1-2); got != white {
				t.Errorf("inside corner = %v, want white", got)
			}
			if got := rgbaAt(img, a.x0-1, a.y1); got != darkGray {
				t.Errorf("frame = %v, want %v", got, darkGray)
			}
		})
	}
}

func TestLineChartSkipsNonFinite(t *testing.T) {
	c := &LineChart{Width: 200, Height: 150}
	c.Add("gap", []float64{0, 1, 2, 3}, []float64{0, math.NaN(), math.Inf(1), 0})
	img := c.Image()
	a := c.layout()
	// The two finite points are not joined: the middle of the would-be segment is not drawn.
	mx, my := int(math.Round(a.px(1.5))), int(math.Round(a.py(0)))
	if got := img.RGBAAt(mx, my); got == PaletteColor(0) {
		t.Errorf("pixel (%d,%d) between non-adjacent finite points is drawn", mx, my)
	}
	if got := img.RGBAAt(int(math.Round(a.px(0))), my); got != PaletteColor(0) {
		t.Errorf("lone first point not drawn: %v", got)
	}
}

func TestLineChartPanicsOnMismatch(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "len(x)=2, len(y)=3") {
			t.Errorf("panic = %v, want lengths in message", r)
		}
	}()
	(&LineChart{}).Add("bad", []float64{1, 2}, []float64{1, 2, 3})
}

func TestHeatmapCellColours(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    *Heatmap
		want func(v float64) color.RGBA
	}{
		{"sequential", NewHeatmap([]float32{0, 0.25, 0.5, 1}, 2, 2), func(v float64) color.RGBA { return Sequential(v) }},
		{"diverging-auto", NewHeatmap([]float32{-2, 1, 0, 0.5}, 2, 2), func(v float64) color.RGBA { return Diverging((v + 2) / 4) }},
		{"fixed-range", &Heatmap{Values: [][]float64{{0, 5}, {10, 20}}, Min: 0, Max: 10, CellSize: 9}, func(v float64) color.RGBA { return Sequential(v / 10) }},
		{"forced-diverging", &Heatmap{Values: [][]float64{{0, 1}, {3, 4}}, Scale: DivergingScale, ShowValues: true, CellSize: 40},
			func(v float64) color.RGBA { return Diverging((v + 4) / 8) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			h.Title, h.RowLabels, h.ColLabels = "attn", []string{"a", "bb"}, []string{"x", "yyyyyyyy"}
			img := decodePNG(t, h.Encode)
			cs, _, _ := h.params()
			for r, row := range h.Values {
				for c, v := range row {
					x, y := h.CellOrigin(r, c)
					want := tc.want(v)
					if got := rgbaAt(img, x+1, y+1); got != want {
						t.Errorf("cell (%d,%d) value %g: colour %v, want %v", r, c, v, got, want)
					}
					if got := h.ColorOf(v); got != want {
						t.Errorf("ColorOf(%g) = %v, want %v", v, got, want)
					}
					if got := rgbaAt(img, x+cs-1, y+cs-1); got != want && !h.ShowValues {
						t.Errorf("cell (%d,%d) far corner %v, want %v", r, c, got, want)
					}
				}
			}
		})
	}
	if got := (&Heatmap{Values: [][]float64{{math.NaN(), 1}}}).ColorOf(math.NaN()); got != midGray {
		t.Errorf("NaN colour = %v, want grey", got)
	}
}

func TestColourMapsEnds(t *testing.T) {
	if Sequential(0) != sequentialAnchors[0] || Sequential(1) != sequentialAnchors[4] || Sequential(2) != Sequential(1) {
		t.Error("Sequential ends or clamping wrong")
	}
	if Diverging(0.5) != divergingAnchors[2] || Diverging(-1) != divergingAnchors[0] {
		t.Error("Diverging centre or clamping wrong")
	}
	// Sequential darkens monotonically.
	for i := 1; i <= 20; i++ {
		if luminance(Sequential(float64(i)/20)) > luminance(Sequential(float64(i-1)/20)) {
			t.Errorf("Sequential gets lighter at t=%g", float64(i)/20)
		}
	}
}

func TestNewHeatmapPanicsOnShape(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "[2 3]") {
			t.Errorf("panic = %v, want the shape in the message", r)
		}
	}()
	NewHeatmap(make([]float32, 5), 2, 3)
}

// solid is a Picture of a w×h rectangle of one colour.
type solid struct {
	w, h int
	c    color.RGBA
}

func (s solid) Image() *image.RGBA { return newCanvas(s.w, s.h, s.c).img }

func TestGridLayout(t *testing.T) {
	red, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	g := &Grid{Cols: 2, Gap: 5}
	g.Add(solid{10, 20, red}).Add(solid{30, 10, blue}).Add(solid{10, 10, red})
	img := decodePNG(t, g.Encode)
	// Cells are 30×20; two columns, two rows: width 5+2·(30+5), height 5+2·(20+5).
	if b := img.Bounds(); b.Dx() != 75 || b.Dy() != 55 {
		t.Fatalf("grid size %v, want 75x55", b.Size())
	}
	for _, tc := range []struct {
		x, y int
		want color.RGBA
	}{{5, 5, red}, {14, 24, red}, {15, 5, white}, {40, 5, blue}, {69, 14, blue}, {5, 30, red}, {40, 30, white}} {
		if got := rgbaAt(img, tc.x, tc.y); got != tc.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

func TestScatterPointsAndRange(t *testing.T) {
	s := &Scatter{XMin: -1, XMax: 1, YMin: -1, YMax: 1, PanelSize: 101, ClassNames: []string{"a", "b"}}
	s.AddPanel("t = 1", []float64{0, 0.5, 5}, []float64{0, -0.5, 0}, []int{0, 1, 1})
	s.AddPanel("t = 0", []float64{-0.5}, []float64{0.5}, nil).AddPath([]float64{-1, 1}, []float64{-0.9, -0.9}, 3)
	img := decodePNG(t, s.Encode)
	// Recover the plot rectangles the same way Image lays them out: find the panels' frames by
	// checking the points' colours at their expected places relative to each frame.
	top := 12 + TextHeight(2) + 12 + TextHeight(1) + 2 + 6
	if s.Title == "" {
		top = 12 + TextHeight(1) + 2 + 6
	}
	probe := &axes{xlo: -1, xhi: 1, ylo: -1, yhi: 1}
	yw := probe.yLabelWidth(1)
	panelW := yw + 6 + 101 + 12
	for _, tc := range []struct {
		panel int
		x, y  float64
		want  color.RGBA
	}{
		{0, 0, 0, PaletteColor(0)}, {0, 0.5, -0.5, PaletteColor(1)}, {1, -0.5, 0.5, PaletteColor(0)},
		{1, 0.3, -0.9, pastel(PaletteColor(3))}, {0, 0.8, 0.3, white}, // the point at x=5 is outside the fixed range
	} {
		x0 := 12 + tc.panel*panelW + yw + 6
		a := &axes{x0: x0, y0: top, x1: x0 + 101, y1: top + 101, xlo: -1, xhi: 1, ylo: -1, yhi: 1}
		px, py := int(math.Round(a.px(tc.x))), int(math.Round(a.py(tc.y)))
		if got := rgbaAt(img, px, py); got != tc.want {
			t.Errorf("panel %d point (%g,%g) at pixel (%d,%d): %v, want %v", tc.panel, tc.x, tc.y, px, py, got, tc.want)
		}
	}
}

func TestToRGBA(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    []float32
		zeroOne bool
		want    []color.RGBA
	}{
		{"rgb-signed", []float32{-1, 1, 0, 0, 1, 2}, false, []color.RGBA{{0, 128, 255, 255}, {255, 128, 255, 255}}},
		{"rgb-unit", []float32{0, 1, 0.5, 0.5, 1, -1}, true, []color.RGBA{{0, 128, 255, 255}, {255, 128, 0, 255}}},
		{"grey", []float32{-1, 0.5}, false, []color.RGBA{{0, 0, 0, 255}, {191, 191, 191, 255}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := ToRGBA(tc.data, 1, 2, tc.zeroOne)
			for x, want := range tc.want {
				if got := img.RGBAAt(x, 0); got != want {
					t.Errorf("pixel %d = %v, want %v", x, got, want)
				}
			}
		})
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("ToRGBA with a wrong length did not panic")
		}
	}()
	ToRGBA(make([]float32, 5), 1, 2, false)
}

func TestImageGridUpscales(t *testing.T) {
	// One 2×1 image: left pixel red, right pixel blue, in [−1, 1].
	im := []float32{1, -1, -1, -1, -1, 1}
	g := &ImageGrid{H: 1, W: 2, Upscale: 3, Cols: 2, RowLabels: []string{"r"}, ColLabels: []string{"c0", "c1"}}
	g.Add(im).Add(im)
	img := decodePNG(t, g.Encode)
	left := 8 + TextWidth("r", 1) + 6
	top := 8 + TextHeight(1) + 2 + 4
	wantW := left + 2*6 + 2 + 8
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != top+3+8 {
		t.Fatalf("size %v, want %dx%d", b.Size(), wantW, top+3+8)
	}
	red, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	for _, tc := range []struct {
		x, y int
		want color.RGBA
	}{{left, top, red}, {left + 2, top + 2, red}, {left + 3, top, blue}, {left + 5, top + 2, blue}, {left + 6, top, white}, {left + 8, top + 1, red}} {
		if got := rgbaAt(img, tc.x, tc.y); got != tc.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

func TestWriteGIF(t *testing.T) {
	dir := t.TempDir()
	red, green := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}
	f0, f1 := newCanvas(6, 4, red), newCanvas(6, 4, green)
	f1.set(2, 1, black)
	path := filepath.Join(dir, "sub", "anim.gif")
	if err := WriteGIF(path, []image.Image{f0.img, f1.img}, 7); err != nil {
		t.Fatal(err)
	}
	b1, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(b1))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 2 || !reflect.DeepEqual(g.Delay, []int{7, 7}) {
		t.Fatalf("frames %d delays %v, want 2 frames of 7", len(g.Image), g.Delay)
	}
	if b := g.Image[0].Bounds(); b.Dx() != 6 || b.Dy() != 4 {
		t.Errorf("frame size %v, want 6x4", b.Size())
	}
	for _, tc := range []struct {
		frame, x, y int
		want        color.RGBA
	}{{0, 0, 0, red}, {0, 5, 3, red}, {1, 0, 0, green}, {1, 2, 1, black}} {
		if got := rgbaAt(g.Image[tc.frame], tc.x, tc.y); got != tc.want {
			t.Errorf("frame %d pixel (%d,%d) = %v, want %v", tc.frame, tc.x, tc.y, got, tc.want)
		}
	}
	// Same input, same bytes.
	var buf bytes.Buffer
	if err := EncodeGIF(&buf, []image.Image{f0.img, f1.img}, 7); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), b1) {
		t.Error("EncodeGIF is not deterministic")
	}
	if err := EncodeGIF(io.Discard, []image.Image{f0.img, newCanvas(3, 3, red).img}, 1); err == nil {
		t.Error("frames of different sizes: want an error")
	}
	if err := EncodeGIF(io.Discard, nil, 1); err == nil {
		t.Error("no frames: want an error")
	}
}

func TestMedianCutManyColours(t *testing.T) {
	// 4096 distinct colours must be reduced to at most 256, each a mean of its box, and a
	// smooth gradient must quantise with a small error.
	c := newCanvas(64, 64, white)
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			c.set(x, y, color.RGBA{uint8(4 * x), uint8(4 * y), uint8(2 * (x + y)), 255})
		}
	}
	var buf bytes.Buffer
	if err := EncodeGIF(&buf, []image.Image{c.img}, 1); err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	p := g.Image[0]
	if len(p.Palette) > 256 {
		t.Fatalf("palette has %d colours", len(p.Palette))
	}
	worst := 0.0
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			a, b := c.img.RGBAAt(x, y), rgbaAt(p, x, y)
			worst = math.Max(worst, math.Abs(float64(a.R)-float64(b.R))+math.Abs(float64(a.G)-float64(b.G))+math.Abs(float64(a.B)-float64(b.B)))
		}
	}
	if worst > 48 {
		t.Errorf("worst quantisation error %g (sum of channel errors), want ≤ 48", worst)
	}
}

func TestEverythingDeterministic(t *testing.T) {
	lc := &LineChart{Title: "t"}
	lc.AddY("a", []float64{3, 1, 2})
	hm := NewHeatmap([]float32{1, -1, 0.5, 0}, 2, 2)
	sc := &Scatter{}
	sc.AddPanel("p", []float64{1, 2}, []float64{3, 4}, []int{0, 1}).AddPath([]float64{0, 1}, []float64{0, 1}, 0)
	ig := &ImageGrid{H: 1, W: 1}
	ig.Add([]float32{0.1, 0.2, 0.3})
	gr := &Grid{}
	gr.Add(lc).Add(hm)
	for name, enc := range map[string]func(io.Writer) error{
		"line": lc.Encode, "svg": lc.EncodeSVG, "heatmap": hm.Encode, "scatter": sc.Encode, "images": ig.Encode, "grid": gr.Encode,
	} {
		var a, b bytes.Buffer
		if err := enc(&a); err != nil {
			t.Fatal(name, err)
		}
		if err := enc(&b); err != nil {
			t.Fatal(name, err)
		}
		if a.Len() == 0 || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two encodings differ (or are empty)", name)
		}
	}
}

func TestLineChartSVGIsWellFormed(t *testing.T) {
	c := &LineChart{Title: "a < b & c", XLabel: "step", YLabel: "loss", LogY: true}
	c.Add("train", []float64{0, 1, 2, 3}, []float64{10, 1, math.NaN(), 0.1})
	var buf bytes.Buffer
	if err := c.EncodeSVG(&buf); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&buf)
	polylines, texts := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "polyline":
				polylines++
			case "text":
				texts++
			}
		}
	}
	// The NaN splits the series into two polylines.
	if polylines != 2 || texts < 5 {
		t.Errorf("polylines = %d, texts = %d; want 2 and ≥ 5", polylines, texts)
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	hm := NewHeatmap([]float32{1, 2}, 1, 2)
	path := filepath.Join(dir, "a", "b", "h.png")
	if err := hm.WritePNG(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("written file does not decode: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the PNG (no temp files)", len(entries))
	}
	// A parent that is a regular file cannot be created: the error names the path.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(blocker, "x.png")
	for name, write := range map[string]func(string) error{
		"png": hm.WritePNG, "svg": (&LineChart{}).WriteSVG,
		"gif": func(p string) error { return WriteGIF(p, []image.Image{solid{1, 1, white}.Image()}, 1) },
	} {
		if err := write(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: error %v does not name %s", name, err, bad)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		n      int
		want   []string
	}{
		{0, 10, 5, []string{"0", "2", "4", "6", "8", "10"}},
		{0.13, 0.91, 4, []string{"0.2", "0.4", "0.6", "0.8"}},
		{-1, 1, 4, []string{"-1.0", "-0.5", "0.0", "0.5", "1.0"}},
		{0, 2000, 8, []string{"0", "500", "1000", "1500", "2000"}},
		{1e-6, 5e-6, 4, []string{"1e-6", "2e-6", "3e-6", "4e-6", "5e-6"}},
	} {
		vs, d := niceTicks(tc.lo, tc.hi, tc.n)
		var got []string
		for _, v := range vs {
			got = append(got, formatTick(v, d))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ticks(%g, %g, %d) = %v, want %v", tc.lo, tc.hi, tc.n, got, tc.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []string
	}{
		{0.9, 5.5, []string{"1", "2", "5"}},
		{0.001, 20, []string{"0.001", "0.01", "0.1", "1", "10"}},
		{1e-9, 1e3, []string{"1e-9", "1e-7", "1e-5", "0.001", "0.1", "10", "1000"}},
	} {
		var got []string
		for _, v := range logTicks(tc.lo, tc.hi) {
			got = append(got, formatLog(v))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("logTicks(%g, %g) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestEmptyPicturesDoNotPanic(t *testing.T) {
	for name, p := range map[string]Picture{
		"line": &LineChart{}, "log": &LineChart{LogY: true}, "heatmap": &Heatmap{}, "scatter": &Scatter{},
		"images": &ImageGrid{}, "grid": &Grid{}, "titled-grid": &Grid{Title: "x"},
	} {
		if b := p.Image().Bounds(); b.Empty() {
			t.Errorf("%s: empty image", name)
		}
	}
}

func TestLogAxisUsesOneLabelStyle(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []string
	}{
		{1e-7, 3e-4, []string{"1e-7", "1e-6", "1e-5", "1e-4"}},
		{0.01, 100, []string{"0.01", "0.1", "1", "10", "100"}},
	} {
		a := &axes{logY: true, ylo: math.Log10(tc.lo), yhi: math.Log10(tc.hi)}
		if _, got := a.yTicks(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("log labels over [%g, %g] = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}
