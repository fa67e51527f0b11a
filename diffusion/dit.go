package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/nn"
	"transformers/tensor"
)

// DiTConfig sizes a diffusion transformer.
type DiTConfig struct {
	ImageSize, Channels, Patch  int // input images [B, ImageSize, ImageSize, Channels]
	Dim, Depth, Heads, MLPRatio int
	// Classes > 0 adds a class embedding with Classes+1 rows; row Classes is
	// the null class used for unconditional predictions.
	Classes int
	// CrossAttention adds, in every block, cross-attention from the image
	// tokens to a context sequence [B, L, Dim] (a text encoder's output).
	CrossAttention bool
}

// Tokens is the number of patches, (ImageSize/Patch)².
func (c DiTConfig) Tokens() int { return (c.ImageSize / c.Patch) * (c.ImageSize / c.Patch) }

// DiT is a diffusion transformer (Peebles & Xie, 2023) for flow matching:
//
//	patches:  the image is cut into Patch×Patch squares, each flattened and
//	          mapped linearly to Dim, plus a fixed 2-D sine–cosine position;
//	condition c = MLP(TimeEmbedding(t)) [+ class embedding] [+ pooled text];
//	blocks:   x += g₁ ⊙ Attn(LN(x)·(1+s₁) + b₁)
//	          [x += CrossAttn(LN(x), context)]
//	          x += g₂ ⊙ MLP(LN(x)·(1+s₂) + b₂)
//	          with (b₁, s₁, g₁, b₂, s₂, g₂) = Linear(SiLU(c)) — adaLN;
//	output:   LN(x)·(1+s) + b → Linear → patches → image of velocities,
//	          plus a skip a(c)·x: a learned function of the condition times
//	          the input. A patch (Patch²·Channels numbers) can be wider than a
//	          token (Dim), and the velocity noise − data contains the noise, so
//	          the skip carries it past the bottleneck.
//
// The adaLN maps and the output layer start at zero, so every block starts
// as the identity and the untrained network predicts v = 0 ("adaLN-Zero").
type DiT struct {
	Cfg            DiTConfig
	PatchEmbed     *nn.Linear
	Pos            *tensor.Tensor // [Tokens, Dim], fixed (PositionGrid)
	TimeIn, TimeUp *nn.Linear
	ClassEmb       *nn.Embedding
	Blocks         []*DiTBlock
	FinalAda, Out  *nn.Linear
	Skip           *nn.Linear // Dim → 1, the skip's scale a(c)
}

// DiTBlock is one transformer block with adaLN-Zero modulation.
type DiTBlock struct {
	Ada, QKV, Proj            *nn.Linear
	CrossNorm                 *nn.LayerNorm
	CrossQ, CrossKV, CrossOut *nn.Linear
	MLP                       *nn.MLP
}

const timeFreqs = 64

// NewDiT builds a DiT with weights drawn from rng: linear maps N(0, 0.02²)
// except the adaLN maps and the output layer, which are zero.
func NewDiT(name string, c DiTConfig, rng *rand.Rand) *DiT {
	if c.ImageSize%c.Patch != 0 || c.Dim%c.Heads != 0 || c.Dim%4 != 0 {
		panic(fmt.Sprintf("diffusion.NewDiT: image %d not divisible by patch %d, or dim %d by heads %d / 4", c.ImageSize, c.Patch, c.Dim, c.Heads))
	}
	pd := c.Patch * c.Patch * c.Channels
	std := 0.02
	m := &DiT{Cfg: c,
		PatchEmbed: nn.NewLinear(nn.Join(name, "patch"), pd, c.Dim, true, 1/math.Sqrt(float64(pd)), rng),
		Pos:        PositionGrid(c.ImageSize/c.Patch, c.Dim),
		TimeIn:     nn.NewLinear(nn.Join(name, "time.0"), timeFreqs, c.Dim, true, 1/math.Sqrt(timeFreqs), rng),
		TimeUp:     nn.NewLinear(nn.Join(name, "time.2"), c.Dim, c.Dim, true, std, rng),
		FinalAda:   zeroLinear(nn.Join(name, "final.ada"), c.Dim, 2*c.Dim),
		Out:        zeroLinear(nn.Join(name, "final.out"), c.Dim, pd),
		Skip:       zeroLinear(nn.Join(name, "skip"), c.Dim, 1),
	}
	if c.Classes > 0 {
		m.ClassEmb = nn.NewEmbedding(nn.Join(name, "class"), c.Classes+1, c.Dim, rng)
	}
	for i := 0; i < c.Depth; i++ {
		p := nn.Join(name, fmt.Sprintf("blocks.%d", i))
		b := &DiTBlock{
			Ada:  zeroLinear(nn.Join(p, "ada"), c.Dim, 6*c.Dim),
			QKV:  nn.NewLinear(nn.Join(p, "attn.qkv"), c.Dim, 3*c.Dim, true, std, rng),
			Proj: nn.NewLinear(nn.Join(p, "attn.proj"), c.Dim, c.Dim, true, std, rng),
			MLP:  nn.NewMLP(nn.Join(p, "mlp"), c.Dim, c.MLPRatio*c.Dim, true, std, rng),
		}
		if c.CrossAttention {
			b.CrossNorm = nn.NewLayerNorm(nn.Join(p, "cross.norm"), c.Dim)
			b.CrossQ = nn.NewLinear(nn.Join(p, "cross.q"), c.Dim, c.Dim, true, std, rng)
			b.CrossKV = nn.NewLinear(nn.Join(p, "cross.kv"), c.Dim, 2*c.Dim, true, std, rng)
			b.CrossOut = zeroLinear(nn.Join(p, "cross.out"), c.Dim, c.Dim)
		}
		m.Blocks = append(m.Blocks, b)
	}
	return m
}

