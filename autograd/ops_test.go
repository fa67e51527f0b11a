package autograd

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"transformers/tensor"
)

// gen draws the inputs of one op case from rng.
type gen func(rng *rand.Rand) []*Var

// opCase is one row of the op table: the Graph method it exercises, how to
// draw inputs, and the function the gradient checker differentiates.
type opCase struct {
	name string
	op   string // Graph method name, for the coverage test
	in   gen
	f    func(g *Graph, in []*Var) *Var
}

// uni returns a parameter of the given shape with entries uniform in [lo, hi).
func uni(rng *rand.Rand, lo, hi float32, shape ...int) *Var {
	return Param("x", tensor.Uniform(rng, lo, hi, shape...))
}

// away is like uni but redraws entries closer than 0.05 to any kink, where
// the function is not differentiable and a central difference with ε = 1e-2
// would straddle the kink.
func away(rng *rand.Rand, lo, hi float32, kinks []float32, shape ...int) *Var {
	t := tensor.Zeros(shape...)
	near := func(v float32) bool {
		for _, k := range kinks {
			if math.Abs(float64(v-k)) < 0.05 {
				return true
			}
		}
		return false
	}
	for i := range t.Data {
		v := lo + (hi-lo)*rng.Float32()
		for near(v) {
			v = lo + (hi-lo)*rng.Float32()
		}
		t.Data[i] = v
	}
	return Param("x", t)
}

// spaced returns a parameter whose entries are a random permutation of
// well-separated values, so max/argmax never ties within ε.
func spaced(rng *rand.Rand, shape ...int) *Var {
	t := tensor.Zeros(shape...)
	for i, p := range rng.Perm(len(t.Data)) {
		t.Data[i] = 0.2*float32(p) - 1 + 0.05*rng.Float32()
	}
	return Param("x", t)
}

// ins builds a generator from per-input generators.
func ins(fs ...func(rng *rand.Rand) *Var) gen {
	return func(rng *rand.Rand) []*Var {
		out := make([]*Var, len(fs))
		for i, f := range fs {
			out[i] = f(rng)
		}
		return out
	}
}

func u(shape ...int) func(*rand.Rand) *Var {
	return func(rng *rand.Rand) *Var { return uni(rng, -1, 1, shape...) }
}

func pos(shape ...int) func(*rand.Rand) *Var {
	return func(rng *rand.Rand) *Var { return uni(rng, 0.5, 2, shape...) }
}

func bin(f func(g *Graph, a, b *Var) *Var) func(g *Graph, in []*Var) *Var {
	return func(g *Graph, in []*Var) *Var { return f(g, in[0], in[1]) }
}

func un(f func(g *Graph, x *Var) *Var) func(g *Graph, in []*Var) *Var {
	return func(g *Graph, in []*Var) *Var { return f(g, in[0]) }
}

// broadcastCases returns op applied over every broadcasting pattern.
func broadcastCases(op string, f func(g *Graph, a, b *Var) *Var, rhs func(shape ...int) func(*rand.Rand) *Var) []opCase {
	return []opCase{
		{op + "/same", op, ins(u(2, 3), rhs(2, 3)), bin(f)},
		{op + "/scalar", op, ins(u(2, 3), rhs()), bin(f)},
		{op + "/row", op, ins(u(2, 3), rhs(3)), bin(f)},
		{op + "/column", op, ins(u(2, 3), rhs(2, 1)), bin(f)},
		{op + "/batch", op, ins(u(2, 2, 3), rhs(2, 3)), bin(f)},
		{op + "/outer", op, ins(u(2, 1), rhs(1, 3)), bin(f)},
		{op + "/lhs-broadcast", op, ins(u(3), rhs(2, 3)), bin(f)},
	}
}

var causal = tensor.Triu(3, 3, 1)

