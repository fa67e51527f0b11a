package part2

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"transformers/nn/plot"
)

func TestWriteAndPNGSize(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	var b bytes.Buffer
	hm := plot.NewHeatmap([]float32{0, 1, 2, 3}, 2, 2)
	if err := Write(&b, hm, dir, "h.png"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "wrote "+filepath.Join(dir, "h.png")) {
		t.Errorf("Write printed %q", b.String())
	}
	if w, h, err := PNGSize(filepath.Join(dir, "h.png")); err != nil || w == 0 || h == 0 {
		t.Errorf("PNGSize = %d, %d, %v", w, h, err)
	}
	if _, _, err := PNGSize(filepath.Join(dir, "missing.png")); err == nil {
		t.Error("PNGSize of a missing file gave no error")
	}
}

func TestHelpers(t *testing.T) {
	if d := MaxAbsDiff([]float32{1, 2, 3}, []float32{1, 2.5, 2}); d != 1 {
		t.Errorf("MaxAbsDiff = %v, want 1", d)
	}
	if err := Positive("a", 1, "b", 0); err == nil || !strings.Contains(err.Error(), "-b 0") {
		t.Errorf("Positive: %v", err)
	}
	if err := Positive("a", 1); err != nil {
		t.Error(err)
	}
	d := LoadCorpus(5000)
	if len(d.Train) == 0 || len(d.Val) == 0 || d.Tok.Decode(d.Train[:20]) != d.TrainText[:len(d.Tok.Decode(d.Train[:20]))] {
		t.Errorf("LoadCorpus: %d train, %d val tokens", len(d.Train), len(d.Val))
	}
}
