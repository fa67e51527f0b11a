package finetune

import (
	"math"
	"testing"

	"transformers/autograd"
	"transformers/tensor"
)

func closeAll(got []float32, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !near(float64(got[i]), want[i], tol) {
			return false
		}
	}
	return true
}

func TestKLRewardsAndRolloutStats(t *testing.T) {
	// Row 0: three real tokens; row 1: two real tokens and one pad (whose
	// log-probs are junk and must be ignored).
	logp := []float32{-1, -2, -0.5, -1, -3, 9}
	ref := []float32{-1.5, -2, -1, -0.5, -2, 0}
	mask := []float32{1, 1, 1, 1, 1, 0}
	scores := []float32{3, -1}
	rewards, kl := KLRewards(logp, ref, mask, scores, 2, 3, 0.1)
	if want := []float64{0.5, 0, 0.5, -0.5, -1, 0}; !closeAll(kl, want, 1e-7) {
		t.Errorf("kl = %v, want %v", kl, want)
	}
	// r_t = −0.1·kl_t, plus the score at the last real token.
	if want := []float64{-0.05, 0, -0.05 + 3, 0.05, 0.1 - 1, 0}; !closeAll(rewards, want, 1e-6) {
		t.Errorf("rewards = %v, want %v", rewards, want)
	}
	s := ComputeRolloutStats(kl, scores, 2, 3, 0.1)
	// Σ_t kl per sequence: 1 and −1.5, mean −0.25; scores mean 1.
	want := RolloutStats{KL: -0.25, Scores: 1, NonScoreReward: 0.025, RLHFReward: 1.025}
	if !near(s.KL, want.KL, 1e-7) || !near(s.Scores, want.Scores, 1e-7) || !near(s.NonScoreReward, want.NonScoreReward, 1e-7) || !near(s.RLHFReward, want.RLHFReward, 1e-7) {
		t.Errorf("rollout stats %+v, want %+v", s, want)
	}
	// With π = ref the KL, and so the penalty, is exactly zero.
	_, kl0 := KLRewards(logp, logp, mask, scores, 2, 3, 0.1)
	if s0 := ComputeRolloutStats(kl0, scores, 2, 3, 0.1); s0.KL != 0 || s0.RLHFReward != 1 {
		t.Errorf("π = ref: %+v", s0)
	}
}

func TestGAE(t *testing.T) {
	tests := []struct {
		name          string
		gamma, lambda float64
		rewards       []float32
		values        []float32
		mask          []float32
		adv, ret      []float64
	}{
		{
			// Row 0: r = (1, 0, 2), V = (0.5, 1, 1.5); row 1: r = (0, −1), V = (0.2, −0.4), then padding.
			// γ = 0.9, λ = 0.8, γλ = 0.72:
			//   row 0: δ₂ = 2 − 1.5 = 0.5, A₂ = 0.5
			//          δ₁ = 0 + 0.9·1.5 − 1 = 0.35, A₁ = 0.35 + 0.72·0.5 = 0.71
			//          δ₀ = 1 + 0.9·1 − 0.5 = 1.4,  A₀ = 1.4 + 0.72·0.71 = 1.9112
			//   row 1: δ₁ = −1 + 0.4 = −0.6, A₁ = −0.6
			//          δ₀ = 0 + 0.9·(−0.4) − 0.2 = −0.56, A₀ = −0.56 + 0.72·(−0.6) = −0.992
			name: "hand example", gamma: 0.9, lambda: 0.8,
			rewards: []float32{1, 0, 2, 0, -1, 0},
			values:  []float32{0.5, 1, 1.5, 0.2, -0.4, 7},
			mask:    []float32{1, 1, 1, 1, 1, 0},
			adv:     []float64{1.9112, 0.71, 0.5, -0.992, -0.6, 0},
			ret:     []float64{2.4112, 1.71, 2, -0.792, -1, 0},
		},
		{
			// γ = λ = 1: A_t = (Σ_{s≥t} r_s) − V_t.
			name: "Monte Carlo", gamma: 1, lambda: 1,
			rewards: []float32{1, 0, 2, 0, -1, 0},
			values:  []float32{0.5, 1, 1.5, 0.2, -0.4, 7},
			mask:    []float32{1, 1, 1, 1, 1, 0},
			adv:     []float64{2.5, 1, 0.5, -1.2, -0.6, 0},
			ret:     []float64{3, 2, 2, -1, -1, 0},
		},
		{
			// λ = 0: A_t = δ_t, the one-step TD error.
			name: "TD(0)", gamma: 0.9, lambda: 0,
			rewards: []float32{1, 0, 2, 0, -1, 0},
			values:  []float32{0.5, 1, 1.5, 0.2, -0.4, 7},
			mask:    []float32{1, 1, 1, 1, 1, 0},
			adv:     []float64{1.4, 0.35, 0.5, -0.56, -0.6, 0},
			ret:     []float64{1.9, 1.35, 2, -0.36, -1, 0},
		},
	}
	for _, tc := range tests {
		adv, ret := GAE(tc.rewards, tc.values, tc.mask, 2, 3, tc.gamma, tc.lambda)
		if !closeAll(adv, tc.adv, 1e-6) || !closeAll(ret, tc.ret, 1e-6) {
			t.Errorf("%s:\n adv %v want %v\n ret %v want %v", tc.name, adv, tc.adv, ret, tc.ret)
		}
	}
}

