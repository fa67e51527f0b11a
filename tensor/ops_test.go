package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// approx reports whether got has shape and values want (within tol).
func approx(t *testing.T, name string, got *Tensor, shape []int, want []float32, tol float64) {
	t.Helper()
	if !SameShape(got.Shape, shape) {
		t.Fatalf("%s: shape %v, want %v", name, got.Shape, shape)
	}
	if len(got.Data) != len(want) {
		t.Fatalf("%s: %d elements, want %d", name, len(got.Data), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got.Data[i] - want[i])); d > tol || math.IsNaN(float64(got.Data[i])) {
			t.Fatalf("%s: element %d = %v, want %v (all: %v)", name, i, got.Data[i], want[i], got.Data)
		}
	}
}

func seq(shape ...int) *Tensor { // 1, 2, 3, …
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(i + 1)
	}
	return t
}

func TestConstructorsAndAccess(t *testing.T) {
	approx(t, "Arange", Arange(0, 5, 1), []int{5}, []float32{0, 1, 2, 3, 4}, 0)
	approx(t, "Arange step", Arange(1, 2, 0.25), []int{4}, []float32{1, 1.25, 1.5, 1.75}, 0)
	approx(t, "Arange down", Arange(3, 0, -1), []int{3}, []float32{3, 2, 1}, 0)
	approx(t, "Arange empty", Arange(3, 0, 1), []int{0}, []float32{}, 0)
	approx(t, "Scalar", Scalar(2), []int{}, []float32{2}, 0)

	x := seq(2, 3, 4)
	if got := x.At(1, 2, 3); got != 24 {
		t.Fatalf("At(1,2,3) = %v, want 24", got)
	}
	x.Set(-1, 0, 1, 2)
	if x.Data[6] != -1 {
		t.Fatalf("Set wrote the wrong element: %v", x.Data)
	}
	r := x.Reshape(4, -1)
	if !SameShape(r.Shape, []int{4, 6}) || &r.Data[0] != &x.Data[0] {
		t.Fatalf("Reshape(4, -1) = %v, must share data", r.Shape)
	}

	r1 := rand.New(rand.NewPCG(1, 2))
	r2 := rand.New(rand.NewPCG(1, 2))
	a, b := Randn(r1, 0.02, 100), Randn(r2, 0.02, 100)
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatal("Randn is not reproducible from the same seed")
		}
	}
	var s2 float64
	for _, v := range Randn(r1, 0.5, 4000).Data {
		s2 += float64(v) * float64(v)
	}
	if sd := math.Sqrt(s2 / 4000); sd < 0.45 || sd > 0.55 {
		t.Fatalf("Randn std %v, want ≈0.5", sd)
	}
	for _, v := range Uniform(r1, -2, 3, 1000).Data {
		if v < -2 || v >= 3 {
			t.Fatalf("Uniform value %v outside [-2, 3)", v)
		}
	}
}

func TestBroadcast(t *testing.T) {
	m := seq(2, 3) // [[1 2 3] [4 5 6]]
	cases := []struct {
		name  string
		got   *Tensor
		shape []int
		want  []float32
	}{
		{"same", Add(m, m), []int{2, 3}, []float32{2, 4, 6, 8, 10, 12}},
		{"scalar", Mul(m, Scalar(2)), []int{2, 3}, []float32{2, 4, 6, 8, 10, 12}},
		{"scalar lhs", Sub(Scalar(10), m), []int{2, 3}, []float32{9, 8, 7, 6, 5, 4}},
		{"row", Add(m, New([]float32{10, 20, 30}, 3)), []int{2, 3}, []float32{11, 22, 33, 14, 25, 36}},
		{"column", Sub(m, New([]float32{1, 4}, 2, 1)), []int{2, 3}, []float32{0, 1, 2, 0, 1, 2}},
		{"outer", Mul(New([]float32{1, 2}, 2, 1), New([]float32{1, 10, 100}, 1, 3)), []int{2, 3}, []float32{1, 10, 100, 2, 20, 200}},
		{"batch", Add(Zeros(2, 2, 3), m), []int{2, 2, 3}, []float32{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}},
		{"div", Div(m, New([]float32{1, 2, 4}, 3)), []int{2, 3}, []float32{1, 1, 0.75, 4, 2.5, 1.5}},
	}
	for _, c := range cases {
		approx(t, c.name, c.got, c.shape, c.want, 0)
	}
	if s := BroadcastShapes([]int{5, 1, 4}, []int{3, 1}, []int{}); !SameShape(s, []int{5, 3, 4}) {
		t.Fatalf("BroadcastShapes = %v, want [5 3 4]", s)
	}
}

