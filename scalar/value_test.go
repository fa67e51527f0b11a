package scalar

import (
	"math"
	"testing"
)

// numericGrad returns the central difference (f(x+h) − f(x−h)) / 2h for each input.
func numericGrad(f func([]*Value) *Value, xs []float64) []float64 {
	const h = 1e-6
	g := make([]float64, len(xs))
	for i := range xs {
		p := append([]float64(nil), xs...)
		p[i] += h
		m := append([]float64(nil), xs...)
		m[i] -= h
		g[i] = (f(Vector(p)).Data - f(Vector(m)).Data) / (2 * h)
	}
	return g
}

// gradError returns the largest relative error between Backward's gradient
// and the central difference: |a − n| / max(|a|, |n|, 1e-3).
func gradError(f func([]*Value) *Value, xs []float64) float64 {
	in := Vector(xs)
	f(in).Backward()
	num := numericGrad(f, xs)
	worst := 0.0
	for i, v := range in {
		e := math.Abs(v.Grad-num[i]) / math.Max(math.Max(math.Abs(v.Grad), math.Abs(num[i])), 1e-3)
		worst = math.Max(worst, e)
	}
	return worst
}

var opTable = []struct {
	name string
	f    func([]*Value) *Value
	xs   []float64
}{
	{"add", func(x []*Value) *Value { return x[0].Add(x[1]) }, []float64{0.3, -1.2}},
	{"sub", func(x []*Value) *Value { return x[0].Sub(x[1]) }, []float64{0.3, -1.2}},
	{"mul", func(x []*Value) *Value { return x[0].Mul(x[1]) }, []float64{0.7, -1.3}},
	{"mul-self", func(x []*Value) *Value { return x[0].Mul(x[0]) }, []float64{0.7}},
	{"div", func(x []*Value) *Value { return x[0].Div(x[1]) }, []float64{0.7, -1.3}},
	{"neg", func(x []*Value) *Value { return x[0].Neg() }, []float64{0.7}},
	{"pow", func(x []*Value) *Value { return x[0].Pow(2.5) }, []float64{1.7}},
	{"pow-neg", func(x []*Value) *Value { return x[0].Pow(-1) }, []float64{0.4}},
	{"exp", func(x []*Value) *Value { return x[0].Exp() }, []float64{0.9}},
	{"log", func(x []*Value) *Value { return x[0].Log() }, []float64{0.9}},
	{"sqrt", func(x []*Value) *Value { return x[0].Sqrt() }, []float64{2.3}},
	{"tanh", func(x []*Value) *Value { return x[0].Tanh() }, []float64{0.4}},
	{"gelu", func(x []*Value) *Value { return x[0].GELU() }, []float64{0.4}},
	{"gelu-neg", func(x []*Value) *Value { return x[0].GELU() }, []float64{-1.4}},
	{"relu-pos", func(x []*Value) *Value { return x[0].ReLU() }, []float64{0.4}},
	{"relu-neg", func(x []*Value) *Value { return x[0].ReLU() }, []float64{-0.4}},
	{"addf-mulf", func(x []*Value) *Value { return x[0].AddF(2).MulF(-3) }, []float64{0.4}},
	{"sum", func(x []*Value) *Value { return Sum([]*Value{x[0], x[1], x[0]}) }, []float64{0.4, 2}},
	{"dot", func(x []*Value) *Value { return Dot(x[:2], x[2:]) }, []float64{0.4, 2, -1, 3}},
	{"chain", func(x []*Value) *Value { return x[0].Mul(x[1]).Tanh().Exp().Div(x[1].Pow(2).AddF(1)).Log() }, []float64{0.3, -0.8}},
	{"softmax", func(x []*Value) *Value { s := Softmax(x); return s[0].MulF(2).Add(s[2].MulF(-1)) }, []float64{0.1, 1.2, -0.5}},
	{"layernorm", func(x []*Value) *Value {
		y := LayerNorm(x[:4], x[4:8], x[8:], 1e-5)
		return y[0].MulF(0.5).Add(y[1].MulF(-2)).Add(y[3])
	}, []float64{0.1, 1.2, -0.5, 0.3, 1, 0.9, 1.1, 0.7, 0, 0.1, -0.2, 0.3}},
	{"cross-entropy", func(x []*Value) *Value { return CrossEntropy(x, 1) }, []float64{0.1, 1.2, -0.5}},
	{"matmul", func(x []*Value) *Value {
		a := Matrix{x[0:2], x[2:4]}
		b := Matrix{x[4:6], x[6:8]}
		c := MatMul(a, b)
		return c[0][0].Add(c[0][1].MulF(2)).Add(c[1][0].MulF(-1)).Add(c[1][1].MulF(0.5))
	}, []float64{1, 2, 3, 4, -1, 0.5, 0.2, 0.3}},
	{"causal-softmax", func(x []*Value) *Value {
		w := SoftmaxRows(CausalMask(Matrix{x[0:2], x[2:4]}))
		return w[1][0].MulF(3).Add(w[0][0]).Add(w[1][1])
	}, []float64{0.2, 9, -0.3, 0.8}},
}

