package part5

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"transformers/diffusion"
)

func TestAdherence(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, attrs := diffusion.ShapeImages(rng, 20, false)
	imgs := Images(x, 20)
	attr, all := Adherence(imgs, attrs)
	if all < 0.9 || attr[1] != 1 || attr[3] != 1 {
		t.Errorf("rendered images against their own attributes: %v, all %v", attr, all)
	}
	// Asking for other colours makes the colour column 0.
	other := append([]diffusion.Attrs(nil), attrs...)
	for i := range other {
		other[i].Colour = (other[i].Colour + 1) % len(diffusion.ColourNames)
	}
	if attr, all := Adherence(imgs, other); attr[1] != 0 || all != 0 {
		t.Errorf("wrong colours scored %v, all %v", attr, all)
	}
}

func TestLossLog(t *testing.T) {
	l := NewLossLog(10, 5)
	for s := 0; s < 10; s++ {
		l.Add(s, float64(s), 0.1)
	}
	var b bytes.Buffer
	l.Print(&b, diffusion.TrainStats{Losses: make([]float64, 10), Elapsed: 1e9}, 4)
	out := b.String()
	for _, want := range []string{"   2    0.5000", "  10    8.5000", "time per step 100.0 ms, 40 training examples/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
