package reason

import (
	"fmt"
	"math"

	"transformers/autograd"
	"transformers/tensor"
)

// GroupAdvantages returns GRPO's group-relative advantages
// Aᵢ = (rᵢ − mean(r)) / (std(r) + eps) for the rewards of one group of
// samples of the same prompt, with the sample standard deviation (divisor
// G−1, as TRL computes it). A group whose rewards are all equal (std = 0, or
// a group of one) carries no signal: every advantage is exactly 0 and
// zeroStd is true.
func GroupAdvantages(rewards []float64, eps float64) (adv []float64, zeroStd bool) {
	g := len(rewards)
	adv = make([]float64, g)
	if g < 2 {
		return adv, true
	}
	mean := 0.0
	for _, r := range rewards {
		mean += r
	}
	mean /= float64(g)
	ss := 0.0
	for _, r := range rewards {
		ss += (r - mean) * (r - mean)
	}
	std := math.Sqrt(ss / float64(g-1))
	if std == 0 {
		return adv, true
	}
	for i, r := range rewards {
		adv[i] = (r - mean) / (std + eps)
	}
	return adv, false
}

// BatchAdvantages applies GroupAdvantages to each group and returns the
// advantages flattened in group order and frac_reward_zero_std, the share of
// groups that carried no signal.
func BatchAdvantages(groups [][]float64, eps float64) (adv []float64, fracZeroStd float64) {
	zero := 0
	for _, r := range groups {
		a, z := GroupAdvantages(r, eps)
		adv = append(adv, a...)
		if z {
			zero++
		}
	}
	if len(groups) > 0 {
		fracZeroStd = float64(zero) / float64(len(groups))
	}
	return adv, fracZeroStd
}

// OutcomeReward is the verifiable reward of a completion: 1 if p verifies it
// exactly, else 0. There is no partial or format credit, so a wrong answer,
// however well formatted, earns nothing.
func OutcomeReward(p Problem, completion string) float64 {
	if p.Verify(completion) {
		return 1
	}
	return 0
}

// KLEstimator selects the per-token estimator of KL(π‖π_ref) from
// d = log π − log π_ref at tokens sampled from π (Schulman's k1, k2, k3).
type KLEstimator int

// The estimators: k1 = d; k2 = d²/2; k3 = exp(−d) + d − 1 (unbiased, ≥ 0; the
// one GRPO uses).
const (
	K1 KLEstimator = iota + 1
	K2
	K3
)

// Aggregation selects how per-token losses become one number.
type Aggregation int

// PerSequence averages tokens within each completion, then over completions
// (GRPO's paper); PerToken averages over all tokens of the batch (DAPO), so
// long completions weigh more.
const (
	PerSequence Aggregation = iota
	PerToken
)

// GRPOConfig holds the objective's knobs.
type GRPOConfig struct {
	Clip float32     // ε of the clipped ratio, e.g. 0.2
	Beta float32     // KL weight β; 0 disables the KL term
	KL   KLEstimator // estimator used when Beta > 0
	Agg  Aggregation
}