func TestSumToIsAdjointOfBroadcast(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	full := []int{2, 3, 4}
	for _, shape := range [][]int{{2, 3, 4}, {4}, {3, 1}, {1, 1, 4}, {2, 1, 1}, {}, {1, 3, 4}} {
		// ⟨broadcast(x), y⟩ = ⟨x, SumTo(y)⟩ for every x, y.
		x := Randn(rng, 1, shape...)
		y := Randn(rng, 1, full...)
		lhs := SumAll(Mul(Add(Zeros(full...), x), y))
		rhs := SumAll(Mul(x, SumTo(y, shape)))
		if math.Abs(float64(lhs-rhs)) > 1e-4 {
			t.Fatalf("shape %v: ⟨bx, y⟩ = %v, ⟨x, SumTo y⟩ = %v", shape, lhs, rhs)
		}
	}
}

func TestUnary(t *testing.T) {
	x := New([]float32{-2, -0.5, 0, 1, 4}, 5)
	inv := func(f func(float64) float64) []float32 {
		out := make([]float32, 5)
		for i, v := range x.Data {
			out[i] = float32(f(float64(v)))
		}
		return out
	}
	cases := []struct {
		name string
		got  *Tensor
		want []float32
	}{
		{"Neg", Neg(x), []float32{2, 0.5, 0, -1, -4}},
		{"Scale", Scale(x, 2), []float32{-4, -1, 0, 2, 8}},
		{"AddScalar", AddScalar(x, 1), []float32{-1, 0.5, 1, 2, 5}},
		{"Pow2", Pow(x, 2), []float32{4, 0.25, 0, 1, 16}},
		{"Pow3", Pow(x, 3), []float32{-8, -0.125, 0, 1, 64}},
		{"Abs", Abs(x), []float32{2, 0.5, 0, 1, 4}},
		{"Clamp", Clamp(x, -1, 2), []float32{-1, -0.5, 0, 1, 2}},
		{"Exp", Exp(x), inv(math.Exp)},
		{"Tanh", Tanh(x), inv(math.Tanh)},
		{"ReLU", ReLU(x), []float32{0, 0, 0, 1, 4}},
		{"Sigmoid", Sigmoid(x), inv(func(v float64) float64 { return 1 / (1 + math.Exp(-v)) })},
		{"SiLU", SiLU(x), inv(func(v float64) float64 { return v / (1 + math.Exp(-v)) })},
		// Reference values: the two GELU formulas evaluated in float64 (Python math.erf, math.tanh).
		{"GELU", GELU(x), []float32{-0.04550027, -0.15426877, 0, 0.8413447, 3.9998734}},
		{"GELUTanh", GELUTanh(x), []float32{-0.04540231, -0.15428599, 0, 0.8411920, 3.9999297}},
	}
	for _, c := range cases {
		approx(t, c.name, c.got, []int{5}, c.want, 1e-6)
	}
	p := New([]float32{0.25, 1, 4}, 3)
	approx(t, "Sqrt", Sqrt(p), []int{3}, []float32{0.5, 1, 2}, 1e-7)
	approx(t, "Log", Log(p), []int{3}, []float32{float32(math.Log(0.25)), 0, float32(math.Log(4))}, 1e-7)
	approx(t, "Pow0.5", Pow(p, 0.5), []int{3}, []float32{0.5, 1, 2}, 1e-7)
	approx(t, "Sigmoid extreme", Sigmoid(New([]float32{-200, 200}, 2)), []int{2}, []float32{0, 1}, 0)
}

func TestReductions(t *testing.T) {
	x := New([]float32{
		1, 5, 3,
		4, 2, 6,
	}, 2, 3)
	cases := []struct {
		name  string
		got   *Tensor
		shape []int
		want  []float32
	}{
		{"Sum0", Sum(x, 0, false), []int{3}, []float32{5, 7, 9}},
		{"Sum1 keepdim", Sum(x, 1, true), []int{2, 1}, []float32{9, 12}},
		{"Sum-1", Sum(x, -1, false), []int{2}, []float32{9, 12}},
		{"Mean0", Mean(x, 0, true), []int{1, 3}, []float32{2.5, 3.5, 4.5}},
		{"Max1", Max(x, 1, false), []int{2}, []float32{5, 6}},
		{"Max0", Max(x, 0, false), []int{3}, []float32{4, 5, 6}},
		{"Var1", Var(x, 1, false), []int{2}, []float32{8.0 / 3, 8.0 / 3}},
		{"Var0", Var(x, 0, false), []int{3}, []float32{2.25, 2.25, 2.25}},
	}
	for _, c := range cases {
		approx(t, c.name, c.got, c.shape, c.want, 1e-6)
	}
	if got := Argmax(x, 1); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("Argmax axis 1 = %v, want [1 2]", got)
	}
	if got := Argmax(New([]float32{3, 3, 1}, 3), 0); fmt.Sprint(got) != "[0]" {
		t.Fatalf("Argmax ties = %v, want the first [0]", got)
	}
	y := seq(2, 3, 4)
	approx(t, "Sum middle", Sum(y, 1, false), []int{2, 4}, []float32{15, 18, 21, 24, 51, 54, 57, 60}, 0)
	if s := SumAll(y); s != 300 {
		t.Fatalf("SumAll = %v, want 300", s)
	}
	if m := MeanAll(y); m != 12.5 {
		t.Fatalf("MeanAll = %v, want 12.5", m)
	}
}