// opTable lists every differentiable Graph op with the inputs it is checked at.
func opTable() []opCase {
	var cs []opCase
	cs = append(cs, broadcastCases("Add", (*Graph).Add, u)...)
	cs = append(cs, broadcastCases("Sub", (*Graph).Sub, u)...)
	cs = append(cs, broadcastCases("Mul", (*Graph).Mul, u)...)
	cs = append(cs, broadcastCases("Div", (*Graph).Div, pos)...)
	cs = append(cs, []opCase{
		// Reused inputs: both contributions must accumulate.
		{"Mul/x*x", "Mul", ins(u(2, 3)), un(func(g *Graph, x *Var) *Var { return g.Mul(x, x) })},
		{"Add/x+x*x", "Add", ins(u(4)), un(func(g *Graph, x *Var) *Var { return g.Add(x, g.Mul(x, x)) })},
		{"Div/x/x^2", "Div", ins(pos(5)), un(func(g *Graph, x *Var) *Var { return g.Div(x, g.Mul(x, x)) })},
		{"Sub/x-x", "Sub", ins(u(3)), un(func(g *Graph, x *Var) *Var { return g.Sub(g.Exp(x), x) })},

		{"Neg", "Neg", ins(u(2, 3)), un((*Graph).Neg)},
		{"Scale", "Scale", ins(u(2, 3)), un(func(g *Graph, x *Var) *Var { return g.Scale(x, -1.5) })},
		{"AddScalar", "AddScalar", ins(u(2, 3)), un(func(g *Graph, x *Var) *Var { return g.AddScalar(x, 0.7) })},
		{"Pow/3", "Pow", ins(u(2, 3)), un(func(g *Graph, x *Var) *Var { return g.Pow(x, 3) })},
		{"Pow/2", "Pow", ins(u(2, 3)), un(func(g *Graph, x *Var) *Var { return g.Pow(x, 2) })},
		{"Pow/0.5", "Pow", ins(pos(2, 3)), un(func(g *Graph, x *Var) *Var { return g.Pow(x, 0.5) })},
		{"Pow/-1.5", "Pow", ins(pos(2, 3)), un(func(g *Graph, x *Var) *Var { return g.Pow(x, -1.5) })},
		{"Exp", "Exp", ins(u(2, 3)), un((*Graph).Exp)},
		{"Log", "Log", ins(pos(2, 3)), un((*Graph).Log)},
		{"Sqrt", "Sqrt", ins(pos(2, 3)), un((*Graph).Sqrt)},
		{"Abs", "Abs", ins(func(r *rand.Rand) *Var { return away(r, -1, 1, []float32{0}, 2, 3) }), un((*Graph).Abs)},
		{"Clamp", "Clamp", ins(func(r *rand.Rand) *Var { return away(r, -1, 1, []float32{-0.5, 0.4}, 3, 4) }),
			un(func(g *Graph, x *Var) *Var { return g.Clamp(x, -0.5, 0.4) })},

		{"Sum/axis0", "Sum", ins(u(3, 4)), un(func(g *Graph, x *Var) *Var { return g.Sum(x, 0, false) })},
		{"Sum/last-keepdim", "Sum", ins(u(2, 3, 4)), un(func(g *Graph, x *Var) *Var { return g.Sum(x, -1, true) })},
		{"Sum/middle", "Sum", ins(u(2, 3, 4)), un(func(g *Graph, x *Var) *Var { return g.Sum(x, 1, false) })},
		{"Mean/axis0", "Mean", ins(u(3, 4)), un(func(g *Graph, x *Var) *Var { return g.Mean(x, 0, true) })},
		{"Mean/middle", "Mean", ins(u(2, 3, 4)), un(func(g *Graph, x *Var) *Var { return g.Mean(x, 1, false) })},
		{"SumAll", "SumAll", ins(u(2, 3)), un((*Graph).SumAll)},
		{"MeanAll", "MeanAll", ins(u(2, 3)), un((*Graph).MeanAll)},
		{"Max/last", "Max", ins(func(r *rand.Rand) *Var { return spaced(r, 3, 4) }), un(func(g *Graph, x *Var) *Var { return g.Max(x, -1, false) })},
		{"Max/middle-keepdim", "Max", ins(func(r *rand.Rand) *Var { return spaced(r, 2, 3, 2) }), un(func(g *Graph, x *Var) *Var { return g.Max(x, 1, true) })},
		{"Var/last", "Var", ins(u(3, 5)), un(func(g *Graph, x *Var) *Var { return g.Var(x, -1, false) })},
		{"Var/axis0-keepdim", "Var", ins(u(4, 2)), un(func(g *Graph, x *Var) *Var { return g.Var(x, 0, true) })},

		{"Reshape", "Reshape", ins(u(2, 3, 2)), un(func(g *Graph, x *Var) *Var { return g.Mul(g.Reshape(x, 3, -1), g.Reshape(x, 3, 4)) })},
		{"Transpose", "Transpose", ins(u(2, 3, 4)), un(func(g *Graph, x *Var) *Var { return g.Transpose(x, 0, 2) })},
		{"Permute", "Permute", ins(u(2, 3, 4)), un(func(g *Graph, x *Var) *Var { return g.Permute(x, 1, 2, 0) })},
		{"Slice", "Slice", ins(u(3, 5)), un(func(g *Graph, x *Var) *Var { return g.Slice(x, 1, 1, 4) })},
		{"Slice/axis0", "Slice", ins(u(4, 2)), un(func(g *Graph, x *Var) *Var { return g.Slice(x, 0, 2, 4) })},
		{"Concat", "Concat", ins(u(2, 3), u(2, 1), u(2, 2)), func(g *Graph, in []*Var) *Var { return g.Concat(-1, in...) }},
		{"Concat/axis0", "Concat", ins(u(1, 3), u(2, 3)), func(g *Graph, in []*Var) *Var { return g.Concat(0, in...) }},
		{"Stack", "Stack", ins(u(2, 3), u(2, 3)), func(g *Graph, in []*Var) *Var { return g.Stack(1, in...) }},
		{"Split", "Split", ins(u(2, 5)), un(func(g *Graph, x *Var) *Var {
			p := g.Split(x, 1, 2, 3)
			return g.Concat(1, g.Exp(p[1]), p[0])
		})},
		{"IndexSelect/repeated", "IndexSelect", ins(u(4, 3)), un(func(g *Graph, x *Var) *Var { return g.IndexSelect(x, []int{2, 0, 2, 3}) })},
		{"Where", "Where", ins(u(2, 3), u(3)), func(g *Graph, in []*Var) *Var {
			return g.Where(tensor.New([]float32{1, 0, 1, 0, 0, 1}, 2, 3), in[0], in[1])
		}},
		{"Where/broadcast-both", "Where", ins(u(3), u()), func(g *Graph, in []*Var) *Var {
			return g.Where(tensor.New([]float32{1, 0, 1, 0, 0, 1}, 2, 3), in[0], in[1])
		}},
		{"MaskedFill/causal", "MaskedFill", ins(u(2, 3, 3)), un(func(g *Graph, x *Var) *Var { return g.MaskedFill(x, causal, -3) })},

		{"MatMul/2d", "MatMul", ins(u(3, 4), u(4, 5)), bin((*Graph).MatMul)},
		{"MatMul/batched", "MatMul", ins(u(2, 3, 4), u(2, 4, 2)), bin((*Graph).MatMul)},
		{"MatMul/batch-by-2d", "MatMul", ins(u(2, 3, 4), u(4, 2)), bin((*Graph).MatMul)},
		{"MatMul/2d-by-batch", "MatMul", ins(u(3, 4), u(2, 4, 2)), bin((*Graph).MatMul)},
		{"MatMul/broadcast-batch", "MatMul", ins(u(2, 1, 2, 3), u(1, 3, 3, 2)), bin((*Graph).MatMul)},
		{"MatMul/A*A", "MatMul", ins(u(3, 3)), un(func(g *Graph, x *Var) *Var { return g.MatMul(x, x) })},
		{"MatMulNT/2d", "MatMulNT", ins(u(3, 4), u(5, 4)), bin((*Graph).MatMulNT)},
		{"MatMulNT/batch-by-2d", "MatMulNT", ins(u(2, 3, 4), u(5, 4)), bin((*Graph).MatMulNT)},
		{"MatMulNT/batched", "MatMulNT", ins(u(2, 3, 4), u(2, 2, 4)), bin((*Graph).MatMulNT)},
		{"MatMulNT/x*xT", "MatMulNT", ins(u(3, 4)), un(func(g *Graph, x *Var) *Var { return g.MatMulNT(x, x) })},
		{"MatMulTN/2d", "MatMulTN", ins(u(4, 3), u(4, 5)), bin((*Graph).MatMulTN)},
		{"MatMulTN/batched", "MatMulTN", ins(u(2, 4, 3), u(2, 4, 2)), bin((*Graph).MatMulTN)},
		{"MatMulTN/batch-by-2d", "MatMulTN", ins(u(2, 4, 3), u(4, 2)), bin((*Graph).MatMulTN)},

		{"Softmax/last", "Softmax", ins(u(3, 4)), un(func(g *Graph, x *Var) *Var { return g.Softmax(x, -1) })},
		{"Softmax/axis0", "Softmax", ins(u(3, 2, 2)), un(func(g *Graph, x *Var) *Var { return g.Softmax(x, 0) })},
		{"LogSoftmax/last", "LogSoftmax", ins(u(3, 4)), un(func(g *Graph, x *Var) *Var { return g.LogSoftmax(x, -1) })},
		{"LogSoftmax/middle", "LogSoftmax", ins(u(2, 3, 2)), un(func(g *Graph, x *Var) *Var { return g.LogSoftmax(x, 1) })},
		{"ReLU", "ReLU", ins(func(r *rand.Rand) *Var { return away(r, -2, 2, []float32{0}, 3, 4) }), un((*Graph).ReLU)},
		{"GELU", "GELU", ins(func(r *rand.Rand) *Var { return uni(r, -3, 3, 3, 4) }), un((*Graph).GELU)},
		{"GELUTanh", "GELUTanh", ins(func(r *rand.Rand) *Var { return uni(r, -3, 3, 3, 4) }), un((*Graph).GELUTanh)},
		{"SiLU", "SiLU", ins(func(r *rand.Rand) *Var { return uni(r, -3, 3, 3, 4) }), un((*Graph).SiLU)},
		{"Sigmoid", "Sigmoid", ins(func(r *rand.Rand) *Var { return uni(r, -3, 3, 3, 4) }), un((*Graph).Sigmoid)},
		{"Tanh", "Tanh", ins(func(r *rand.Rand) *Var { return uni(r, -2, 2, 3, 4) }), un((*Graph).Tanh)},
	}...)
	return cs
}

