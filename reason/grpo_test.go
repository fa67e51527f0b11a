package reason_test

import (
	"fmt"
	"math"
	"testing"

	"transformers/autograd"
	"transformers/reason"
	"transformers/reason/arith"
	"transformers/reason/countdown"
	"transformers/tensor"
)

func TestGroupAdvantages(t *testing.T) {
	tests := []struct {
		r    []float64
		want []float64
		zero bool
	}{
		// mean 0.5, sample std √(1/3): ±0.5·√3.
		{[]float64{1, 0, 1, 0}, []float64{math.Sqrt(3) / 2, -math.Sqrt(3) / 2, math.Sqrt(3) / 2, -math.Sqrt(3) / 2}, false},
		// mean 0.25, sample std 0.5.
		{[]float64{1, 0, 0, 0}, []float64{1.5, -0.5, -0.5, -0.5}, false},
		{[]float64{1, 1, 1}, []float64{0, 0, 0}, true},
		{[]float64{0, 0}, []float64{0, 0}, true},
		{[]float64{1}, []float64{0}, true},
		{nil, []float64{}, true},
	}
	for _, tt := range tests {
		got, zero := reason.GroupAdvantages(tt.r, 0)
		if zero != tt.zero || len(got) != len(tt.want) {
			t.Fatalf("GroupAdvantages(%v) = %v, %v; want %v, %v", tt.r, got, zero, tt.want, tt.zero)
		}
		for i := range got {
			if math.Abs(got[i]-tt.want[i]) > 1e-12 || math.IsNaN(got[i]) {
				t.Errorf("GroupAdvantages(%v)[%d] = %v, want %v", tt.r, i, got[i], tt.want[i])
			}
		}
	}
	adv, frac := reason.BatchAdvantages([][]float64{{1, 1}, {0, 1}, {0, 0}, {1, 0}}, 1e-4)
	if frac != 0.5 || len(adv) != 8 || adv[0] != 0 || adv[2] >= 0 || adv[3] <= 0 {
		t.Errorf("BatchAdvantages = %v, frac %v; want frac 0.5 and signed advantages", adv, frac)
	}
}

// TestRewardNeverCreditsWrong: for both tasks, right completions earn 1 and
// wrong ones — including well-formatted answers with correct-looking steps —
// earn 0.
func TestRewardNeverCreditsWrong(t *testing.T) {
	a := arith.Problem{A: 478, B: 365, Op: arith.Add, Format: arith.Steps}
	c := countdown.Problem{Numbers: []int{3, 4, 25, 50}, Target: 97}
	tests := []struct {
		name       string
		p          reason.Problem
		completion string
		want       float64
	}{
		{"arith right", a, a.Completion(), 1},
		{"arith right steps, wrong answer", a, "8+5+0=13 w3 c1\n7+6+1=14 w4 c1\n4+3+1=8 w8 c0\nA:842\n", 0},
		{"arith wrong steps, wrong answer", a, "8+5+0=12 w2 c1\nA:832\n", 0},
		{"arith no answer", a, "8+5+0=13 w3 c1\n", 0},
		{"arith two answers, first wrong", a, "A:842\nA:843\n", 0},
		{"countdown right", c, "25*4=100\n100-3=97\nA:97\n", 1},
		{"countdown right answer, invalid steps", c, "50*2=100\n100-3=97\nA:97\n", 0},
		{"countdown right answer, no steps", c, "A:97\n", 0},
		{"countdown steps miss target", c, "25*4=100\n100-4=96\nA:97\n", 0},
	}
	for _, tt := range tests {
		if got := reason.OutcomeReward(tt.p, tt.completion); got != tt.want {
			t.Errorf("%s: reward %v, want %v", tt.name, got, tt.want)
		}
	}
}

// grpoInputs builds a [2, 3] batch whose ratios sit in all three regions of
// the clipped objective (inside [1−ε, 1+ε], above, below) away from the
// kinks, with the last token of the second row masked.
func grpoInputs() (logp *autograd.Var, old, ref, mask *tensor.Tensor, adv []float32) {
	logp = autograd.Param("logp", tensor.New([]float32{-1.0, -2.0, -0.5, -1.5, -0.7, -3.0}, 2, 3))
	// logp − old: 0.05 (inside), 0.5 (above 1+ε), −0.6 (below 1−ε), …
	old = tensor.New([]float32{-1.05, -2.5, 0.1, -1.45, -1.2, -2.4}, 2, 3)
	ref = tensor.New([]float32{-1.2, -1.7, -0.9, -1.0, -0.8, -2.0}, 2, 3)
	mask = tensor.New([]float32{1, 1, 1, 1, 1, 0}, 2, 3)
	return logp, old, ref, mask, []float32{0.8, -1.3}
}