func TestSoftmax(t *testing.T) {
	x := New([]float32{1, 2, 3, 1000, 1000, 1000}, 2, 3)
	s := Softmax(x, -1)
	approx(t, "Softmax", s, []int{2, 3}, []float32{0.09003057, 0.24472847, 0.66524096, 1. / 3, 1. / 3, 1. / 3}, 1e-6)
	ls := LogSoftmax(x, 1)
	approx(t, "LogSoftmax", ls, []int{2, 3},
		[]float32{-2.4076059, -1.4076059, -0.40760596, -1.0986123, -1.0986123, -1.0986123}, 1e-6)
	// Axis 0 of the transpose equals axis 1 of the original.
	approx(t, "Softmax axis0", Transpose(Softmax(Transpose(x, 0, 1), 0), 0, 1), []int{2, 3}, s.Data, 1e-7)
	big := Scale(seq(4, 5), 50)
	for _, v := range LogSoftmax(big, -1).Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("LogSoftmax overflowed on large inputs")
		}
	}
}

func TestShapeOps(t *testing.T) {
	x := seq(2, 3) // [[1 2 3] [4 5 6]]
	approx(t, "Transpose", Transpose(x, 0, 1), []int{3, 2}, []float32{1, 4, 2, 5, 3, 6}, 0)
	y := seq(2, 3, 4)
	p := Permute(y, 2, 0, 1)
	if !SameShape(p.Shape, []int{4, 2, 3}) || p.At(3, 1, 2) != y.At(1, 2, 3) || p.At(1, 0, 2) != y.At(0, 2, 1) {
		t.Fatalf("Permute(2,0,1) wrong: %v", p)
	}
	approx(t, "Permute back", Permute(p, 1, 2, 0), []int{2, 3, 4}, y.Data, 0)
	approx(t, "Slice axis1", Slice(x, 1, 1, 3), []int{2, 2}, []float32{2, 3, 5, 6}, 0)
	approx(t, "Slice axis0", Slice(x, 0, 1, 2), []int{1, 3}, []float32{4, 5, 6}, 0)
	approx(t, "Slice empty", Slice(x, -1, 2, 2), []int{2, 0}, []float32{}, 0)
	approx(t, "Concat axis1", Concat(1, x, New([]float32{7, 8}, 2, 1)), []int{2, 4}, []float32{1, 2, 3, 7, 4, 5, 6, 8}, 0)
	approx(t, "Concat axis0", Concat(0, x, x), []int{4, 3}, []float32{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, 0)
	approx(t, "Stack axis0", Stack(0, x, x), []int{2, 2, 3}, []float32{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, 0)
	approx(t, "Stack last", Stack(-1, x, Scale(x, 10)), []int{2, 3, 2}, []float32{1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60}, 0)
	parts := Split(y, 2, 1, 3)
	approx(t, "Split round trip", Concat(2, parts...), []int{2, 3, 4}, y.Data, 0)
	approx(t, "Split first", parts[0], []int{2, 3, 1}, []float32{1, 5, 9, 13, 17, 21}, 0)

	emb := seq(4, 2)
	ids := []int{3, 0, 3}
	approx(t, "IndexSelect", IndexSelect(emb, ids), []int{3, 2}, []float32{7, 8, 1, 2, 7, 8}, 0)
	acc := Zeros(4, 2)
	ScatterAdd(acc, ids, Ones(3, 2))
	approx(t, "ScatterAdd", acc, []int{4, 2}, []float32{1, 1, 0, 0, 0, 0, 2, 2}, 0)
	approx(t, "Gather", Gather(x, []int{2, 0}), []int{2}, []float32{3, 4}, 0)

	mask := New([]float32{1, 0, 1}, 3)
	approx(t, "Where", Where(mask, x, Scalar(-1)), []int{2, 3}, []float32{1, -1, 3, 4, -1, 6}, 0)
	approx(t, "MaskedFill", MaskedFill(x, New([]float32{0, 1}, 2, 1), 9), []int{2, 3}, []float32{1, 2, 3, 9, 9, 9}, 0)
	approx(t, "Tril", Tril(3, 3, 0), []int{3, 3}, []float32{1, 0, 0, 1, 1, 0, 1, 1, 1}, 0)
	approx(t, "Triu k=1", Triu(2, 3, 1), []int{2, 3}, []float32{0, 1, 1, 0, 0, 1}, 0)
	approx(t, "Tril k=-1", Tril(3, 2, -1), []int{3, 2}, []float32{0, 0, 1, 0, 1, 1}, 0)
}

// naiveMatMul multiplies the batched matrices with plain index arithmetic.
func naiveMatMul(a, b *Tensor, tA, tB bool) *Tensor {
	ra, ca := a.Shape[len(a.Shape)-2], a.Shape[len(a.Shape)-1]
	rb, cb := b.Shape[len(b.Shape)-2], b.Shape[len(b.Shape)-1]
	lead := BroadcastShapes(a.Shape[:len(a.Shape)-2], b.Shape[:len(b.Shape)-2])
	m, k, n := ra, ca, cb
	if tA {
		m, k = ca, ra
	}
	if tB {
		n = rb
	}
	out := Zeros(append(append([]int(nil), lead...), m, n)...)
	ea := Add(Zeros(append(append([]int(nil), lead...), ra, ca)...), a)
	eb := Add(Zeros(append(append([]int(nil), lead...), rb, cb)...), b)
	for bt := 0; bt < Numel(lead); bt++ {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					var av, bv float32
					if tA {
						av = ea.Data[bt*ra*ca+p*ca+i]
					} else {
						av = ea.Data[bt*ra*ca+i*ca+p]
					}
					if tB {
						bv = eb.Data[bt*rb*cb+j*cb+p]
					} else {
						bv = eb.Data[bt*rb*cb+p*cb+j]
					}
					s += float64(av) * float64(bv)
				}
				out.Data[(bt*m+i)*n+j] = float32(s)
			}
		}
	}
	return out
}