func TestWhiten(t *testing.T) {
	x := []float32{1, 2, 3, 4, 100}
	mask := []float32{1, 1, 1, 1, 0}
	// μ = 2.5, σ² = 5/3 (Bessel), σ = 1.2909944.
	s := 1 / math.Sqrt(5.0/3+1e-8)
	tests := []struct {
		shift bool
		want  []float64
	}{
		{true, []float64{-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, 0}},
		{false, []float64{-1.5*s + 2.5, -0.5*s + 2.5, 0.5*s + 2.5, 1.5*s + 2.5, 0}},
	}
	for _, tc := range tests {
		if got := Whiten(x, mask, tc.shift); !closeAll(got, tc.want, 1e-6) {
			t.Errorf("shiftMean %v: %v, want %v", tc.shift, got, tc.want)
		}
	}
	w := Whiten([]float32{3, -1, 0.5, 8, 2}, []float32{1, 1, 1, 1, 1}, true)
	mu, ss := 0.0, 0.0
	for _, v := range w {
		mu += float64(v) / 5
	}
	for _, v := range w {
		ss += (float64(v) - mu) * (float64(v) - mu) / 4
	}
	if !near(mu, 0, 1e-6) || !near(ss, 1, 1e-5) {
		t.Errorf("whitened mean %g, variance %g", mu, ss)
	}
}

func logVec(ratios ...float64) []float32 {
	out := make([]float32, len(ratios))
	for i, r := range ratios {
		out[i] = float32(math.Log(r))
	}
	return out
}

func TestPolicyLoss(t *testing.T) {
	// At the start π = π_old: ratio 1, nothing clipped, approx KL 0, and the
	// loss is −mean A with gradient −A_t/n.
	old := []float32{-1, -2.5, -0.3, -4}
	adv := []float32{1, -2, 0.5, 3}
	mask := []float32{1, 1, 1, 0}
	lp := autograd.Param("logp", tensor.New(append([]float32(nil), old...), 2, 2))
	g := autograd.New()
	loss, st := PolicyLoss(g, lp, old, adv, mask, 0.2)
	if st.Ratio != 1 || st.ClipFrac != 0 || st.ApproxKL != 0 || !near(st.Loss, 0.5/3, 1e-7) {
		t.Errorf("at start: %+v", st)
	}
	g.Backward(loss)
	if want := []float64{-1.0 / 3, 2.0 / 3, -0.5 / 3, 0}; !closeAll(lp.Grad.Data, want, 1e-6) {
		t.Errorf("gradient at start %v, want %v", lp.Grad.Data, want)
	}

	// Hand-set ratios, ε = 0.2:
	//   ρ = 1.5, A = +1: −1.5 vs −1.2 → −1.2 (clipped, no gradient)
	//   ρ = 0.5, A = +1: −0.5 vs −0.8 → −0.5 (gradient −A·ρ/n = −0.125)
	//   ρ = 0.5, A = −2:  1.0 vs  1.6 →  1.6 (clipped)
	//   ρ = 1.1, A = −1:  1.1 vs  1.1 →  1.1 (gradient 1.1/4 = 0.275)
	//   padding (ρ = 3) ignored.
	old = make([]float32, 5)
	now := logVec(1.5, 0.5, 0.5, 1.1, 3)
	adv = []float32{1, 1, -2, -1, 5}
	mask = []float32{1, 1, 1, 1, 0}
	lp = autograd.Param("logp", tensor.New(now, 5))
	g = autograd.New()
	loss, st = PolicyLoss(g, lp, old, adv, mask, 0.2)
	l2 := []float64{math.Log(1.5), math.Log(0.5), math.Log(0.5), math.Log(1.1)}
	akl := 0.0
	for _, v := range l2 {
		akl += 0.5 * v * v / 4
	}
	want := PolicyStats{Loss: 0.25, ClipFrac: 0.5, Ratio: 0.9, ApproxKL: akl}
	if !near(st.Loss, want.Loss, 1e-6) || st.ClipFrac != want.ClipFrac || !near(st.Ratio, want.Ratio, 1e-6) || !near(st.ApproxKL, want.ApproxKL, 1e-6) {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	g.Backward(loss)
	if w := []float64{0, -0.125, 0, 0.275, 0}; !closeAll(lp.Grad.Data, w, 1e-6) {
		t.Errorf("gradient %v, want %v", lp.Grad.Data, w)
	}

	// Gradient check away from the clip boundaries and ties.
	old = []float32{-1, -2, -0.5, -3, -1.2, -0.7}
	adv = []float32{1, -1.5, 0.7, 2, -0.3, 1.1}
	mask = []float32{1, 1, 1, 1, 1, 0}
	start := logVec(1.5, 0.95, 0.6, 1.05, 1.4, 1)
	for i := range start {
		start[i] += old[i]
	}
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		l, _ := PolicyLoss(g, in[0], old, adv, mask, 0.2)
		return l
	}, []*autograd.Var{autograd.Param("logp", tensor.New(start, 2, 3))}, 4, 1e-3)
	if res.MaxErr > 1e-3 {
		t.Error(res)
	}
}

