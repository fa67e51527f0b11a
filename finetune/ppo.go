package finetune

import (
	"fmt"
	"math"

	"transformers/autograd"
	"transformers/tensor"
)

// The PPO pieces below follow TRL's PPOTrainer. Every per-token array is laid
// out [B, T] row-major over the completion tokens (T = the longest
// completion, as gpt.Batch.LogProbs returns them), with mask 1 on real tokens
// and 0 on padding.

func checkBT(op string, B, T int, arrays ...[]float32) {
	for _, a := range arrays {
		if len(a) != B*T {
			panic(fmt.Sprintf("finetune.%s: array of %d for [%d, %d]", op, len(a), B, T))
		}
	}
}

// KLRewards builds PPO's per-token rewards from the policy's and the
// reference's log-probabilities of the sampled tokens and the reward model's
// score of each sequence:
//
//	kl_t = log π(y_t) − log ref(y_t)          (the k1 estimator of KL(π ‖ ref))
//	r_t  = −β·kl_t + [t = last real token]·score_b
//
// so the policy pays for every token it moves away from the reference and is
// paid once, at the end, by the reward model. Padding gets 0.
func KLRewards(logp, refLogp, mask, scores []float32, B, T int, beta float64) (rewards, kl []float32) {
	checkBT("KLRewards", B, T, logp, refLogp, mask)
	if len(scores) != B {
		panic(fmt.Sprintf("finetune.KLRewards: %d scores for %d rows", len(scores), B))
	}
	last := LastReal(mask, B, T)
	rewards, kl = make([]float32, B*T), make([]float32, B*T)
	for b := range B {
		for t := range T {
			k := b*T + t
			if mask[k] == 0 {
				continue
			}
			kl[k] = logp[k] - refLogp[k]
			r := -beta * float64(kl[k])
			if t == last[b] {
				r += float64(scores[b])
			}
			rewards[k] = float32(r)
		}
	}
	return rewards, kl
}

// GAE computes generalised advantage estimates (Schulman et al. 2016) and
// returns from per-token rewards and value estimates, row by row from the end:
//
//	δ_t = r_t + γ·V_{t+1} − V_t        (V after the last real token is 0)
//	A_t = δ_t + γλ·A_{t+1}
//	R_t = A_t + V_t                     (the value head's regression target)
//
// λ = 1 gives Monte-Carlo returns minus the baseline, λ = 0 the one-step TD
// error. Padding gets 0.
func GAE(rewards, values, mask []float32, B, T int, gamma, lambda float64) (adv, returns []float32) {
	checkBT("GAE", B, T, rewards, values, mask)
	adv, returns = make([]float32, B*T), make([]float32, B*T)
	for b := range B {
		next, nextV := 0.0, 0.0
		for t := T - 1; t >= 0; t-- {
			k := b*T + t
			if mask[k] == 0 {
				next, nextV = 0, 0
				continue
			}
			v := float64(values[k])
			delta := float64(rewards[k]) + gamma*nextV - v
			a := delta + gamma*lambda*next
			adv[k], returns[k] = float32(a), float32(a+v)
			next, nextV = a, v
		}
	}
	return adv, returns
}

// Whiten normalises x over its masked entries: (x − μ)/√(σ² + 10⁻⁸), with μ the
// masked mean and σ² the masked variance with Bessel's correction (n/(n−1)),
// as TRL's masked_whiten. With shiftMean false the mean is added back (TRL
// does this for rewards). Padding gets 0.
func Whiten(x, mask []float32, shiftMean bool) []float32 {
	if len(x) != len(mask) {
		panic(fmt.Sprintf("finetune.Whiten: %d values, %d mask entries", len(x), len(mask)))
	}
	mu := maskedMean(x, mask)
	ss, n := 0.0, 0.0
	for i, v := range x {
		d := float64(v) - mu
		ss += d * d * float64(mask[i])
		n += float64(mask[i])
	}
	vr := 0.0
	if n > 1 {
		vr = ss / (n - 1)
	}
	inv := 1 / math.Sqrt(vr+1e-8)
	out := make([]float32, len(x))
	for i, v := range x {
		if mask[i] == 0 {
			continue
		}
		w := (float64(v) - mu) * inv
		if !shiftMean {
			w += mu
		}
		out[i] = float32(w)
	}
	return out
}

