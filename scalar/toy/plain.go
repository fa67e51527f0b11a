package toy

import (
	"math"

	"transformers/scalar"
)

// PlainLoss computes the same mean cross-entropy as Forward, in plain float64
// loops that build no graph. It is the model written a second time, kept
// deliberately naive: finite differences call it twice per weight (6,912
// times for a full check), and agreeing with Forward to the last digits is
// itself a test of both.
func (m *Model) PlainLoss(tokens, targets []int) float64 {
	T := len(tokens)
	val := func(mat scalar.Matrix, i, j int) float64 { return mat[i][j].Data }
	x := make([][]float64, T)
	for i, t := range tokens {
		x[i] = make([]float64, DModel)
		for j := range x[i] {
			x[i][j] = m.ETok[t][j].Data + m.EPos[i][j].Data
		}
	}
	proj := func(w scalar.Matrix) [][]float64 { // x·w, w is [16×8]
		out := make([][]float64, T)
		for i := range out {
			out[i] = make([]float64, DK)
			for j := 0; j < DK; j++ {
				s := 0.0
				for k := 0; k < DModel; k++ {
					s += x[i][k] * val(w, k, j)
				}
				out[i][j] = s
			}
		}
		return out
	}
	concat := make([][]float64, T)
	for i := range concat {
		concat[i] = make([]float64, 0, DModel)
	}
	for h := 0; h < Heads; h++ {
		q, k, v := proj(m.WQ[h]), proj(m.WK[h]), proj(m.WV[h])
		for i := 0; i < T; i++ {
			w := make([]float64, i+1) // causal: keys 0..i only
			mx := math.Inf(-1)
			for j := 0; j <= i; j++ {
				s := 0.0
				for d := 0; d < DK; d++ {
					s += q[i][d] * k[j][d]
				}
				w[j] = s / math.Sqrt(DK)
				mx = math.Max(mx, w[j])
			}
			sum := 0.0
			for j := range w {
				w[j] = math.Exp(w[j] - mx)
				sum += w[j]
			}
			for d := 0; d < DK; d++ {
				o := 0.0
				for j := range w {
					o += w[j] / sum * v[j][d]
				}
				concat[i] = append(concat[i], o)
			}
		}
	}
	loss := 0.0
	for i, target := range targets {
		attn := make([]float64, DModel)
		for o := range attn {
			for k := 0; k < DModel; k++ {
				attn[o] += concat[i][k] * val(m.WO, o, k)
			}
		}
		act := make([]float64, DFF)
		for o := range act {
			s := m.B1[o].Data
			for k := 0; k < DModel; k++ {
				s += val(m.W1, o, k) * attn[k]
			}
			act[o] = scalar.GELUFloat(s)
		}
		res := make([]float64, DModel)
		mean := 0.0
		for o := range res {
			s := m.B2[o].Data
			for k := 0; k < DFF; k++ {
				s += val(m.W2, o, k) * act[k]
			}
			res[o] = attn[o] + s
			mean += res[o] / DModel
		}
		variance := 0.0
		for _, r := range res {
			variance += (r - mean) * (r - mean) / DModel
		}
		for o := range res {
			res[o] = (res[o]-mean)/math.Sqrt(variance+Eps)*m.Gamma[o].Data + m.Beta[o].Data
		}
		logits := make([]float64, VocabSize)
		mx := math.Inf(-1)
		for c := range logits {
			for k := 0; k < DModel; k++ {
				logits[c] += res[k] * val(m.WLM, c, k)
			}
			mx = math.Max(mx, logits[c])
		}
		sum := 0.0
		for _, l := range logits {
			sum += math.Exp(l - mx)
		}
		loss += math.Log(sum) + mx - logits[target]
	}
	return loss / float64(len(targets))
}
