package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"transformers/autograd"
	"transformers/scalar"
	"transformers/scalar/toy"
	"transformers/tensor"
)

// toTensor copies a scalar matrix into a float32 tensor with the given shape.
func toTensor(m scalar.Matrix, shape ...int) *tensor.Tensor {
	var data []float32
	for _, r := range m {
		for _, v := range r {
			data = append(data, float32(v.Data))
		}
	}
	return tensor.New(data, shape...)
}

func grads(m scalar.Matrix) []float64 {
	var out []float64
	for _, r := range m {
		for _, v := range r {
			out = append(out, v.Grad)
		}
	}
	return out
}

// weightedSum returns Σ m[i][j]·r[i·cols+j] in the scalar engine.
func weightedSum(m scalar.Matrix, r []float32) *scalar.Value {
	var terms []*scalar.Value
	for i, row := range m {
		for j, v := range row {
			terms = append(terms, v.MulF(float64(r[i*len(row)+j])))
		}
	}
	return scalar.Sum(terms)
}

func randR(n int, seed uint64) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	r := make([]float32, n)
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	return tensor.New(r, n)
}

func assertClose(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		e := math.Abs(float64(got[i])-want[i]) / (1e-6 + 1e-4*math.Abs(want[i]))
		worst = math.Max(worst, e)
	}
	if worst > 1 {
		t.Errorf("%s: float32 engine and float64 scalar engine disagree (worst %.2f× tolerance)", what, worst)
	}
}

// One causal attention head of the book's toy model, forward and backward,
// in both engines: Part 1's scalar float64 engine and the float32 tensor engine.
func TestTensorEngineAgreesWithScalarOnAttentionHead(t *testing.T) {
	m := toy.New(toy.BookSeed)
	p := m.Forward(toy.Tokens, nil)
	T := len(toy.Tokens)
	r := randR(T*toy.DK, 3)
	// Scalar engine: loss = Σ head0 ⊙ R, gradients on X and the three weights.
	weightedSum(p.HeadOut[0], r.Data).Backward()

	x := autograd.Param("X", toTensor(p.X, T, toy.DModel))
	wq := autograd.Param("W_Q", toTensor(m.WQ[0], toy.DModel, toy.DK))
	wk := autograd.Param("W_K", toTensor(m.WK[0], toy.DModel, toy.DK))
	wv := autograd.Param("W_V", toTensor(m.WV[0], toy.DModel, toy.DK))
	for _, fused := range []bool{true, false} {
		for _, v := range []*autograd.Var{x, wq, wk, wv} {
			v.ZeroGrad()
		}
		g := autograd.New()
		q, k, v := g.MatMul(x, wq), g.MatMul(x, wk), g.MatMul(x, wv)
		var out *autograd.Var
		name := "generic ops"
		if fused {
			name = "fused Attention"
			shape := []int{1, 1, T, toy.DK}
			out = g.Attention(g.Reshape(q, shape...), g.Reshape(k, shape...), g.Reshape(v, shape...), autograd.AttentionOptions{Causal: true})
			out = g.Reshape(out, T, toy.DK)
		} else {
			scores := g.Scale(g.MatMulNT(q, k), float32(1/math.Sqrt(toy.DK)))
			mask := tensor.Zeros(T, T)
			for i := 0; i < T; i++ {
				for j := i + 1; j < T; j++ {
					mask.Data[i*T+j] = 1
				}
			}
			w := g.Softmax(g.MaskedFill(scores, mask, float32(math.Inf(-1))), -1)
			out = g.MatMul(w, v)
		}
		g.BackwardWith(out, tensor.New(r.Data, T, toy.DK))
		assertClose(t, name+": head output", out.Value.Data, flatten(p.HeadOut[0]))
		assertClose(t, name+": ∂/∂X", x.Grad.Data, grads(p.X))
		assertClose(t, name+": ∂/∂W_Q", wq.Grad.Data, grads(m.WQ[0]))
		assertClose(t, name+": ∂/∂W_K", wk.Grad.Data, grads(m.WK[0]))
		assertClose(t, name+": ∂/∂W_V", wv.Grad.Data, grads(m.WV[0]))
	}
}

// The toy model's LayerNorm, forward and backward, in both engines.
func TestTensorEngineAgreesWithScalarOnLayerNorm(t *testing.T) {
	m := toy.New(toy.BookSeed)
	p := m.Forward(toy.Tokens, nil)
	T := len(toy.Tokens)
	r := randR(T*toy.DModel, 4)
	weightedSum(p.Norm, r.Data).Backward()

	x := autograd.Param("residual", toTensor(p.Residual, T, toy.DModel))
	gamma := autograd.Param("gamma", tensor.Ones(toy.DModel))
	beta := autograd.Param("beta", tensor.Zeros(toy.DModel))
	g := autograd.New()
	y := g.LayerNorm(x, gamma, beta, toy.Eps)
	g.BackwardWith(y, tensor.New(r.Data, T, toy.DModel))
	assertClose(t, "LayerNorm output", y.Value.Data, flatten(p.Norm))
	assertClose(t, "∂/∂residual", x.Grad.Data, grads(p.Residual))
	assertClose(t, "∂/∂γ", gamma.Grad.Data, scalarGrads(m.Gamma))
	assertClose(t, "∂/∂β", beta.Grad.Data, scalarGrads(m.Beta))
}

func flatten(m scalar.Matrix) []float64 {
	var out []float64
	for _, r := range m {
		out = append(out, scalar.Floats(r)...)
	}
	return out
}

func scalarGrads(vs []*scalar.Value) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = v.Grad
	}
	return out
}
