package nn

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/tensor"
)

func param(name string, data []float32, shape ...int) *autograd.Var {
	return autograd.Param(name, tensor.New(data, shape...))
}

func setGrad(p *autograd.Var, g ...float32) { p.Grad = tensor.New(g, p.Value.Shape...) }

func near(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
			t.Errorf("%s[%d] = %.9g, want %.9g (|diff| %.3g > %.3g)", what, i, got[i], want[i], d, tol)
		}
	}
}

// Two AdamW steps on p = [1, −0.5] with gradients [0.1, −0.2] then
// [−0.3, 0.05], lr = 0.1, λ = 0.1, β = (0.9, 0.999), ε = 1e-8.
// Step 1 by hand: m̂ = g, v̂ = g², so p = 0.99·p − 0.1·g/(|g|+ε):
// 0.99 − 0.1·(1 − 1e-7) = 0.89000001 and −0.495 + 0.1·(1 − 5e-8) = −0.395000005.
// Step 2 values evaluated in float64 from the formulas in AdamW's doc.
func TestAdamWTwoSteps(t *testing.T) {
	p := param("h.0.mlp.c_fc.weight", []float32{1, -0.5}, 1, 2)
	opt := NewAdamW([]ParamGroup{{Params: []*autograd.Var{p}, WeightDecay: 0.1}}, 0.1)
	steps := []struct {
		grad  []float32
		want  []float64
		wantM []float64
		wantV []float64
	}{
		{[]float32{0.1, -0.2}, []float64{0.890000009999999, -0.3950000049999997}, []float64{0.01, -0.02}, []float64{1e-5, 4e-5}},
		{[]float32{-0.3, 0.05}, []float64{0.9305189910200653, -0.3441031910504468}, []float64{-0.021, -0.013}, []float64{9.999e-05, 4.246e-05}},
	}
	for i, s := range steps {
		setGrad(p, s.grad...)
		opt.Step()
		near(t, "p", p.Value.Data, s.want, 1e-6)
		near(t, "m", opt.State.M[0].Data, s.wantM, 1e-8)
		near(t, "v", opt.State.V[0].Data, s.wantV, 1e-11)
		if opt.State.Step != i+1 {
			t.Errorf("State.Step = %d, want %d", opt.State.Step, i+1)
		}
	}
}

// ε is added to √v̂, outside the square root: with g = 1e-6 the first step
// is lr·g/(|g| + ε) = 0.1·1e-6/(1.01e-6) = 0.0990099…, where ε inside the root
// would give 0.1/√1.01 = 0.0995 and no ε at all 0.1.
func TestAdamEpsilonPlacement(t *testing.T) {
	for _, decoupled := range []bool{false, true} {
		p := param("w", []float32{1, -1}, 2)
		setGrad(p, 1e-6, -1e-6)
		groups := []ParamGroup{{Params: []*autograd.Var{p}}}
		if decoupled {
			NewAdamW(groups, 0.1).Step()
		} else {
			NewAdam(groups, 0.1).Step()
		}
		u := 0.1 * 1e-6 / (1e-6 + 1e-8)
		near(t, "p", p.Value.Data, []float64{1 - u, -1 + u}, 1e-7)
	}
}

// With a zero gradient AdamW only shrinks the weights by (1 − lr·λ), while
// Adam's L2 term goes through the moments and moves each weight by ≈ lr.
func TestDecoupledWeightDecayDiffersFromL2(t *testing.T) {
	pw := param("w", []float32{1, -2}, 1, 2)
	pa := param("w", []float32{1, -2}, 1, 2)
	adamw := NewAdamW([]ParamGroup{{Params: []*autograd.Var{pw}, WeightDecay: 0.1}}, 0.1)
	adam := NewAdam([]ParamGroup{{Params: []*autograd.Var{pa}, WeightDecay: 0.1}}, 0.1)
	setGrad(pw, 0, 0)
	setGrad(pa, 0, 0)
	adamw.Step()
	adam.Step()
	near(t, "AdamW", pw.Value.Data, []float64{0.99, -1.98}, 1e-7)
	near(t, "Adam", pa.Value.Data, []float64{0.9, -1.9}, 1e-6)

	// Without weight decay the two are the same algorithm.
	qw := param("w", []float32{0.3, -0.7}, 2)
	qa := param("w", []float32{0.3, -0.7}, 2)
	ow := NewAdamW([]ParamGroup{{Params: []*autograd.Var{qw}}}, 0.01)
	oa := NewAdam([]ParamGroup{{Params: []*autograd.Var{qa}}}, 0.01)
	for _, g := range [][]float32{{0.5, -1}, {0.25, 2}, {-3, 0.125}} {
		setGrad(qw, g...)
		setGrad(qa, g...)
		ow.Step()
		oa.Step()
	}
	for i := range qw.Value.Data {
		if qw.Value.Data[i] != qa.Value.Data[i] {
			t.Errorf("λ = 0: AdamW %v, Adam %v", qw.Value.Data, qa.Value.Data)
		}
	}
}

