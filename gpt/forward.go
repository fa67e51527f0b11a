package gpt

import (
	"fmt"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/nn"
	"transformers/tensor"
)

// ForwardOptions configures Model.Forward. The zero value is a plain
// evaluation pass (no dropout, no padding, no cache, nothing captured).
type ForwardOptions struct {
	// Train turns dropout on (with Config.Dropout > 0); Rng draws its masks.
	Train bool
	Rng   *rand.Rand
	// KeyPadding, if non-nil, marks padded keys, laid out [B, Tk] with Tk
	// the number of keys (T, or Cache.Len+T with a cache). Right padding
	// needs none: causal order already hides later pad tokens.
	KeyPadding []bool
	// Cache, if non-nil, holds the keys and values of earlier positions:
	// ids are the next T tokens, at positions Cache.Len … Cache.Len+T−1,
	// and the cache grows by T. Gradients do not flow into cached entries,
	// so use it for inference (generation, rollouts).
	Cache *KVCache
	// Memory [B, S, DModel] is what cross-attention reads
	// (Config.CrossAttention); MemoryPadding [B, S] marks padded entries.
	Memory        *autograd.Var
	MemoryPadding []bool
	// CaptureResiduals records the residual stream entering every block and
	// leaving the last one (Output.Residuals, Layers+1 entries).
	CaptureResiduals bool
	// CaptureAttention records every layer's attention probabilities
	// (Output.Attention, [B, H, T, Tk] each).
	CaptureAttention bool
	// SkipLogits stops after ln_f (Output.Logits nil): cheaper when only
	// hidden states are needed, e.g. for a reward model's scalar head.
	SkipLogits bool
}

// Output is what Model.Forward computes.
type Output struct {
	Logits    *autograd.Var    // [B, T, VocabSize], nil with SkipLogits
	Hidden    *autograd.Var    // [B, T, DModel], the final hidden states after ln_f
	Residuals []*autograd.Var  // with CaptureResiduals: Layers+1 tensors [B, T, DModel]
	Attention []*tensor.Tensor // with CaptureAttention: one [B, H, T, Tk] per layer
}

// BlockOptions configures one Block.Forward call.
type BlockOptions struct {
	Heads    int  // attention heads
	Causal   bool // mask future positions (a decoder); false for a bidirectional encoder or diffusion transformer
	PostLN   bool
	Start    int           // position of the first query (RoPE and the causal offset with a cache)
	RoPEBase float64       // > 0 rotates queries and keys (RoPE)
	Bias     *autograd.Var // additive score bias (ALiBi), [H, Tq, Tk]
	// KeyPadding and Cache as in ForwardOptions (Cache is this layer's).
	KeyPadding    []bool
	Cache         *LayerCache
	Memory        *autograd.Var
	MemoryPadding []bool
	Dropout       float64
	Train         bool
	Rng           *rand.Rand
	// Weights, if non-nil, receives the self-attention probabilities.
	Weights **tensor.Tensor
}

// LayerCache holds one layer's cached keys and values in buffers of shape
// [B, H, Cap, D] whose first KVCache.Len positions per head are filled; the
// buffers grow by doubling, so appending a token copies only its own keys
// and values.
type LayerCache struct{ K, V *tensor.Tensor }

// appendKV writes k and v ([B, H, Tn, D]) at positions start … start+Tn−1
// of the cache, growing its buffers when full.
func (c *LayerCache) appendKV(k, v *tensor.Tensor, start int) {
	nb, nh, tn, d := k.Shape[0], k.Shape[1], k.Shape[2], k.Shape[3]
	dv := v.Shape[3]
	need := start + tn
	if c.K == nil || c.K.Shape[2] < need {
		capacity := max(64, need)
		if c.K != nil {
			capacity = max(capacity, 2*c.K.Shape[2])
		}
		nk, nv := tensor.Zeros(nb, nh, capacity, d), tensor.Zeros(nb, nh, capacity, dv)
		if c.K != nil {
			old := c.K.Shape[2]
			for x := range nb * nh {
				copy(nk.Data[x*capacity*d:x*capacity*d+start*d], c.K.Data[x*old*d:])
				copy(nv.Data[x*capacity*dv:x*capacity*dv+start*dv], c.V.Data[x*old*dv:])
			}
		}
		c.K, c.V = nk, nv
	}
	capacity := c.K.Shape[2]
	for x := range nb * nh {
		copy(c.K.Data[(x*capacity+start)*d:(x*capacity+need)*d], k.Data[x*tn*d:(x+1)*tn*d])
		copy(c.V.Data[(x*capacity+start)*dv:(x*capacity+need)*dv], v.Data[x*tn*dv:(x+1)*tn*dv])
	}
}