const (
	gradEps = 1e-2
	gradTol = 1e-2
)

func TestOpGradients(t *testing.T) {
	worst := 0.0
	for i, c := range opTable() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			in := c.in(rng)
			// A constant operand must still be handled: check once with
			// every input trainable and once with the first one frozen.
			res := GradCheck(c.f, in, uint64(i), gradEps)
			if res.MaxErr > gradTol {
				t.Errorf("%s: %v", c.name, res)
			}
			worst = max(worst, res.MaxErr)
			if len(in) > 1 {
				in[0].SetRequiresGrad(false)
				if res := GradCheck(c.f, in, uint64(i), gradEps); res.MaxErr > gradTol {
					t.Errorf("%s with input 0 frozen: %v", c.name, res)
				}
				if in[0].Grad != nil {
					t.Errorf("%s: frozen input received a gradient", c.name)
				}
			}
		})
	}
	t.Logf("op table: %d cases, worst gradient-check error %.3g", len(opTable()), worst)
}

// TestGradCheckCatchesBrokenBackward registers ops whose backward is wrong on
// purpose; the checker must report a large error at the tolerance above.
func TestGradCheckCatchesBrokenBackward(t *testing.T) {
	broken := map[string]func(gout *tensor.Tensor, x *Var){
		"doubled": func(gout *tensor.Tensor, x *Var) {
			x.AddGrad(tensor.Scale(tensor.Mul(gout, tensor.Scale(x.Value, 2)), 2))
		},
		"wrong sign": func(gout *tensor.Tensor, x *Var) {
			x.AddGrad(tensor.Neg(tensor.Mul(gout, tensor.Scale(x.Value, 2))))
		},
		"missing": func(gout *tensor.Tensor, x *Var) {},
		"one element off": func(gout *tensor.Tensor, x *Var) {
			gx := tensor.Mul(gout, tensor.Scale(x.Value, 2))
			gx.Data[3] *= 1.1
			x.AddGrad(gx)
		},
	}
	for name, back := range broken {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 5))
			x := uni(rng, 0.5, 1.5, 2, 3)
			square := func(g *Graph, in []*Var) *Var {
				x := in[0]
				return g.Record("BrokenSquare", tensor.Mul(x.Value, x.Value), in, func(gout *tensor.Tensor) { back(gout, x) })
			}
			res := GradCheck(square, []*Var{x}, 1, gradEps)
			if res.MaxErr < 5*gradTol {
				t.Errorf("broken backward passed the gradient check: %v", res)
			}
		})
	}
}

