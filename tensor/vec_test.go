package tensor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// ulps is the distance between a and b in units in the last place.
func ulps(a, b float32) int64 {
	ia, ib := int64(int32(math.Float32bits(a))), int64(int32(math.Float32bits(b)))
	if ia < 0 {
		ia = math.MinInt32 - ia
	}
	if ib < 0 {
		ib = math.MinInt32 - ib
	}
	if ia > ib {
		return ia - ib
	}
	return ib - ia
}

// expInputs returns n random inputs over ExpTo's range, plus the special
// and boundary values.
func expInputs(rng *rand.Rand, n int) []float32 {
	inf := float32(math.Inf(1))
	xs := []float32{0, -0, 1, -1, 0.5, -0.5, 88.7, 88.72283, 88.73, 89, -87.3, -87.4, -100, -103.9, -104, -150,
		inf, -inf, float32(math.NaN()), 1e-8, -1e-8, 20, -20, 0.34657359, -0.34657359}
	for len(xs) < n {
		xs = append(xs, float32(rng.Float64()*200-105))
	}
	return xs
}

func TestExp32MatchesMathExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	worst := int64(0)
	for _, x := range expInputs(rng, 20000) {
		got := exp32(x)
		want := float32(math.Exp(float64(x)))
		if x != x {
			if got == got {
				t.Fatalf("exp32(NaN) = %v", got)
			}
			continue
		}
		if x < expLo || x > expHi || want < 0x1p-126 { // limits and subnormals: absolute error
			if math.Abs(float64(got-want)) > 0x1p-149*4 && !(math.IsInf(float64(want), 1) && math.IsInf(float64(got), 1)) {
				t.Fatalf("exp32(%v) = %v, want %v", x, got, want)
			}
			continue
		}
		if u := ulps(got, want); u > worst {
			worst = u
		}
		if u := ulps(got, want); u > 2 {
			t.Fatalf("exp32(%v) = %v, math.Exp %v: %d ulps", x, got, want, u)
		}
	}
	t.Logf("worst error %d ulps", worst)
}

// TestExpToMatchesLoops checks the vector ExpTo against the one-element
// reference on all lengths up to a few vectors (the tail path) and in place.
func TestExpToMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	xs := expInputs(rng, 4000)
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 33, len(xs)} {
		x := xs[len(xs)-n:]
		got, want := make([]float32, n), make([]float32, n)
		ExpTo(got, x)
		expToLoops(want, x)
		for i := range got {
			// The reference emulates float32 FMA through float64, which can
			// round twice: allow 1 ulp.
			if !(got[i] != got[i] && want[i] != want[i]) && ulps(got[i], want[i]) > 1 {
				t.Fatalf("n=%d: ExpTo(%v) = %v, reference %v", n, x[i], got[i], want[i])
			}
		}
		inPlace := append([]float32(nil), x...)
		ExpTo(inPlace, inPlace)
		same(t, "ExpTo in place", New(got, n), New(inPlace, n))
	}
}

func TestAddToMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 100, 1000} {
		d0, s := Randn(rng, 1, n), Randn(rng, 1, n)
		got, want := d0.Clone(), d0.Clone()
		AddTo(got.Data, s.Data)
		addToLoops(want.Data, s.Data)
		same(t, "AddTo", want, got)
		if n > 0 && got.Data[n-1] == d0.Data[n-1] && s.Data[n-1] != 0 {
			t.Fatalf("n=%d: AddTo left the last element unchanged", n)
		}
	}
}

func TestVecLengthMismatchPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"AddTo": func() { AddTo(make([]float32, 3), make([]float32, 4)) },
		"ExpTo": func() { ExpTo(make([]float32, 3), make([]float32, 2)) },
		"Dot":   func() { Dot(make([]float32, 3), make([]float32, 2)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s accepted different lengths", name)
				}
			}()
			f()
		}()
	}
}

func FuzzExpTo(f *testing.F) {
	f.Add(float32(0), float32(1), float32(-1))
	f.Add(float32(88.72), float32(-103.9), float32(-87.35))
	f.Fuzz(func(t *testing.T, a, b, c float32) {
		x := []float32{a, b, c, a * 0.5, b * 0.5, c * 0.5, -a, -b, -c}
		got := make([]float32, len(x))
		ExpTo(got, x)
		for i, v := range x {
			want := exp32(v)
			if !(got[i] != got[i] && want != want) && ulps(got[i], want) > 1 {
				t.Fatalf("ExpTo(%v) = %v, reference %v", v, got[i], want)
			}
		}
	})
}

