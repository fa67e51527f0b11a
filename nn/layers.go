package nn

import (
	"fmt"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/tensor"
)

// Embedding is a lookup table: row i of Weight [vocab, dim] is the vector
// of token (or position) i. Its parameter is "<name>.weight".
type Embedding struct {
	Weight *autograd.Var
}

// NewEmbedding returns a [vocab, dim] table drawn from N(0, 0.02²).
func NewEmbedding(name string, vocab, dim int, rng *rand.Rand) *Embedding {
	return &Embedding{Weight: autograd.Param(Join(name, "weight"), Normal(rng, InitStd, vocab, dim))}
}

// Forward looks up ids, returning shape [shape..., dim] (shape defaults to
// [len(ids)]).
func (e *Embedding) Forward(g *autograd.Graph, ids []int, shape ...int) *autograd.Var {
	return g.Embedding(e.Weight, ids, shape...)
}

// Parameters returns [weight].
func (e *Embedding) Parameters() []*autograd.Var { return []*autograd.Var{e.Weight} }

// LayerNorm normalises the last axis to zero mean and unit variance and
// applies a learned gain and bias: y = (x − μ)/√(σ² + Eps) ⊙ weight + bias.
// Its parameters are "<name>.weight" (ones) and "<name>.bias" (zeros).
type LayerNorm struct {
	Weight, Bias *autograd.Var
	Eps          float32
}

// NewLayerNorm returns a LayerNorm over dim features with PyTorch's
// default Eps = 1e-5.
func NewLayerNorm(name string, dim int) *LayerNorm {
	return &LayerNorm{
		Weight: autograd.Param(Join(name, "weight"), tensor.Ones(dim)),
		Bias:   autograd.Param(Join(name, "bias"), tensor.Zeros(dim)),
		Eps:    1e-5,
	}
}

// Forward normalises x [..., dim].
func (l *LayerNorm) Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	return g.LayerNorm(x, l.Weight, l.Bias, l.Eps)
}

// Parameters returns [weight, bias].
func (l *LayerNorm) Parameters() []*autograd.Var { return []*autograd.Var{l.Weight, l.Bias} }

// RMSNorm rescales the last axis by its root mean square and a learned gain:
// y = x/√(mean(x²) + Eps) ⊙ weight. Its parameter is "<name>.weight" (ones).
type RMSNorm struct {
	Weight *autograd.Var
	Eps    float32
}

// NewRMSNorm returns an RMSNorm over dim features with Eps = 1e-6, as
// LLaMA uses.
func NewRMSNorm(name string, dim int) *RMSNorm {
	return &RMSNorm{Weight: autograd.Param(Join(name, "weight"), tensor.Ones(dim)), Eps: 1e-6}
}

// Forward normalises x [..., dim].
func (r *RMSNorm) Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	return g.RMSNorm(x, r.Weight, r.Eps)
}

// Parameters returns [weight].
func (r *RMSNorm) Parameters() []*autograd.Var { return []*autograd.Var{r.Weight} }

// Dropout zeroes each element with probability P during training and scales
// the survivors by 1/(1−P) ("inverted" dropout), so the expected value is
// unchanged and evaluation needs no rescaling: y = x ⊙ mask/(1−P) with
// mask ~ Bernoulli(1−P). In evaluation (Train false) or with P = 0 it is the
// identity. It has no parameters.
type Dropout struct {
	P     float64
	Train bool
}

// Forward applies dropout to x, drawing the mask from rng (which may be nil
// when the layer is the identity).
func (d *Dropout) Forward(g *autograd.Graph, x *autograd.Var, rng *rand.Rand) *autograd.Var {
	if d.P < 0 || d.P > 1 {
		panic(fmt.Sprintf("nn.Dropout: probability %g outside [0, 1]", d.P))
	}
	if !d.Train || d.P == 0 {
		return x
	}
	if rng == nil {
		panic("nn.Dropout: training mode needs a random source")
	}
	// mask holds 0 or 1/(1−P); with P = 1 everything is dropped.
	mask := make([]float32, x.Value.Numel())
	scale := float32(0)
	if d.P < 1 {
		scale = float32(1 / (1 - d.P))
	}
	for i := range mask {
		if rng.Float64() >= d.P {
			mask[i] = scale
		}
	}
	y := tensor.ZerosLike(x.Value)
	for i, v := range x.Value.Data {
		y.Data[i] = v * mask[i]
	}
	return g.Record("Dropout", y, []*autograd.Var{x}, func(gy *tensor.Tensor) {
		gx := tensor.ZerosLike(x.Value)
		for i, v := range gy.Data {
			gx.Data[i] = v * mask[i]
		}
		x.AddGrad(gx)
	})
}
