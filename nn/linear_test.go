package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/tensor"
)

// randomize redraws every parameter from N(0, 0.5²) so gradient checks see
// weights and biases of ordinary size (0.02 would hide errors below the
// checker's absolute floor).
func randomize(m Module, seed uint64) {
	rng := newRand(seed)
	for _, p := range m.Parameters() {
		InitNormal(p.Value, 0.5, rng)
	}
}

func TestLinearForward(t *testing.T) {
	for _, bias := range []bool{true, false} {
		l := NewLinear("h.0.attn.c_attn", 3, 2, bias, InitStd, newRand(1))
		randomize(l, 2)
		want := []string{"h.0.attn.c_attn.weight"}
		if bias {
			want = append(want, "h.0.attn.c_attn.bias")
		}
		sameStrings(t, "names", names(l.Parameters()), want)
		x := Normal(newRand(3), 1, 2, 2, 3)
		y := l.Forward(autograd.NoGrad(), autograd.Const(x)).Value
		if !tensor.SameShape(y.Shape, []int{2, 2, 2}) {
			t.Fatalf("shape %v, want [2 2 2]", y.Shape)
		}
		w := l.Weight.Value.Data
		for r := 0; r < 4; r++ {
			for o := 0; o < 2; o++ {
				s := 0.0
				for i := 0; i < 3; i++ {
					s += float64(x.Data[r*3+i]) * float64(w[o*3+i])
				}
				if bias {
					s += float64(l.Bias.Value.Data[o])
				}
				if got := y.Data[r*2+o]; math.Abs(float64(got)-s) > 1e-5 {
					t.Errorf("bias=%v y[%d,%d] = %g, want %g", bias, r, o, got, s)
				}
			}
		}
		// A vector input gives a vector output: row 0 of the batch above.
		v := l.Forward(autograd.NoGrad(), autograd.Const(tensor.New(x.Data[:3], 3))).Value
		if !tensor.SameShape(v.Shape, []int{2}) || v.Data[0] != y.Data[0] || v.Data[1] != y.Data[1] {
			t.Errorf("vector input: %v, want [2] %v", v, y.Data[:2])
		}
	}
}

func TestLinearShapePanic(t *testing.T) {
	l := NewLinear("fc", 3, 2, true, InitStd, newRand(1))
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, "nn.Linear") || !strings.Contains(msg, "[4 5]") || !strings.Contains(msg, "[2 3]") {
			t.Errorf("panic %q should name the op and both shapes", msg)
		}
	}()
	l.Forward(autograd.NoGrad(), autograd.Const(tensor.Zeros(4, 5)))
}

// Every module's backward agrees with central differences, for the input
// and every parameter.
func TestModuleGradients(t *testing.T) {
	type forwarder interface {
		Module
		Forward(*autograd.Graph, *autograd.Var) *autograd.Var
	}
	exact := NewMLP("mlp", 4, 8, true, ResidualStd(2), newRand(5))
	exact.TanhGELU = false
	tests := []struct {
		name string
		m    forwarder
	}{
		{"Linear with bias", NewLinear("fc", 4, 3, true, InitStd, newRand(1))},
		{"Linear without bias", NewLinear("fc", 4, 3, false, InitStd, newRand(2))},
		{"MLP tanh GELU", NewMLP("mlp", 4, 8, true, ResidualStd(2), newRand(3))},
		{"MLP exact GELU", exact},
		{"MLP without bias", NewMLP("mlp", 4, 8, false, InitStd, newRand(4))},
		{"SwiGLU", NewSwiGLU("mlp", 4, 6, false, InitStd, newRand(6))},
		{"SwiGLU with bias", NewSwiGLU("mlp", 4, 6, true, InitStd, newRand(7))},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			randomize(tc.m, uint64(10+i))
			x := autograd.Param("x", Normal(newRand(uint64(20+i)), 1, 2, 3, 4))
			inputs := append([]*autograd.Var{x}, tc.m.Parameters()...)
			res := autograd.GradCheck(func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
				return tc.m.Forward(g, in[0])
			}, inputs, uint64(30+i), 1e-2)
			if res.MaxErr > gradTol {
				t.Errorf("%v", res)
			}
			t.Logf("%v", res)
		})
	}
}

// The gradient check above can fail: a Linear whose backward forgets the
// bias term is caught.
func TestGradCheckCatchesBrokenLinear(t *testing.T) {
	l := NewLinear("fc", 4, 3, true, 0.5, newRand(1))
	InitNormal(l.Bias.Value, 0.5, newRand(2))
	x := autograd.Param("x", Normal(newRand(3), 1, 5, 4))
	broken := func(g *autograd.Graph, in []*autograd.Var) *autograd.Var {
		good := l.Forward(autograd.NoGrad(), in[0])
		return g.Record("BrokenLinear", good.Value, []*autograd.Var{in[0], l.Weight, l.Bias}, func(gy *tensor.Tensor) {
			in[0].AddGrad(tensor.MatMul(gy, l.Weight.Value))
			l.Weight.AddGrad(tensor.MatMulTN(gy, in[0].Value))
			// bias gradient missing on purpose
		})
	}
	res := autograd.GradCheck(broken, []*autograd.Var{x, l.Weight, l.Bias}, 4, 1e-2)
	if res.MaxErr <= gradTol || res.Input != 2 {
		t.Errorf("broken backward not caught: %v", res)
	}
}

func TestInitialisers(t *testing.T) {
	if got, want := ResidualStd(12), 0.02/math.Sqrt(24); math.Abs(got-want) > 1e-15 {
		t.Errorf("ResidualStd(12) = %g, want %g", got, want)
	}
	x := Normal(newRand(1), 0.02, 200, 100)
	var s, sq float64
	for _, v := range x.Data {
		s += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(x.Numel())
	mean, std := s/n, math.Sqrt(sq/n-(s/n)*(s/n))
	// 2·10⁴ draws: the sample std is within 2% of 0.02 and the mean within 5σ/√n.
	if math.Abs(std-0.02) > 0.02*0.02 || math.Abs(mean) > 5*0.02/math.Sqrt(n) {
		t.Errorf("Normal(0.02): mean %g, std %g", mean, std)
	}
	mlp := NewMLP("mlp", 64, 256, true, ResidualStd(8), newRand(2))
	sq = 0
	for _, v := range mlp.Proj.Weight.Value.Data {
		sq += float64(v) * float64(v)
	}
	if std := math.Sqrt(sq / float64(mlp.Proj.Weight.Value.Numel())); math.Abs(std-0.005) > 0.0003 {
		t.Errorf("c_proj std %g, want ResidualStd(8) = 0.005", std)
	}
	for _, v := range mlp.FC.Bias.Value.Data {
		if v != 0 {
			t.Fatal("bias not zero-initialised")
		}
	}
	o := tensor.Zeros(3)
	InitOnes(o)
	InitZeros(x)
	if o.Data[2] != 1 || x.Data[123] != 0 {
		t.Error("InitOnes/InitZeros")
	}
}
