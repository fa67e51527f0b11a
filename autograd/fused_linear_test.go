package autograd

import (
	"runtime"
	"testing"

	"transformers/tensor"
)

// TestLinearMatchesComposition checks the fused layer against
// Add(MatMulNT(x, w), b) on sizes large enough to run in parallel, value
// and all three gradients, and that its result is the same on 1 and 2 cores.
func TestLinearMatchesComposition(t *testing.T) {
	rng := fusedRng(11)
	x0, w0, b0 := fusedRandn(rng, 3, 100, 70), fusedRandn(rng, 260, 70), fusedRandn(rng, 260)
	r := fusedRandn(rng, 3, 100, 260) // L = Σ y⊙r
	run := func(fused bool) []*tensor.Tensor {
		x, w, b := Param("x", x0.Clone()), Param("w", w0.Clone()), Param("b", b0.Clone())
		g := New()
		var y *Var
		if fused {
			y = g.Linear(x, w, b)
		} else {
			y = g.Add(g.MatMulNT(x, w), b)
		}
		g.Backward(g.SumAll(g.Mul(y, Const(r))))
		return []*tensor.Tensor{y.Value, x.Grad, w.Grad, b.Grad}
	}
	want, got := run(false), run(true)
	for i, name := range []string{"y", "∂x", "∂w", "∂b"} {
		if !tensor.SameShape(want[i].Shape, got[i].Shape) {
			t.Fatalf("%s: shape %v, want %v", name, got[i].Shape, want[i].Shape)
		}
		for j := range want[i].Data {
			if d := got[i].Data[j] - want[i].Data[j]; d > 1e-3 || d < -1e-3 {
				t.Fatalf("%s[%d] = %g, composition gives %g", name, j, got[i].Data[j], want[i].Data[j])
			}
		}
	}
	prev := runtime.GOMAXPROCS(1)
	one := run(true)
	runtime.GOMAXPROCS(2)
	two := run(true)
	runtime.GOMAXPROCS(prev)
	for i := range one {
		for j := range one[i].Data {
			if one[i].Data[j] != two[i].Data[j] {
				t.Fatalf("result %d differs between 1 and 2 cores at %d: %g vs %g", i, j, one[i].Data[j], two[i].Data[j])
			}
		}
	}
}

func TestLinearShapePanics(t *testing.T) {
	for _, tc := range []struct {
		name    string
		x, w, b []int
	}{
		{"in mismatch", []int{2, 3}, []int{4, 5}, nil},
		{"bias length", []int{2, 3}, []int{4, 3}, []int{3}},
		{"weight 3-D", []int{2, 3}, []int{1, 4, 3}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			var b *Var
			if tc.b != nil {
				b = Param("b", tensor.Zeros(tc.b...))
			}
			New().Linear(Param("x", tensor.Zeros(tc.x...)), Param("w", tensor.Zeros(tc.w...)), b)
		})
	}
}
