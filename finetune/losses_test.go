package finetune

import (
	"math"
	"testing"

	"transformers/autograd"
	"transformers/tensor"
)

const ln2 = 0.6931471805599453

func vec(xs ...float32) *autograd.Var { return autograd.Param("v", tensor.New(xs, len(xs))) }

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestLogSigmoid(t *testing.T) {
	tests := []struct{ x, want, grad float64 }{
		{0, -ln2, 0.5},
		{1, -0.31326168751822286, 0.2689414213699951},
		{-1, -1.3132616875182228, 0.7310585786300049},
		{40, -4.248354255291589e-18, 4.248354255291589e-18},
		{-60, -60, 1},
	}
	for _, tc := range tests {
		x := vec(float32(tc.x))
		g := autograd.New()
		y := LogSigmoid(g, x)
		g.Backward(g.SumAll(y))
		if !near(float64(y.Value.Data[0]), tc.want, 1e-6*math.Max(1, math.Abs(tc.want))) {
			t.Errorf("log σ(%g) = %g, want %g", tc.x, y.Value.Data[0], tc.want)
		}
		if !near(float64(x.Grad.Data[0]), tc.grad, 1e-6) {
			t.Errorf("d log σ(%g) = %g, want %g", tc.x, x.Grad.Data[0], tc.grad)
		}
	}
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		return LogSigmoid(g, in[0])
	}, []*autograd.Var{vec(-3, -0.5, 0, 0.7, 2.5)}, 1, 1e-3)
	if res.MaxErr > 1e-3 {
		t.Error(res)
	}
}

func TestBradleyTerryLoss(t *testing.T) {
	tests := []struct {
		name   string
		rc, rr []float32
		want   float64
		stats  RewardStats
	}{
		{"equal rewards", []float32{0.3, -2}, []float32{0.3, -2}, ln2, RewardStats{Accuracy: 0, Margin: 0, Loss: ln2}},
		{"mixed", []float32{1, 0, 2}, []float32{0, 0, 3}, (0.31326168751822286 + ln2 + 1.3132616875182228) / 3,
			RewardStats{Accuracy: 1.0 / 3, Margin: 0, Loss: (0.31326168751822286 + ln2 + 1.3132616875182228) / 3}},
		{"confident", []float32{5, 4}, []float32{-5, 0}, (4.5398899e-05 + 0.01814992791780978) / 2,
			RewardStats{Accuracy: 1, Margin: 7, Loss: (4.5398899e-05 + 0.01814992791780978) / 2}},
	}
	for _, tc := range tests {
		rc, rr := vec(tc.rc...), vec(tc.rr...)
		g := autograd.New()
		loss := BradleyTerryLoss(g, rc, rr)
		if !near(float64(loss.Value.Data[0]), tc.want, 1e-6) {
			t.Errorf("%s: loss %g, want %g", tc.name, loss.Value.Data[0], tc.want)
		}
		s := PairStats(tc.rc, tc.rr)
		if !near(s.Accuracy, tc.stats.Accuracy, 1e-12) || !near(s.Margin, tc.stats.Margin, 1e-6) || !near(s.Loss, tc.stats.Loss, 1e-6) {
			t.Errorf("%s: stats %+v, want %+v", tc.name, s, tc.stats)
		}
		// ∂L/∂r_c = −σ(r_r − r_c)/B; ∂L/∂r_r is its negative.
		g.Backward(loss)
		for i := range tc.rc {
			want := -sigmoid(float64(tc.rr[i])-float64(tc.rc[i])) / float64(len(tc.rc))
			if !near(float64(rc.Grad.Data[i]), want, 1e-6) || !near(float64(rr.Grad.Data[i]), -want, 1e-6) {
				t.Errorf("%s: grads %v, %v at %d, want ±%g", tc.name, rc.Grad.Data[i], rr.Grad.Data[i], i, want)
			}
		}
	}
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		return BradleyTerryLoss(g, in[0], in[1])
	}, []*autograd.Var{vec(0.5, -1, 2), vec(0.1, 0.3, -2)}, 2, 1e-3)
	if res.MaxErr > 1e-3 {
		t.Error(res)
	}
	mustPanic(t, "length mismatch", func() { BradleyTerryLoss(autograd.New(), vec(1, 2), vec(1)) })
}