// KeyShape returns the shape of the cached keys of every layer,
// [B, H, Len, D] (nil while the cache is empty).
func (c *KVCache) KeyShape() []int {
	if len(c.Layers) == 0 || c.Layers[0].K == nil {
		return nil
	}
	s := c.Layers[0].K.Shape
	return []int{s[0], s[1], c.Len, s[3]}
}

// KVCache holds every layer's keys and values for the positions already
// processed, so each generated token costs one query row per layer instead
// of a forward pass over the whole prefix.
type KVCache struct {
	Layers []LayerCache
	Len    int // positions cached
	Batch  int
}

// NewKVCache returns an empty cache for batch sequences.
func (m *Model) NewKVCache(batch int) *KVCache {
	return &KVCache{Layers: make([]LayerCache, len(m.Blocks)), Batch: batch}
}

// Reset empties the cache, keeping its buffers for the next sequence.
func (c *KVCache) Reset() { c.Len = 0 } // the buffers are reused

// Forward runs the model on ids, B sequences of T tokens laid out row-major
// ([B, T]), and returns the logits [B, T, VocabSize] (logits[b, t] scores the
// token after position t), the final hidden states, and whatever
// opt asks to capture.
func (m *Model) Forward(g *autograd.Graph, ids []int, B, T int, opt ForwardOptions) Output {
	cfg := m.Config
	if len(ids) != B*T || B <= 0 || T <= 0 {
		panic(fmt.Sprintf("gpt.Forward: %d ids for B=%d, T=%d", len(ids), B, T))
	}
	for _, id := range ids {
		if id < 0 || id >= cfg.VocabSize {
			panic(fmt.Sprintf("gpt.Forward: token id %d outside vocabulary [0, %d)", id, cfg.VocabSize))
		}
	}
	start := 0
	if opt.Cache != nil {
		if opt.Cache.Batch != B || len(opt.Cache.Layers) != len(m.Blocks) {
			panic(fmt.Sprintf("gpt.Forward: cache for batch %d and %d layers, got B=%d and %d layers", opt.Cache.Batch, len(opt.Cache.Layers), B, len(m.Blocks)))
		}
		start = opt.Cache.Len
	}
	if cfg.Positions == PosLearned && start+T > cfg.Context {
		panic(fmt.Sprintf("gpt.Forward: positions up to %d exceed the context %d", start+T, cfg.Context))
	}
	x := g.Embedding(m.WTE, ids, B, T)
	switch cfg.Positions {
	case PosLearned:
		pos := make([]int, T)
		for i := range pos {
			pos[i] = start + i
		}
		x = g.Add(x, g.Embedding(m.WPE, pos, T))
	case PosSinusoidal:
		x = g.Add(x, autograd.Const(Sinusoidal(start, T, cfg.DModel)))
	}
	drop := nn.Dropout{P: cfg.Dropout, Train: opt.Train}
	x = drop.Forward(g, x, opt.Rng)
	bo := BlockOptions{
		Heads: cfg.Heads, Causal: true, PostLN: cfg.PostLN, Start: start,
		KeyPadding: opt.KeyPadding, Memory: opt.Memory, MemoryPadding: opt.MemoryPadding,
		Dropout: cfg.Dropout, Train: opt.Train, Rng: opt.Rng,
	}
	switch cfg.Positions {
	case PosALiBi:
		bo.Bias = autograd.Const(ALiBiBias(cfg.Heads, T, start+T))
	case PosRoPE:
		bo.RoPEBase = cfg.RoPEBase
	}
	var out Output
	for l, b := range m.Blocks {
		if opt.CaptureResiduals {
			out.Residuals = append(out.Residuals, x)
		}
		bo.Cache = nil
		if opt.Cache != nil {
			bo.Cache = &opt.Cache.Layers[l]
		}
		var w *tensor.Tensor
		bo.Weights = nil
		if opt.CaptureAttention {
			bo.Weights = &w
		}
		x = b.Forward(g, x, bo)
		if opt.CaptureAttention {
			out.Attention = append(out.Attention, w)
		}
	}
	if opt.CaptureResiduals {
		out.Residuals = append(out.Residuals, x)
	}
	out.Hidden = m.LnF.Forward(g, x)
	if !opt.SkipLogits {
		out.Logits = m.Unembed(g, out.Hidden)
	}
	if opt.Cache != nil {
		opt.Cache.Len += T
	}
	return out
}

