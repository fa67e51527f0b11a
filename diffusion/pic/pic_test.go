package pic

import (
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestGridPixels(t *testing.T) {
	red := make([]float32, 2*2*3)
	for i := 0; i < len(red); i += 3 {
		red[i], red[i+1], red[i+2] = 1, -1, -1
	}
	img := Grid([][]float32{red}, 2, 2, 1, 1, 3)
	gap := 3
	if c := img.RGBAAt(gap, gap); c.R != 255 || c.G != 0 || c.B != 0 {
		t.Errorf("first image pixel = %v, want red", c)
	}
	if c := img.RGBAAt(0, 0); c.R != 128 {
		t.Errorf("gap pixel = %v, want grey", c)
	}
	if w := img.Bounds().Dx(); w != 2*3+2*gap {
		t.Errorf("width %d, want %d", w, 2*3+2*gap)
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	im := make([]float32, 4*4*3)
	if err := WriteGrid(filepath.Join(dir, "g.png"), [][]float32{im, im}, 4, 4, 1, 2, 2); err != nil {
		t.Fatal(err)
	}
	if err := WriteGIF(filepath.Join(dir, "a.gif"), [][][]float32{{im}, {im}}, 4, 4, 1, 1, 2, 5); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"g.png"} {
		fh, _ := os.Open(filepath.Join(dir, f))
		if _, err := png.Decode(fh); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		fh.Close()
	}
	fh, _ := os.Open(filepath.Join(dir, "a.gif"))
	defer fh.Close()
	if g, err := gif.DecodeAll(fh); err != nil || len(g.Image) != 2 {
		t.Errorf("gif: %v, frames %v", err, g)
	}
}
