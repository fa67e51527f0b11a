package autograd

import (
	"fmt"
	"math"
	"slices"

	"transformers/tensor"
)

// IgnoreIndex is the target id that CrossEntropy skips: a token whose target
// is IgnoreIndex contributes neither to the loss nor to the count, whatever
// its mask says (padding, prompt tokens in fine-tuning).
const IgnoreIndex = -1

// CrossEntropy returns the mean next-token loss over the tokens that count.
//
// logits has shape [..., V] (N = Numel/V rows, e.g. [N, V] or [B, T, V]);
// targets has N ids in [0, V) or IgnoreIndex; mask, if non-nil, has N
// non-negative weights (usually 0 or 1; nil means every token counts).
// With m_i the weight of row i (0 when ignored) and M = Σ m_i:
//
//	forward:  loss = (1/M) Σ_i m_i · (logsumexp(z_i) − z_i[t_i])
//	backward: ∂loss/∂z_ij = m_i/M · (softmax(z_i)_j − [j = t_i])
//
// logsumexp is computed stably as max + log Σ exp(z − max), in float64. If no
// token counts (M = 0) the loss is 0 and the gradient is zero, never NaN.
// The result is a scalar (shape []).
func (g *Graph) CrossEntropy(logits *Var, targets []int, mask []float32) *Var {
	return g.fusedCrossEntropy("CrossEntropy", logits, targets, mask, 0)
}

// CrossEntropyNorm is CrossEntropy normalised by a given denom instead of
// this call's own count M:
//
//	forward:  loss = (1/denom) Σ_i m_i · (logsumexp(z_i) − z_i[t_i])
//	backward: ∂loss/∂z_ij = m_i/denom · (softmax(z_i)_j − [j = t_i])
//
// With gradient accumulation over micro-batches, pass the total number of
// trained tokens across all micro-batches as denom: the accumulated gradient
// then equals that of one CrossEntropy over the whole batch, even when the
// micro-batches hold different numbers of unmasked tokens. denom must be > 0.
func (g *Graph) CrossEntropyNorm(logits *Var, targets []int, mask []float32, denom float32) *Var {
	if !(denom > 0) || math.IsInf(float64(denom), 1) {
		panic(fmt.Sprintf("autograd.CrossEntropyNorm: denom must be positive and finite, got %v", denom))
	}
	return g.fusedCrossEntropy("CrossEntropyNorm", logits, targets, mask, denom)
}

// fusedCrossEntropy implements both variants; denom 0 means "normalise by the
// number of counted tokens".
func (g *Graph) fusedCrossEntropy(op string, logits *Var, targets []int, mask []float32, denom float32) *Var {
	z := logits.Value
	n, nv := fusedLastDim(op, z)
	if len(targets) != n {
		panic(fmt.Sprintf("autograd.%s: logits shape %v has %d rows, targets has %d", op, z.Shape, n, len(targets)))
	}
	if mask != nil && len(mask) != n {
		panic(fmt.Sprintf("autograd.%s: logits shape %v has %d rows, mask has %d", op, z.Shape, n, len(mask)))
	}
	targets = slices.Clone(targets) // backward must see the targets of this forward
	weight := make([]float64, n)    // m_i, 0 for tokens that do not count
	var count float64
	for i, t := range targets {
		if t == IgnoreIndex {
			continue
		}
		if t < 0 || t >= nv {
			panic(fmt.Sprintf("autograd.%s: target %d at row %d out of range [0, %d) for logits shape %v", op, t, i, nv, z.Shape))
		}
		w := 1.0
		if mask != nil {
			w = float64(mask[i])
			if !(w >= 0) || math.IsInf(w, 1) {
				panic(fmt.Sprintf("autograd.%s: mask[%d] = %v is not a non-negative weight", op, i, mask[i]))
			}
		}
		weight[i] = w
		count += w
	}
	// Rows are independent: each goroutine fills its own lse[i] and nll[i];
	// the sum over rows is taken serially below, in row order.
	lse := make([]float64, n) // logsumexp(z_i), kept for backward
	nll := make([]float64, n) // −log softmax(z_i)[t_i]
	fusedParallel(n, n*nv*8, func(i int) {
		if weight[i] == 0 {
			return
		}
		row := z.Data[i*nv : (i+1)*nv]
		m := row[0]
		for _, v := range row[1:] {
			m = max(m, v)
		}
		// e^(z − max) in float32 vector form (tensor.ExpTo), summed in
		// float64, a chunk at a time from a stack buffer.
		var buf [256]float32
		s := 0.0
		for lo := 0; lo < len(row); lo += len(buf) {
			e := buf[:min(len(buf), len(row)-lo)]
			for j := range e {
				e[j] = row[lo+j] - m
			}
			tensor.ExpTo(e, e)
			for _, v := range e {
				s += float64(v)
			}
		}
		lse[i] = float64(m) + math.Log(s)
		nll[i] = lse[i] - float64(row[targets[i]])
	})
	var sum float64
	for i, w := range weight {
		if w != 0 {
			sum += w * nll[i]
		}
	}
	norm := float64(denom)
	if norm == 0 {
		norm = count
	}
	loss := 0.0
	if norm > 0 {
		loss = sum / norm
	}
	return g.Record(op, tensor.New([]float32{float32(loss)}), []*Var{logits}, func(gout *tensor.Tensor) {
		dz := fusedGrad(logits)
		if dz == nil || norm == 0 {
			return // nothing counted: the gradient stays zero
		}
		gl := float64(gout.Data[0])
		fusedParallel(n, n*nv*8, func(i int) {
			if weight[i] == 0 {
				return
			}
			c, t := gl*weight[i]/norm, targets[i]
			row := z.Data[i*nv : (i+1)*nv]
			d := dz.Data[i*nv : (i+1)*nv]
			var buf [256]float32
			for lo := 0; lo < len(row); lo += len(buf) {
				e := buf[:min(len(buf), len(row)-lo)]
				for j := range e {
					e[j] = float32(float64(row[lo+j]) - lse[i])
				}
				tensor.ExpTo(e, e) // softmax probabilities of this chunk
				for j, p := range e {
					dj := c * float64(p)
					if lo+j == t {
						dj -= c
					}
					d[lo+j] += float32(dj)
				}
			}
		})
	})
}