func TestMatMulLayoutsAndBatching(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	type shp = []int
	cases := []struct {
		name   string
		a, b   shp
		tA, tB bool
	}{
		{"2d", shp{3, 4}, shp{4, 5}, false, false},
		{"batched", shp{2, 3, 4}, shp{2, 4, 5}, false, false},
		{"batch by 2d", shp{2, 3, 4}, shp{4, 5}, false, false},
		{"2d by batch", shp{3, 4}, shp{2, 4, 5}, false, false},
		{"broadcast", shp{2, 1, 3, 4}, shp{3, 4, 2}, false, false},
		{"NT 2d", shp{3, 4}, shp{5, 4}, false, true},
		{"NT batch by 2d", shp{2, 3, 4}, shp{5, 4}, false, true},
		{"NT batched", shp{2, 2, 3, 4}, shp{2, 2, 5, 4}, false, true},
		{"TN 2d", shp{4, 3}, shp{4, 5}, true, false},
		{"TN batched", shp{2, 4, 3}, shp{2, 4, 5}, true, false},
		{"TN batch by 2d", shp{2, 4, 3}, shp{4, 5}, true, false},
		{"empty k", shp{3, 0}, shp{0, 2}, false, false},
		{"empty batch", shp{0, 3, 4}, shp{4, 2}, false, false},
	}
	for _, c := range cases {
		a, b := Randn(rng, 1, c.a...), Randn(rng, 1, c.b...)
		var got *Tensor
		switch {
		case c.tA:
			got = MatMulTN(a, b)
		case c.tB:
			got = MatMulNT(a, b)
		default:
			got = MatMul(a, b)
		}
		want := naiveMatMul(a, b, c.tA, c.tB)
		approx(t, c.name, got, want.Shape, want.Data, 1e-5)
	}
	// Into with accumulate adds to what is there.
	a, b := Randn(rng, 1, 3, 4), Randn(rng, 1, 4, 2)
	dst := Ones(3, 2)
	MatMulInto(dst, a, b, true)
	approx(t, "MatMulInto accumulate", dst, []int{3, 2}, AddScalar(MatMul(a, b), 1).Data, 1e-5)
	MatMulInto(dst, a, b, false)
	approx(t, "MatMulInto overwrite", dst, []int{3, 2}, MatMul(a, b).Data, 0)
	dstNT := Full(2, 3, 3)
	MatMulNTInto(dstNT, a, a, true)
	approx(t, "MatMulNTInto", dstNT, []int{3, 3}, AddScalar(MatMulNT(a, a), 2).Data, 1e-5)
	dstTN := Zeros(2, 2)
	MatMulTNInto(dstTN, b, b, false)
	approx(t, "MatMulTNInto", dstTN, []int{2, 2}, naiveMatMul(b, b, true, false).Data, 1e-5)
}