// PolicyStats are measured by PolicyLoss.
type PolicyStats struct {
	Loss     float64 // loss/policy_avg
	ApproxKL float64 // policy/approxkl_avg: ½·mean (log π − log π_old)²
	ClipFrac float64 // policy/clipfrac_avg: fraction of tokens where the clipped term is the larger loss
	Ratio    float64 // val/ratio: mean π/π_old over real tokens
}

// PolicyLoss is PPO's clipped surrogate (Schulman et al. 2017) over the real
// tokens, with ρ_t = exp(log π(y_t) − log π_old(y_t)):
//
//	L = mean_t max(−A_t·ρ_t, −A_t·clip(ρ_t, 1−ε, 1+ε))
//
// logp [B, T] is differentiable (the policy now); oldLogp, adv and mask are
// fixed. With π = π_old the ratio is 1, nothing is clipped and the gradient is
// that of −mean A_t·log π(y_t).
func PolicyLoss(g *autograd.Graph, logp *autograd.Var, oldLogp, adv, mask []float32, clip float64) (*autograd.Var, PolicyStats) {
	n := logp.Value.Numel()
	if len(oldLogp) != n || len(adv) != n || len(mask) != n {
		panic(fmt.Sprintf("finetune.PolicyLoss: logp %v with %d old, %d advantages, %d mask", logp.Value.Shape, len(oldLogp), len(adv), len(mask)))
	}
	sh := logp.Value.Shape
	old := autograd.Const(tensor.New(append([]float32(nil), oldLogp...), sh...))
	negA := tensor.New(make([]float32, n), sh...)
	for i, a := range adv {
		negA.Data[i] = -a
	}
	na := autograd.Const(negA)
	ratio := g.Exp(g.Sub(logp, old))
	pg1 := g.Mul(na, ratio)
	pg2 := g.Mul(na, g.Clamp(ratio, float32(1-clip), float32(1+clip)))
	take2 := tensor.Zeros(sh...)
	var st PolicyStats
	sq := make([]float32, n)
	for i := range n {
		if pg2.Value.Data[i] > pg1.Value.Data[i] {
			take2.Data[i] = 1
		}
		d := logp.Value.Data[i] - oldLogp[i]
		sq[i] = d * d
	}
	loss := MaskedMean(g, g.Where(take2, pg2, pg1), mask)
	st.Loss = float64(loss.Value.Data[0])
	st.ClipFrac = maskedMean(take2.Data, mask)
	st.ApproxKL = 0.5 * maskedMean(sq, mask)
	st.Ratio = maskedMean(ratio.Value.Data, mask)
	return loss, st
}

// ValueStats are measured by ValueLoss.
type ValueStats struct {
	Loss     float64 // loss/value_avg
	ClipFrac float64 // val/clipfrac_avg: fraction of tokens where the clipped error is the larger
}

// ValueLoss is PPO's clipped value loss over the real tokens, with the new
// prediction V kept within ε of the rollout's V_old:
//
//	V^clip = V_old + clip(V − V_old, −ε, ε)
//	L = ½·mean_t max((V_t − R_t)², (V^clip_t − R_t)²)
func ValueLoss(g *autograd.Graph, values *autograd.Var, oldValues, returns, mask []float32, clip float64) (*autograd.Var, ValueStats) {
	n := values.Value.Numel()
	if len(oldValues) != n || len(returns) != n || len(mask) != n {
		panic(fmt.Sprintf("finetune.ValueLoss: values %v with %d old, %d returns, %d mask", values.Value.Shape, len(oldValues), len(returns), len(mask)))
	}
	sh := values.Value.Shape
	old := autograd.Const(tensor.New(append([]float32(nil), oldValues...), sh...))
	ret := autograd.Const(tensor.New(append([]float32(nil), returns...), sh...))
	clipped := g.Add(old, g.Clamp(g.Sub(values, old), float32(-clip), float32(clip)))
	e1 := g.Pow(g.Sub(values, ret), 2)
	e2 := g.Pow(g.Sub(clipped, ret), 2)
	take2 := tensor.Zeros(sh...)
	for i := range n {
		if e2.Value.Data[i] > e1.Value.Data[i] {
			take2.Data[i] = 1
		}
	}
	loss := g.Scale(MaskedMean(g, g.Where(take2, e2, e1), mask), 0.5)
	return loss, ValueStats{Loss: float64(loss.Value.Data[0]), ClipFrac: maskedMean(take2.Data, mask)}
}