func zeroLinear(name string, in, out int) *nn.Linear {
	return &nn.Linear{Weight: autograd.Param(name+".weight", tensor.Zeros(out, in)), Bias: autograd.Param(name+".bias", tensor.Zeros(out))}
}

// PositionGrid is the fixed 2-D sine–cosine position code [side², dim] of a
// side×side grid: the first dim/2 features encode the row, the last dim/2 the
// column, each as sin/cos(p·ω_k) with ω_k = π·(4·side)^(−k/(dim/4)),
// k = 0 … dim/4 − 1. The frequencies fit the grid: the fastest alternates
// from one cell to the next (ω = π), the slowest turns a quarter wave across
// it, so even a 2×2 grid gets clearly different codes. (Transformers over
// long sequences use base 10000 instead; on a few cells most of those
// features would be constant.)
func PositionGrid(side, dim int) *tensor.Tensor {
	out := tensor.Zeros(side*side, dim)
	q := dim / 4
	for r := 0; r < side; r++ {
		for c := 0; c < side; c++ {
			row := out.Data[(r*side+c)*dim:]
			for k := 0; k < q; k++ {
				f := math.Pi * math.Pow(4*float64(side), -float64(k)/float64(q))
				row[k], row[q+k] = float32(math.Sin(float64(r)*f)), float32(math.Cos(float64(r)*f))
				row[2*q+k], row[3*q+k] = float32(math.Sin(float64(c)*f)), float32(math.Cos(float64(c)*f))
			}
		}
	}
	return out
}

// Patchify cuts x [B, H, W, C] into non-overlapping p×p patches
// [B, (H/p)·(W/p), p·p·C], row by row, each patch flattened row-major.
func Patchify(g *autograd.Graph, x *autograd.Var, p int) *autograd.Var {
	s := x.Value.Shape
	if len(s) != 4 || s[1]%p != 0 || s[2]%p != 0 {
		panic(fmt.Sprintf("diffusion.Patchify: shape %v with patch %d", s, p))
	}
	b, h, w, c := s[0], s[1]/p, s[2]/p, s[3]
	y := g.Permute(g.Reshape(x, b, h, p, w, p, c), 0, 1, 3, 2, 4, 5)
	return g.Reshape(y, b, h*w, p*p*c)
}

// Unpatchify is Patchify's inverse: [B, (H/p)·(W/p), p·p·C] → [B, H, W, C].
func Unpatchify(g *autograd.Graph, x *autograd.Var, p, h, w, c int) *autograd.Var {
	b := x.Value.Shape[0]
	y := g.Permute(g.Reshape(x, b, h/p, w/p, p, p, c), 0, 1, 3, 2, 4, 5)
	return g.Reshape(y, b, h, w, c)
}

// Cond is what a DiT is conditioned on besides t: class labels (Classes >
// 0; the label Classes means "no class"), a context sequence for
// cross-attention [B, L, Dim], and a pooled vector [B, Dim] (e.g. the mean
// of the context) that joins the time embedding in adaLN.
type Cond struct {
	Classes []int
	Context *autograd.Var
	Pooled  *autograd.Var
}

// Forward predicts the velocity [B, H, W, C] for x [B, H, W, C] at times t.
func (m *DiT) Forward(g *autograd.Graph, x *autograd.Var, t []float32, cond Cond) *autograd.Var {
	c := m.Cfg
	b := x.Value.Shape[0]
	if len(t) != b {
		panic(fmt.Sprintf("diffusion.DiT: input shape %v with %d times", x.Value.Shape, len(t)))
	}
	h := g.Add(m.PatchEmbed.Forward(g, Patchify(g, x, c.Patch)), autograd.Const(m.Pos)) // [B, T, D]
	cv := m.TimeUp.Forward(g, g.SiLU(m.TimeIn.Forward(g, autograd.Const(TimeEmbedding(t, timeFreqs)))))
	if m.ClassEmb != nil {
		if len(cond.Classes) != b {
			panic(fmt.Sprintf("diffusion.DiT: %d class labels for batch %d", len(cond.Classes), b))
		}
		cv = g.Add(cv, m.ClassEmb.Forward(g, cond.Classes))
	}
	if cond.Pooled != nil {
		cv = g.Add(cv, cond.Pooled)
	}
	sc := g.Reshape(g.SiLU(cv), b, 1, c.Dim) // [B, 1, D], broadcast over tokens
	for _, blk := range m.Blocks {
		h = blk.forward(g, h, sc, cond.Context, c)
	}
	mod := g.Split(m.FinalAda.Forward(g, sc), 2, c.Dim, c.Dim)
	h = m.Out.Forward(g, modulate(g, g.LayerNorm(h, nil, nil, 1e-6), mod[0], mod[1]))
	v := Unpatchify(g, h, c.Patch, c.ImageSize, c.ImageSize, c.Channels)
	return g.Add(v, g.Mul(x, g.Reshape(m.Skip.Forward(g, sc), b, 1, 1, 1)))
}

