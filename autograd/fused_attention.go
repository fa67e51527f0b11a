package autograd

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"transformers/tensor"
)

// AttentionOptions configures Attention. The zero value is plain,
// unmasked attention scaled by 1/√D.
type AttentionOptions struct {
	// Causal lets query i attend only to keys at positions ≤ its own. With
	// Tq < Tk (decoding with a KV cache) the queries are the last Tq of the
	// Tk positions, so query i sits at position Tk − Tq + i.
	Causal bool
	// Bias, if non-nil, is added to the scaled scores before the softmax
	// (ALiBi slopes, relative positions, a float mask). Its shape is
	// [Tq, Tk], [H, Tq, Tk] or [B|1, H|1, Tq, Tk], broadcast over the
	// missing or size-1 axes. It receives a gradient (summed over the
	// broadcast axes) if it requires one; a Const bias costs nothing.
	Bias *Var
	// KeyPadding, if non-nil, has B·Tk entries laid out as [B, Tk]; true
	// marks a padded key that no query may attend to.
	KeyPadding []bool
	// Scale multiplies q·k; 0 means 1/√D.
	Scale float32
}

// Attention computes scaled dot-product attention for every batch b and head
// h. q has shape [B, H, Tq, D], k [B, H, Tk, D], v [B, H, Tk, Dv]; the result
// has shape [B, H, Tq, Dv]. With s the scale and M the mask (0 where allowed,
// −∞ where causal order or padding forbids):
//
//	forward:  S = s·Q·Kᵀ + Bias + M,  P = softmax_rows(S),  O = P·V
//	backward: dV = Pᵀ·dO,  dP = dO·Vᵀ
//	          dS = P ⊙ (dP − rowsum(dP ⊙ P))
//	          dQ = s·dS·K,  dK = s·dSᵀ·Q,  dBias = Σ_broadcast dS
//
// The softmax subtracts each row's maximum. A query row whose keys are all
// masked has P = 0 and output 0 (not NaN), and passes no gradient. Work is
// split over (batch, head) pairs; each pair is computed by one goroutine, so
// the result does not depend on the number of cores.
func (g *Graph) Attention(q, k, v *Var, opt AttentionOptions) *Var {
	out, _ := g.fusedAttention(q, k, v, opt, false)
	return out
}

// AttentionWithWeights is Attention that also returns a copy of the
// attention probabilities P, shape [B, H, Tq, Tk], for inspection (which
// token each head looks at). Masked entries are 0.
func (g *Graph) AttentionWithWeights(q, k, v *Var, opt AttentionOptions) (*Var, *tensor.Tensor) {
	return g.fusedAttention(q, k, v, opt, true)
}

func (g *Graph) fusedAttention(q, k, v *Var, opt AttentionOptions, weights bool) (*Var, *tensor.Tensor) {
	const op = "Attention"
	qv, kv, vv := q.Value, k.Value, v.Value
	if qv.Dims() != 4 || kv.Dims() != 4 || vv.Dims() != 4 {
		panic(fmt.Sprintf("autograd.%s: q %v, k %v, v %v must all be [B, H, T, D]", op, qv.Shape, kv.Shape, vv.Shape))
	}
	nb, nh, tq, d := qv.Shape[0], qv.Shape[1], qv.Shape[2], qv.Shape[3]
	tk, dv := kv.Shape[2], vv.Shape[3]
	if kv.Shape[0] != nb || kv.Shape[1] != nh || kv.Shape[3] != d ||
		vv.Shape[0] != nb || vv.Shape[1] != nh || vv.Shape[2] != tk {
		panic(fmt.Sprintf("autograd.%s: q %v, k %v, v %v do not fit [B, H, Tq, D], [B, H, Tk, D], [B, H, Tk, Dv]", op, qv.Shape, kv.Shape, vv.Shape))
	}
	l := attnLayout{nb: nb, nh: nh, tq: tq, tk: tk, d: d, dv: dv,
		q: attnView{b: nh * tq * d, h: tq * d, ld: d},
		k: attnView{b: nh * tk * d, h: tk * d, ld: d},
		v: attnView{b: nh * tk * dv, h: tk * dv, ld: dv},
		o: attnView{b: nh * tq * dv, h: tq * dv, ld: dv}}
	return g.attention(op, q, k, v, l, []int{nb, nh, tq, dv}, opt, weights)
}