// Entropy returns the entropy of each row's next-token distribution from
// logits [..., V], shape [...]: H = −Σ_v p_v log p_v with p = softmax(z).
func Entropy(g *autograd.Graph, logits *autograd.Var) *autograd.Var {
	axis := len(logits.Value.Shape) - 1
	p := g.Softmax(logits, axis)
	lp := g.LogSoftmax(logits, axis)
	return g.Neg(g.Sum(g.Mul(p, lp), axis, false))
}

// RolloutStats are the objective/* statistics of one batch of rollouts.
type RolloutStats struct {
	KL             float64 // objective/kl: mean over sequences of Σ_t kl_t
	Scores         float64 // objective/scores: mean reward-model score
	NonScoreReward float64 // objective/non_score_reward: mean over sequences of Σ_t −β·kl_t
	RLHFReward     float64 // objective/rlhf_reward: Scores + NonScoreReward
}

// ComputeRolloutStats computes RolloutStats from per-token KL [B, T] (as
// KLRewards returns it, 0 on padding) and scores [B].
func ComputeRolloutStats(kl, scores []float32, B, T int, beta float64) RolloutStats {
	checkBT("ComputeRolloutStats", B, T, kl)
	if len(scores) != B || B == 0 {
		panic(fmt.Sprintf("finetune.ComputeRolloutStats: %d scores for %d rows", len(scores), B))
	}
	var s RolloutStats
	for b := range B {
		sum := 0.0
		for t := range T {
			sum += float64(kl[b*T+t])
		}
		s.KL += sum / float64(B)
		s.Scores += float64(scores[b]) / float64(B)
	}
	s.NonScoreReward = -beta * s.KL
	s.RLHFReward = s.Scores + s.NonScoreReward
	return s
}

// PPOStats gathers one update's statistics for logging.
type PPOStats struct {
	Rollout RolloutStats
	Policy  PolicyStats
	Value   ValueStats
	Entropy float64 // policy/entropy_avg: mean next-token entropy over real tokens
}

// StatNames lists the keys of PPOStats.Map in logging order (TRL's names).
func StatNames() []string {
	return []string{
		"objective/kl", "objective/scores", "objective/non_score_reward", "objective/rlhf_reward",
		"policy/approxkl_avg", "policy/clipfrac_avg", "policy/entropy_avg",
		"loss/policy_avg", "loss/value_avg", "val/clipfrac_avg", "val/ratio",
	}
}

// Map returns the statistics under TRL's names (see StatNames).
func (s PPOStats) Map() map[string]float64 {
	return map[string]float64{
		"objective/kl":               s.Rollout.KL,
		"objective/scores":           s.Rollout.Scores,
		"objective/non_score_reward": s.Rollout.NonScoreReward,
		"objective/rlhf_reward":      s.Rollout.RLHFReward,
		"policy/approxkl_avg":        s.Policy.ApproxKL,
		"policy/clipfrac_avg":        s.Policy.ClipFrac,
		"policy/entropy_avg":         s.Entropy,
		"loss/policy_avg":            s.Policy.Loss,
		"loss/value_avg":             s.Value.Loss,
		"val/clipfrac_avg":           s.Value.ClipFrac,
		"val/ratio":                  s.Policy.Ratio,
	}
}