func TestSGD(t *testing.T) {
	tests := []struct {
		name     string
		momentum float64
		nesterov bool
		wd       float64
		want     [2]float64 // p after step 1 and step 2
	}{
		// p = 1, g = 0.5 both steps, lr = 0.1.
		{"plain", 0, false, 0, [2]float64{0.95, 0.9}},
		{"momentum", 0.9, false, 0, [2]float64{0.95, 0.855}},                      // b = 0.5, then 0.9·0.5+0.5 = 0.95
		{"nesterov", 0.9, true, 0, [2]float64{0.905, 0.905 - 0.1*(0.5+0.9*0.95)}}, // d + μ·b
		{"momentum and decay", 0.9, false, 0.1, [2]float64{0.94, 0.8266}},         // d = 0.6, b = 0.6; d = 0.594, b = 1.134
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := param("w", []float32{1}, 1, 1)
			opt := NewSGD([]ParamGroup{{Params: []*autograd.Var{p}, WeightDecay: tc.wd}}, 0.1, tc.momentum)
			opt.Nesterov = tc.nesterov
			for i := 0; i < 2; i++ {
				setGrad(p, 0.5)
				opt.Step()
				near(t, "p", p.Value.Data, []float64{tc.want[i]}, 1e-6)
			}
		})
	}
}

// Frozen parameters and parameters without a gradient are left alone;
// ZeroGrad drops every gradient.
func TestOptimizersSkipAndZeroGrad(t *testing.T) {
	mk := func() (a, b, c *autograd.Var) {
		a = param("a", []float32{1}, 1)
		b = param("b", []float32{1}, 1)
		c = param("c", []float32{1}, 1)
		setGrad(a, 1)
		setGrad(b, 1)
		b.SetRequiresGrad(false) // frozen
		return a, b, c           // c has no gradient
	}
	builders := map[string]func([]ParamGroup) Optimizer{
		"SGD":   func(g []ParamGroup) Optimizer { return NewSGD(g, 0.1, 0.9) },
		"Adam":  func(g []ParamGroup) Optimizer { return NewAdam(g, 0.1) },
		"AdamW": func(g []ParamGroup) Optimizer { return NewAdamW(g, 0.1) },
	}
	for name, build := range builders {
		a, b, c := mk()
		opt := build([]ParamGroup{{Params: []*autograd.Var{a, b, c}, WeightDecay: 0.5}})
		opt.SetLR(0.2)
		opt.Step()
		if a.Value.Data[0] == 1 || b.Value.Data[0] != 1 || c.Value.Data[0] != 1 {
			t.Errorf("%s: after Step a=%g (should move), b=%g, c=%g (should stay 1)", name, a.Value.Data[0], b.Value.Data[0], c.Value.Data[0])
		}
		opt.ZeroGrad()
		if a.Grad != nil || b.Grad != nil {
			t.Errorf("%s: ZeroGrad left gradients", name)
		}
	}
}

func TestDecaysRule(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		want  bool
	}{
		{"h.0.attn.c_attn.weight", []int{48, 16}, true},
		{"h.0.mlp.c_proj.weight", []int{16, 64}, true},
		{"lm_head.weight", []int{50, 16}, true},
		{"h.0.attn.c_attn.bias", []int{48}, false},
		{"h.0.ln_1.weight", []int{16}, false},
		{"h.0.ln_1.bias", []int{16}, false},
		{"ln_f.weight", []int{16}, false},
		{"h.0.rms_norm.weight", []int{16}, false},
		{"wte.weight", []int{50, 16}, false},
		{"wpe.weight", []int{8, 16}, false},
		{"embed_tokens.weight", []int{50, 16}, false},
		{"h.0.attn.bias", []int{2, 2}, false}, // named bias even if 2-D
		{"scale", []int{16}, false},           // any vector
		{"cls_token", []int{1, 16}, true},
	}
	for _, tc := range tests {
		p := autograd.Param(tc.name, tensor.Zeros(tc.shape...))
		if got := Decays(p); got != tc.want {
			t.Errorf("Decays(%s %v) = %v, want %v", tc.name, tc.shape, got, tc.want)
		}
	}
	ps := []*autograd.Var{
		autograd.Param("wte.weight", tensor.Zeros(5, 4)),
		autograd.Param("h.0.c_fc.weight", tensor.Zeros(8, 4)),
		autograd.Param("h.0.c_fc.bias", tensor.Zeros(8)),
		autograd.Param("h.0.c_proj.weight", tensor.Zeros(4, 8)),
	}
	gs := DecayGroups(ps, 0.1)
	if len(gs) != 2 || gs[0].WeightDecay != 0.1 || gs[1].WeightDecay != 0 ||
		len(gs[0].Params) != 2 || gs[0].Params[0] != ps[1] || gs[0].Params[1] != ps[3] ||
		len(gs[1].Params) != 2 || gs[1].Params[0] != ps[0] || gs[1].Params[1] != ps[2] {
		t.Errorf("DecayGroups split wrong: %+v", gs)
	}
}