func TestValueLoss(t *testing.T) {
	// ε = 0.2:
	//   V = 1.0, V_old = 0.5, R = 1: V^clip = 0.7; errors 0 vs 0.09 → 0.09 (clipped)
	//   V = 0.6, V_old = 0.5, R = 0: V^clip = 0.6; 0.36 vs 0.36 → 0.36
	//   V = 0.0, V_old = 1.0, R = 2: V^clip = 0.8; 4 vs 1.44 → 4
	//   padding ignored.
	// L = ½·(0.09 + 0.36 + 4)/3.
	v := autograd.Param("v", tensor.New([]float32{1, 0.6, 0, 9}, 4))
	old := []float32{0.5, 0.5, 1, 0}
	ret := []float32{1, 0, 2, 0}
	mask := []float32{1, 1, 1, 0}
	g := autograd.New()
	loss, st := ValueLoss(g, v, old, ret, mask, 0.2)
	if !near(st.Loss, 0.5*4.45/3, 1e-6) || !near(st.ClipFrac, 1.0/3, 1e-7) {
		t.Errorf("stats %+v", st)
	}
	g.Backward(loss)
	// ∂/∂V: clipped term 0; (V − R)/3 otherwise.
	if w := []float64{0, 0.2, -2.0 / 3, 0}; !closeAll(v.Grad.Data, w, 1e-6) {
		t.Errorf("gradient %v, want %v", v.Grad.Data, w)
	}
	// At the start V = V_old: nothing clipped, L = ½·mean (V − R)².
	v0 := autograd.Param("v", tensor.New(append([]float32(nil), old...), 4))
	_, st = ValueLoss(autograd.New(), v0, old, ret, mask, 0.2)
	if st.ClipFrac != 0 || !near(st.Loss, 0.5*(0.25+0.25+1)/3, 1e-6) {
		t.Errorf("at start %+v", st)
	}
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		l, _ := ValueLoss(g, in[0], []float32{0.5, 0.5, 1, 0, 2}, []float32{1, 0, 2, -1, 0}, []float32{1, 1, 1, 1, 0}, 0.2)
		return l
	}, []*autograd.Var{vec(1, 0.6, 0, 0.05, 3)}, 5, 1e-3)
	if res.MaxErr > 1e-3 {
		t.Error(res)
	}
}

func TestEntropy(t *testing.T) {
	ln := func(x float64) float32 { return float32(math.Log(x)) }
	tests := []struct {
		name   string
		logits []float32
		want   float64
	}{
		{"uniform", []float32{0.3, 0.3, 0.3, 0.3}, math.Log(4)},
		{"half quarter quarter", []float32{ln(2), 0, 0, -1e9}, 0.5*math.Log(2) + 0.5*math.Log(4)},
		{"certain", []float32{100, 0, 0, 0}, 0},
	}
	for _, tc := range tests {
		h := Entropy(autograd.NoGrad(), autograd.Const(tensor.New(tc.logits, 1, 4)))
		if !tensor.SameShape(h.Value.Shape, []int{1}) || !near(float64(h.Value.Data[0]), tc.want, 1e-5) {
			t.Errorf("%s: H = %v %v, want %g", tc.name, h.Value.Shape, h.Value.Data, tc.want)
		}
	}
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		return Entropy(g, in[0])
	}, []*autograd.Var{autograd.Param("z", tensor.Randn(rng(3), 1, 2, 3, 5))}, 6, 1e-2)
	if res.MaxErr > 5e-3 {
		t.Error(res)
	}
}

func TestPPOStatsNames(t *testing.T) {
	s := PPOStats{
		Rollout: RolloutStats{KL: 1, Scores: 2, NonScoreReward: 3, RLHFReward: 4},
		Policy:  PolicyStats{ApproxKL: 5, ClipFrac: 6, Loss: 7, Ratio: 8},
		Value:   ValueStats{Loss: 9, ClipFrac: 10},
		Entropy: 11,
	}
	want := map[string]float64{
		"objective/kl": 1, "objective/scores": 2, "objective/non_score_reward": 3, "objective/rlhf_reward": 4,
		"policy/approxkl_avg": 5, "policy/clipfrac_avg": 6, "loss/policy_avg": 7, "val/ratio": 8,
		"loss/value_avg": 9, "val/clipfrac_avg": 10, "policy/entropy_avg": 11,
	}
	m := s.Map()
	if len(m) != len(want) || len(StatNames()) != len(want) {
		t.Errorf("%d stats, %d names, want %d", len(m), len(StatNames()), len(want))
	}
	for _, k := range StatNames() {
		if m[k] != want[k] {
			t.Errorf("%s = %g, want %g", k, m[k], want[k])
		}
	}
}