// AttentionQKV is causal-or-not self-attention straight from the fused
// projection of GPT-2's c_attn: qkv has shape [B, T, 3·C], the queries,
// keys and values side by side on the last axis, each split into heads of
// D = C/heads; the result has shape [B, T, C] with the heads side by side,
// ready for the output projection. It computes exactly Attention on the
// split heads followed by merging them, reading and writing the heads in
// place (strided), so no head is copied in either direction.
func (g *Graph) AttentionQKV(qkv *Var, heads int, opt AttentionOptions) *Var {
	const op = "AttentionQKV"
	s := qkv.Value.Shape
	if len(s) != 3 || heads < 1 || s[2]%(3*heads) != 0 || s[2] == 0 {
		panic(fmt.Sprintf("autograd.%s: qkv %v must be [B, T, 3·C] with C divisible by %d heads", op, s, heads))
	}
	nb, t, c := s[0], s[1], s[2]/3
	d := c / heads
	l := attnLayout{nb: nb, nh: heads, tq: t, tk: t, d: d, dv: d,
		q: attnView{b: t * 3 * c, h: d, ld: 3 * c},
		k: attnView{base: c, b: t * 3 * c, h: d, ld: 3 * c},
		v: attnView{base: 2 * c, b: t * 3 * c, h: d, ld: 3 * c},
		o: attnView{b: t * c, h: d, ld: c}}
	out, _ := g.attention(op, qkv, qkv, qkv, l, []int{nb, t, c}, opt, false)
	return out
}

// AttentionCache is Attention for decoding with a key/value cache whose
// buffers have room for more positions than are filled: k has shape
// [B, H, Cap, D] and v [B, H, Cap, Dv], and only the first tk positions of
// each head are keys (so the cache grows in place instead of being copied
// for every token). k and v are constants; q [B, H, Tq, D] may require a
// gradient. With Causal the queries are the last Tq of the tk positions.
func (g *Graph) AttentionCache(q *Var, k, v *tensor.Tensor, tk int, opt AttentionOptions) *Var {
	const op = "AttentionCache"
	qs := q.Value.Shape
	if len(qs) != 4 || k.Dims() != 4 || v.Dims() != 4 {
		panic(fmt.Sprintf("autograd.%s: q %v, k %v, v %v must all be 4-D", op, qs, k.Shape, v.Shape))
	}
	nb, nh, tq, d := qs[0], qs[1], qs[2], qs[3]
	capacity, dv := k.Shape[2], v.Shape[3]
	if k.Shape[0] != nb || k.Shape[1] != nh || k.Shape[3] != d || v.Shape[0] != nb || v.Shape[1] != nh || v.Shape[2] != capacity {
		panic(fmt.Sprintf("autograd.%s: q %v, k %v, v %v do not fit [B, H, Tq, D], [B, H, Cap, D], [B, H, Cap, Dv]", op, qs, k.Shape, v.Shape))
	}
	if tk < 1 || tk > capacity {
		panic(fmt.Sprintf("autograd.%s: %d keys with a cache of %d positions (k %v)", op, tk, capacity, k.Shape))
	}
	l := attnLayout{nb: nb, nh: nh, tq: tq, tk: tk, d: d, dv: dv,
		q: attnView{b: nh * tq * d, h: tq * d, ld: d},
		k: attnView{b: nh * capacity * d, h: capacity * d, ld: d},
		v: attnView{b: nh * capacity * dv, h: capacity * dv, ld: dv},
		o: attnView{b: nh * tq * dv, h: tq * dv, ld: dv}}
	out, _ := g.attention(op, q, Const(k), Const(v), l, []int{nb, nh, tq, dv}, opt, false)
	return out
}