func TestSchedules(t *testing.T) {
	tests := []struct {
		name string
		s    Schedule
		step int
		want float64
	}{
		{"constant 0", Constant(3e-4), 0, 3e-4},
		{"constant far", Constant(3e-4), 1 << 20, 3e-4},
		// peak 1, min 0.1, warmup 10, total 110.
		{"linear first", WarmupLinear(1, 0.1, 10, 110), 0, 0.1},
		{"linear mid warmup", WarmupLinear(1, 0.1, 10, 110), 4, 0.5},
		{"linear end of warmup", WarmupLinear(1, 0.1, 10, 110), 9, 1},
		{"linear decay start", WarmupLinear(1, 0.1, 10, 110), 10, 1},
		{"linear halfway", WarmupLinear(1, 0.1, 10, 110), 60, 0.55},
		{"linear last", WarmupLinear(1, 0.1, 10, 110), 109, 1 - 0.99*0.9},
		{"linear total", WarmupLinear(1, 0.1, 10, 110), 110, 0.1},
		{"linear after", WarmupLinear(1, 0.1, 10, 110), 500, 0.1},
		{"cosine first", WarmupCosine(1, 0.1, 10, 110), 0, 0.1},
		{"cosine end of warmup", WarmupCosine(1, 0.1, 10, 110), 9, 1},
		{"cosine decay start", WarmupCosine(1, 0.1, 10, 110), 10, 1},
		{"cosine quarter", WarmupCosine(1, 0.1, 10, 110), 35, 0.1 + 0.45*(1+math.Sqrt2/2)},
		{"cosine halfway", WarmupCosine(1, 0.1, 10, 110), 60, 0.55},
		{"cosine total", WarmupCosine(1, 0.1, 10, 110), 110, 0.1},
		{"cosine after", WarmupCosine(1, 0.1, 10, 110), 111, 0.1},
		{"no warmup", WarmupCosine(2, 0, 0, 4), 0, 2},
		{"no warmup mid", WarmupCosine(2, 0, 0, 4), 2, 1},
	}
	for _, tc := range tests {
		if got := tc.s(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: lr(%d) = %.9g, want %.9g", tc.name, tc.step, got, tc.want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "WarmupCosine") {
			t.Errorf("WarmupCosine(warmup > total) panic = %v", r)
		}
	}()
	WarmupCosine(1, 0, 10, 5)
}

func TestClipGradNorm(t *testing.T) {
	tests := []struct {
		name    string
		maxNorm float64
		scale   float64
	}{
		{"clipped", 6.5, 6.5 / (13 + 1e-6)},
		{"exactly at the limit is a no-op up to 1e-6", 13, 13 / (13 + 1e-6)},
		{"below the limit", 20, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := param("a", []float32{0, 0}, 2)
			b := param("b", []float32{0}, 1)
			c := param("c", []float32{0}, 1) // no gradient: skipped
			setGrad(a, 3, 4)
			setGrad(b, 12)
			norm := ClipGradNorm([]*autograd.Var{a, b, c}, tc.maxNorm)
			if math.Abs(norm-13) > 1e-9 {
				t.Errorf("norm = %g, want 13", norm)
			}
			near(t, "a.grad", a.Grad.Data, []float64{3 * tc.scale, 4 * tc.scale}, 1e-6)
			near(t, "b.grad", b.Grad.Data, []float64{12 * tc.scale}, 1e-6)
			if c.Grad != nil {
				t.Error("ClipGradNorm gave c a gradient")
			}
		})
	}
	p := param("p", []float32{0, 0}, 2)
	setGrad(p, float32(math.Inf(1)), 1)
	if n := ClipGradNorm([]*autograd.Var{p}, 1); !math.IsInf(n, 1) || p.Grad.Data[1] != 1 {
		t.Errorf("non-finite: norm %g, grads %v", n, p.Grad.Data)
	}
}