// Logits is Forward in evaluation mode returning only the logits [B, T, V].
func (m *Model) Logits(g *autograd.Graph, ids []int, B, T int) *autograd.Var {
	return m.Forward(g, ids, B, T, ForwardOptions{}).Logits
}

// Unembed maps final hidden states h [..., DModel] to logits [..., V]:
// h·wteᵀ when tied, lm_head(h) otherwise.
func (m *Model) Unembed(g *autograd.Graph, h *autograd.Var) *autograd.Var {
	if m.LMHead != nil {
		return m.LMHead.Forward(g, h)
	}
	return g.MatMulNT(h, m.WTE)
}

// LogitLens reads a residual stream r [..., DModel] (from
// Output.Residuals) as the model's final layers would: Unembed(ln_f(r)).
func (m *Model) LogitLens(g *autograd.Graph, r *autograd.Var) *autograd.Var {
	return m.Unembed(g, m.LnF.Forward(g, r))
}

// Forward applies the block to x [B, T, DModel].
func (b *Block) Forward(g *autograd.Graph, x *autograd.Var, o BlockOptions) *autograd.Var {
	drop := nn.Dropout{P: o.Dropout, Train: o.Train}
	sub := func(x *autograd.Var, ln Norm, f func(*autograd.Var) *autograd.Var) *autograd.Var {
		if o.PostLN {
			return ln.Forward(g, g.Add(x, drop.Forward(g, f(x), o.Rng)))
		}
		return g.Add(x, drop.Forward(g, f(ln.Forward(g, x)), o.Rng))
	}
	x = sub(x, b.Ln1, func(h *autograd.Var) *autograd.Var { return b.Attn.Forward(g, h, o) })
	if b.Cross != nil {
		if o.Memory == nil {
			panic("gpt.Block.Forward: the block has cross-attention but no memory was given")
		}
		x = sub(x, b.LnCross, func(h *autograd.Var) *autograd.Var { return b.Cross.Forward(g, h, o.Memory, o.Heads, o.MemoryPadding) })
	}
	return sub(x, b.Ln2, func(h *autograd.Var) *autograd.Var { return b.MLP.Forward(g, h) })
}

// Forward applies self-attention to x [B, T, DModel].
func (a *SelfAttention) Forward(g *autograd.Graph, x *autograd.Var, o BlockOptions) *autograd.Var {
	qkv := a.CAttn.Forward(g, x)
	opt := autograd.AttentionOptions{Causal: o.Causal, Bias: o.Bias, KeyPadding: o.KeyPadding}
	if o.RoPEBase == 0 && o.Cache == nil && o.Weights == nil {
		// Nothing needs the heads on their own: attend in place.
		return a.CProj.Forward(g, g.AttentionQKV(qkv, o.Heads, opt))
	}
	q := SplitHeads(g, qkv, 0, 3, o.Heads)
	k := SplitHeads(g, qkv, 1, 3, o.Heads)
	v := SplitHeads(g, qkv, 2, 3, o.Heads)
	if o.RoPEBase > 0 {
		q = RoPE(g, q, o.Start, o.RoPEBase)
		k = RoPE(g, k, o.Start, o.RoPEBase)
	}
	var y *autograd.Var
	if c := o.Cache; c != nil {
		c.appendKV(k.Value, v.Value, o.Start)
		if o.Start > 0 { // earlier positions come from the cache, as constants
			if o.Weights != nil {
				tk := o.Start + k.Value.Shape[2]
				y, *o.Weights = g.AttentionWithWeights(q, autograd.Const(tensor.Slice(c.K, 2, 0, tk)), autograd.Const(tensor.Slice(c.V, 2, 0, tk)), opt)
			} else {
				y = g.AttentionCache(q, c.K, c.V, o.Start+k.Value.Shape[2], opt)
			}
			return a.CProj.Forward(g, MergeHeads(g, y))
		}
	}
	if o.Weights != nil {
		y, *o.Weights = g.AttentionWithWeights(q, k, v, opt)
	} else {
		y = g.Attention(q, k, v, opt)
	}
	return a.CProj.Forward(g, MergeHeads(g, y))
}

