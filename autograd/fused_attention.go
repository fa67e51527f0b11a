package autograd

import (
	"fmt"
	"math"
	"slices"

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

	p := tensor.Zeros(nb, nh, tq, tk) // probabilities, kept for backward
	out := tensor.Zeros(nb, nh, tq, dv)
	heads := nb * nh
	work := heads * tq * tk * (d + dv)
	fusedParallel(heads, work, func(x int) {
		b, h := x/nh, x%nh
		qh := qv.Data[x*tq*d : (x+1)*tq*d]
		kh := kv.Data[x*tk*d : (x+1)*tk*d]
		vh := vv.Data[x*tk*dv : (x+1)*tk*dv]
		ph := p.Data[x*tq*tk : (x+1)*tq*tk]
		oh := out.Data[x*tq*dv : (x+1)*tq*dv]
		var bs []float32
		if bias != nil {
			bs = biasAt(bias.Value.Data, b, h)
		}
		for i := range tq {
			limit := tk
			if opt.Causal {
				limit = tk - tq + i + 1
			}
			qi, row := qh[i*d:(i+1)*d], ph[i*tk:(i+1)*tk]
			m := float32(math.Inf(-1))
			for j := range tk {
				if j >= limit || (pad != nil && pad[b*tk+j]) {
					row[j] = float32(math.Inf(-1))
					continue
				}
				kj := kh[j*d : (j+1)*d]
				var dot float32
				for c, qc := range qi {
					dot += qc * kj[c]
				}
				s := scale * dot
				if bs != nil {
					s += bs[i*tk+j]
				}
				row[j] = s
				m = max(m, s)
			}
			if math.IsInf(float64(m), -1) {
				clear(row) // every key masked: P = 0, output 0
				continue
			}
			sum := 0.0
			for j, s := range row {
				e := math.Exp(float64(s - m))
				row[j] = float32(e)
				sum += e
			}
			inv := 1 / sum
			oi := oh[i*dv : (i+1)*dv]
			for j, e := range row {
				pij := float32(float64(e) * inv)
				row[j] = pij
				if pij == 0 {
					continue
				}
				vj := vh[j*dv : (j+1)*dv]
				for c, vc := range vj {
					oi[c] += pij * vc
				}
			}
		}
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
		// Each pair writes only its own slices of dq, dk, dv and ds (even when
		// q, k and v are one Var and share a gradient buffer).
		fusedParallel(heads, 2*work, func(x int) {
			qh := qv.Data[x*tq*d : (x+1)*tq*d]
			kh := kv.Data[x*tk*d : (x+1)*tk*d]
			vh := vv.Data[x*tk*dv : (x+1)*tk*dv]
			ph := p.Data[x*tq*tk : (x+1)*tq*tk]
			doh := dout.Data[x*tq*dv : (x+1)*tq*dv]
			dp := make([]float32, tk)
			for i := range tq {
				row, doi, qi := ph[i*tk:(i+1)*tk], doh[i*dv:(i+1)*dv], qh[i*d:(i+1)*d]
				rowsum := 0.0
				for j, pij := range row {
					if pij == 0 {
						continue // masked or underflowed: contributes nothing
					}
					vj := vh[j*dv : (j+1)*dv]
					var dot float32
					for c, gc := range doi {
						dot += gc * vj[c]
					}
					dp[j] = dot
					rowsum += float64(pij) * float64(dot)
					if dvv != nil {
						dvj := dvv.Data[x*tk*dv+j*dv : x*tk*dv+(j+1)*dv]
						for c, gc := range doi {
							dvj[c] += pij * gc
						}
					}
				}
				for j, pij := range row {
					if pij == 0 {
						continue
					}
					dsij := float32(float64(pij) * (float64(dp[j]) - rowsum))
					if ds != nil {
						ds.Data[x*tq*tk+i*tk+j] = dsij
					}
					dsij *= scale
					kj := kh[j*d : (j+1)*d]
					if dq != nil {
						dqi := dq.Data[x*tq*d+i*d : x*tq*d+(i+1)*d]
						for c, kc := range kj {
							dqi[c] += dsij * kc
						}
					}
					if dk != nil {
						dkj := dk.Data[x*tk*d+j*d : x*tk*d+(j+1)*d]
						for c, qc := range qi {
							dkj[c] += dsij * qc
						}
					}
				}
			}
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