// grpoReference is the loss computed plainly in float64.
func grpoReference(logp, old, ref, mask []float32, adv []float32, cfg reason.GRPOConfig) float64 {
	tok := make([]float64, 6)
	for i := range tok {
		a := float64(adv[i/3])
		r := math.Exp(float64(logp[i]) - float64(old[i]))
		cl := math.Min(math.Max(r, 1-float64(cfg.Clip)), 1+float64(cfg.Clip))
		l := -math.Min(r*a, cl*a)
		d := float64(logp[i]) - float64(ref[i])
		switch cfg.KL {
		case reason.K1:
			l += float64(cfg.Beta) * d
		case reason.K2:
			l += float64(cfg.Beta) * d * d / 2
		case reason.K3:
			l += float64(cfg.Beta) * (math.Exp(-d) + d - 1)
		}
		tok[i] = l * float64(mask[i])
	}
	if cfg.Agg == reason.PerToken {
		s := 0.0
		for _, v := range tok {
			s += v
		}
		return s / 5
	}
	return ((tok[0]+tok[1]+tok[2])/3 + (tok[3]+tok[4])/2) / 2
}

func TestGRPOLoss(t *testing.T) {
	for _, kl := range []reason.KLEstimator{reason.K1, reason.K2, reason.K3} {
		for _, agg := range []reason.Aggregation{reason.PerSequence, reason.PerToken} {
			for _, beta := range []float32{0, 0.1} {
				cfg := reason.GRPOConfig{Clip: 0.2, Beta: beta, KL: kl, Agg: agg}
				name := fmt.Sprintf("KL k%d agg %d beta %g", kl, agg, beta)
				logp, old, ref, mask, adv := grpoInputs()
				loss := reason.GRPOLoss(autograd.NoGrad(), logp, old, ref, adv, mask, cfg)
				want := grpoReference(logp.Value.Data, old.Data, ref.Data, mask.Data, adv, cfg)
				if got := float64(loss.Value.Data[0]); math.Abs(got-want) > 1e-5 {
					t.Errorf("%s: loss %v, reference %v", name, got, want)
				}
				res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
					return reason.GRPOLoss(g, in[0], old, ref, adv, mask, cfg)
				}, []*autograd.Var{logp}, 1, 1e-3)
				if res.MaxErr > 2e-3 {
					t.Errorf("%s: gradient check %v", name, res)
				}
			}
		}
	}
}

// TestGRPOClipStopsGradient: where the ratio has left the trust region in the
// direction the advantage pushes, the token's gradient is exactly zero, and
// a masked token never gets one.
func TestGRPOClipStopsGradient(t *testing.T) {
	logp, old, ref, mask, adv := grpoInputs()
	g := autograd.New()
	g.Backward(reason.GRPOLoss(g, logp, old, ref, adv, mask, reason.GRPOConfig{Clip: 0.2, Agg: reason.PerToken}))
	gr := logp.Grad.Data
	// Row 0 (A > 0): token 1 has ratio e^0.5 > 1.2, clipped: no gradient.
	// Token 0 is inside: gradient −A·ρ/5.
	// Row 1 (A < 0): token 4 has ratio e^0.5 > 1.2 but A < 0 makes the
	// unclipped term the minimum, so it keeps its gradient; token 5 is masked.
	tests := []struct {
		i    int
		want float64
	}{
		{0, -0.8 * math.Exp(0.05) / 5},
		{1, 0},
		{4, 1.3 * math.Exp(0.5) / 5},
		{5, 0},
	}
	for _, tt := range tests {
		if math.Abs(float64(gr[tt.i])-tt.want) > 1e-5 {
			t.Errorf("grad[%d] = %v, want %v", tt.i, gr[tt.i], tt.want)
		}
	}
}

func TestClipFraction(t *testing.T) {
	logp, old, _, mask, _ := grpoInputs()
	// Unmasked ratios: e^0.05 in, e^0.5 out, e^−0.6 out, e^−0.05 in, e^0.5 out.
	if got := reason.ClipFraction(logp.Value, old, mask, 0.2); math.Abs(got-0.6) > 1e-12 {
		t.Errorf("ClipFraction = %v, want 0.6", got)
	}
}

func TestKLMean(t *testing.T) {
	logp := tensor.New([]float32{-1, -2}, 1, 2)
	ref := tensor.New([]float32{-1.5, -2}, 1, 2)
	mask := tensor.New([]float32{1, 1}, 1, 2)
	tests := []struct {
		e    reason.KLEstimator
		want float64
	}{
		{reason.K1, 0.25},
		{reason.K2, 0.0625},
		{reason.K3, (math.Exp(-0.5) + 0.5 - 1) / 2},
	}
	for _, tt := range tests {
		if got := reason.KLMean(logp, ref, mask, tt.e); math.Abs(got-tt.want) > 1e-7 {
			t.Errorf("KLMean k%d = %v, want %v", tt.e, got, tt.want)
		}
	}
}

func ExampleGroupAdvantages() {
	// Four samples of one prompt, one right: only it is pushed up.
	adv, zero := reason.GroupAdvantages([]float64{0, 1, 0, 0}, 1e-4)
	fmt.Printf("%.3f %v\n", adv, zero)
	// All right: no signal, no update.
	adv, zero = reason.GroupAdvantages([]float64{1, 1, 1, 1}, 1e-4)
	fmt.Println(adv, zero)
	// Output:
	// [-0.500 1.500 -0.500 -0.500] false
	// [0 0 0 0] true
}