func TestLastReal(t *testing.T) {
	tests := []struct {
		name string
		mask []float32
		B, T int
		want []int
	}{
		{"right padding", []float32{1, 1, 0, 0, 1, 1, 1, 1}, 2, 4, []int{1, 3}},
		{"left padding", []float32{0, 1, 1, 1, 0, 0, 0, 1}, 2, 4, []int{3, 3}},
		{"gap", []float32{1, 0, 1, 0}, 1, 4, []int{2}},
	}
	for _, tc := range tests {
		got := LastReal(tc.mask, tc.B, tc.T)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: LastReal = %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
	mustPanic(t, "empty row", func() { LastReal([]float32{1, 0, 0, 0}, 2, 2) })
}

func TestDPOLoss(t *testing.T) {
	// At the start π = ref: every margin is 0 and the loss is ln 2, for any
	// log-probabilities and any β.
	for _, beta := range []float64{0.1, 0.5, 2} {
		pc, pr := vec(-3.2, -10, -0.4), vec(-7, -1.5, -2)
		g := autograd.New()
		loss := DPOLoss(g, pc, pr, autograd.Const(pc.Value.Clone()), autograd.Const(pr.Value.Clone()), beta)
		if !near(float64(loss.Value.Data[0]), ln2, 1e-7) {
			t.Errorf("β=%g: loss at start %g, want ln 2", beta, loss.Value.Data[0])
		}
		// The gradient at the start is −β/2·(∇log π_c − ∇log π_r)/B.
		g.Backward(loss)
		for i := range 3 {
			if !near(float64(pc.Grad.Data[i]), -beta/2/3, 1e-7) || !near(float64(pr.Grad.Data[i]), beta/2/3, 1e-7) {
				t.Errorf("β=%g: gradient at start %v, %v", beta, pc.Grad.Data, pr.Grad.Data)
			}
		}
		s := ComputeDPOStats(pc.Value.Data, pr.Value.Data, pc.Value.Data, pr.Value.Data, beta)
		if s != (DPOStats{Loss: ln2}) {
			t.Errorf("β=%g: stats at start %+v", beta, s)
		}
	}
	// Hand-set log-probabilities, β = 0.5:
	// pair 1: chosen +1 over ref, rejected −1 → z = 0.5·2 = 1;
	// pair 2: chosen −1, rejected +1 → z = −1.
	pc, pr := vec(-2, -5), vec(-4, -2)
	rc, rr := autograd.Const(tensor.New([]float32{-3, -4}, 2)), autograd.Const(tensor.New([]float32{-3, -3}, 2))
	g := autograd.New()
	loss := DPOLoss(g, pc, pr, rc, rr, 0.5)
	want := (0.31326168751822286 + 1.3132616875182228) / 2
	if !near(float64(loss.Value.Data[0]), want, 1e-6) {
		t.Errorf("loss %g, want %g", loss.Value.Data[0], want)
	}
	g.Backward(loss)
	// ∂L/∂log π_c = −β·σ(−z)/B.
	for i, z := range []float64{1, -1} {
		w := -0.5 * sigmoid(-z) / 2
		if !near(float64(pc.Grad.Data[i]), w, 1e-6) || !near(float64(pr.Grad.Data[i]), -w, 1e-6) {
			t.Errorf("pair %d: grads %v, %v, want ±%g", i, pc.Grad.Data[i], pr.Grad.Data[i], w)
		}
	}
	s := ComputeDPOStats(pc.Value.Data, pr.Value.Data, rc.Value.Data, rr.Value.Data, 0.5)
	if !near(s.Chosen, 0, 1e-7) || !near(s.Rejected, 0, 1e-7) || !near(s.Margin, 0, 1e-7) || s.Accuracy != 0.5 || !near(s.Loss, want, 1e-6) {
		t.Errorf("stats %+v", s)
	}
	s = ComputeDPOStats(pc.Value.Data[:1], pr.Value.Data[:1], rc.Value.Data[:1], rr.Value.Data[:1], 0.5)
	m := s.Map()
	for k, v := range map[string]float64{"rewards/chosen": 0.5, "rewards/rejected": -0.5, "rewards/margins": 1, "rewards/accuracies": 1, "loss": 0.31326168751822286} {
		if got, ok := m[k]; !ok || !near(got, v, 1e-6) {
			t.Errorf("%s = %g (present %v), want %g", k, got, ok, v)
		}
	}
	res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		return DPOLoss(g, in[0], in[1], in[2], in[3], 0.7)
	}, []*autograd.Var{vec(-2, -5, -1), vec(-4, -2, -3), vec(-3, -4, -2), vec(-3, -3, -1)}, 3, 1e-3)
	if res.MaxErr > 1e-3 {
		t.Error(res)
	}
}

func TestMaskedMean(t *testing.T) {
	x := autograd.Param("x", tensor.New([]float32{1, 2, 3, 100}, 2, 2))
	g := autograd.New()
	m := MaskedMean(g, x, []float32{1, 1, 1, 0})
	if m.Value.Data[0] != 2 {
		t.Errorf("masked mean %v, want 2", m.Value.Data[0])
	}
	g.Backward(m)
	if want := []float32{1.0 / 3, 1.0 / 3, 1.0 / 3, 0}; maxAbsDiff(x.Grad.Data, want) > 1e-7 {
		t.Errorf("grad %v, want %v", x.Grad.Data, want)
	}
	if z := MaskedMean(autograd.NoGrad(), x, make([]float32, 4)); z.Value.Data[0] != 0 {
		t.Errorf("empty mask gave %v", z.Value.Data[0])
	}
}