func TestOpsMatchFiniteDifferences(t *testing.T) {
	for _, tc := range opTable {
		t.Run(tc.name, func(t *testing.T) {
			if e := gradError(tc.f, tc.xs); e > 1e-6 {
				t.Errorf("relative gradient error %.3g > 1e-6", e)
			}
		})
	}
}

// brokenSquare is x² with the derivative deliberately wrong (x instead of 2x).
func brokenSquare(a *Value) *Value {
	out := newOp(a.Data*a.Data, "broken", a)
	out.backward = func() { a.Grad += a.Data * out.Grad }
	return out
}

func TestCheckCatchesWrongDerivative(t *testing.T) {
	e := gradError(func(x []*Value) *Value { return brokenSquare(x[0]) }, []float64{0.7})
	if e < 0.1 {
		t.Fatalf("the finite-difference check missed a wrong derivative (error %.3g)", e)
	}
}

func TestGradientsAccumulateAndZero(t *testing.T) {
	x := New(3)
	y := x.Mul(x).Add(x) // used twice: dy/dx = 2x + 1 = 7
	y.Backward()
	if x.Grad != 7 {
		t.Fatalf("dy/dx = %v, want 7", x.Grad)
	}
	y.Backward()
	if x.Grad != 14 {
		t.Fatalf("after a second Backward, grad = %v, want 14 (accumulated)", x.Grad)
	}
	ZeroGrad([]*Value{x})
	if x.Grad != 0 {
		t.Fatal("ZeroGrad left a gradient")
	}
}

func TestDeepGraphDoesNotRecurse(t *testing.T) {
	x := New(1)
	y := x
	for i := 0; i < 200000; i++ {
		y = y.MulF(1)
	}
	y.Backward()
	if x.Grad != 1 {
		t.Fatalf("grad through 200000 nodes = %v, want 1", x.Grad)
	}
}

func TestForwardValues(t *testing.T) {
	tests := []struct {
		name      string
		got, want float64
	}{
		{"gelu(1)", New(1).GELU().Data, 0.8411919906082768},
		{"gelu(0)", New(0).GELU().Data, 0},
		{"softmax sums to 1", Sum(Softmax(Vector([]float64{1, 2, 3}))).Data, 1},
		{"ce uniform = ln 3", CrossEntropy(Vector([]float64{0, 0, 0}), 2).Data, math.Log(3)},
		{"ce large logits", CrossEntropy(Vector([]float64{1000, 0}), 0).Data, 0},
	}
	for _, tc := range tests {
		if math.Abs(tc.got-tc.want) > 1e-12 {
			t.Errorf("%s = %.15g, want %.15g", tc.name, tc.got, tc.want)
		}
	}
}
