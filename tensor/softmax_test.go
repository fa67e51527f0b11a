package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// softmaxLengths covers every tail length, whole blocks, and the row
// lengths of attention.
var softmaxLengths = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 23, 24, 31, 33, 63, 64, 65, 127, 128, 129, 300, 512}

// softmaxRow returns n scores: mostly N(0, 3²), with a sprinkling of −Inf
// (masked keys), zeros and large values.
func softmaxRow(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for j := range x {
		switch rng.IntN(20) {
		case 0:
			x[j] = float32(math.Inf(-1))
		case 1:
			x[j] = 0
		case 2:
			x[j] = float32(rng.NormFloat64() * 40)
		default:
			x[j] = float32(rng.NormFloat64() * 3)
		}
	}
	return x
}

// guarded returns a copy of x inside a larger buffer, one element past an
// aligned start and followed by 9 sentinels, and a check that the
// sentinels are untouched (the kernels must not write past the end).
func guarded(t *testing.T, x []float32) ([]float32, func()) {
	t.Helper()
	const sentinel = float32(-7.25)
	buf := make([]float32, len(x)+10)
	for j := range buf {
		buf[j] = sentinel
	}
	s := buf[1 : 1+len(x)]
	copy(s, x)
	return s, func() {
		t.Helper()
		for j, v := range buf {
			if (j == 0 || j > len(x)) && v != sentinel {
				t.Fatalf("n=%d: element %d outside the slice was written (%v)", len(x), j-1, v)
			}
		}
	}
}

func sameBits32(a, b []float32) int {
	for j := range a {
		if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
			return j
		}
	}
	return -1
}

// TestSoftmaxKernelsMatchLoops checks each public kernel (the vector code
// on amd64 with AVX2 + FMA) against its reference loop, bit for bit, at
// every tail length, and that nothing past the slice is read into the
// results or written.
func TestSoftmaxKernelsMatchLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, n := range softmaxLengths {
		for trial := range 3 {
			x := softmaxRow(rng, n)
			s := float32(0.125 + rng.Float64())

			// ScaleMax.
			want := append([]float32(nil), x...)
			wantM := scaleMaxLoops(want, s)
			got, check := guarded(t, x)
			gotM := ScaleMax(got, s)
			check()
			if j := sameBits32(got, want); j >= 0 {
				t.Fatalf("ScaleMax n=%d trial %d: element %d is %v, want %v", n, trial, j, got[j], want[j])
			}
			if gotM != wantM {
				t.Fatalf("ScaleMax n=%d trial %d: max %v, want %v", n, trial, gotM, wantM)
			}

			// ExpSubSum, from the scaled row and its max (or 0 for an
			// empty or all-masked row).
			m := wantM
			if math.IsInf(float64(m), -1) {
				m = 0
			}
			x = want
			want = append([]float32(nil), x...)
			wantS := expSubSumLoops(want, m)
			got, check = guarded(t, x)
			gotS := ExpSubSum(got, m)
			check()
			if j := sameBits32(got, want); j >= 0 {
				t.Fatalf("ExpSubSum n=%d trial %d: element %d is %v, want %v", n, trial, j, got[j], want[j])
			}
			if math.Float64bits(gotS) != math.Float64bits(wantS) {
				t.Fatalf("ExpSubSum n=%d trial %d: sum %v, want %v", n, trial, gotS, wantS)
			}
			// The exponentials are exactly ExpTo's.
			diff := make([]float32, n)
			for j, v := range x {
				diff[j] = v - m
			}
			ExpTo(diff, diff)
			if j := sameBits32(got, diff); j >= 0 {
				t.Fatalf("ExpSubSum n=%d trial %d: element %d is %v, ExpTo gives %v", n, trial, j, got[j], diff[j])
			}

			// ScaleTo, into another slice and in place.
			inv := float32(1 / wantS)
			p := append([]float32(nil), want...)
			scaleToLoops(p, p, inv)
			dst, check := guarded(t, make([]float32, n))
			ScaleTo(dst, want, inv)
			check()
			if j := sameBits32(dst, p); j >= 0 {
				t.Fatalf("ScaleTo n=%d trial %d: element %d is %v, want %v", n, trial, j, dst[j], p[j])
			}
			got, check = guarded(t, want)
			ScaleTo(got, got, inv)
			check()
			if j := sameBits32(got, p); j >= 0 {
				t.Fatalf("ScaleTo in place n=%d trial %d: element %d is %v, want %v", n, trial, j, got[j], p[j])
			}

			// Dot64 and SoftmaxGradTo, with p the probabilities.
			dp := make([]float32, n)
			for j := range dp {
				dp[j] = float32(rng.NormFloat64())
			}
			wantR := dot64Loops(p, dp)
			if r := Dot64(p, dp); math.Float64bits(r) != math.Float64bits(wantR) {
				t.Fatalf("Dot64 n=%d trial %d: %v, want %v", n, trial, r, wantR)
			}
			wantG := make([]float32, n)
			softmaxGradToLoops(wantG, p, dp, wantR, s)
			got, check = guarded(t, dp)
			SoftmaxGradTo(got, p, got, wantR, s) // in place, as attention does
			check()
			if j := sameBits32(got, wantG); j >= 0 {
				t.Fatalf("SoftmaxGradTo n=%d trial %d: element %d is %v, want %v", n, trial, j, got[j], wantG[j])
			}
		}
	}
}