// attnView places each (batch, head) matrix of an attention operand inside
// its tensor: the matrix of pair (b, h) starts at base + b·b + h·h, and its
// rows are ld apart.
type attnView struct{ base, b, h, ld int }

func (v attnView) at(b, h int) int { return v.base + b*v.b + h*v.h }

// attnLayout is the sizes of an attention call and where q, k, v and the
// output live.
type attnLayout struct {
	nb, nh, tq, tk, d, dv int
	q, k, v, o            attnView
}

// attention is the kernel behind Attention and AttentionQKV; see Attention
// for the math.
func (g *Graph) attention(op string, q, k, v *Var, l attnLayout, outShape []int, opt AttentionOptions, weights bool) (*Var, *tensor.Tensor) {
	qv, kv, vv := q.Value, k.Value, v.Value
	nb, nh, tq, tk, d, dv := l.nb, l.nh, l.tq, l.tk, l.d, l.dv
	if opt.Causal && tq > tk {
		panic(fmt.Sprintf("autograd.%s: causal attention needs Tq ≤ Tk, q %v, k %v", op, qv.Shape, kv.Shape))
	}
	if opt.KeyPadding != nil && len(opt.KeyPadding) != nb*tk {
		panic(fmt.Sprintf("autograd.%s: key padding has %d entries, want B·Tk = %d for k %v", op, len(opt.KeyPadding), nb*tk, kv.Shape))
	}
	bb, bh := fusedAttentionBiasShape(op, opt.Bias, nb, nh, tq, tk)
	scale := opt.Scale
	if scale == 0 {
		if d == 0 {
			panic(fmt.Sprintf("autograd.%s: head size 0 in q %v", op, qv.Shape))
		}
		scale = float32(1 / math.Sqrt(float64(d)))
	}
	pad := slices.Clone(opt.KeyPadding)
	bias := opt.Bias
	// biasAt returns the [Tq, Tk] block of the bias that pair (b, h) reads.
	biasAt := func(bias []float32, b, h int) []float32 {
		off := ((b%bb)*bh + h%bh) * tq * tk
		return bias[off : off+tq*tk]
	}
	ldq, ldk, ldv, ldo := l.q.ld, l.k.ld, l.v.ld, l.o.ld

	// Both are overwritten entirely: P row by row (masked entries cleared)
	// and the output by P·V.
	p := g.alloc(false, nb, nh, tq, tk) // probabilities, kept for backward
	out := g.alloc(false, outShape...)
	heads := nb * nh
	work := heads * tq * tk * (d + dv)
	fusedParallel(heads, work, func(x int) {
		b, h := x/nh, x%nh
		qh := qv.Data[l.q.at(b, h):]
		kh := kv.Data[l.k.at(b, h):]
		vh := vv.Data[l.v.at(b, h):]
		ph := p.Data[x*tq*tk : (x+1)*tq*tk]
		oh := out.Data[l.o.at(b, h):]
		var bs []float32
		if bias != nil {
			bs = biasAt(bias.Value.Data, b, h)
		}
		// S = Q·Kᵀ for the whole head in one blocked product; then each row
		// is scaled, biased, masked and normalised in place; then O = P·V.
		// Entries right of a block's key limit are masked below.
		attnRowBlocks(tq, tk, opt.Causal, func(i0, i1, keys int) {
			tensor.Gemm(false, true, i1-i0, keys, d, qh[i0*ldq:], ldq, kh, ldk, ph[i0*tk:], tk, false)
		})
		for i := range tq {
			limit := tk // keys this query may see; the rest get P = 0
			if opt.Causal {
				limit = tk - tq + i + 1
			}
			row := ph[i*tk : (i+1)*tk]
			clear(row[limit:])
			r := row[:limit]
			var m float32
			if pad == nil && bs == nil { // the common case, without per-element tests
				m = tensor.ScaleMax(r, scale)
			} else {
				m = float32(math.Inf(-1))
				for j := range r {
					if pad != nil && pad[b*tk+j] {
						r[j] = float32(math.Inf(-1))
						continue
					}
					s := scale * r[j]
					if bs != nil {
						s += bs[i*tk+j]
					}
					r[j] = s
					if s > m {
						m = s
					}
				}
			}
			if math.IsInf(float64(m), -1) {
				clear(row) // every key masked: P = 0, output 0
				continue
			}
			// e^(s − m) in place (padded entries stay −∞ and their exp is
			// 0), summed in float64, then normalised.
			inv := float32(1 / tensor.ExpSubSum(r, m))
			tensor.ScaleTo(r, r, inv)
		}
		// Masked probabilities are exactly 0, so stopping at the key limit
		// gives the same sums.
		attnRowBlocks(tq, tk, opt.Causal, func(i0, i1, keys int) {
			tensor.Gemm(false, false, i1-i0, dv, keys, ph[i0*tk:], tk, vh, ldv, oh[i0*ldo:], ldo, false)
		})
	})
	var probs *tensor.Tensor
	if weights {
		probs = p.Clone()
	}

	res := g.Record(op, out, fusedInputs(q, k, v, bias), func(dout *tensor.Tensor) {
		dq, dk, dvv := fusedGrad(q), fusedGrad(k), fusedGrad(v)
		var ds *tensor.Tensor // dS for every pair, reduced into dBias afterwards
		if bias != nil && bias.requiresGrad {
			ds = tensor.Zeros(nb, nh, tq, tk)
		}
		// Each pair writes only its own parts of dq, dk, dv and ds (even when
		// q, k and v are one Var and share a gradient buffer).
		fusedParallel(heads, 2*work, func(x int) {
			b, h := x/nh, x%nh
			qh := qv.Data[l.q.at(b, h):]
			kh := kv.Data[l.k.at(b, h):]
			vh := vv.Data[l.v.at(b, h):]
			ph := p.Data[x*tq*tk : (x+1)*tq*tk]
			doh := dout.Data[l.o.at(b, h):]
			buf := attnScratch.Get().(*[]float32)
			if cap(*buf) < tq*tk {
				*buf = make([]float32, tq*tk)
			}
			dsh := (*buf)[:tq*tk]
			// dP = dO·Vᵀ and dV += Pᵀ·dO as blocked products.
			// (entries right of a block's key limit are left stale and
			// zeroed with the other masked entries below)
			attnRowBlocks(tq, tk, opt.Causal, func(i0, i1, keys int) {
				tensor.Gemm(false, true, i1-i0, keys, dv, doh[i0*ldo:], ldo, vh, ldv, dsh[i0*tk:], tk, false)
			})
			if dvv != nil {
				dvh := dvv.Data[l.v.at(b, h):]
				attnKeyBlocks(tq, tk, opt.Causal, func(j0, j1, i0 int) {
					tensor.Gemm(true, false, j1-j0, dv, tq-i0, ph[i0*tk+j0:], tk, doh[i0*ldo:], ldo, dvh[j0*ldv:], ldv, true)
				})
			}
			// dS = P ⊙ (dP − rowsum(dP ⊙ P)), in place; masked entries are 0.
			for i := range tq {
				limit := tk
				if opt.Causal {
					limit = tk - tq + i + 1
				}
				clear(dsh[i*tk+limit : (i+1)*tk]) // P = 0 there: dS = 0
				row, dpi := ph[i*tk:i*tk+limit], dsh[i*tk:i*tk+limit]
				rowsum := tensor.Dot64(row, dpi) // masked entries have P = 0
				// dS = P ⊙ (dP − rowsum) in float64, rounded once, and 0
				// where P = 0 (masked or underflowed); dpi gets s·dS.
				if ds != nil {
					o := x*tq*tk + i*tk
					tensor.SoftmaxGradTo(ds.Data[o:o+limit], row, dpi, rowsum, 1)
				}
				tensor.SoftmaxGradTo(dpi, row, dpi, rowsum, scale)
			}
			// dQ += s·dS·K and dK += s·dSᵀ·Q.
			if dq != nil {
				dqh := dq.Data[l.q.at(b, h):]
				attnRowBlocks(tq, tk, opt.Causal, func(i0, i1, keys int) {
					tensor.Gemm(false, false, i1-i0, d, keys, dsh[i0*tk:], tk, kh, ldk, dqh[i0*ldq:], ldq, true)
				})
			}
			if dk != nil {
				dkh := dk.Data[l.k.at(b, h):]
				attnKeyBlocks(tq, tk, opt.Causal, func(j0, j1, i0 int) {
					tensor.Gemm(true, false, j1-j0, d, tq-i0, dsh[i0*tk+j0:], tk, qh[i0*ldq:], ldq, dkh[j0*ldk:], ldk, true)
				})
			}
			attnScratch.Put(buf)
		})
		if ds != nil {
			// Sum over broadcast axes serially, in a fixed order.
			db := fusedGrad(bias)
			for x := range heads {
				dst := biasAt(db.Data, x/nh, x%nh)
				for j, s := range ds.Data[x*tq*tk : (x+1)*tq*tk] {
					dst[j] += s
				}
			}
		}
	})
	return res, probs
}

