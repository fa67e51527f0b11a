package plot

import (
	"fmt"
	"image"
	"image/gif"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestDemo renders one picture of each kind and fails on any write or
// encode error. With PLOT_DEMO=dir (e.g. /tmp/plot-demo) the pictures are
// kept there for a human to look at; otherwise they go to a temporary folder.
func TestDemo(t *testing.T) {
	dir := os.Getenv("PLOT_DEMO")
	if dir == "" {
		dir = t.TempDir()
	}
	var train, val []float64
	var steps []float64
	for i := 0; i <= 200; i++ {
		x := float64(i * 10)
		steps = append(steps, x)
		train = append(train, 4.2*math.Exp(-x/400)+0.9+0.05*math.Sin(x/7))
		val = append(val, 4.2*math.Exp(-x/450)+1.05)
	}
	lc := &LineChart{Title: "Training loss", XLabel: "step", YLabel: "loss (nats)"}
	lc.Add("train", steps, train).Add("validation", steps, val)
	must(t, lc.WritePNG(filepath.Join(dir, "line.png")))
	must(t, lc.WriteSVG(filepath.Join(dir, "line.svg")))
	spec := newCanvas(640, 150, white)
	for i, line := range []string{"0123456789 ABCDEFGHIJKLM", "NOPQRSTUVWXYZ abcdefghijklm", "nopqrstuvwxyz .,-+:=()/%<>|_[]'", "?!*#\"^~&@$;{}\\ typing: 1e-3 (x+y)"} {
		spec.text(8, 8+i*36, line, 3, black)
	}
	must(t, WritePNG(filepath.Join(dir, "font.png"), rgbaPicture{spec.img}))
	lg := &LineChart{Title: "Loss, log scale", XLabel: "step", YLabel: "loss", LogY: true, TextScale: 2, Width: 800, Height: 500}
	lg.Add("train", steps, train).Add("val", steps, val)
	must(t, lg.WritePNG(filepath.Join(dir, "line-log.png")))

	toks := []string{"The", "cat", "sat", "on", "the", "mat", "."}
	n := len(toks)
	att := make([]float32, n*n)
	for i := 0; i < n; i++ {
		var z float64
		for j := 0; j <= i; j++ {
			z += math.Exp(-float64(i-j) / 2)
		}
		for j := 0; j <= i; j++ {
			att[i*n+j] = float32(math.Exp(-float64(i-j)/2) / z)
		}
	}
	hm := NewHeatmap(att, n, n)
	hm.Title, hm.RowLabels, hm.ColLabels = "Attention L0 H0", toks, toks
	must(t, hm.WritePNG(filepath.Join(dir, "heatmap.png")))

	lens := &Heatmap{Title: "Logit lens: logit(correct) - logit(best other)", ColLabels: toks, CellSize: 40, ShowValues: true}
	for l := 0; l < 4; l++ {
		lens.RowLabels = append(lens.RowLabels, "layer "+string(rune('0'+l)))
		var row []float64
		for j := 0; j < n; j++ {
			row = append(row, float64(l)*0.9-1.5+0.3*math.Sin(float64(j)))
		}
		lens.Values = append(lens.Values, row)
	}
	must(t, lens.WritePNG(filepath.Join(dir, "heatmap-signed.png")))

	g := &Grid{Title: "Attention by layer and head", Cols: 4}
	for l := 0; l < 2; l++ {
		for hd := 0; hd < 4; hd++ {
			a := make([]float32, n*n)
			for i := 0; i < n; i++ {
				k := (i * (hd + 1 + l)) % (i + 1)
				a[i*n+k] = 1
			}
			p := NewHeatmap(a, n, n)
			p.Title = "L" + string(rune('0'+l)) + " H" + string(rune('0'+hd))
			p.RowLabels, p.ColLabels, p.Min, p.Max, p.NoColorBar = toks, toks, 0, 1, hd != 3
			g.Add(p)
		}
	}
	must(t, g.WritePNG(filepath.Join(dir, "grid.png")))

	long := []string{"Once", "upon", "a", "time", ",", "a", "happy", "puppy", "played", "jumpy", "games", "in", "the", "grassy", "yard", "."}
	nl := len(long)
	la := make([]float32, nl*nl)
	for i := 0; i < nl; i++ {
		for j := 0; j <= i; j++ {
			la[i*nl+j] = float32(1 / float64(i+1))
		}
	}
	big := NewHeatmap(la, nl, nl)
	big.Title, big.RowLabels, big.ColLabels, big.CellSize, big.TextScale = "Uniform causal attention", long, long, 24, 1
	must(t, big.WritePNG(filepath.Join(dir, "heatmap-big.png")))

	var lr []float64
	for i := 0; i < 300; i++ {
		lr = append(lr, 3e-4*math.Pow(0.97, float64(i)))
	}
	lrc := &LineChart{Title: "Learning rate", XLabel: "step", YLabel: "lr", LogY: true}
	lrc.AddY("cosine-ish decay", lr)
	must(t, lrc.WritePNG(filepath.Join(dir, "line-lr.png")))

	rng := rand.New(rand.NewPCG(1, 2))
	sc := &Scatter{Title: "Flow matching samples", ClassNames: []string{"left moon", "right moon"},
		XMin: -3, XMax: 3, YMin: -3, YMax: 3}
	const m = 200
	x0, y0, x1, y1 := make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, m)
	cls := make([]int, m)
	for i := range m {
		x0[i], y0[i] = rng.NormFloat64(), rng.NormFloat64()
		cls[i] = i % 2
		th := rng.Float64() * math.Pi
		if cls[i] == 0 {
			x1[i], y1[i] = 2*math.Cos(th)-1, 2*math.Sin(th)-0.5
		} else {
			x1[i], y1[i] = 1-2*math.Cos(th), 0.5-2*math.Sin(th)
		}
	}
	for _, tt := range []float64{1, 0.75, 0.5, 0.25, 0} {
		xs, ys := make([]float64, m), make([]float64, m)
		for i := range m {
			xs[i], ys[i] = tt*x0[i]+(1-tt)*x1[i], tt*y0[i]+(1-tt)*y1[i]
		}
		p := sc.AddPanel(fmt.Sprintf("t = %.2f", tt), xs, ys, cls)
		if tt == 0 {
			for i := 0; i < 12; i++ {
				p.AddPath([]float64{x0[i], 0.5*x0[i] + 0.5*x1[i] + 0.3, x1[i]}, []float64{y0[i], 0.5*y0[i] + 0.5*y1[i], y1[i]}, cls[i])
			}
		}
	}
	must(t, sc.WritePNG(filepath.Join(dir, "scatter.png")))

	const hh, ww = 16, 16
	sample := func(k int, noise float64) []float32 {
		img := make([]float32, 3*hh*ww)
		cx, cy := 4+float64(k%3)*4, 4+float64(k/3%3)*4
		for y := 0; y < hh; y++ {
			for x := 0; x < ww; x++ {
				d := math.Hypot(float64(x)-cx, float64(y)-cy)
				v := []float64{-1, -1, -1}
				if d < 4 {
					v = []float64{math.Cos(float64(k)), math.Sin(float64(k)), 0.5}
				} else {
					v[2] = -0.3 + 0.05*float64(y)
				}
				for c := range 3 {
					img[c*hh*ww+y*ww+x] = float32((1-noise)*v[c] + noise*rng.NormFloat64())
				}
			}
		}
		return img
	}
	ig := &ImageGrid{Title: "Samples", H: hh, W: ww, Cols: 4, RowLabels: []string{"t=1", "t=0.5", "t=0"}, ColLabels: []string{"a", "b", "c", "d"}}
	for _, nz := range []float64{1, 0.5, 0} {
		for k := 0; k < 4; k++ {
			ig.Add(sample(k, nz))
		}
	}
	must(t, ig.WritePNG(filepath.Join(dir, "images.png")))
	var frames []image.Image
	for f := 0; f <= 10; f++ {
		g := &ImageGrid{Title: fmt.Sprintf("t = %.1f", 1-float64(f)/10), H: hh, W: ww, Cols: 4}
		for k := 0; k < 8; k++ {
			g.Add(sample(k, 1-float64(f)/10))
		}
		frames = append(frames, g.Image())
	}
	must(t, WriteGIF(filepath.Join(dir, "anim.gif"), frames, 20))
	fh, err := os.Open(filepath.Join(dir, "anim.gif"))
	must(t, err)
	defer fh.Close()
	an, err := gif.DecodeAll(fh)
	must(t, err)
	must(t, WritePNG(filepath.Join(dir, "anim-frame5.png"), rgbaPicture{an.Image[5]}))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rgbaPicture adapts any image to Picture.
type rgbaPicture struct{ im image.Image }

func (p rgbaPicture) Image() *image.RGBA {
	b := p.im.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(x, y, p.im.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}
