package diffusion

import (
	"math/rand/v2"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/nn"
	"transformers/tensor"
)

func TestPatchifyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensor.Randn(rng, 1, 2, 4, 6, 3)
	g := autograd.New()
	p := Patchify(g, autograd.Const(x), 2)
	if s := p.Value.Shape; s[0] != 2 || s[1] != 6 || s[2] != 12 {
		t.Fatalf("patches shape %v, want [2 6 12]", s)
	}
	// Patch (row 1, col 2) of image 1 starts at pixel (2, 4).
	for dy := 0; dy < 2; dy++ {
		for dx := 0; dx < 2; dx++ {
			for c := 0; c < 3; c++ {
				got := p.Value.Data[(1*6+1*3+2)*12+(dy*2+dx)*3+c]
				want := x.Data[((1*4+2+dy)*6+4+dx)*3+c]
				if got != want {
					t.Errorf("patch value (%d,%d,%d) = %v, want %v", dy, dx, c, got, want)
				}
			}
		}
	}
	back := Unpatchify(g, p, 2, 4, 6, 3)
	for i := range x.Data {
		if back.Value.Data[i] != x.Data[i] {
			t.Fatalf("round trip differs at %d", i)
		}
	}
}

func tinyDiT(rng *rand.Rand, classes int, cross bool) *DiT {
	return NewDiT("dit", DiTConfig{ImageSize: 8, Channels: 3, Patch: 4, Dim: 16, Depth: 2, Heads: 2, MLPRatio: 2, Classes: classes, CrossAttention: cross}, rng)
}

func TestDiTStartsAtZeroAndLearns(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	m := tinyDiT(rng, 3, true)
	x := tensor.Randn(rng, 1, 4, 8, 8, 3)
	ctx := autograd.Const(tensor.Randn(rng, 1, 4, 5, 16))
	cond := Cond{Classes: []int{0, 1, 2, 3}, Context: ctx}
	v := m.Forward(autograd.NoGrad(), autograd.Const(x), []float32{0.1, 0.5, 0.9, 1}, cond)
	if !tensor.SameShape(v.Value.Shape, x.Shape) {
		t.Fatalf("output shape %v, want %v", v.Value.Shape, x.Shape)
	}
	for i, val := range v.Value.Data {
		if val != 0 {
			t.Fatalf("untrained adaLN-Zero DiT output[%d] = %v, want 0", i, val)
		}
	}
	// A few steps on one fixed batch must lower the loss, and every
	// parameter must receive a gradient once the zero layers have moved.
	target := tensor.Randn(rng, 1, 4, 8, 8, 3)
	opt := nn.NewAdamW(nn.DecayGroups(m.Parameters(), 0), 1e-2)
	var first, last float32
	for step := 0; step < 40; step++ {
		g := autograd.New()
		loss := MSE(g, m.Forward(g, autograd.Const(x), []float32{0.1, 0.5, 0.9, 1}, cond), target)
		g.Backward(loss)
		if step == 39 {
			for _, p := range m.Parameters() {
				if p.Grad == nil {
					t.Errorf("%s got no gradient", p.Name)
				}
			}
		}
		opt.Step()
		opt.ZeroGrad()
		if step == 0 {
			first = loss.Value.Data[0]
		}
		last = loss.Value.Data[0]
	}
	if last > 0.7*first {
		t.Errorf("loss %v → %v after 40 steps, want a clear decrease", first, last)
	}
}

func TestPositionGrid(t *testing.T) {
	p := PositionGrid(3, 8)
	seen := map[string]bool{}
	for r := 0; r < 9; r++ {
		key := tensor.New(p.Data[r*8:(r+1)*8], 8).String()
		if seen[key] {
			t.Errorf("positions repeat at token %d", r)
		}
		seen[key] = true
	}
	// Token (row 0, col 0): sin 0 = 0, cos 0 = 1 in both halves.
	want := []float32{0, 0, 1, 1, 0, 0, 1, 1}
	for i, w := range want {
		if p.Data[i] != w {
			t.Errorf("position (0,0)[%d] = %v, want %v", i, p.Data[i], w)
		}
	}
}

func TestTrainStopsOnNaN(t *testing.T) {
	w := autograd.Param("w", tensor.New([]float32{1}, 1))
	_, err := Train(TrainConfig{Steps: 10, LR: 0.1}, []*autograd.Var{w}, func(step int, g *autograd.Graph) *autograd.Var {
		if step == 3 {
			return g.Log(g.Scale(w, -1)) // log of a negative number
		}
		return g.MeanAll(g.Mul(w, w))
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "step 3") {
		t.Errorf("err = %v, want a NaN error naming step 3", err)
	}
}

func TestGuidanceOneIsConditional(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	m := tinyDiT(rng, 3, false)
	// Move the zero-initialised layers so the classes matter.
	for _, p := range m.Parameters() {
		for i := range p.Value.Data {
			p.Value.Data[i] += 0.05 * float32(rng.NormFloat64())
		}
	}
	x := tensor.Randn(rng, 1, 3, 8, 8, 3)
	cond, null := Cond{Classes: []int{0, 1, 2}}, Cond{Classes: []int{3, 3, 3}}
	vc := m.Field(cond)(x, 0.4)
	vu := m.Field(null)(x, 0.4)
	diff := 0.0
	for i := range vc.Data {
		diff = max(diff, float64(abs32(vc.Data[i]-vu.Data[i])))
	}
	if diff < 1e-3 {
		t.Fatalf("conditional and unconditional velocities agree (%g): the test would be vacuous", diff)
	}
	for _, w := range []float32{1, 0} {
		want := map[float32]*tensor.Tensor{1: vc, 0: vu}[w]
		got := Guided(m.Field(cond), m.Field(null), w)(x, 0.4)
		for i := range got.Data {
			if abs32(got.Data[i]-want.Data[i]) > 1e-5 {
				t.Fatalf("w=%v: v[%d] = %v, want %v", w, i, got.Data[i], want.Data[i])
			}
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestDropLabels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	labels := make([]int, 10000)
	got := DropLabels(rng, labels, 0.1, 7)
	n := 0
	for i, l := range got {
		switch l {
		case 7:
			n++
		case labels[i]:
		default:
			t.Fatalf("label %d became %d", labels[i], l)
		}
	}
	if f := float64(n) / 1e4; f < 0.09 || f > 0.11 {
		t.Errorf("dropped %.3f, want 0.1", f)
	}
}

// Cross-attention alone (no pooled vector) must carry the context.
func TestCrossAttentionReadsContext(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	m := tinyDiT(rng, 0, true)
	for _, p := range m.Parameters() {
		for i := range p.Value.Data {
			p.Value.Data[i] += 0.05 * float32(rng.NormFloat64())
		}
	}
	x := tensor.Randn(rng, 1, 1, 8, 8, 3)
	v := func(ctx *tensor.Tensor) *tensor.Tensor {
		return m.Field(Cond{Context: autograd.Const(ctx)})(x, 0.5)
	}
	a, b := v(tensor.Randn(rng, 1, 1, 5, 16)), v(tensor.Randn(rng, 1, 1, 5, 16))
	d := 0.0
	for i := range a.Data {
		d = max(d, float64(abs32(a.Data[i]-b.Data[i])))
	}
	if d < 1e-4 {
		t.Errorf("two contexts give the same velocity (max diff %g)", d)
	}
}