// Forward lets x [B, T, DModel] attend to memory [B, S, DModel].
func (c *CrossAttention) Forward(g *autograd.Graph, x, memory *autograd.Var, heads int, padding []bool) *autograd.Var {
	q := SplitHeads(g, c.CQ.Forward(g, x), 0, 1, heads)
	kv := c.CKV.Forward(g, memory)
	k := SplitHeads(g, kv, 0, 2, heads)
	v := SplitHeads(g, kv, 1, 2, heads)
	y := g.Attention(q, k, v, autograd.AttentionOptions{KeyPadding: padding})
	return c.CProj.Forward(g, MergeHeads(g, y))
}

// Forward maps x [..., DModel] through the feed-forward network.
func (f *MLP) Forward(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	h := f.FC.Forward(g, x)
	if f.Gate != nil {
		h = g.Mul(g.SiLU(f.Gate.Forward(g, x)), h)
	} else {
		h = g.GELUTanh(h)
	}
	return f.Proj.Forward(g, h)
}

// SplitHeads takes part p of n equal slices of x's last axis, x [B, T, n·C],
// and lays it out as heads: y[b, h, t, d] = x[b, t, p·C + h·D + d] with
// D = C/heads, shape [B, heads, T, D]. The backward scatters the gradient
// back into that slice.
func SplitHeads(g *autograd.Graph, x *autograd.Var, p, n, heads int) *autograd.Var {
	s := x.Value.Shape
	if len(s) != 3 || s[2]%(n*heads) != 0 || p < 0 || p >= n {
		panic(fmt.Sprintf("gpt.SplitHeads: x %v cannot give part %d of %d with %d heads", s, p, n, heads))
	}
	B, T, W := s[0], s[1], s[2]
	C := W / n
	D := C / heads
	out := tensor.Zeros(B, heads, T, D)
	for b := range B {
		for t := range T {
			src := x.Value.Data[(b*T+t)*W+p*C:]
			for h := range heads {
				copy(out.Data[((b*heads+h)*T+t)*D:][:D], src[h*D:(h+1)*D])
			}
		}
	}
	return g.Record("SplitHeads", out, []*autograd.Var{x}, func(gout *tensor.Tensor) {
		// Accumulate straight into this part of x's gradient: the parts of
		// a fused q/k/v projection then share one buffer, no temporaries.
		dx := x.GradBuffer()
		if dx == nil {
			return
		}
		for b := range B {
			for t := range T {
				dst := dx.Data[(b*T+t)*W+p*C:]
				for h := range heads {
					tensor.AddTo(dst[h*D:(h+1)*D], gout.Data[((b*heads+h)*T+t)*D:][:D])
				}
			}
		}
	})
}

// MergeHeads is the inverse layout of SplitHeads for one part: y [B, H, T, D]
// becomes [B, T, H·D] with heads side by side.
func MergeHeads(g *autograd.Graph, y *autograd.Var) *autograd.Var {
	s := y.Value.Shape
	if len(s) != 4 {
		panic(fmt.Sprintf("gpt.MergeHeads: want [B, H, T, D], got %v", s))
	}
	return g.Reshape(g.Permute(y, 0, 2, 1, 3), s[0], s[2], s[1]*s[3])
}
