package autograd

import (
	"testing"

	"transformers/tensor"
)

// TestAttentionQKVMatchesSplitHeads checks AttentionQKV against the same
// attention built from generic shape ops: split the fused projection into
// heads, Attention, merge the heads. Values and gradients must agree.
func TestAttentionQKVMatchesSplitHeads(t *testing.T) {
	const nb, tt, heads, d = 2, 70, 4, 8 // above one causal row block, parallel
	c := heads * d
	rng := fusedRng(21)
	x0 := fusedRandn(rng, nb, tt, 3*c)
	r := fusedRandn(rng, nb, tt, c)
	bias0 := fusedRandn(rng, heads, tt, tt)
	run := func(fused bool) []*tensor.Tensor {
		x, bias := Param("qkv", x0.Clone()), Param("bias", bias0.Clone())
		g := New()
		opt := AttentionOptions{Causal: true, Bias: bias}
		var y *Var
		if fused {
			y = g.AttentionQKV(x, heads, opt)
		} else {
			parts := g.Split(g.Permute(g.Reshape(x, nb, tt, 3, heads, d), 2, 0, 3, 1, 4), 0, 1, 1, 1)
			q, k, v := g.Reshape(parts[0], nb, heads, tt, d), g.Reshape(parts[1], nb, heads, tt, d), g.Reshape(parts[2], nb, heads, tt, d)
			y = g.Reshape(g.Permute(g.Attention(q, k, v, opt), 0, 2, 1, 3), nb, tt, c)
		}
		g.Backward(g.SumAll(g.Mul(y, Const(r))))
		return []*tensor.Tensor{y.Value, x.Grad, bias.Grad}
	}
	want, got := run(false), run(true)
	for i, name := range []string{"y", "∂qkv", "∂bias"} {
		if !tensor.SameShape(want[i].Shape, got[i].Shape) {
			t.Fatalf("%s: shape %v, want %v", name, got[i].Shape, want[i].Shape)
		}
		for j := range want[i].Data {
			if d := got[i].Data[j] - want[i].Data[j]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("%s[%d] = %g, split heads give %g", name, j, got[i].Data[j], want[i].Data[j])
			}
		}
	}
}

func TestAttentionQKVShapePanics(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape []int
		heads int
	}{{"2-D", []int{4, 12}, 2}, {"not 3·heads", []int{1, 4, 10}, 2}, {"no heads", []int{1, 4, 12}, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			New().AttentionQKV(Param("x", tensor.Zeros(tc.shape...)), tc.heads, AttentionOptions{})
		})
	}
}

// TestAttentionCacheMatchesAttention checks attention over the filled part
// of larger key/value buffers against Attention on exactly those keys, with
// the gradient of q, for a causal decode step and a non-causal block.
func TestAttentionCacheMatchesAttention(t *testing.T) {
	const nb, nh, d, capacity = 2, 3, 4, 9
	rng := fusedRng(23)
	kb, vb := fusedRandn(rng, nb, nh, capacity, d), fusedRandn(rng, nb, nh, capacity, d)
	for _, tc := range []struct {
		tq, tk int
		causal bool
	}{{1, 6, true}, {3, 6, true}, {2, 9, false}} {
		q0 := fusedRandn(rng, nb, nh, tc.tq, d)
		r := fusedRandn(rng, nb, nh, tc.tq, d)
		opt := AttentionOptions{Causal: tc.causal}
		q1, q2 := Param("q", q0.Clone()), Param("q", q0.Clone())
		g := New()
		y1 := g.AttentionCache(q1, kb, vb, tc.tk, opt)
		g.Backward(g.SumAll(g.Mul(y1, Const(r))))
		k, v := tensor.Slice(kb, 2, 0, tc.tk), tensor.Slice(vb, 2, 0, tc.tk)
		g2 := New()
		y2 := g2.Attention(q2, Const(k), Const(v), opt)
		g2.Backward(g2.SumAll(g2.Mul(y2, Const(r))))
		for i := range y2.Value.Data {
			if y1.Value.Data[i] != y2.Value.Data[i] {
				t.Fatalf("tq=%d tk=%d: output %d = %v, Attention gives %v", tc.tq, tc.tk, i, y1.Value.Data[i], y2.Value.Data[i])
			}
		}
		for i := range q2.Grad.Data {
			if q1.Grad.Data[i] != q2.Grad.Data[i] {
				t.Fatalf("tq=%d tk=%d: ∂q %d = %v, Attention gives %v", tc.tq, tc.tk, i, q1.Grad.Data[i], q2.Grad.Data[i])
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("tk beyond the cache did not panic")
		}
	}()
	New().AttentionCache(Param("q", tensor.Zeros(nb, nh, 1, d)), kb, vb, capacity+1, AttentionOptions{})
}
