package autograd

import (
	"fmt"
	"testing"

	"transformers/tensor"
)

// Forward and backward of each fused op at the sizes of a small GPT
// (B·T = 512 tokens, C = 128, H = 4, V = 4096).
func BenchmarkFused(b *testing.B) {
	rng := fusedRng(10)
	const nb, nt, nc, nh, nv = 4, 128, 128, 4, 4096
	ids := make([]int, nb*nt)
	for i := range ids {
		ids[i] = rng.IntN(nv)
	}
	cases := []struct {
		name string
		in   []*Var
		f    func(g *Graph, in []*Var) *Var
	}{
		{"CrossEntropy", []*Var{fusedParam(rng, "logits", nb*nt, nv)}, func(g *Graph, in []*Var) *Var {
			return g.CrossEntropy(in[0], ids, nil)
		}},
		{"LayerNorm", []*Var{fusedParam(rng, "x", nb*nt, nc), fusedParam(rng, "g", nc), fusedParam(rng, "b", nc)}, func(g *Graph, in []*Var) *Var {
			return g.LayerNorm(in[0], in[1], in[2], 1e-5)
		}},
		{"RMSNorm", []*Var{fusedParam(rng, "x", nb*nt, nc), fusedParam(rng, "g", nc)}, func(g *Graph, in []*Var) *Var {
			return g.RMSNorm(in[0], in[1], 1e-6)
		}},
		{"Embedding", []*Var{fusedParam(rng, "wte", nv, nc)}, func(g *Graph, in []*Var) *Var {
			return g.Embedding(in[0], ids, nb, nt)
		}},
		{"Attention/causal", []*Var{fusedParam(rng, "q", nb, nh, nt, nc/nh), fusedParam(rng, "k", nb, nh, nt, nc/nh), fusedParam(rng, "v", nb, nh, nt, nc/nh)},
			func(g *Graph, in []*Var) *Var {
				return g.Attention(in[0], in[1], in[2], AttentionOptions{Causal: true})
			}},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s/fwd", c.name), func(b *testing.B) {
			for b.Loop() {
				c.f(NoGrad(), c.in)
			}
		})
		b.Run(fmt.Sprintf("%s/fwd+bwd", c.name), func(b *testing.B) {
			for b.Loop() {
				g := New()
				y := c.f(g, c.in)
				g.BackwardWith(y, tensor.Ones(y.Value.Shape...))
				for _, v := range c.in {
					v.ZeroGrad()
				}
			}
		})
	}
}

// LayerNorm forward and backward on the reference model's activations
// ([2048, 128]: 16 sequences of 128 tokens, C = 128) with a random
// upstream gradient: on a plain graph, and on a graph that recycles its
// buffers from step to step as the training loop's does.
func BenchmarkLayerNormTrain(b *testing.B) {
	rng := fusedRng(11)
	const rows, c = 2048, 128
	x, gamma, beta := fusedParam(rng, "x", rows, c), fusedParam(rng, "g", c), fusedParam(rng, "b", c)
	dy := fusedRandn(rng, rows, c)
	for _, recycle := range []bool{false, true} {
		b.Run(map[bool]string{false: "graph", true: "recycled"}[recycle], func(b *testing.B) {
			b.SetBytes(rows * c * 4)
			g := New()
			if recycle {
				g.RecycleBuffers()
			}
			for b.Loop() {
				y := g.LayerNorm(x, gamma, beta, 1e-5)
				g.BackwardWith(y, dy)
				g.Reset()
				x.ZeroGrad()
				gamma.ZeroGrad()
				beta.ZeroGrad()
			}
		})
	}
}

// Forward and backward of AttentionQKV at the shape of one attention layer
// of a training step: B = 16, T = 128, C = 128 (qkv [16, 128, 384]), 4
// heads, causal.
func BenchmarkAttentionQKV(b *testing.B) {
	rng := fusedRng(11)
	const nb, nt, nc, nh = 16, 128, 128, 4
	qkv := fusedParam(rng, "qkv", nb, nt, 3*nc)
	opt := AttentionOptions{Causal: true}
	b.Run("fwd", func(b *testing.B) {
		for b.Loop() {
			NoGrad().AttentionQKV(qkv, nh, opt)
		}
	})
	b.Run("fwd+bwd", func(b *testing.B) {
		for b.Loop() {
			g := New()
			y := g.AttentionQKV(qkv, nh, opt)
			g.BackwardWith(y, tensor.Ones(y.Value.Shape...))
			qkv.ZeroGrad()
		}
	})
}
