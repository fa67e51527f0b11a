package finetune

import (
	"fmt"
	"math"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/tensor"
)

// LogSigmoid returns log σ(x) element-wise, computed stably as
// min(x, 0) − log(1 + e^−|x|); its derivative is σ(−x) = 1 − σ(x), which is ½
// at x = 0 (a composition of ReLU and |x| would give 0 there, exactly where
// DPO starts).
func LogSigmoid(g *autograd.Graph, x *autograd.Var) *autograd.Var {
	out := tensor.ZerosLike(x.Value)
	for i, v := range x.Value.Data {
		f := float64(v)
		out.Data[i] = float32(math.Min(f, 0) - math.Log1p(math.Exp(-math.Abs(f))))
	}
	return g.Record("LogSigmoid", out, []*autograd.Var{x}, func(gout *tensor.Tensor) {
		dx := tensor.ZerosLike(x.Value)
		for i, v := range x.Value.Data {
			dx.Data[i] = gout.Data[i] * float32(sigmoid(-float64(v)))
		}
		x.AddGrad(dx)
	})
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func mustVector(op string, vs ...*autograd.Var) int {
	n := vs[0].Value.Numel()
	for _, v := range vs {
		if len(v.Value.Shape) != 1 || v.Value.Shape[0] != n {
			panic(fmt.Sprintf("finetune.%s: want vectors of one length, got %v and %v", op, vs[0].Value.Shape, v.Value.Shape))
		}
	}
	return n
}

// BradleyTerryLoss is the reward model's loss over a batch of preference
// pairs with rewards rChosen, rRejected [B]:
//
//	L = −(1/B) Σ_b log σ(r_chosen,b − r_rejected,b)
//
// the negative log-likelihood of the Bradley–Terry model
// P(chosen ≻ rejected) = σ(r_c − r_r). It is ln 2 when the rewards are equal.
func BradleyTerryLoss(g *autograd.Graph, rChosen, rRejected *autograd.Var) *autograd.Var {
	n := mustVector("BradleyTerryLoss", rChosen, rRejected)
	return g.Scale(g.SumAll(LogSigmoid(g, g.Sub(rChosen, rRejected))), -1/float32(n))
}

// RewardStats are a reward model's held-out measures over preference pairs.
type RewardStats struct {
	Accuracy float64 // fraction of pairs with r_c > r_r
	Margin   float64 // mean r_c − r_r
	Loss     float64 // mean −log σ(r_c − r_r)
}

// PairStats computes RewardStats from the rewards of chosen and rejected
// replies (also DPO's implicit rewards).
func PairStats(chosen, rejected []float32) RewardStats {
	if len(chosen) != len(rejected) || len(chosen) == 0 {
		panic(fmt.Sprintf("finetune.PairStats: %d chosen and %d rejected rewards", len(chosen), len(rejected)))
	}
	var s RewardStats
	for i := range chosen {
		d := float64(chosen[i]) - float64(rejected[i])
		if d > 0 {
			s.Accuracy++
		}
		s.Margin += d
		s.Loss -= math.Min(d, 0) - math.Log1p(math.Exp(-math.Abs(d)))
	}
	n := float64(len(chosen))
	s.Accuracy, s.Margin, s.Loss = s.Accuracy/n, s.Margin/n, s.Loss/n
	return s
}

// LastReal returns, for each row of a [B, T] mask, the index of its last
// nonzero entry: where a reward model reads its score, whatever the padding.
// It panics on a row with no real token.
func LastReal(mask []float32, B, T int) []int {
	if len(mask) != B*T {
		panic(fmt.Sprintf("finetune.LastReal: mask of %d for [%d, %d]", len(mask), B, T))
	}
	out := make([]int, B)
	for b := range B {
		out[b] = -1
		for t := range T {
			if mask[b*T+t] != 0 {
				out[b] = t
			}
		}
		if out[b] < 0 {
			panic(fmt.Sprintf("finetune.LastReal: row %d has no real token", b))
		}
	}
	return out
}

// RewardModel is a GPT with a scalar head: the reward of a sequence is the
// head's score r = h_last·wᵀ + b at its last real token.
type RewardModel struct {
	Model *gpt.Model
	Head  *gpt.ScalarHead
}

// NewRewardModel puts a scalar head named "score" on m (weights from
// N(0, 0.02²) drawn from rng, bias 0).
func NewRewardModel(m *gpt.Model, rng *rand.Rand) *RewardModel {
	return &RewardModel{Model: m, Head: gpt.NewScalarHead("score", m.Config.DModel, 0.02, rng)}
}

// Rewards scores B sequences ids [B, T] (any padding), reading each at its
// last real token as marked by mask [B, T]; shape [B].
func (rm *RewardModel) Rewards(g *autograd.Graph, ids []int, mask []float32, B, T int) *autograd.Var {
	out := rm.Model.Forward(g, ids, B, T, gpt.ForwardOptions{SkipLogits: true})
	return gpt.AtPositions(g, rm.Head.Forward(g, out.Hidden), LastReal(mask, B, T))
}

// Parameters returns the model's parameters then the head's.
func (rm *RewardModel) Parameters() []*autograd.Var {
	return append(rm.Model.Parameters(), rm.Head.Parameters()...)
}

// DPOLoss is the direct preference optimisation loss (Rafailov et al. 2023)
// from sequence log-probabilities [B] of the chosen and rejected replies under
// the policy π and the frozen reference:
//
//	L = −(1/B) Σ_b log σ(β·[(log π_c − log ref_c) − (log π_r − log ref_r)])
//
// At the start π = ref, so every margin is 0 and L = ln 2.
func DPOLoss(g *autograd.Graph, policyChosen, policyRejected, refChosen, refRejected *autograd.Var, beta float64) *autograd.Var {
	n := mustVector("DPOLoss", policyChosen, policyRejected, refChosen, refRejected)
	c := g.Sub(policyChosen, refChosen)
	r := g.Sub(policyRejected, refRejected)
	z := g.Scale(g.Sub(c, r), float32(beta))
	return g.Scale(g.SumAll(LogSigmoid(g, z)), -1/float32(n))
}

// DPOStats are the implicit rewards of DPO, logged with TRL's names.
type DPOStats struct {
	Chosen   float64 // rewards/chosen: mean β(log π_c − log ref_c)
	Rejected float64 // rewards/rejected: mean β(log π_r − log ref_r)
	Margin   float64 // rewards/margins: mean of chosen − rejected reward
	Accuracy float64 // rewards/accuracies: fraction with chosen reward > rejected
	Loss     float64 // loss: the DPO loss
}

// ComputeDPOStats computes DPOStats from sequence log-probabilities.
func ComputeDPOStats(policyChosen, policyRejected, refChosen, refRejected []float32, beta float64) DPOStats {
	n := len(policyChosen)
	if n == 0 || len(policyRejected) != n || len(refChosen) != n || len(refRejected) != n {
		panic(fmt.Sprintf("finetune.ComputeDPOStats: lengths %d, %d, %d, %d", n, len(policyRejected), len(refChosen), len(refRejected)))
	}
	rc, rr := make([]float32, n), make([]float32, n)
	var s DPOStats
	for i := range n {
		c := beta * (float64(policyChosen[i]) - float64(refChosen[i]))
		r := beta * (float64(policyRejected[i]) - float64(refRejected[i]))
		rc[i], rr[i] = float32(c), float32(r)
		s.Chosen += c / float64(n)
		s.Rejected += r / float64(n)
	}
	p := PairStats(rc, rr)
	s.Margin, s.Accuracy, s.Loss = p.Margin, p.Accuracy, p.Loss
	return s
}

// Map returns the statistics under TRL's names.
func (s DPOStats) Map() map[string]float64 {
	return map[string]float64{
		"rewards/chosen":     s.Chosen,
		"rewards/rejected":   s.Rejected,
		"rewards/margins":    s.Margin,
		"rewards/accuracies": s.Accuracy,
		"loss":               s.Loss,
	}
}

// MaskedMean returns Σ x⊙m / Σ m over all elements of x (m laid out like x),
// a scalar; 0 when Σ m = 0.
func MaskedMean(g *autograd.Graph, x *autograd.Var, mask []float32) *autograd.Var {
	if len(mask) != x.Value.Numel() {
		panic(fmt.Sprintf("finetune.MaskedMean: mask of %d for %v", len(mask), x.Value.Shape))
	}
	n := 0.0
	for _, m := range mask {
		n += float64(m)
	}
	if n == 0 {
		n = 1
	}
	m := autograd.Const(tensor.New(append([]float32(nil), mask...), x.Value.Shape...))
	return g.Scale(g.SumAll(g.Mul(x, m)), float32(1/n))
}

func maskedMean(x, mask []float32) float64 {
	s, n := 0.0, 0.0
	for i, v := range x {
		s += float64(v) * float64(mask[i])
		n += float64(mask[i])
	}
	if n == 0 {
		return 0
	}
	return s / n
}