func BenchmarkExpTo(b *testing.B) {
	x := Randn(rand.New(rand.NewPCG(1, 1)), 3, 4096).Data
	dst := make([]float32, len(x))
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			ExpTo(dst, x)
		}
	})
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				dst[i] = float32(math.Exp(float64(v)))
			}
		}
	})
}

// TestElementwiseDeterministicAcrossGOMAXPROCS runs the element-wise
// kernels on inputs long enough to be split across goroutines and checks
// the results are bit-identical for 1, 2 and 4 procs.
func TestElementwiseDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	n := 3*elementwiseParallelMin + 5
	a, b := Randn(rng, 2, n), Randn(rng, 2, n)
	run := func(procs int) []*Tensor {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		sum := a.Clone()
		AddTo(sum.Data, b.Data)
		y, dx := ZerosLike(a), ZerosLike(a)
		GELUTanhTo(y.Data, a.Data)
		GELUTanhGradTo(dx.Data, a.Data, b.Data)
		return []*Tensor{sum, y, dx, Mul(a, b)}
	}
	one, two, four := run(1), run(2), run(4)
	for i := range one {
		same(t, "element-wise kernel", one[i], two[i], four[i])
	}
	want := make([]float32, n)
	for i := range want {
		want[i] = a.Data[i] + b.Data[i]
	}
	same(t, "AddTo vs loop", New(want, n), four[0])
}

// TestDotMatchesFloat64 compares Dot with a float64 sum on lengths around
// the vector width and unrolling, relative to Σ|x||y|.
func TestDotMatchesFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, n := range []int{0, 1, 7, 8, 31, 32, 33, 63, 64, 65, 100, 1000} {
		x, y := Randn(rng, 1, n).Data, Randn(rng, 1, n).Data
		var want, scale float64
		for i := range x {
			want += float64(x[i]) * float64(y[i])
			scale += math.Abs(float64(x[i]) * float64(y[i]))
		}
		got := Dot(x, y)
		if e := math.Abs(float64(got) - want); e > 1e-6*(scale+1) {
			t.Fatalf("n=%d: Dot = %v, want %v", n, got, want)
		}
		if got2 := Dot(x, y); math.Float32bits(got2) != math.Float32bits(got) {
			t.Fatalf("n=%d: Dot not repeatable: %v then %v", n, got, got2)
		}
	}
}

// TestShortKernelsDoNotAllocate: short element-wise calls (per-head
// gradient rows, say) must not pay for a closure on the heap.
func TestShortKernelsDoNotAllocate(t *testing.T) {
	x, y := make([]float32, 100), make([]float32, 100)
	if n := testing.AllocsPerRun(20, func() {
		AddTo(x, y)
		ExpTo(x, y)
		GELUTanhTo(x, y)
		GELUTanhGradTo(x, y, y)
		_ = Dot(x, y)
	}); n != 0 {
		t.Fatalf("short element-wise kernels allocated %v times", n)
	}
}

// TestAddRowsMatchesLoops checks the vector column sums against the plain
// loops, bit for bit, around the 8- and 64-column blocks, with padded rows
// whose padding must not be read into dst.
func TestAddRowsMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 72, 130} {
		for _, rows := range []int{0, 1, 5, 100} {
			ld := n + 3
			m := Randn(rng, 1, max(1, rows*ld)).Data
			d0 := Randn(rng, 1, max(1, n)).Data[:n]
			got, want := append([]float32(nil), d0...), append([]float32(nil), d0...)
			AddRows(got, m, rows, ld)
			addRowsLoops(want, m, rows, ld)
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("n=%d rows=%d: dst[%d] = %v, loops give %v", n, rows, j, got[j], want[j])
				}
			}
			if rows > 0 && n > 0 {
				var s float32 = d0[0]
				for i := range rows {
					s += m[i*ld]
				}
				if got[0] != s {
					t.Fatalf("n=%d rows=%d: dst[0] = %v, want %v", n, rows, got[0], s)
				}
			}
		}
	}
}
