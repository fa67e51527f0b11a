package autograd

import (
	"runtime"
	"testing"

	"transformers/tensor"
)

// TestFusedSameBitsOnAnyCoreCount runs fused ops on inputs large enough to
// split over goroutines, on 1, 2 and 3 cores, and requires bit-identical
// values and gradients.
func TestFusedSameBitsOnAnyCoreCount(t *testing.T) {
	rng := fusedRng(31)
	x0, g0, b0 := fusedRandn(rng, 3, 150, 96), fusedRandn(rng, 96), fusedRandn(rng, 96)
	qkv0 := fusedRandn(rng, 3, 80, 96)
	cases := map[string]func(g *Graph, in []*Var) *Var{
		"LayerNorm":    func(g *Graph, in []*Var) *Var { return g.LayerNorm(in[0], in[1], in[2], 1e-5) },
		"RMSNorm":      func(g *Graph, in []*Var) *Var { return g.RMSNorm(in[0], in[1], 1e-6) },
		"AttentionQKV": func(g *Graph, in []*Var) *Var { return g.AttentionQKV(in[3], 4, AttentionOptions{Causal: true}) },
	}
	for name, f := range cases {
		run := func(procs int) []*tensor.Tensor {
			prev := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(prev)
			in := []*Var{Param("x", x0.Clone()), Param("g", g0.Clone()), Param("b", b0.Clone()), Param("qkv", qkv0.Clone())}
			g := New()
			y := f(g, in)
			r := tensor.Zeros(y.Value.Shape...)
			for i := range r.Data {
				r.Data[i] = float32(i%7) - 3
			}
			g.Backward(g.SumAll(g.Mul(y, Const(r))))
			out := []*tensor.Tensor{y.Value}
			for _, v := range in {
				if v.Grad != nil {
					out = append(out, v.Grad)
				}
			}
			return out
		}
		one := run(1)
		for _, procs := range []int{2, 3} {
			other := run(procs)
			if len(other) != len(one) {
				t.Fatalf("%s: %d results on %d cores, %d on 1", name, len(other), procs, len(one))
			}
			for i := range one {
				for j := range one[i].Data {
					if one[i].Data[j] != other[i].Data[j] {
						t.Fatalf("%s: result %d element %d is %g on 1 core, %g on %d", name, i, j, one[i].Data[j], other[i].Data[j], procs)
					}
				}
			}
		}
	}
}
