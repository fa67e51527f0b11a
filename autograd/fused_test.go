package autograd

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"transformers/tensor"
)

// Gradient-check settings for the fused ops. The forward runs in float32, so
// the step cannot be tiny; with ε = 1e-2 the central difference is accurate to
// about 1e-4 on these sizes, and a backward that is wrong by 1% fails (see
// TestFusedGradCheckCatchesBrokenBackward).
const (
	fusedEps = 1e-2
	fusedTol = 1e-3
)

func fusedRandn(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

func fusedParam(rng *rand.Rand, name string, shape ...int) *Var {
	return Param(name, fusedRandn(rng, shape...))
}

func fusedRng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

// fusedGradCase is one row of the gradient-check table: inputs are built
// from a seeded source, f builds the graph from them.
type fusedGradCase struct {
	name   string
	inputs func(rng *rand.Rand) []*Var
	f      func(g *Graph, in []*Var) *Var
}

func fusedParams(shapes ...[]int) func(rng *rand.Rand) []*Var {
	return func(rng *rand.Rand) []*Var {
		vs := make([]*Var, len(shapes))
		for i, s := range shapes {
			vs[i] = fusedParam(rng, "in", s...)
		}
		return vs
	}
}

func fusedAttnCase(name string, tq, tk, d, dv int, opt AttentionOptions, biasShape []int, biasParam bool) fusedGradCase {
	const nb, nh = 2, 2
	return fusedGradCase{
		name: "Attention/" + name,
		inputs: func(rng *rand.Rand) []*Var {
			in := []*Var{
				fusedParam(rng, "q", nb, nh, tq, d),
				fusedParam(rng, "k", nb, nh, tk, d),
				fusedParam(rng, "v", nb, nh, tk, dv),
			}
			if biasShape != nil {
				b := fusedParam(rng, "bias", biasShape...)
				b.SetRequiresGrad(biasParam)
				in = append(in, b)
			}
			return in
		},
		f: func(g *Graph, in []*Var) *Var {
			o := opt
			if len(in) == 4 {
				o.Bias = in[3]
			}
			return g.Attention(in[0], in[1], in[2], o)
		},
	}
}

func fusedGradCases() []fusedGradCase {
	ceTargets := []int{0, 6, 3, 2, 1}
	return []fusedGradCase{
		{"CrossEntropy/plain", fusedParams([]int{5, 7}), func(g *Graph, in []*Var) *Var {
			return g.CrossEntropy(in[0], ceTargets, nil)
		}},
		{"CrossEntropy/mask", fusedParams([]int{5, 7}), func(g *Graph, in []*Var) *Var {
			return g.CrossEntropy(in[0], ceTargets, []float32{1, 0, 1, 1, 0})
		}},
		{"CrossEntropy/ignore", fusedParams([]int{5, 7}), func(g *Graph, in []*Var) *Var {
			return g.CrossEntropy(in[0], []int{0, IgnoreIndex, 3, IgnoreIndex, 1}, nil)
		}},
		{"CrossEntropy/weights+ignore", fusedParams([]int{5, 7}), func(g *Graph, in []*Var) *Var {
			return g.CrossEntropy(in[0], []int{0, IgnoreIndex, 3, 2, 1}, []float32{0.5, 1, 2, 0, 1})
		}},
		{"CrossEntropy/3d", fusedParams([]int{2, 3, 4}), func(g *Graph, in []*Var) *Var {
			return g.CrossEntropy(in[0], []int{0, 1, 2, 3, 3, IgnoreIndex}, nil)
		}},
		{"CrossEntropy/all-masked", fusedParams([]int{3, 4}), func(g *Graph, in []*Var) *Var {
			return g.CrossEntropy(in[0], []int{0, IgnoreIndex, 2}, []float32{0, 1, 0})
		}},
		{"CrossEntropyNorm/denom", fusedParams([]int{5, 7}), func(g *Graph, in []*Var) *Var {
			return g.CrossEntropyNorm(in[0], ceTargets, []float32{1, 0, 1, 1, 1}, 11)
		}},
		{"LayerNorm/affine", fusedParams([]int{3, 8}, []int{8}, []int{8}), func(g *Graph, in []*Var) *Var {
			return g.LayerNorm(in[0], in[1], in[2], 1e-5)
		}},
		{"LayerNorm/no-gamma", fusedParams([]int{3, 8}, []int{8}), func(g *Graph, in []*Var) *Var {
			return g.LayerNorm(in[0], nil, in[1], 1e-5)
		}},
		{"LayerNorm/no-beta", fusedParams([]int{3, 8}, []int{8}), func(g *Graph, in []*Var) *Var {
			return g.LayerNorm(in[0], in[1], nil, 1e-5)
		}},
		{"LayerNorm/no-affine-3d", fusedParams([]int{2, 3, 5}), func(g *Graph, in []*Var) *Var {
			return g.LayerNorm(in[0], nil, nil, 1e-5)
		}},
		{"LayerNorm/large-eps", fusedParams([]int{4, 6}, []int{6}, []int{6}), func(g *Graph, in []*Var) *Var {
			return g.LayerNorm(in[0], in[1], in[2], 0.5)
		}},
		{"RMSNorm/gamma", fusedParams([]int{3, 8}, []int{8}), func(g *Graph, in []*Var) *Var {
			return g.RMSNorm(in[0], in[1], 1e-6)
		}},
		{"RMSNorm/no-gamma-3d", fusedParams([]int{2, 3, 5}), func(g *Graph, in []*Var) *Var {
			return g.RMSNorm(in[0], nil, 1e-6)
		}},
		{"Embedding/repeated-ids", fusedParams([]int{5, 3}), func(g *Graph, in []*Var) *Var {
			return g.Embedding(in[0], []int{1, 3, 1, 4, 1, 0})
		}},
		{"Embedding/shape", fusedParams([]int{5, 3}), func(g *Graph, in []*Var) *Var {
			return g.Embedding(in[0], []int{1, 3, 1, 4, 4, 0}, 2, 3)
		}},
		{"Linear/bias", fusedParams([]int{5, 4}, []int{3, 4}, []int{3}), func(g *Graph, in []*Var) *Var {
			return g.Linear(in[0], in[1], in[2])
		}},
		{"Linear/no-bias-3d", fusedParams([]int{2, 3, 4}, []int{5, 4}), func(g *Graph, in []*Var) *Var {
			return g.Linear(in[0], in[1], nil)
		}},
		{"Linear/x-reused", fusedParams([]int{3, 4}, []int{4, 4}, []int{4}), func(g *Graph, in []*Var) *Var {
			return g.Mul(g.Linear(in[0], in[1], in[2]), in[0])
		}},
		fusedAttnCase("plain", 4, 4, 3, 3, AttentionOptions{}, nil, false),
		fusedAttnCase("causal", 4, 4, 3, 3, AttentionOptions{Causal: true}, nil, false),
		fusedAttnCase("causal+bias[H,T,T]", 4, 4, 3, 3, AttentionOptions{Causal: true}, []int{2, 4, 4}, true),
		fusedAttnCase("bias[B,H,T,T]", 4, 4, 3, 3, AttentionOptions{}, []int{2, 2, 4, 4}, true),
		fusedAttnCase("causal+bias[1,H,T,T]", 4, 4, 3, 3, AttentionOptions{Causal: true}, []int{1, 2, 4, 4}, true),
		fusedAttnCase("bias[B,1,T,T]", 4, 4, 3, 3, AttentionOptions{}, []int{2, 1, 4, 4}, true),
		fusedAttnCase("bias[T,T]", 4, 4, 3, 3, AttentionOptions{}, []int{4, 4}, true),
		fusedAttnCase("causal+const-bias", 4, 4, 3, 3, AttentionOptions{Causal: true}, []int{2, 4, 4}, false),
		fusedAttnCase("padding", 4, 4, 3, 3, AttentionOptions{KeyPadding: []bool{
			false, false, true, false,
			true, false, false, true}}, nil, false),
		// Batch 1 pads key 0, so its causal row 0 has no key left: a fully masked row.
		fusedAttnCase("causal+padding+empty-row", 4, 4, 3, 3, AttentionOptions{Causal: true, KeyPadding: []bool{
			false, false, false, true,
			true, false, false, false}}, []int{2, 4, 4}, true),
		fusedAttnCase("causal+Tq<Tk", 2, 5, 3, 3, AttentionOptions{Causal: true}, nil, false),
		fusedAttnCase("causal+Tq<Tk+bias+padding", 2, 5, 3, 3, AttentionOptions{Causal: true, KeyPadding: []bool{
			false, true, false, false, false,
			false, false, false, true, false}}, []int{2, 2, 5}, true),
		fusedAttnCase("Tq<Tk", 3, 5, 3, 3, AttentionOptions{}, nil, false),
		fusedAttnCase("Tq>Tk", 5, 3, 3, 3, AttentionOptions{}, nil, false),
		fusedAttnCase("scale", 4, 4, 3, 3, AttentionOptions{Causal: true, Scale: 0.7}, nil, false),
		// Longer than one causal row/key block of the blocked products.
		fusedAttnCase("causal+row-blocks", 2*attnRowBlock+3, 2*attnRowBlock+3, 2, 2, AttentionOptions{Causal: true}, nil, false),
		fusedAttnCase("causal+row-blocks+Tq<Tk", attnRowBlock+5, 2*attnRowBlock+7, 2, 2, AttentionOptions{Causal: true}, nil, false),
		fusedAttnCase("Dv!=D", 3, 4, 3, 2, AttentionOptions{Causal: true}, nil, false),
		{"AttentionQKV/causal", fusedParams([]int{2, 5, 12}), func(g *Graph, in []*Var) *Var {
			return g.AttentionQKV(in[0], 2, AttentionOptions{Causal: true})
		}},
		{"AttentionQKV/bias+padding", fusedParams([]int{2, 4, 18}, []int{3, 4, 4}), func(g *Graph, in []*Var) *Var {
			return g.AttentionQKV(in[0], 3, AttentionOptions{Causal: true, Bias: in[1], KeyPadding: []bool{
				false, true, false, false,
				false, false, false, true}})
		}},
		{"AttentionQKV/row-blocks", fusedParams([]int{1, attnRowBlock + 5, 6}), func(g *Graph, in []*Var) *Var {
			return g.AttentionQKV(in[0], 1, AttentionOptions{Causal: true})
		}},
		{"Attention/self(q=k=v)", fusedParams([]int{2, 2, 4, 3}), func(g *Graph, in []*Var) *Var {
			return g.Attention(in[0], in[0], in[0], AttentionOptions{Causal: true})
		}},
		{"AttentionWithWeights/causal+bias", fusedParams([]int{1, 2, 3, 2}, []int{1, 2, 3, 2}, []int{1, 2, 3, 2}, []int{2, 3, 3}),
			func(g *Graph, in []*Var) *Var {
				out, _ := g.AttentionWithWeights(in[0], in[1], in[2], AttentionOptions{Causal: true, Bias: in[3]})
				return out
			}},
		// A chain through every fused op, with the embedding table reused.
		{"Chain/Embedding→Attention→LayerNorm→RMSNorm→CrossEntropy",
			fusedParams([]int{6, 4}, []int{4}, []int{4}, []int{4}),
			func(g *Graph, in []*Var) *Var {
				ids := []int{0, 1, 2, 1, 5, 5, 3, 4}
				x := g.Embedding(in[0], ids, 1, 2, 4)
				a := g.Attention(x, x, x, AttentionOptions{Causal: true})
				h := g.RMSNorm(g.LayerNorm(a, in[1], in[2], 1e-5), in[3], 1e-6)
				return g.CrossEntropy(h, []int{1, 2, 3, 0, 0, IgnoreIndex, 2, 1}, []float32{1, 1, 1, 1, 0, 1, 1, 1})
			}},
	}
}

func TestFusedGradCheck(t *testing.T) {
	worst := map[string]float64{}
	for i, c := range fusedGradCases() {
		t.Run(c.name, func(t *testing.T) {
			in := c.inputs(fusedRng(uint64(100 + i)))
			res := GradCheck(c.f, in, uint64(i), fusedEps)
			op, _, _ := strings.Cut(c.name, "/")
			worst[op] = max(worst[op], res.MaxErr)
			if !(res.MaxErr <= fusedTol) {
				t.Errorf("%s", res)
			}
			for k, v := range in {
				if v.RequiresGrad() && v.Grad == nil {
					t.Errorf("input %d requires a gradient but got none", k)
				}
				if !v.RequiresGrad() && v.Grad != nil {
					t.Errorf("input %d is constant but got a gradient", k)
				}
			}
		})
	}
	for _, op := range slices.Sorted(maps.Keys(worst)) {
		t.Logf("largest gradcheck error %-20s %.3g", op, worst[op])
	}
}

// fusedBroken wraps f so that its backward is the real one, followed by
// corrupt on the inputs' gradients: a test-only wrong variant of every fused
// backward. The forward is unchanged.
func fusedBroken(f func(*Graph, []*Var) *Var, corrupt func(grads []*tensor.Tensor)) func(*Graph, []*Var) *Var {
	return func(g *Graph, in []*Var) *Var {
		shadow := make([]*Var, len(in))
		for i, v := range in {
			shadow[i] = &Var{Name: v.Name, Value: v.Value, requiresGrad: v.requiresGrad}
		}
		inner := New()
		y := f(inner, shadow)
		if !g.Recording() {
			return y
		}
		return g.Record("broken", y.Value, in, func(gout *tensor.Tensor) {
			inner.BackwardWith(y, gout)
			grads := make([]*tensor.Tensor, len(in))
			for i, s := range shadow {
				grads[i] = s.Grad
			}
			corrupt(grads)
			for i, v := range in {
				if grads[i] != nil {
					v.AddGrad(grads[i])
				}
			}
		})
	}
}

// fusedLayerNormForgetMean is LayerNorm (no affine) whose backward drops the
// −mean(dy) term, the classic slip of reusing RMSNorm's backward.
func fusedLayerNormForgetMean(g *Graph, in []*Var) *Var {
	x := in[0]
	y := NoGrad().LayerNorm(x, nil, nil, 1e-5).Value // = x̂ without affine
	rows, c := fusedLastDim("test", x.Value)
	st := normStats{x: x.Value.Data, c: c, mean: make([]float64, rows), rstd: make([]float64, rows)}
	for r := range rows {
		mean, sq := 0.0, 0.0
		for _, v := range x.Value.Data[r*c : (r+1)*c] {
			mean += float64(v)
		}
		mean /= float64(c)
		for _, v := range x.Value.Data[r*c : (r+1)*c] {
			sq += (float64(v) - mean) * (float64(v) - mean)
		}
		st.mean[r], st.rstd[r] = mean, 1/math.Sqrt(sq/float64(c)+1e-5)
	}
	return g.Record("LayerNormForgetMean", y, in, func(dy *tensor.Tensor) {
		dx := tensor.ZerosLike(x.Value)
		fusedNormBackward(dy.Data, st, nil, false, dx, nil, nil)
		x.AddGrad(dx)
	})
}

// fusedAttentionNoRowsum is attention whose backward treats the softmax as
// element-wise, dS = P ⊙ dP, forgetting the − rowsum(dP ⊙ P) term.
func fusedAttentionNoRowsum(g *Graph, in []*Var) *Var {
	q, k, v := in[0], in[1], in[2]
	y, p := NoGrad().AttentionWithWeights(q, k, v, AttentionOptions{Causal: true})
	nb, nh, tq, d := q.Value.Shape[0], q.Value.Shape[1], q.Value.Shape[2], q.Value.Shape[3]
	tk := k.Value.Shape[2]
	scale := float32(1 / math.Sqrt(float64(d)))
	return g.Record("AttentionNoRowsum", y.Value, in, func(dout *tensor.Tensor) {
		dq, dk, dv := tensor.ZerosLike(q.Value), tensor.ZerosLike(k.Value), tensor.ZerosLike(v.Value)
		for x := range nb * nh {
			for i := range tq {
				for j := range tk {
					pij := p.Data[(x*tq+i)*tk+j]
					dp := float32(0)
					for c := range d {
						dp += dout.Data[(x*tq+i)*d+c] * v.Value.Data[(x*tk+j)*d+c]
						dv.Data[(x*tk+j)*d+c] += pij * dout.Data[(x*tq+i)*d+c]
					}
					ds := scale * pij * dp // wrong: no − rowsum term
					for c := range d {
						dq.Data[(x*tq+i)*d+c] += ds * k.Value.Data[(x*tk+j)*d+c]
						dk.Data[(x*tk+j)*d+c] += ds * q.Value.Data[(x*tq+i)*d+c]
					}
				}
			}
		}
		q.AddGrad(dq)
		k.AddGrad(dk)
		v.AddGrad(dv)
	})
}

// Every test-only wrong backward must fail the same check that the real ones
// pass: the tolerance is tight enough to matter.
func TestFusedGradCheckCatchesBrokenBackward(t *testing.T) {
	byName := map[string]fusedGradCase{}
	for _, c := range fusedGradCases() {
		byName[c.name] = c
	}
	scale := func(k int, s float32) func([]*tensor.Tensor) {
		return func(gs []*tensor.Tensor) {
			for i := range gs[k].Data {
				gs[k].Data[i] *= s
			}
		}
	}
	nudge := func(k, i int, d float32) func([]*tensor.Tensor) {
		return func(gs []*tensor.Tensor) { gs[k].Data[i] += d }
	}
	drop := func(k int) func([]*tensor.Tensor) {
		return func(gs []*tensor.Tensor) { gs[k] = nil }
	}
	swap := func(k, i, j int) func([]*tensor.Tensor) {
		return func(gs []*tensor.Tensor) { gs[k].Data[i], gs[k].Data[j] = gs[k].Data[j], gs[k].Data[i] }
	}
	tests := []struct {
		name   string
		base   string
		f      func(*Graph, []*Var) *Var // nil: base case corrupted by corrupt
		broken func([]*tensor.Tensor)
	}{
		{"CE grad ×1.01 (wrong normaliser)", "CrossEntropy/weights+ignore", nil, scale(0, 1.01)},
		{"CE one logit grad +0.01", "CrossEntropy/mask", nil, nudge(0, 3, 0.01)},
		{"LayerNorm dγ ×0.99", "LayerNorm/affine", nil, scale(1, 0.99)},
		{"LayerNorm dβ dropped", "LayerNorm/affine", nil, drop(2)},
		{"LayerNorm forgets −mean(dy)", "LayerNorm/no-affine-3d", fusedLayerNormForgetMean, nil},
		{"RMSNorm dx two entries swapped", "RMSNorm/gamma", nil, swap(0, 1, 2)},
		{"Embedding one row grad ×1.01", "Embedding/repeated-ids", nil, scale(0, 1.01)},
		{"Linear db ×1.01", "Linear/bias", nil, scale(2, 1.01)},
		{"Linear dW one entry +0.01", "Linear/no-bias-3d", nil, nudge(1, 7, 0.01)},
		{"Linear dx dropped", "Linear/bias", nil, drop(0)},
		{"Attention dK ×1.01", "Attention/causal", nil, scale(1, 1.01)},
		{"AttentionQKV one qkv grad +0.01", "AttentionQKV/causal", nil, nudge(0, 17, 0.01)},
		{"Attention dBias one entry +0.01", "Attention/causal+bias[H,T,T]", nil, nudge(3, 5, 0.01)},
		{"Attention dV dropped", "Attention/causal+Tq<Tk", nil, drop(2)},
		{"Attention softmax backward without rowsum", "Attention/causal", fusedAttentionNoRowsum, nil},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, ok := byName[tc.base]
			if !ok {
				t.Fatalf("no case %q", tc.base)
			}
			f := tc.f
			if f == nil {
				f = fusedBroken(base.f, tc.broken)
			}
			in := base.inputs(fusedRng(uint64(200 + i)))
			res := GradCheck(f, in, uint64(i), fusedEps)
			t.Logf("broken: %s", res)
			if res.MaxErr <= fusedTol {
				t.Errorf("broken backward passed the gradient check: %s", res)
			}
			// The same inputs pass with the real backward.
			if ok := GradCheck(base.f, in, uint64(i), fusedEps); ok.MaxErr > fusedTol {
				t.Errorf("real backward failed: %s", ok)
			}
		})
	}
}
