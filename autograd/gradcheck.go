package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"transformers/tensor"
)

// GradCheckResult reports how far analytic gradients are from numerical ones.
type GradCheckResult struct {
	MaxErr   float64 // max over all checked elements of |analytic−numeric| / max(1, |numeric|)
	Input    int     // which input holds the worst element
	Index    int     // flat index of the worst element
	Analytic float64
	Numeric  float64
}

func (r GradCheckResult) String() string {
	return fmt.Sprintf("max error %.3g at input %d index %d (analytic %.6g, numeric %.6g)",
		r.MaxErr, r.Input, r.Index, r.Analytic, r.Numeric)
}

// GradCheck differentiates f at inputs both ways and compares.
//
// The scalar checked is L = Σ Y⊙R where Y = f(inputs) and R is a fixed random
// tensor drawn from seed, so every output element contributes with its own
// weight (a plain sum would hide errors that cancel). The numerical gradient
// is the central difference (L(x+ε) − L(x−ε)) / 2ε with L accumulated in
// float64. Inputs that do not require a gradient are not perturbed. f must be
// deterministic and build its graph from scratch on the Graph it is given.
func GradCheck(f func(g *Graph, in []*Var) *Var, inputs []*Var, seed uint64, eps float64) GradCheckResult {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	// Analytic pass.
	for _, in := range inputs {
		in.ZeroGrad()
	}
	g := New()
	y := f(g, inputs)
	r := tensor.ZerosLike(y.Value)
	for i := range r.Data {
		r.Data[i] = float32(rng.NormFloat64())
	}
	g.BackwardWith(y, r)

	loss := func() float64 {
		out := f(NoGrad(), inputs)
		s := 0.0
		for i, v := range out.Value.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	var res GradCheckResult
	for k, in := range inputs {
		if !in.RequiresGrad() {
			continue
		}
		for i := range in.Value.Data {
			old := in.Value.Data[i]
			in.Value.Data[i] = old + float32(eps)
			lp := loss()
			in.Value.Data[i] = old - float32(eps)
			lm := loss()
			in.Value.Data[i] = old
			// Use the perturbation actually applied after float32 rounding.
			h := float64(old+float32(eps)) - float64(old-float32(eps))
			num := (lp - lm) / h
			ana := 0.0
			if in.Grad != nil {
				ana = float64(in.Grad.Data[i])
			}
			e := math.Abs(ana-num) / math.Max(1, math.Abs(num))
			if e > res.MaxErr || math.IsNaN(e) {
				res = GradCheckResult{MaxErr: e, Input: k, Index: i, Analytic: ana, Numeric: num}
				if math.IsNaN(e) {
					res.MaxErr = math.Inf(1)
				}
			}
		}
	}
	return res
}