// nonOps are the exported Graph methods that return a Var but are not
// differentiable ops of this file set; fusedPrefixes are the fused ops
// checked by fused_test.go.
var (
	nonOps        = map[string]bool{"Record": true}
	fusedPrefixes = []string{"CrossEntropy", "LayerNorm", "RMSNorm", "Embedding", "Attention", "Linear"}
)

// TestOpTableCoversEveryOp fails when a Graph method returning a *Var is
// added without a row in the op table.
func TestOpTableCoversEveryOp(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range opTable() {
		covered[c.op] = true
	}
	varType := reflect.TypeFor[*Var]()
	gt := reflect.TypeFor[*Graph]()
	count := 0
	for i := 0; i < gt.NumMethod(); i++ {
		m := gt.Method(i)
		returnsVar := false
		for j := 0; j < m.Type.NumOut(); j++ {
			o := m.Type.Out(j)
			if o == varType || (o.Kind() == reflect.Slice && o.Elem() == varType) {
				returnsVar = true
			}
		}
		if !returnsVar || nonOps[m.Name] || hasAnyPrefix(m.Name, fusedPrefixes) {
			continue
		}
		count++
		if !covered[m.Name] {
			t.Errorf("Graph.%s returns a *Var but has no row in opTable", m.Name)
		}
	}
	for op := range covered {
		if _, ok := gt.MethodByName(op); !ok {
			t.Errorf("opTable names %q, which is not a Graph method", op)
		}
	}
	if count < 30 {
		t.Errorf("only %d ops found by reflection; the method scan is broken", count)
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
