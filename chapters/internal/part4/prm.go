package part4

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/tokenizer"
	"transformers/nn"
	"transformers/reason"
	"transformers/reason/countdown"
	"transformers/tensor"
)

// Labelled is a solution with one label in [0, 1] per step: the target a
// step scorer learns (exact oracle labels, Monte-Carlo rollout fractions, or
// for an outcome model the solution's verdict on its last step only).
type Labelled struct {
	Prompt string
	Steps  []string
	Labels []float64
	Weight []float64 // per-step loss weight; nil means every step counts 1
}

// PRM is a step scorer: a copy of a trained GPT with a scalar head read at
// the newline that ends each step; σ(head) is the probability that the
// solution is still on a correct path after that step.
type PRM struct {
	Model *gpt.Model
	Head  *gpt.ScalarHead
	Tok   *tokenizer.Char
}

// encode returns the ids of prompt ++ steps (one per line) and the
// position of each step's newline.
func (p *PRM) encode(prompt string, steps []string) ([]int, []int) {
	ids := p.Tok.EncodeWithSpecials(prompt)
	var pos []int
	for _, s := range steps {
		ids = append(ids, p.Tok.EncodeWithSpecials(s+"\n")...)
		pos = append(pos, len(ids)-1)
	}
	return ids, pos
}

// logits runs the model on a batch and returns the head's logit at every
// marked position, in order, as a [n, 1] variable.
func (p *PRM) logits(g *autograd.Graph, seqs [][]int, pos [][]int) *autograd.Var {
	T := 0
	for _, s := range seqs {
		T = max(T, len(s))
	}
	T = min(T, p.Model.Config.Context)
	B := len(seqs)
	ids := make([]int, B*T)
	var rows []int
	for b, s := range seqs {
		for t := range T {
			ids[b*T+t] = tokenizer.PADID
			if t < len(s) {
				ids[b*T+t] = s[t]
			}
		}
		for _, q := range pos[b] {
			rows = append(rows, b*T+min(q, T-1))
		}
	}
	out := p.Model.Forward(g, ids, B, T, gpt.ForwardOptions{SkipLogits: true})
	h := g.Reshape(out.Hidden, B*T, p.Model.Config.DModel)
	sel := g.Reshape(g.IndexSelect(h, rows), 1, len(rows), p.Model.Config.DModel)
	return g.Reshape(p.Head.Forward(g, sel), len(rows), 1)
}

// StepScores scores every step of one solution in one forward pass (one
// model call): σ of the head at the end of each step.
func (p *PRM) StepScores(prompt string, steps []string) []float64 {
	if len(steps) == 0 {
		return nil
	}
	ids, pos := p.encode(prompt, steps)
	g := autograd.NoGrad()
	z := p.logits(g, [][]int{ids}, [][]int{pos})
	out := make([]float64, len(steps))
	for i := range out {
		out[i] = 1 / (1 + math.Exp(-float64(z.Value.Data[i])))
	}
	return out
}

// TrainPRM fine-tunes a copy of base (all its weights) with a fresh scalar
// head on data by binary cross-entropy at each step's end,
// −[y·log σ(z) + (1−y)·log(1−σ(z))], averaged over the labelled steps of
// each batch (AdamW, cosine decay, clipping at 1). It prints the loss every
// steps/4 updates to w.
func TrainPRM(w io.Writer, base *Trained, data []Labelled, steps, batch int, lr float64, seed uint64) *PRM {
	rng := rand.New(rand.NewPCG(seed, 43))
	p := &PRM{Model: base.Model.Clone(), Tok: base.Tok}
	p.Head = gpt.NewScalarHead("prm_head", p.Model.Config.DModel, 0.02, rng)
	params := append(p.Model.Parameters(), p.Head.Parameters()...)
	opt := nn.NewAdamW(nn.DecayGroups(params, 0.01), lr)
	sched := nn.WarmupCosine(lr, lr/10, max(1, steps/10), steps)
	g := autograd.New()
	every := max(1, steps/4)
	for step := range steps {
		opt.SetLR(sched(step))
		opt.ZeroGrad()
		var seqs, pos [][]int
		var y, wt []float32
		for range batch {
			d := data[rng.IntN(len(data))]
			ids, ps := p.encode(d.Prompt, d.Steps)
			seqs, pos = append(seqs, ids), append(pos, ps)
			for i, l := range d.Labels {
				y = append(y, float32(l))
				ww := 1.0
				if d.Weight != nil {
					ww = d.Weight[i]
				}
				wt = append(wt, float32(ww))
			}
		}
		sum := float32(0)
		for _, v := range wt {
			sum += v
		}
		if sum == 0 {
			continue
		}
		g.Reset()
		z := p.logits(g, seqs, pos)
		n := len(y)
		pr := g.Clamp(g.Sigmoid(z), 1e-6, 1-1e-6)
		yv := autograd.Const(tensor.New(y, n, 1))
		one := autograd.Const(tensor.Ones(n, 1))
		ll := g.Add(g.Mul(yv, g.Log(pr)), g.Mul(g.Sub(one, yv), g.Log(g.Sub(one, pr))))
		for i := range wt {
			wt[i] /= -sum
		}
		loss := g.SumAll(g.Mul(ll, autograd.Const(tensor.New(wt, n, 1))))
		g.Backward(loss)
		nn.ClipGradNorm(params, 1)
		opt.Step()
		if (step+1)%every == 0 || step+1 == steps {
			fmt.Fprintf(w, "  update %4d/%d  step loss %.4f\n", step+1, steps, loss.Value.Data[0])
		}
	}
	g.Reset()
	return p
}

// RolloutLabels gives every step of every solution its Monte-Carlo label as
// reason.RolloutLabels defines it — the fraction of m continuations sampled
// from the prefix ending at that step whose full text verifies — but
// samples the continuations of all prefixes in batched passes. verify
// checks a full completion of problem i. It returns the labels and the
// model calls spent (m per step).
func RolloutLabels(s Sampler, prompts []string, sols [][]string, verify func(i int, completion string) bool, m int, rng *rand.Rand) ([][]float64, int) {
	var ps []string
	type at struct{ i, j int }
	var where []at
	for i, steps := range sols {
		for j := range steps {
			ps = append(ps, reason.StepPrompt(prompts[i], steps[:j+1]))
			where = append(where, at{i, j})
		}
	}
	labels := make([][]float64, len(sols))
	for i := range sols {
		labels[i] = make([]float64, len(sols[i]))
	}
	if len(ps) == 0 {
		return labels, 0
	}
	outs := s.Batch(ps, m, rng)
	for k, o := range outs {
		a := where[k]
		prefix := reason.Join(sols[a.i][:a.j+1])
		ok := 0
		for _, c := range o {
			if verify(a.i, prefix+c) {
				ok++
			}
		}
		labels[a.i][a.j] = float64(ok) / float64(m)
	}
	return labels, len(ps) * m
}

// CountdownOracle labels each line of a countdown solution exactly: 1 if
// the solution up to and including it can still be completed correctly
// (for the answer line: if the whole solution verifies), else 0.
func CountdownOracle(p countdown.Problem, lines []string) []float64 {
	solver := countdown.NewSolver(p.Target)
	out := make([]float64, len(lines))
	for j := range lines {
		out[j] = p.OracleValue(lines[:j+1], solver)
	}
	return out
}