// GRPOLoss is the GRPO loss (to minimise) from per-token log-probabilities:
//
//	ρ = exp(logp − oldLogp)
//	ℓₜ = −[min(ρ·A, clip(ρ, 1−ε, 1+ε)·A) − β·KLₜ]
//
// logp [B, T] is the policy's log-probability of each sampled token (the
// only input with a gradient), oldLogp [B, T] that of the sampling policy,
// refLogp [B, T] that of the reference (may be nil when Beta is 0), adv [B]
// the advantage of each completion and mask [B, T] 1 on completion tokens.
// Masked tokens contribute nothing; ℓ is aggregated per cfg.Agg.
func GRPOLoss(g *autograd.Graph, logp *autograd.Var, oldLogp, refLogp *tensor.Tensor, adv []float32, mask *tensor.Tensor, cfg GRPOConfig) *autograd.Var {
	sh := logp.Value.Shape
	if len(sh) != 2 || !tensor.SameShape(sh, oldLogp.Shape) || !tensor.SameShape(sh, mask.Shape) {
		panic(fmt.Sprintf("reason.GRPOLoss: logp %v, oldLogp %v and mask %v must be the same [B, T]", sh, oldLogp.Shape, mask.Shape))
	}
	if len(adv) != sh[0] {
		panic(fmt.Sprintf("reason.GRPOLoss: %d advantages for logp %v", len(adv), sh))
	}
	if cfg.Beta != 0 && (refLogp == nil || !tensor.SameShape(sh, refLogp.Shape)) {
		var rs []int
		if refLogp != nil {
			rs = refLogp.Shape
		}
		panic(fmt.Sprintf("reason.GRPOLoss: refLogp %v must match logp %v when Beta ≠ 0", rs, sh))
	}
	b, t := sh[0], sh[1]
	a := autograd.Const(tensor.New(append([]float32(nil), adv...), b, 1))
	ratio := g.Exp(g.Sub(logp, autograd.Const(oldLogp)))
	unclipped := g.Mul(ratio, a)
	clipped := g.Mul(g.Clamp(ratio, 1-cfg.Clip, 1+cfg.Clip), a)
	// min(u, c): pick u where u ≤ c.
	pick := tensor.Zeros(b, t)
	for i := range pick.Data {
		if unclipped.Value.Data[i] <= clipped.Value.Data[i] {
			pick.Data[i] = 1
		}
	}
	obj := g.Where(pick, unclipped, clipped)
	loss := g.Neg(obj)
	if cfg.Beta != 0 {
		d := g.Sub(logp, autograd.Const(refLogp))
		var kl *autograd.Var
		switch cfg.KL {
		case K1:
			kl = d
		case K2:
			kl = g.Scale(g.Mul(d, d), 0.5)
		case K3:
			kl = g.AddScalar(g.Add(g.Exp(g.Neg(d)), d), -1)
		default:
			panic(fmt.Sprintf("reason.GRPOLoss: unknown KL estimator %d", cfg.KL))
		}
		loss = g.Add(loss, g.Scale(kl, cfg.Beta))
	}
	loss = g.Mul(loss, autograd.Const(mask))
	switch cfg.Agg {
	case PerToken:
		n := float32(0)
		for _, m := range mask.Data {
			n += m
		}
		return g.Scale(g.SumAll(loss), 1/max(n, 1))
	case PerSequence:
		lens := tensor.Zeros(b)
		for i := 0; i < b; i++ {
			for j := 0; j < t; j++ {
				lens.Data[i] += mask.Data[i*t+j]
			}
			lens.Data[i] = max(lens.Data[i], 1)
		}
		return g.MeanAll(g.Div(g.Sum(loss, 1, false), autograd.Const(lens)))
	}
	panic(fmt.Sprintf("reason.GRPOLoss: unknown aggregation %d", cfg.Agg))
}

// KLMean is the masked mean of the chosen per-token KL estimate between
// logp and refLogp (both [B, T]), for logging KL against steps.
func KLMean(logp, refLogp, mask *tensor.Tensor, est KLEstimator) float64 {
	if !tensor.SameShape(logp.Shape, refLogp.Shape) || !tensor.SameShape(logp.Shape, mask.Shape) {
		panic(fmt.Sprintf("reason.KLMean: logp %v, refLogp %v and mask %v differ", logp.Shape, refLogp.Shape, mask.Shape))
	}
	s, n := 0.0, 0.0
	for i, m := range mask.Data {
		if m == 0 {
			continue
		}
		d := float64(logp.Data[i]) - float64(refLogp.Data[i])
		switch est {
		case K1:
			s += d
		case K2:
			s += d * d / 2
		case K3:
			s += math.Exp(-d) + d - 1
		default:
			panic(fmt.Sprintf("reason.KLMean: unknown KL estimator %d", est))
		}
		n += float64(m)
	}
	if n == 0 {
		return 0
	}
	return s / n
}

// ClipFraction is the share of unmasked tokens whose ratio
// exp(logp − oldLogp) lies outside [1−clip, 1+clip], for logging.
func ClipFraction(logp, oldLogp, mask *tensor.Tensor, clip float64) float64 {
	if !tensor.SameShape(logp.Shape, oldLogp.Shape) || !tensor.SameShape(logp.Shape, mask.Shape) {
		panic(fmt.Sprintf("reason.ClipFraction: logp %v, oldLogp %v and mask %v differ", logp.Shape, oldLogp.Shape, mask.Shape))
	}
	out, n := 0, 0
	for i, m := range mask.Data {
		if m == 0 {
			continue
		}
		n++
		r := math.Exp(float64(logp.Data[i]) - float64(oldLogp.Data[i]))
		if r < 1-clip || r > 1+clip {
			out++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(out) / float64(n)
}