// attnRowBlock is the number of query rows per product in causal
// attention: a block of rows needs only the keys up to its last row's
// limit, so the products skip most of the masked upper triangle.
const attnRowBlock = 32

// attnRowBlocks calls f(i0, i1, keys) for consecutive blocks of query rows
// [i0, i1), where keys is how many leading keys any row of the block may
// see (all tk unless causal).
func attnRowBlocks(tq, tk int, causal bool, f func(i0, i1, keys int)) {
	if !causal {
		f(0, tq, tk)
		return
	}
	for i0 := 0; i0 < tq; i0 += attnRowBlock {
		i1 := min(i0+attnRowBlock, tq)
		f(i0, i1, tk-tq+i1)
	}
}

// attnKeyBlocks calls f(j0, j1, i0) for consecutive blocks of keys
// [j0, j1), where i0 is the first query row that may see any of them (0
// unless causal): the products over queries (dV, dK) skip the rows above.
func attnKeyBlocks(tq, tk int, causal bool, f func(j0, j1, i0 int)) {
	if !causal {
		f(0, tk, 0)
		return
	}
	for j0 := 0; j0 < tk; j0 += attnRowBlock {
		f(j0, min(j0+attnRowBlock, tk), max(0, j0-(tk-tq)))
	}
}

// attnScratch recycles the per-head dS buffers of attention's backward. It
// is a cache, not state: any buffer of sufficient size works.
var attnScratch = sync.Pool{New: func() any { return new([]float32) }}

// fusedAttentionBiasShape checks that bias broadcasts to [B, H, Tq, Tk] and
// returns the sizes of its batch and head axes (1 when broadcast).
func fusedAttentionBiasShape(op string, bias *Var, nb, nh, tq, tk int) (bb, bh int) {
	if bias == nil {
		return 1, 1
	}
	s := bias.Value.Shape
	bad := func() {
		panic(fmt.Sprintf("autograd.%s: bias shape %v does not broadcast to [B, H, Tq, Tk] = %v", op, s, []int{nb, nh, tq, tk}))
	}
	if len(s) < 2 || len(s) > 4 || s[len(s)-2] != tq || s[len(s)-1] != tk {
		bad()
	}
	bb, bh = 1, 1
	if len(s) >= 3 {
		bh = s[len(s)-3]
	}
	if len(s) == 4 {
		bb = s[0]
	}
	if (bb != 1 && bb != nb) || (bh != 1 && bh != nh) {
		bad()
	}
	return bb, bh
}