// modulate returns x·(1 + scale) + shift.
func modulate(g *autograd.Graph, x, shift, scale *autograd.Var) *autograd.Var {
	return g.Add(g.Mul(x, g.AddScalar(scale, 1)), shift)
}

func (blk *DiTBlock) forward(g *autograd.Graph, h, sc, ctx *autograd.Var, c DiTConfig) *autograd.Var {
	mod := g.Split(blk.Ada.Forward(g, sc), 2, c.Dim, c.Dim, c.Dim, c.Dim, c.Dim, c.Dim)
	a := modulate(g, g.LayerNorm(h, nil, nil, 1e-6), mod[0], mod[1])
	qkv := g.Split(blk.QKV.Forward(g, a), 2, c.Dim, c.Dim, c.Dim)
	att := attend(g, qkv[0], qkv[1], qkv[2], c.Heads)
	h = g.Add(h, g.Mul(mod[2], blk.Proj.Forward(g, att)))
	if blk.CrossQ != nil {
		if ctx == nil {
			panic("diffusion.DiT: cross-attention block called without a context")
		}
		q := blk.CrossQ.Forward(g, blk.CrossNorm.Forward(g, h))
		kv := g.Split(blk.CrossKV.Forward(g, ctx), 2, c.Dim, c.Dim)
		h = g.Add(h, blk.CrossOut.Forward(g, attend(g, q, kv[0], kv[1], c.Heads)))
	}
	a = modulate(g, g.LayerNorm(h, nil, nil, 1e-6), mod[3], mod[4])
	return g.Add(h, g.Mul(mod[5], blk.MLP.Forward(g, a)))
}

// attend runs multi-head attention for q [B, Tq, D] and k, v [B, Tk, D].
func attend(g *autograd.Graph, q, k, v *autograd.Var, heads int) *autograd.Var {
	split := func(x *autograd.Var) *autograd.Var {
		s := x.Value.Shape
		return g.Permute(g.Reshape(x, s[0], s[1], heads, s[2]/heads), 0, 2, 1, 3)
	}
	o := g.Attention(split(q), split(k), split(v), autograd.AttentionOptions{})
	s := q.Value.Shape
	return g.Reshape(g.Permute(o, 0, 2, 1, 3), s[0], s[1], s[2])
}

// Parameters lists every trainable parameter in a fixed order.
func (m *DiT) Parameters() []*autograd.Var {
	ps := append(m.PatchEmbed.Parameters(), m.TimeIn.Parameters()...)
	ps = append(ps, m.TimeUp.Parameters()...)
	if m.ClassEmb != nil {
		ps = append(ps, m.ClassEmb.Parameters()...)
	}
	for _, b := range m.Blocks {
		ps = append(ps, b.Ada.Parameters()...)
		ps = append(ps, b.QKV.Parameters()...)
		ps = append(ps, b.Proj.Parameters()...)
		if b.CrossQ != nil {
			ps = append(ps, b.CrossNorm.Parameters()...)
			ps = append(ps, b.CrossQ.Parameters()...)
			ps = append(ps, b.CrossKV.Parameters()...)
			ps = append(ps, b.CrossOut.Parameters()...)
		}
		ps = append(ps, b.MLP.Parameters()...)
	}
	ps = append(append(ps, m.FinalAda.Parameters()...), m.Out.Parameters()...)
	return append(ps, m.Skip.Parameters()...)
}

// Field returns the DiT as a sampling Field for a fixed condition (one
// entry per sample of the batch it will be called on), without gradients.
func (m *DiT) Field(cond Cond) Field {
	return func(x *tensor.Tensor, t float32) *tensor.Tensor {
		ts := make([]float32, x.Shape[0])
		for i := range ts {
			ts[i] = t
		}
		return m.Forward(autograd.NoGrad(), autograd.Const(x), ts, cond).Value
	}
}

// DropLabels returns a copy of labels with each one replaced by null with
// probability p: the condition dropout that teaches one network both the
// conditional and the unconditional velocity, as classifier-free guidance
// needs.
func DropLabels(rng *rand.Rand, labels []int, p float64, null int) []int {
	out := make([]int, len(labels))
	for i, l := range labels {
		out[i] = l
		if rng.Float64() < p {
			out[i] = null
		}
	}
	return out
}
