package gpt

import (
	"fmt"
	"math"

	"transformers/autograd"
	"transformers/tensor"
)

// TokenLogProbs picks one log-probability per requested row of logits
// [..., V] (N = Numel/V rows): out[i] = log softmax(z_{rows[i]})[targets[i]]
// = z[t] − logsumexp(z), shape [len(rows)]. A row of −1 gives 0 (padding)
// and no gradient. The backward adds gout[i]·(onehot(t) − softmax(z)) to
// row rows[i]; logsumexp is taken in float64 around the row's maximum.
func TokenLogProbs(g *autograd.Graph, logits *autograd.Var, rows, targets []int) *autograd.Var {
	s := logits.Value.Shape
	V := s[len(s)-1]
	N := logits.Value.Numel() / V
	if len(rows) != len(targets) {
		panic(fmt.Sprintf("gpt.TokenLogProbs: %d rows but %d targets", len(rows), len(targets)))
	}
	z := logits.Value.Data
	out := tensor.Zeros(len(rows))
	lse := make([]float64, len(rows))
	for i, r := range rows {
		if r < 0 {
			continue
		}
		if r >= N || targets[i] < 0 || targets[i] >= V {
			panic(fmt.Sprintf("gpt.TokenLogProbs: row %d of %d or target %d of %d out of range (logits %v)", r, N, targets[i], V, s))
		}
		row := z[r*V : (r+1)*V]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v - mx))
		}
		lse[i] = float64(mx) + math.Log(sum)
		out.Data[i] = float32(float64(row[targets[i]]) - lse[i])
	}
	return g.Record("TokenLogProbs", out, []*autograd.Var{logits}, func(gout *tensor.Tensor) {
		dz := tensor.ZerosLike(logits.Value)
		for i, r := range rows {
			if r < 0 || gout.Data[i] == 0 {
				continue
			}
			gi := float64(gout.Data[i])
			row, drow := z[r*V:(r+1)*V], dz.Data[r*V:(r+1)*V]
			for j, v := range row {
				drow[j] -= float32(gi * math.Exp(float64(v)-lse[i]))
			}
			drow[targets[i]] += float32(gi)
		}
		logits.AddGrad(dz)
	})
}

// Batch is a set of prompt + completion sequences packed into one [B, T]
// array with right padding.
type Batch struct {
	IDs        []int // [B, T], each row prompt ++ completion ++ padding
	B, T       int
	PromptLen  []int // per row
	CompLen    []int // per row
	MaxComp    int   // the longest completion: the width of the log-prob array
	Mask       []float32
	rows, tgts []int
}

// PackBatch right-pads prompt_i ++ completion_i to the longest length with
// pad and records which logits predict which completion tokens: completion
// token j of row b is predicted by position PromptLen[b]+j−1. Every prompt
// must be non-empty (the first token has nothing to condition on).
func PackBatch(prompts, completions [][]int, pad int) Batch {
	if len(prompts) != len(completions) || len(prompts) == 0 {
		panic(fmt.Sprintf("gpt.PackBatch: %d prompts and %d completions", len(prompts), len(completions)))
	}
	bt := Batch{B: len(prompts)}
	for i := range prompts {
		if len(prompts[i]) == 0 {
			panic(fmt.Sprintf("gpt.PackBatch: prompt %d is empty", i))
		}
		bt.T = max(bt.T, len(prompts[i])+len(completions[i]))
		bt.MaxComp = max(bt.MaxComp, len(completions[i]))
	}
	bt.IDs = make([]int, bt.B*bt.T)
	bt.Mask = make([]float32, bt.B*bt.MaxComp)
	bt.rows = make([]int, bt.B*bt.MaxComp)
	bt.tgts = make([]int, bt.B*bt.MaxComp)
	for i := range prompts {
		row := bt.IDs[i*bt.T : (i+1)*bt.T]
		n := copy(row, prompts[i])
		n += copy(row[n:], completions[i])
		for j := n; j < bt.T; j++ {
			row[j] = pad
		}
		bt.PromptLen = append(bt.PromptLen, len(prompts[i]))
		bt.CompLen = append(bt.CompLen, len(completions[i]))
		for j := range bt.MaxComp {
			k := i*bt.MaxComp + j
			if j < len(completions[i]) {
				bt.rows[k] = i*bt.T + len(prompts[i]) + j - 1
				bt.tgts[k] = completions[i][j]
				bt.Mask[k] = 1
			} else {
				bt.rows[k] = -1
			}
		}
	}
	return bt
}

// LogProbs is the per-token log-probability of each completion token given
// everything before it, log p(c_j | prompt, c_<j), shape [B, MaxComp]
// (0 where Mask is 0), read from logits [B, T, V] of a forward pass over
// bt.IDs.
func (bt Batch) LogProbs(g *autograd.Graph, logits *autograd.Var) *autograd.Var {
	return g.Reshape(TokenLogProbs(g, logits, bt.rows, bt.tgts), bt.B, bt.MaxComp)
}

// SequenceLogProbs sums per-token log-probabilities lp [B, MaxComp] over each
// completion, log p(completion | prompt), shape [B]; with mean it divides by
// the completion's length (DPO's length-normalised variant).
func (bt Batch) SequenceLogProbs(g *autograd.Graph, lp *autograd.Var, mean bool) *autograd.Var {
	s := g.Sum(lp, 1, false) // padded entries are exactly 0
	if !mean {
		return s
	}
	inv := tensor.Zeros(bt.B)
	for i, n := range bt.CompLen {
		if n > 0 {
			inv.Data[i] = 1 / float32(n)
		}
	}
	return g.Mul(s, autograd.Const(inv))
}

// LogProbs runs the model on prompt ++ completion pairs (right-padded with
// token 0) and returns the per-token log-probabilities of the completions,
// [B, MaxComp], and the packed batch (its Mask marks real tokens). On a
// recording graph the result is differentiable (DPO, PPO); on a NoGrad
// graph or a frozen model it is a plain evaluation (the reference model).
// To read a value head from the same pass (PPO), call PackBatch, Forward
// and Batch.LogProbs yourself and apply the head to Output.Hidden.
func (m *Model) LogProbs(g *autograd.Graph, prompts, completions [][]int) (*autograd.Var, Batch) {
	bt := PackBatch(prompts, completions, 0)
	out := m.Forward(g, bt.IDs, bt.B, bt.T, ForwardOptions{})
	return bt.LogProbs(g, out.Logits), bt
}
