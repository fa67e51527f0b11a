package scalar

import "math"

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter), as
// PyTorch's torch.optim.AdamW computes it. For each weight w with gradient g,
// at step t = 1, 2, …:
//
//	w ← w − lr·λ·w                      (decay, decoupled from the gradient)
//	m ← β₁·m + (1 − β₁)·g               (first moment)
//	v ← β₂·v + (1 − β₂)·g²              (second moment)
//	m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)   (bias correction)
//	w ← w − lr·m̂/(√v̂ + ε)
type AdamW struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Params                             []*Value
	M, V                               []float64 // moments, one per parameter
	T                                  int       // steps taken
}

// NewAdamW returns an optimiser over params with the book's defaults:
// lr 1e-3, β 0.9/0.999, ε 1e-8, weight decay 0.01.
func NewAdamW(params []*Value) *AdamW {
	return &AdamW{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01,
		Params: params, M: make([]float64, len(params)), V: make([]float64, len(params))}
}

// Step applies one update from the parameters' current gradients.
func (o *AdamW) Step() {
	o.T++
	c1 := 1 - math.Pow(o.Beta1, float64(o.T))
	c2 := 1 - math.Pow(o.Beta2, float64(o.T))
	for i, p := range o.Params {
		g := p.Grad
		p.Data -= o.LR * o.WeightDecay * p.Data
		o.M[i] = o.Beta1*o.M[i] + (1-o.Beta1)*g
		o.V[i] = o.Beta2*o.V[i] + (1-o.Beta2)*g*g
		mHat := o.M[i] / c1
		vHat := o.V[i] / c2
		p.Data -= o.LR * mHat / (math.Sqrt(vHat) + o.Eps)
	}
}

// ZeroGrad clears every parameter's gradient before the next backward pass.
func (o *AdamW) ZeroGrad() { ZeroGrad(o.Params) }
