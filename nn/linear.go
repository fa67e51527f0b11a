package nn

import (
	"fmt"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/tensor"
)

// Linear is the affine map y = x·Wᵀ + b with the weight W stored (out, in),
// as torch.nn.Linear. Its parameters are "<name>.weight" and, if it has a
// bias, "<name>.bias".
type Linear struct {
	Weight *autograd.Var // [out, in]
	Bias   *autograd.Var // [out], or nil
}

// NewLinear returns a Linear from in to out features with the weight drawn
// from N(0, std²) and a zero bias (if bias). GPT-2 uses std = InitStd, and
// ResidualStd(nLayers) for projections into the residual stream.
func NewLinear(name string, in, out int, bias bool, std float64, rng *rand.Rand) *Linear {
	l := &Linear{Weight: autograd.Param(Join(name, "weight"), Normal(rng, std, out, in))}
	if bias {
		l.Bias = autograd.Param(Join(name, "bias"), tensor.Zeros(out))
	}
	return l
}

// Forward maps x [..., in] to [..., out]. The matrix product is one
// MatMulNT (no transpose is materialised) and the bias broadcasts over the
// leading dimensions.
func (l *Linear) Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	in := l.Weight.Value.Shape[1]
	xs := x.Value.Shape
	if len(xs) == 0 || xs[len(xs)-1] != in {
		panic(fmt.Sprintf("nn.Linear: input shape %v does not match weight shape %v (out, in)", xs, l.Weight.Value.Shape))
	}
	if len(xs) == 1 { // a single vector: treat as one row
		return g.Reshape(l.Forward(g, g.Reshape(x, 1, in)), l.Weight.Value.Shape[0])
	}
	return g.Linear(x, l.Weight, l.Bias)
}

// Parameters returns [weight] or [weight, bias].
func (l *Linear) Parameters() []*autograd.Var {
	if l.Bias == nil {
		return []*autograd.Var{l.Weight}
	}
	return []*autograd.Var{l.Weight, l.Bias}
}

// MLP is the transformer's position-wise feed-forward network with a GELU:
// y = c_proj(GELU(c_fc(x))), expanding dim to hidden (usually 4·dim) and back.
// Its parameters are "<name>.c_fc.*" then "<name>.c_proj.*".
type MLP struct {
	FC, Proj *Linear
	// TanhGELU selects GELU's tanh approximation (GPT-2) instead of the
	// exact x·Φ(x).
	TanhGELU bool
}

// NewMLP returns a GELU MLP (tanh approximation, as GPT-2) with c_fc drawn
// from N(0, 0.02²) and c_proj, which writes into the residual stream, from
// N(0, projStd²) (ResidualStd(nLayers) in GPT-2).
func NewMLP(name string, dim, hidden int, bias bool, projStd float64, rng *rand.Rand) *MLP {
	return &MLP{
		FC:       NewLinear(Join(name, "c_fc"), dim, hidden, bias, InitStd, rng),
		Proj:     NewLinear(Join(name, "c_proj"), hidden, dim, bias, projStd, rng),
		TanhGELU: true,
	}
}

// Forward maps x [..., dim] to [..., dim].
func (m *MLP) Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	h := m.FC.Forward(g, x)
	if m.TanhGELU {
		h = g.GELUTanh(h)
	} else {
		h = g.GELU(h)
	}
	return m.Proj.Forward(g, h)
}

// Parameters returns c_fc's then c_proj's parameters.
func (m *MLP) Parameters() []*autograd.Var { return Collect(m.FC, m.Proj) }

// SwiGLU is the gated feed-forward network of LLaMA and PaLM:
// y = down_proj(SiLU(gate_proj(x)) ⊙ up_proj(x)), with SiLU(z) = z·σ(z).
// Its parameters are "<name>.gate_proj.*", "<name>.up_proj.*",
// "<name>.down_proj.*".
type SwiGLU struct {
	Gate, Up, Down *Linear
}

// NewSwiGLU returns a SwiGLU from dim through hidden back to dim, gate and
// up drawn from N(0, 0.02²) and down (the residual projection) from
// N(0, projStd²). LLaMA uses no biases and hidden ≈ 8/3·dim, so the
// parameter count matches a 4·dim GELU MLP.
func NewSwiGLU(name string, dim, hidden int, bias bool, projStd float64, rng *rand.Rand) *SwiGLU {
	return &SwiGLU{
		Gate: NewLinear(Join(name, "gate_proj"), dim, hidden, bias, InitStd, rng),
		Up:   NewLinear(Join(name, "up_proj"), dim, hidden, bias, InitStd, rng),
		Down: NewLinear(Join(name, "down_proj"), hidden, dim, bias, projStd, rng),
	}
}

// Forward maps x [..., dim] to [..., dim].
func (s *SwiGLU) Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	return s.Down.Forward(g, g.Mul(g.SiLU(s.Gate.Forward(g, x)), s.Up.Forward(g, x)))
}

// Parameters returns gate_proj's, up_proj's, then down_proj's parameters.
func (s *SwiGLU) Parameters() []*autograd.Var { return Collect(s.Gate, s.Up, s.Down) }
