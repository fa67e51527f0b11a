package autograd

import (
	"math"
	"testing"

	"transformers/tensor"
)

// poolStep is one training-like step over every op that draws from the
// pool: Linear, AttentionQKV, LayerNorm, GELUTanh and the residual Add,
// with sizes above poolMin. It returns the parameters' gradients (copied)
// and the loss.
func poolStep(g *Graph, ps []*Var, x0 *tensor.Tensor, targets []int) (float32, [][]float32) {
	for _, p := range ps {
		p.ZeroGrad()
	}
	wqkv, wo, w1, w2, gam, bet := ps[0], ps[1], ps[2], ps[3], ps[4], ps[5]
	x := Const(x0)
	h := g.LayerNorm(x, gam, bet, 1e-5)
	a := g.Linear(g.AttentionQKV(g.Linear(h, wqkv, nil), 2, AttentionOptions{Causal: true}), wo, nil)
	r := g.Add(x, a)
	f := g.Linear(g.GELUTanh(g.Linear(g.LayerNorm(r, gam, bet, 1e-5), w1, nil)), w2, nil)
	out := g.Add(r, f)
	loss := g.CrossEntropy(out, targets, nil)
	g.Backward(loss)
	var grads [][]float32
	for _, p := range ps {
		grads = append(grads, append([]float32(nil), p.Grad.Data...))
	}
	return loss.Value.Data[0], grads
}

// TestRecycleBuffersSameResults runs the same steps on a plain graph and on
// a recycling one whose free buffers are filled with NaN after every Reset:
// an op that read a stale buffer it was meant to overwrite (or forgot to
// clear one it accumulates into) would change the results or make them NaN.
func TestRecycleBuffersSameResults(t *testing.T) {
	rng := fusedRng(41)
	const b, T, c = 2, 40, 64 // activations [2, 40, 64] = 5120 elements ≥ poolMin
	ps := []*Var{fusedParam(rng, "wqkv", 3*c, c), fusedParam(rng, "wo", c, c), fusedParam(rng, "w1", 2*c, c),
		fusedParam(rng, "w2", c, 2*c), fusedParam(rng, "g", c), fusedParam(rng, "b", c)}
	for _, p := range ps {
		for i := range p.Value.Data {
			p.Value.Data[i] *= 0.2
		}
	}
	targets := make([]int, b*T)
	for i := range targets {
		targets[i] = (i * 7) % c
	}
	plain, rec := New(), New().RecycleBuffers()
	reused := 0
	for step := range 3 {
		x0 := fusedRandn(rng, b, T, c)
		l1, g1 := poolStep(plain, ps, x0, targets)
		plain.Reset()
		seen := map[*float32]bool{}
		for _, bufs := range rec.pool.free {
			for _, buf := range bufs {
				seen[&buf[0]] = true
			}
		}
		l2, g2 := poolStep(rec, ps, x0, targets)
		for _, buf := range rec.pool.used {
			if seen[&buf[0]] {
				reused++
			}
		}
		rec.Reset()
		for _, bufs := range rec.pool.free {
			for _, buf := range bufs {
				for i := range buf {
					buf[i] = float32(math.NaN())
				}
			}
		}
		if l1 != l2 {
			t.Fatalf("step %d: loss %v with recycling, %v without", step, l2, l1)
		}
		for i := range g1 {
			for j := range g1[i] {
				if g1[i][j] != g2[i][j] {
					t.Fatalf("step %d: grad of %s[%d] = %v with recycling, %v without", step, ps[i].Name, j, g2[i][j], g1[i][j])
				}
			}
		}
	}
	if reused < 10 {
		t.Errorf("only %d buffers were reused over 3 steps; the pool is not working", reused)
	}
	// Parameters' gradients are never pool buffers, so they survive Reset.
	for _, bufs := range rec.pool.free {
		for _, buf := range bufs {
			for _, p := range ps {
				if &p.Grad.Data[0] == &buf[0] {
					t.Fatalf("gradient of parameter %s is a pool buffer", p.Name)
				}
			}
		}
	}
}