// TestSoftmaxRowMatchesFloat64 runs the three forward kernels as attention
// does and compares the probabilities with a float64 softmax, then the
// gradient kernels with the float64 formula.
func TestSoftmaxRowMatchesFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, n := range []int{1, 7, 64, 129, 512} {
		x := softmaxRow(rng, n)
		x[0] = 1 // at least one unmasked score
		const s = 0.3
		p := append([]float32(nil), x...)
		m := ScaleMax(p, s)
		ScaleTo(p, p, float32(1/ExpSubSum(p, m)))

		want := make([]float64, n)
		m64, z := math.Inf(-1), 0.0
		for j, v := range x {
			want[j] = float64(float32(s * v))
			m64 = math.Max(m64, want[j])
		}
		for j := range want {
			want[j] = math.Exp(want[j] - m64)
			z += want[j]
		}
		for j := range want {
			// e^(x−m) is accurate to a few ulps of the difference x − m
			// rounded to float32, whose error grows with |x − m|.
			tol := 4e-7 + 6e-8*-math.Log(want[j])
			want[j] /= z
			if d := math.Abs(float64(p[j]) - want[j]); d > tol*want[j]+1e-30 {
				t.Fatalf("n=%d: P[%d] = %v, want %v (off by %.2g)", n, j, p[j], want[j], d/want[j])
			}
		}

		dp := make([]float32, n)
		for j := range dp {
			dp[j] = float32(rng.NormFloat64())
		}
		r := Dot64(p, dp)
		r64 := 0.0
		for j := range p {
			r64 += float64(p[j]) * float64(dp[j])
		}
		if math.Abs(r-r64) > 1e-15 {
			t.Fatalf("n=%d: Dot64 = %v, want %v", n, r, r64)
		}
		ds := make([]float32, n)
		SoftmaxGradTo(ds, p, dp, r, 2)
		for j := range ds {
			w := 2 * float64(p[j]) * (float64(dp[j]) - r64)
			if d := math.Abs(float64(ds[j]) - w); d > 1.2e-7*math.Abs(w)+1e-30 {
				t.Fatalf("n=%d: dS[%d] = %v, want %v", n, j, ds[j], w)
			}
		}
	}
}

// TestSoftmaxGradZeroWhereProbabilityZero: a masked key (P = 0) gets
// exactly +0 whatever the incoming gradient holds, even Inf or NaN.
func TestSoftmaxGradZeroWhereProbabilityZero(t *testing.T) {
	for _, n := range []int{5, 8, 21} {
		p, dp, ds := make([]float32, n), make([]float32, n), make([]float32, n)
		for j := range p {
			if j%3 != 0 {
				p[j] = 0.1
			}
			dp[j] = [...]float32{float32(math.Inf(1)), float32(math.NaN()), float32(math.Inf(-1)), -3}[j%4]
		}
		SoftmaxGradTo(ds, p, dp, 0.5, 1.5)
		for j, v := range ds {
			if j%3 == 0 && math.Float32bits(v) != 0 {
				t.Fatalf("n=%d: dS[%d] = %v with P = 0, want +0", n, j, v)
			}
			if j%3 != 0 && v == 0 {
				t.Fatalf("n=%d: dS[%d] = 0 with P = 0.1, dP = %v", n, j, dp[j])
			}
		}
	}
}

func TestSoftmaxKernelsLengthMismatchPanics(t *testing.T) {
	a, b := make([]float32, 3), make([]float32, 4)
	for name, f := range map[string]func(){
		"ScaleTo":       func() { ScaleTo(a, b, 1) },
		"Dot64":         func() { Dot64(a, b) },
		"SoftmaxGradTo": func() { SoftmaxGradTo(a, a, b, 0, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with lengths 3 and 4 did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestSoftmaxKernelsDoNotAllocate(t *testing.T) {
	x, y := make([]float32, 100), make([]float32, 100)
	if n := testing.AllocsPerRun(20, func() {
		m := ScaleMax(x, 0.5)
		ScaleTo(x, x, float32(1/ExpSubSum(x, m)))
		SoftmaxGradTo(y, x, y, Dot64(x, y), 0.5)
	}); n != 0 {
		t.Fatalf("softmax row kernels allocated %v times", n)
	}
}

// BenchmarkSoftmaxRow is one attention row of 128 keys, forward (ScaleMax,
// ExpSubSum, ScaleTo) and backward (Dot64, SoftmaxGradTo), with the
// kernels and with the reference loops.
func BenchmarkSoftmaxRow(b *testing.B) {
	rng := rand.New(rand.NewPCG(35, 36))
	x := softmaxRow(rng, 128)
	row := make([]float32, len(x))
	dp := make([]float32, len(x))
	for j := range dp {
		dp[j] = float32(rng.NormFloat64())
	}
	ds := make([]float32, len(x))
	b.Run("fwd", func(b *testing.B) {
		for b.Loop() {
			copy(row, x)
			m := ScaleMax(row, 0.125)
			ScaleTo(row, row, float32(1/ExpSubSum(row, m)))
		}
	})
	b.Run("fwd/loops", func(b *testing.B) {
		for b.Loop() {
			copy(row, x)
			m := scaleMaxLoops(row, 0.125)
			scaleToLoops(row, row, float32(1/expSubSumLoops(row, m)))
		}
	})
	b.Run("bwd", func(b *testing.B) {
		for b.Loop() {
			SoftmaxGradTo(ds, row, dp, Dot64(row, dp), 0.125)
		}
	})
	b.Run("bwd/loops", func(b *testing.B) {
		for b.Loop() {
			softmaxGradToLoops(ds, row, dp, dot64Loops(row, dp), 0.125)
		}
	})
}
