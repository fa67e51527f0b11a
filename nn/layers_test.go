package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"transformers/autograd"
	"transformers/tensor"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

func names(ps []*autograd.Var) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s = %q, want %q", what, got, want)
		}
	}
}

const gradTol = 2e-3 // float32 central differences at eps 1e-2

func TestEmbedding(t *testing.T) {
	e := NewEmbedding("wte", 7, 3, newRand(1))
	sameStrings(t, "names", names(e.Parameters()), []string{"wte.weight"})
	ids := []int{4, 0, 4, 6}
	y := e.Forward(autograd.NoGrad(), ids, 2, 2)
	if !tensor.SameShape(y.Value.Shape, []int{2, 2, 3}) {
		t.Fatalf("shape %v, want [2 2 3]", y.Value.Shape)
	}
	for i, id := range ids {
		for j := 0; j < 3; j++ {
			if y.Value.Data[i*3+j] != e.Weight.Value.Data[id*3+j] {
				t.Fatalf("row %d is not weight row %d", i, id)
			}
		}
	}
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		return e.Forward(g, ids)
	}, []*autograd.Var{e.Weight}, 3, 1e-2)
	if res.MaxErr > gradTol {
		t.Errorf("Embedding gradient: %v", res)
	}
	var std float64
	for _, v := range e.Weight.Value.Data {
		std += float64(v) * float64(v)
	}
	if std = math.Sqrt(std / 21); std > 0.05 || std < 0.005 {
		t.Errorf("init std %g, want about 0.02", std)
	}
}

func TestNorms(t *testing.T) {
	rng := newRand(2)
	x := autograd.Param("x", Normal(rng, 3, 4, 6))
	ln := NewLayerNorm("h.0.ln_1", 6)
	rms := NewRMSNorm("h.0.rms_1", 6)
	sameStrings(t, "LayerNorm names", names(ln.Parameters()), []string{"h.0.ln_1.weight", "h.0.ln_1.bias"})
	sameStrings(t, "RMSNorm names", names(rms.Parameters()), []string{"h.0.rms_1.weight"})
	y := ln.Forward(autograd.NoGrad(), x).Value
	z := rms.Forward(autograd.NoGrad(), x).Value
	for r := 0; r < 4; r++ {
		var mean, sq, zsq float64
		for j := 0; j < 6; j++ {
			mean += float64(y.Data[r*6+j]) / 6
			sq += float64(y.Data[r*6+j]) * float64(y.Data[r*6+j]) / 6
			zsq += float64(z.Data[r*6+j]) * float64(z.Data[r*6+j]) / 6
		}
		if math.Abs(mean) > 1e-5 || math.Abs(sq-1) > 1e-3 || math.Abs(zsq-1) > 1e-3 {
			t.Errorf("row %d: LayerNorm mean %g, mean square %g; RMSNorm mean square %g", r, mean, sq, zsq)
		}
	}
	// Gradients flow to the input and to the norm parameters.
	InitNormal(ln.Weight.Value, 1, rng)
	InitNormal(ln.Bias.Value, 1, rng)
	InitNormal(rms.Weight.Value, 1, rng)
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		return rms.Forward(g, ln.Forward(g, in[0]))
	}, []*autograd.Var{x, ln.Weight, ln.Bias, rms.Weight}, 4, 1e-2)
	if res.MaxErr > gradTol {
		t.Errorf("LayerNorm→RMSNorm gradient: %v", res)
	}
}

func TestDropout(t *testing.T) {
	x := autograd.Param("x", tensor.Ones(100, 100))
	// Evaluation and P = 0 are the identity.
	for _, d := range []Dropout{{P: 0.5, Train: false}, {P: 0, Train: true}} {
		if y := d.Forward(autograd.New(), x, nil); y != x {
			t.Errorf("%+v: not the identity", d)
		}
	}
	tests := []float64{0.1, 0.5, 0.9}
	for _, p := range tests {
		d := Dropout{P: p, Train: true}
		y := d.Forward(autograd.NoGrad(), x, newRand(5)).Value
		zeros, sum := 0, 0.0
		scale := float32(1 / (1 - p))
		for _, v := range y.Data {
			switch v {
			case 0:
				zeros++
			case scale:
			default:
				t.Fatalf("P=%g: survivor %g, want exactly %g", p, v, scale)
			}
			sum += float64(v)
		}
		// 10⁴ Bernoulli draws: the dropped fraction is within 4σ ≤ 0.02 of P,
		// and inverted scaling keeps the mean near 1.
		if frac := float64(zeros) / 1e4; math.Abs(frac-p) > 0.02 {
			t.Errorf("P=%g: dropped fraction %g", p, frac)
		}
		if mean := sum / 1e4; math.Abs(mean-1) > 0.02/(1-p) {
			t.Errorf("P=%g: mean %g, want about 1", p, mean)
		}
	}
	// All dropped at P = 1, and the same seed gives the same mask.
	if y := (&Dropout{P: 1, Train: true}).Forward(autograd.NoGrad(), x, newRand(1)).Value; y.Data[0] != 0 || y.Data[9999] != 0 {
		t.Error("P=1 kept elements")
	}
	a := (&Dropout{P: 0.3, Train: true}).Forward(autograd.NoGrad(), x, newRand(9)).Value
	b := (&Dropout{P: 0.3, Train: true}).Forward(autograd.NoGrad(), x, newRand(9)).Value
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatal("same seed, different masks")
		}
	}
	// Backward uses the forward's mask.
	small := autograd.Param("x", Normal(newRand(3), 1, 5, 4))
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		return (&Dropout{P: 0.4, Train: true}).Forward(g, in[0], newRand(11))
	}, []*autograd.Var{small}, 6, 1e-2)
	if res.MaxErr > gradTol {
		t.Errorf("Dropout gradient: %v", res)
	}
}
