package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"transformers/autograd"
	"transformers/nn"
	"transformers/tensor"
)

func TestInterpolateAndTarget(t *testing.T) {
	data := tensor.New([]float32{1, 2, -1, 0}, 2, 2)
	noise := tensor.New([]float32{3, -2, 1, 4}, 2, 2)
	for _, tc := range []struct {
		name string
		t    []float32
		want []float32
	}{
		{"t=0 is data", []float32{0, 0}, []float32{1, 2, -1, 0}},
		{"t=1 is noise", []float32{1, 1}, []float32{3, -2, 1, 4}},
		{"t per row", []float32{0.25, 0.5}, []float32{1.5, 1, 0, 2}},
	} {
		got := Interpolate(data, noise, tc.t)
		for i, w := range tc.want {
			if math.Abs(float64(got.Data[i]-w)) > 1e-6 {
				t.Errorf("%s: x_t[%d] = %v, want %v", tc.name, i, got.Data[i], w)
			}
		}
	}
	v := TargetVelocity(data, noise)
	want := []float32{2, -4, 2, 4}
	for i := range want {
		if v.Data[i] != want[i] {
			t.Errorf("v[%d] = %v, want noise−data = %v", i, v.Data[i], want[i])
		}
	}
	// v is dx_t/dt: a finite difference along the path agrees.
	const dt = 1e-2
	a, b := Interpolate(data, noise, []float32{0.3, 0.3}), Interpolate(data, noise, []float32{0.3 + dt, 0.3 + dt})
	for i := range want {
		if d := (b.Data[i] - a.Data[i]) / dt; math.Abs(float64(d-want[i])) > 1e-3 {
			t.Errorf("dx_t/dt[%d] = %v, want %v", i, d, want[i])
		}
	}
}

func TestSampleTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		d              TimeDist
		minMid, maxMid float64 // fraction of t in [0.25, 0.75]
	}{
		{Uniform, 0.47, 0.53},
		{LogitNormal, 0.60, 0.80}, // P(|z| < ln 3) ≈ 0.728
	} {
		ts := SampleTimes(rng, tc.d, 20000)
		mid := 0
		for _, x := range ts {
			if x < 0 || x > 1 {
				t.Fatalf("%v: t = %v outside [0, 1]", tc.d, x)
			}
			if x >= 0.25 && x <= 0.75 {
				mid++
			}
		}
		f := float64(mid) / float64(len(ts))
		if f < tc.minMid || f > tc.maxMid {
			t.Errorf("%v: fraction in [0.25, 0.75] = %.3f, want in [%v, %v]", tc.d, f, tc.minMid, tc.maxMid)
		}
		if d, err := ParseTimeDist(tc.d.String()); err != nil || d != tc.d {
			t.Errorf("ParseTimeDist(%q) = %v, %v", tc.d.String(), d, err)
		}
	}
	if _, err := ParseTimeDist("cosine"); err == nil {
		t.Error("ParseTimeDist accepted an unknown name")
	}
}

// The field v(x, t) = a·t·x has the exact solution x(t) = x(1)·exp(a(t² − 1)/2).
func exactField(a float32) Field {
	return func(x *tensor.Tensor, t float32) *tensor.Tensor { return tensor.Scale(x, a*t) }
}

func TestSolverOrder(t *testing.T) {
	const a = 3
	x1 := tensor.New([]float32{1, -0.5}, 2, 1)
	want := math.Exp(-a / 2.0)
	errAt := func(s Solver, steps int) (float64, int) {
		x0, calls := Sample(exactField(a), x1, steps, s, nil)
		return math.Abs(float64(x0.Data[0]) - want), calls
	}
	for _, tc := range []struct {
		s            Solver
		steps        int
		callsPerStep int
	}{
		{Euler, 32, 1}, {Midpoint, 16, 2}, {Heun, 16, 2}, {RK4, 4, 4},
	} {
		e1, c1 := errAt(tc.s, tc.steps)
		e2, _ := errAt(tc.s, 2*tc.steps)
		if c1 != tc.steps*tc.callsPerStep {
			t.Errorf("%v: %d calls for %d steps, want %d", tc.s, c1, tc.steps, tc.steps*tc.callsPerStep)
		}
		order := math.Log2(e1 / e2)
		if math.Abs(order-float64(tc.s.Order())) > 0.35 {
			t.Errorf("%v: errors %.3g → %.3g when steps double: observed order %.2f, want %d", tc.s, e1, e2, order, tc.s.Order())
		}
	}
}

