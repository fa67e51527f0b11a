package part4

import (
	"fmt"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/tokenizer"
	"transformers/nn"
	"transformers/reason"
	"transformers/tensor"
)

// GRPO trains Policy with group-relative policy optimisation against exact
// verifiers. One Step takes a batch of problems and
//
//  1. samples Group completions of each prompt from the current policy at
//     Temperature (one batched, KV-cached pass), each ending at EOS or at
//     MaxTokens;
//  2. rewards each completion with reason.OutcomeReward (1 if the verifier
//     accepts it, else 0) and turns the rewards of each group into
//     advantages Aᵢ = (rᵢ − mean r)/(std r + Eps) (reason.BatchAdvantages);
//  3. takes Updates gradient steps on reason.GRPOLoss. The old log-probs are
//     those of the sampling policy: the first update's forward pass, taken
//     before any step, so its ratio is exactly 1; later updates on the same
//     samples see ratios ≠ 1, which the clip bounds. The reference log-probs
//     come from Ref, a frozen copy of the starting policy.
//
// The EOS token is part of each completion, so the policy also learns where
// to stop.
type GRPO struct {
	Policy, Ref *gpt.Model
	Tok         *tokenizer.Char
	Opt         *nn.AdamW
	Loss        reason.GRPOConfig
	Group       int     // G, samples per prompt
	Updates     int     // μ, gradient steps per batch of samples
	MaxTokens   int     // longest completion (capped by the context)
	Temperature float64 // sampling temperature (1: the policy itself)
	Eps         float64 // ε of the advantage denominator
	GradClip    float64 // gradient-norm clip (0: none)
}

// GRPOStats is what one Step measured, under TRL's names where they exist.
type GRPOStats struct {
	Reward      float64 // mean reward of the sampled completions ("reward")
	FracZeroStd float64 // share of groups with equal rewards ("frac_reward_zero_std")
	Length      float64 // mean completion length in tokens, EOS included ("completions/mean_length")
	Truncated   float64 // share of completions cut at MaxTokens without EOS
	KL          float64 // masked mean KL estimate, policy vs reference, at sampling time ("kl")
	ClipFrac    float64 // share of tokens whose ratio left [1−ε, 1+ε], mean over the updates ("clip_ratio")
	Loss        float64 // GRPO loss of the first update ("loss")
	Samples     []string
	Rewards     []float64
}

// Validate reports the first unusable setting.
func (t *GRPO) Validate() error {
	switch {
	case t.Group < 2:
		return fmt.Errorf("-group %d: GRPO needs at least 2 samples per prompt to compare", t.Group)
	case t.Updates < 1:
		return fmt.Errorf("-updates %d: must be at least 1", t.Updates)
	case t.MaxTokens < 1:
		return fmt.Errorf("max tokens %d: must be at least 1", t.MaxTokens)
	case !(t.Temperature > 0):
		return fmt.Errorf("-temperature %g: must be positive", t.Temperature)
	case t.Loss.KL < reason.K1 || t.Loss.KL > reason.K3:
		return fmt.Errorf("KL estimator %d: want k1, k2 or k3", t.Loss.KL)
	case !(t.Loss.Clip > 0):
		return fmt.Errorf("-clip %g: must be positive", t.Loss.Clip)
	case t.Loss.Beta < 0:
		return fmt.Errorf("-beta %g: must be at least 0", t.Loss.Beta)
	}
	return nil
}

// Step runs one GRPO iteration on problems (sampling draws from rng).
func (t *GRPO) Step(problems []reason.Problem, rng *rand.Rand) GRPOStats {
	ctx := t.Policy.Config.Context
	var prompts, comps [][]int
	for _, p := range problems {
		ids := t.Tok.EncodeWithSpecials(p.Prompt())
		if len(ids) >= ctx {
			panic(fmt.Sprintf("part4.GRPO: prompt %q fills the context %d", p.Prompt(), ctx))
		}
		for range t.Group {
			prompts = append(prompts, ids)
		}
	}
	// Generate in chunks of equal prompt length caps: a completion may use
	// at most the room its prompt leaves, so prompt ++ completion fits.
	for i := 0; i < len(prompts); i += 64 {
		chunk := prompts[i:min(i+64, len(prompts))]
		room := ctx
		for _, p := range chunk {
			room = min(room, ctx-len(p))
		}
		opt := gpt.GenerateOptions{SampleOptions: gpt.SampleOptions{Temperature: t.Temperature}, MaxTokens: min(t.MaxTokens, room), EOS: tokenizer.EOSID, Rng: rng}
		comps = append(comps, t.Policy.GenerateBatch(chunk, opt)...)
	}
	st := GRPOStats{}
	groups := make([][]float64, len(problems))
	for i, c := range comps {
		text := c
		if n := len(c); n > 0 && c[n-1] == tokenizer.EOSID {
			text = c[:n-1]
		} else {
			st.Truncated++
		}
		s := t.Tok.Decode(text)
		r := reason.OutcomeReward(problems[i/t.Group], s)
		groups[i/t.Group] = append(groups[i/t.Group], r)
		st.Samples, st.Rewards = append(st.Samples, s), append(st.Rewards, r)
		st.Reward += r
		st.Length += float64(len(c))
	}
	n := float64(len(comps))
	st.Reward, st.Length, st.Truncated = st.Reward/n, st.Length/n, st.Truncated/n
	adv64, frac := reason.BatchAdvantages(groups, t.Eps)
	st.FracZeroStd = frac
	adv := make([]float32, len(adv64))
	for i, a := range adv64 {
		adv[i] = float32(a)
	}

	ref, _ := t.Ref.LogProbs(autograd.NoGrad(), prompts, comps)
	params := t.Policy.Parameters()
	g := autograd.New()
	var old *tensor.Tensor
	for u := range t.Updates {
		g.Reset()
		t.Opt.ZeroGrad()
		lp, bt := t.Policy.LogProbs(g, prompts, comps)
		mask := tensor.New(bt.Mask, bt.B, bt.MaxComp)
		if u == 0 {
			old = lp.Value.Clone()
			st.KL = reason.KLMean(lp.Value, ref.Value, mask, t.Loss.KL)
		}
		st.ClipFrac += reason.ClipFraction(lp.Value, old, mask, float64(t.Loss.Clip)) / float64(t.Updates)
		loss := reason.GRPOLoss(g, lp, old, ref.Value, adv, mask, t.Loss)
		if u == 0 {
			st.Loss = float64(loss.Value.Data[0])
		}
		g.Backward(loss)
		if t.GradClip > 0 {
			nn.ClipGradNorm(params, t.GradClip)
		}
		t.Opt.Step()
	}
	g.Reset()
	return st
}