// Saving and restoring AdamW state resumes the run exactly.
func TestAdamStateRoundTrip(t *testing.T) {
	mk := func() (*autograd.Var, *autograd.Var) {
		return param("w", []float32{0.5, -0.25, 1, 2}, 2, 2), param("b", []float32{0.1, 0.2}, 2)
	}
	grads := [][2][]float32{{{1, 2, 3, 4}, {0.5, -0.5}}, {{-1, 0.5, 0, 2}, {1, 1}}, {{0.3, 0.3, -0.3, 0.1}, {-2, 0}}}
	w1, b1 := mk()
	o1 := NewAdamW(DecayGroups([]*autograd.Var{w1, b1}, 0.1), 0.05)
	w2, b2 := mk()
	o2 := NewAdamW(DecayGroups([]*autograd.Var{w2, b2}, 0.1), 0.05)
	for _, g := range grads[:2] {
		setGrad(w1, g[0]...)
		setGrad(b1, g[1]...)
		o1.Step()
	}
	// Bring run 2 to the same point by loading run 1's weights and state.
	copy(w2.Value.Data, w1.Value.Data)
	copy(b2.Value.Data, b1.Value.Data)
	sd := o1.StateDict()
	if len(sd) != 5 || sd["exp_avg.w"] == nil || sd["exp_avg_sq.b"] == nil || sd["step"].Data[0] != 2 {
		t.Fatalf("state dict keys wrong: %v", sd)
	}
	if err := o2.LoadStateDict(sd); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]*autograd.Var{{w1, w2}, {b1, b2}} {
		setGrad(pair[0], grads[2][0][:pair[0].Value.Numel()]...)
		setGrad(pair[1], grads[2][0][:pair[1].Value.Numel()]...)
	}
	o1.Step()
	o2.Step()
	for i := range w1.Value.Data {
		if w1.Value.Data[i] != w2.Value.Data[i] {
			t.Fatalf("resumed run differs: %v vs %v", w1.Value.Data, w2.Value.Data)
		}
	}
	delete(sd, "exp_avg.w")
	sd["extra"] = tensor.Zeros(1)
	err := o2.State.LoadStateDict(o2.Params(), sd)
	if err == nil || !strings.Contains(err.Error(), "missing keys: exp_avg.w") || !strings.Contains(err.Error(), "unexpected keys: extra") {
		t.Errorf("LoadStateDict with a bad dict: %v", err)
	}
}

func TestSGDStateRoundTrip(t *testing.T) {
	a, b := param("w", []float32{1, 2}, 2), param("w", []float32{1, 2}, 2)
	oa := NewSGD([]ParamGroup{{Params: []*autograd.Var{a}}}, 0.1, 0.9)
	ob := NewSGD([]ParamGroup{{Params: []*autograd.Var{b}}}, 0.1, 0.9)
	setGrad(a, 1, -1)
	oa.Step()
	copy(b.Value.Data, a.Value.Data)
	if err := ob.LoadStateDict(oa.StateDict()); err != nil {
		t.Fatal(err)
	}
	setGrad(a, 0.5, 0.5)
	setGrad(b, 0.5, 0.5)
	oa.Step()
	ob.Step()
	if a.Value.Data[0] != b.Value.Data[0] || a.Value.Data[1] != b.Value.Data[1] {
		t.Errorf("resumed SGD differs: %v vs %v", a.Value.Data, b.Value.Data)
	}
	if err := ob.LoadStateDict(map[string]*tensor.Tensor{"momentum_buffer.w": tensor.Zeros(3)}); err == nil {
		t.Error("LoadStateDict accepted a wrong shape")
	}
}

// TestAdamWLargeSameOnAnyCoreCount runs AdamW on parameters large enough
// for the step to split into chunks over the cores, and requires the same
// bits on 1 and 2 cores.
func TestAdamWLargeSameOnAnyCoreCount(t *testing.T) {
	run := func(procs int) []float32 {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		n := 5*adamChunk + 7
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(i%97)/97 - 0.5
		}
		p := param("w", w, n)
		opt := NewAdamW([]ParamGroup{{Params: []*autograd.Var{p}, WeightDecay: 0.1}}, 0.01)
		for step := range 3 {
			g := make([]float32, n)
			for i := range g {
				g[i] = float32((i*(step+3))%13) - 6
			}
			p.Grad = tensor.New(g, n)
			opt.Step()
		}
		return p.Value.Data
	}
	one, two := run(1), run(2)
	for i := range one {
		if one[i] != two[i] {
			t.Fatalf("element %d: %v on 1 core, %v on 2", i, one[i], two[i])
		}
	}
	if one[0] == float32(0)/97-0.5 {
		t.Fatal("the step did not move the parameters")
	}
}