func TestSampleTrace(t *testing.T) {
	var ts []float32
	Sample(exactField(1), tensor.Ones(1, 1), 4, Euler, func(step int, tt float32, x *tensor.Tensor) {
		if step != len(ts) {
			t.Errorf("trace step %d, want %d", step, len(ts))
		}
		ts = append(ts, tt)
	})
	want := []float32{1, 0.75, 0.5, 0.25, 0}
	if fmt.Sprint(ts) != fmt.Sprint(want) {
		t.Errorf("trace times %v, want %v (sampling runs from t=1 to t=0)", ts, want)
	}
}

func TestGuidance(t *testing.T) {
	cond := func(x *tensor.Tensor, _ float32) *tensor.Tensor { return tensor.Scale(x, 2) }
	uncond := func(x *tensor.Tensor, _ float32) *tensor.Tensor { return tensor.AddScalar(x, 1) }
	x := tensor.New([]float32{0.5, -3, 7}, 3)
	for _, tc := range []struct {
		w    float32
		want Field
	}{{1, cond}, {0, uncond}} {
		got, want := Guided(cond, uncond, tc.w)(x, 0.5), tc.want(x, 0.5)
		for i := range got.Data {
			if math.Abs(float64(got.Data[i]-want.Data[i])) > 1e-6 {
				t.Errorf("w=%v: v[%d] = %v, want %v", tc.w, i, got.Data[i], want.Data[i])
			}
		}
	}
	// w = 3 extrapolates: v_u + 3(v_c − v_u) at x=0.5 is 1.5 + 3·(1 − 1.5) = 0.
	if got := Guided(cond, uncond, 3)(x, 0).Data[0]; got != 0 {
		t.Errorf("w=3: v = %v, want 0", got)
	}
}

// Gaussian noise to a point mass c: x_t = (1−t)c + tε determines ε, so the
// optimal field v*(x, t) = (x − c)/t has loss 0, while v = 0 has loss
// E‖ε − c‖²/D = (D + ‖c‖²)/D.
func TestOptimalLossPointMass(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := []float32{1, -2}
	data := tensor.Zeros(4096, 2)
	for i := range data.Data {
		data.Data[i] = c[i%2]
	}
	b := MakeBatch(rng, data, Uniform)
	opt := tensor.ZerosLike(b.Xt)
	for i := range opt.Data {
		opt.Data[i] = (b.Xt.Data[i] - c[i%2]) / b.T[i/2]
	}
	g := autograd.NoGrad()
	if l := MSE(g, autograd.Const(opt), b.Target).Value.Data[0]; l > 1e-4 {
		t.Errorf("loss of the optimal field = %v, want 0", l)
	}
	if l := MSE(g, autograd.Const(tensor.ZerosLike(opt)), b.Target).Value.Data[0]; math.Abs(float64(l)-3.5) > 0.15 {
		t.Errorf("loss of v = 0 is %v, want (D + ‖c‖²)/D = 3.5", l)
	}
	// Sampling the optimal field carries any noise to c.
	field := func(x *tensor.Tensor, tt float32) *tensor.Tensor {
		v := tensor.ZerosLike(x)
		for i := range v.Data {
			v.Data[i] = (x.Data[i] - c[i%2]) / tt
		}
		return v
	}
	x0, _ := Sample(field, tensor.Randn(rng, 1, 8, 2), 10, Euler, nil)
	for i, v := range x0.Data {
		if math.Abs(float64(v-c[i%2])) > 1e-4 {
			t.Errorf("sample[%d] = %v, want %v", i, v, c[i%2])
		}
	}
	// A small MLP trained on the same task gets far below the zero field.
	m := NewMLPField("v", 2, 16, 64, 2, rng)
	opt2 := nn.NewAdamW(nn.DecayGroups(m.Parameters(), 0), 3e-3)
	var last float64
	for step := 0; step < 300; step++ {
		bb := MakeBatch(rng, tensor.Slice(data, 0, 0, 128), Uniform)
		g := autograd.New()
		loss := MSE(g, m.Forward(g, autograd.Const(bb.Xt), bb.T), bb.Target)
		g.Backward(loss)
		opt2.Step()
		opt2.ZeroGrad()
		last = 0.9*last + 0.1*float64(loss.Value.Data[0])
		if step == 0 {
			last = float64(loss.Value.Data[0])
		}
	}
	if last > 1.0 {
		t.Errorf("trained MLP loss %.3f, want well below the zero field's 3.5", last)
	}
}

func TestPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, name := range Datasets2D {
		x, labels, err := Points(name, rng, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if x.Shape[0] != 2000 || x.Shape[1] != 2 || len(labels) != 2000 {
			t.Fatalf("%s: shape %v, %d labels", name, x.Shape, len(labels))
		}
		seen := map[int]bool{}
		for _, l := range labels {
			if l < 0 || l >= NumClasses2D(name) {
				t.Fatalf("%s: label %d out of range", name, l)
			}
			seen[l] = true
		}
		if len(seen) != NumClasses2D(name) {
			t.Errorf("%s: %d classes seen, want %d", name, len(seen), NumClasses2D(name))
		}
		std := tensor.Sqrt(tensor.Var(x, 0, false))
		for j, s := range std.Data {
			if s < 0.5 || s > 1.6 {
				t.Errorf("%s: std of axis %d = %.2f, want roughly 1", name, j, s)
			}
		}
	}
	if _, _, err := Points("mnist", rng, 1); err == nil {
		t.Error("unknown dataset gave no error")
	}
}

func TestSlicedWasserstein(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	a := tensor.Randn(rng, 1, 500, 2)
	if d := SlicedWasserstein(a, a, 50, rng); d != 0 {
		t.Errorf("SW(a, a) = %v, want 0", d)
	}
	// Shifting by s gives projections shifted by θ·s, so SW = |s|·√E[cos²] = |s|/√2.
	shifted := tensor.Add(a, tensor.New([]float32{3, 4}, 2))
	if d := SlicedWasserstein(a, shifted, 2000, rng); math.Abs(d-5/math.Sqrt2) > 0.1 {
		t.Errorf("SW(a, a + (3,4)) = %.3f, want 5/√2 = %.3f", d, 5/math.Sqrt2)
	}
}

func TestTimeEmbedding(t *testing.T) {
	e := TimeEmbedding([]float32{0, 0.5}, 8)
	for k := 0; k < 4; k++ {
		if e.Data[k] != 0 || e.Data[4+k] != 1 {
			t.Errorf("t=0: sin/cos pair %d = %v, %v, want 0, 1", k, e.Data[k], e.Data[4+k])
		}
	}
	for k, omega := range []float64{1, math.Pow(200, 1.0/3), math.Pow(200, 2.0/3), 200} {
		if got, want := e.Data[8+k], float32(math.Sin(0.5*omega)); math.Abs(float64(got-want)) > 1e-6 {
			t.Errorf("t=0.5, k=%d: %v, want sin(0.5·%.2f) = %v", k, got, omega, want)
		}
	}
}

func TestCheckFinite(t *testing.T) {
	if CheckFinite("loss", 3, 1.5) != nil {
		t.Error("finite value rejected")
	}
	for _, x := range []float64{math.NaN(), math.Inf(1)} {
		if err := CheckFinite("loss", 3, x); err == nil {
			t.Errorf("%v accepted", x)
		}
	}
}
