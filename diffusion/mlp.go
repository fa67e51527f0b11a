package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/nn"
	"transformers/tensor"
)

// TimeEmbedding maps times t [B] to sinusoidal features [B, dim] (dim even,
// at least 4):
//
//	e[b, k] = sin(ω_k·t_b),  e[b, half+k] = cos(ω_k·t_b),
//	ω_k = 200^(k/(half−1)),  k = 0 … half−1,
//
// angular frequencies spaced geometrically from 1 (slow: tells early from
// late) to 200 (fast: resolves Δt ≈ 0.01), the transformer's position code
// rescaled for t ∈ [0, 1].
func TimeEmbedding(t []float32, dim int) *tensor.Tensor {
	if dim%2 != 0 || dim < 4 {
		panic(fmt.Sprintf("diffusion.TimeEmbedding: dim %d must be even and ≥ 4", dim))
	}
	half := dim / 2
	out := tensor.Zeros(len(t), dim)
	for k := 0; k < half; k++ {
		f := math.Pow(200, float64(k)/float64(half-1))
		for b, tb := range t {
			a := float64(tb) * f
			out.Data[b*dim+k] = float32(math.Sin(a))
			out.Data[b*dim+half+k] = float32(math.Cos(a))
		}
	}
	return out
}

// MLPField is a velocity network for flat data [B, D]: the input x and a
// sinusoidal embedding of t are concatenated and passed through Depth hidden
// layers of width Hidden with SiLU, then a linear map back to D:
//
//	v(x, t) = W_out · SiLU(… SiLU(W_1·[x; emb(t)] + b_1) …) + b_out
//
// With a Skip layer the input is also carried straight to the output,
// scaled per sample by a learned function of time: v += (Skip·emb(t))·x.
// The velocity noise − data contains the noise, which a hidden layer
// narrower than D cannot pass through; the skip can.
type MLPField struct {
	Dim, TimeDim int
	Layers       []*nn.Linear
	Skip         *nn.Linear // [1, TimeDim], or nil
}

// NewMLPField builds an MLPField for dim-dimensional data with depth hidden
// layers of width hidden, weights drawn with std 1/√fan_in and the output
// layer scaled by 0.1 so training starts from a nearly zero field.
func NewMLPField(name string, dim, timeDim, hidden, depth int, rng *rand.Rand) *MLPField {
	m := &MLPField{Dim: dim, TimeDim: timeDim}
	in := dim + timeDim
	for i := 0; i < depth; i++ {
		m.Layers = append(m.Layers, nn.NewLinear(nn.Join(name, fmt.Sprintf("fc%d", i)), in, hidden, true, 1/math.Sqrt(float64(in)), rng))
		in = hidden
	}
	m.Layers = append(m.Layers, nn.NewLinear(nn.Join(name, "out"), in, dim, true, 0.1/math.Sqrt(float64(in)), rng))
	return m
}

// WithSkip adds the time-scaled skip connection (initialised to zero).
func (m *MLPField) WithSkip(name string) *MLPField {
	m.Skip = zeroLinear(nn.Join(name, "skip"), m.TimeDim, 1)
	return m
}

// Forward returns v(x, t) for x [B, Dim] and one time per row.
func (m *MLPField) Forward(g *autograd.Graph, x *autograd.Var, t []float32) *autograd.Var {
	emb := autograd.Const(TimeEmbedding(t, m.TimeDim))
	h := g.Concat(1, x, emb)
	for i, l := range m.Layers {
		h = l.Forward(g, h)
		if i < len(m.Layers)-1 {
			h = g.SiLU(h)
		}
	}
	if m.Skip != nil {
		h = g.Add(h, g.Mul(x, m.Skip.Forward(g, emb)))
	}
	return h
}

// Parameters lists the layers' weights and biases in order.
func (m *MLPField) Parameters() []*autograd.Var {
	var ps []*autograd.Var
	for _, l := range m.Layers {
		ps = append(ps, l.Parameters()...)
	}
	if m.Skip != nil {
		ps = append(ps, m.Skip.Parameters()...)
	}
	return ps
}

// Field returns the trained network as a sampling Field (no gradients).
func (m *MLPField) Field() Field {
	return func(x *tensor.Tensor, t float32) *tensor.Tensor {
		ts := make([]float32, x.Shape[0])
		for i := range ts {
			ts[i] = t
		}
		return m.Forward(autograd.NoGrad(), autograd.Const(x), ts).Value
	}
}

// MSE is the flow-matching loss mean((pred − target)²) over every entry.
func MSE(g *autograd.Graph, pred *autograd.Var, target *tensor.Tensor) *autograd.Var {
	d := g.Sub(pred, autograd.Const(target))
	return g.MeanAll(g.Mul(d, d))
}

// CheckFinite returns an error naming what and the step if x is NaN or ±Inf,
// so a training loop stops at the first bad loss instead of printing NaNs.
func CheckFinite(what string, step int, x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("step %d: %s is %v; training stopped", step, what, x)
	}
	return nil
}
