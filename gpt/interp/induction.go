package interp

import (
	"math/rand/v2"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/tensor"
)

// Repeats draws n sequences of length T, each a random pattern of length p
// (uniform in [minP, maxP], tokens uniform in [0, vocab)) repeated until the
// sequence is full: the book's induction-head task. It returns the sequences
// and their periods.
func Repeats(rng *rand.Rand, n, T, vocab, minP, maxP int) (seqs [][]int, periods []int) {
	for range n {
		p := minP + rng.IntN(maxP-minP+1)
		pat := make([]int, p)
		for i := range pat {
			pat[i] = rng.IntN(vocab)
		}
		s := make([]int, T)
		for i := range s {
			s[i] = pat[i%p]
		}
		seqs = append(seqs, s)
		periods = append(periods, p)
	}
	return seqs, periods
}

// RepeatLoss is a model's mean next-token loss on the repeated-pattern task,
// split by where the target sits in its sequence of period p.
type RepeatLoss struct {
	First   float64 // targets 1 … p−1: the pattern's first occurrence, unpredictable (≈ ln V)
	Restart float64 // target p: the pattern starts again, which only the period can tell
	Repeats float64 // targets p+1 …: an earlier copy of the current token says what follows
}

// Drop is First − Repeats, the loss an induction mechanism removes.
func (r RepeatLoss) Drop() float64 { return r.First - r.Repeats }

// MeasureRepeatLoss evaluates m on seqs with the given periods.
func MeasureRepeatLoss(m *gpt.Model, seqs [][]int, periods []int) RepeatLoss {
	var sum [3]float64
	var n [3]int
	g := autograd.NoGrad()
	V := m.Config.VocabSize
	for k, ids := range seqs {
		T := len(ids)
		lp := tensor.LogSoftmax(m.Logits(g, ids, 1, T).Value, -1)
		for t := 0; t+1 < T; t++ {
			c := 2
			switch {
			case t+1 < periods[k]:
				c = 0
			case t+1 == periods[k]:
				c = 1
			}
			sum[c] -= float64(lp.Data[t*V+ids[t+1]])
			n[c]++
		}
	}
	var r RepeatLoss
	for c, p := range []*float64{&r.First, &r.Restart, &r.Repeats} {
		if n[c] > 0 {
			*p = sum[c] / float64(n[c])
		}
	}
	return r
}

// Targets returns the next-token targets of a batch of sequences laid out
// [B, T]: ids shifted left by one, the last position of each row ignored
// (autograd.IgnoreIndex).
func Targets(seqs [][]int) (ids, targets []int) {
	for _, s := range seqs {
		ids = append(ids, s...)
		targets = append(targets, s[1:]...)
		targets = append(targets, autograd.IgnoreIndex)
	}
	return ids, targets
}

// AblateHead returns a copy of m in which attention head `head` of block
// `layer` writes nothing into the residual stream: the columns of that
// block's c_proj weight that read the head's output, [h·D, (h+1)·D), are
// zeroed. Comparing a loss with and without a head measures what the head
// contributes (zero ablation). m is left unchanged.
func AblateHead(m *gpt.Model, layer, head int) *gpt.Model {
	c := m.Clone()
	D := m.Config.HeadDim()
	w := c.Blocks[layer].Attn.CProj.Parameters()[0].Value // [DModel, DModel], (out, in)
	C := w.Shape[1]
	for r := range w.Shape[0] {
		clear(w.Data[r*C+head*D : r*C+(head+1)*D])
	}
	return c
}