func TestShapeErrorsPanicWithOpAndShapes(t *testing.T) {
	a, b := Zeros(2, 3), Zeros(4, 5)
	cases := map[string]func(){
		"Add":         func() { Add(a, b) },
		"MatMul":      func() { MatMul(a, b) },
		"MatMulNT":    func() { MatMulNT(a, b) },
		"MatMulTN":    func() { MatMulTN(a, b) },
		"MatMulInto":  func() { MatMulInto(Zeros(2, 2), a, Zeros(3, 5), false) },
		"Reshape":     func() { a.Reshape(4, -1) },
		"Concat":      func() { Concat(0, a, b) },
		"Stack":       func() { Stack(0, a, b) },
		"Split":       func() { Split(a, 1, 2, 2) },
		"Slice":       func() { Slice(a, 1, 2, 4) },
		"Permute":     func() { Permute(a, 0, 0) },
		"Sum":         func() { Sum(a, 2, false) },
		"SumTo":       func() { SumTo(a, []int{2, 2}) },
		"IndexSelect": func() { IndexSelect(a, []int{2}) },
		"ScatterAdd":  func() { ScatterAdd(a, []int{0}, Zeros(1, 2)) },
		"MaskedFill":  func() { MaskedFill(a, Zeros(3, 3), 0) },
		"At":          func() { a.At(2, 0) },
		"Gemm":        func() { Gemm(false, false, 2, 2, 2, a.Data[:3], 2, a.Data, 2, a.Data, 2, false) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "tensor."+name) {
					t.Fatalf("panic %q does not name tensor.%s", msg, name)
				}
			}()
			f()
		})
	}
}

func ExampleMatMulNT() {
	x := New([]float32{1, 2, 3, 4}, 2, 2)       // two tokens, two features
	w := New([]float32{1, 0, 0, 1, 1, 1}, 3, 2) // Linear weight stored (out=3, in=2)
	fmt.Println(MatMulNT(x, w))                 // x·Wᵀ
	// Output: Tensor[2 3] [1.0000 2.0000 3.0000 3.0000 4.0000 7.0000]
}

func ExampleSoftmax() {
	logits := New([]float32{1, 2, 3, 0, 0, 0}, 2, 3)
	fmt.Println(Softmax(logits, -1))
	// Output: Tensor[2 3] [0.0900 0.2447 0.6652 0.3333 0.3333 0.3333]
}

func ExampleAdd() {
	x := New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	bias := New([]float32{10, 20, 30}, 3)
	fmt.Println(Add(x, bias)) // the bias broadcasts over rows
	// Output: Tensor[2 3] [11.0000 22.0000 33.0000 14.0000 25.0000 36.0000]
}

// TestParallelRowsMatchIndexing checks the row-parallel broadcast and
// permute paths (sizes above elementwiseParallelMin) element by element
// against direct index arithmetic, on 1 and 3 cores.
func TestParallelRowsMatchIndexing(t *testing.T) {
	const A, B, C, D = 3, 37, 29, 41 // 131,979 elements, odd sizes
	x := New(make([]float32, A*B*C*D), A, B, C, D)
	for i := range x.Data {
		x.Data[i] = float32(i%1013) - 500
	}
	y := New(make([]float32, B*1*D), B, 1, D)
	for i := range y.Data {
		y.Data[i] = float32(i%17) * 0.5
	}
	for _, procs := range []int{1, 3} {
		prev := runtime.GOMAXPROCS(procs)
		p := Permute(x, 2, 0, 3, 1) // [C, A, D, B]
		s := Add(x, y)
		runtime.GOMAXPROCS(prev)
		for a := range A {
			for b := range B {
				for c := range C {
					for d := range D {
						v := x.Data[((a*B+b)*C+c)*D+d]
						if got := p.Data[((c*A+a)*D+d)*B+b]; got != v {
							t.Fatalf("procs %d: Permute[%d,%d,%d,%d] = %g, want %g", procs, c, a, d, b, got, v)
						}
						if got, want := s.Data[((a*B+b)*C+c)*D+d], v+y.Data[b*D+d]; got != want {
							t.Fatalf("procs %d: Add[%d,%d,%d,%d] = %g, want %g", procs, a, b, c, d, got, want)
						}
					}
				}
			}
		}
	}
}
