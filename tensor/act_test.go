package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGELUTanhToMatchesFloat64 compares the vector GELU kernels with the
// formula evaluated in float64, over the range a network sees and its
// tails, on lengths that exercise the chunking.
func TestGELUTanhToMatchesFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, n := range []int{0, 1, 9, geluChunk, geluChunk + 3, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.Float64()*24 - 12)
		}
		if n > 4 {
			x[0], x[1], x[2], x[3] = 0, -30, 30, 1e-6
		}
		dy := Randn(rng, 1, n).Data
		y, dx := make([]float32, n), make([]float32, n)
		GELUTanhTo(y, x)
		GELUTanhGradTo(dx, x, dy)
		for i, xv := range x {
			v := float64(xv)
			u := GELUTanhC * (v + 0.044715*v*v*v)
			// ½(1 + tanh u) as σ(2u) in float64: exact at both tails, where
			// 1 + tanh u cancels.
			s := 1 / (1 + math.Exp(-2*u))
			wantY := v * s
			wantD := float64(dy[i]) * (s + 2*v*s*(1-s)*GELUTanhC*(1+3*0.044715*v*v))
			// float32 rounding of u grows into e^(−2u) at the tails: allow
			// a relative error proportional to 1 + |u|.
			if e := math.Abs(float64(y[i]) - wantY); e > 1e-6*math.Abs(wantY)*(1+math.Abs(u))+1e-37 || math.IsNaN(e) {
				t.Fatalf("n=%d: GELUTanhTo(%v) = %v, want %v", n, xv, y[i], wantY)
			}
			if e := math.Abs(float64(dx[i]) - wantD); e > 2e-6*math.Abs(float64(dy[i]))*(1+math.Abs(u))+1e-37 || math.IsNaN(e) {
				t.Fatalf("n=%d: GELUTanhGradTo(%v) = %v, want %v", n, xv, dx[i], wantD)
			}
		}
		ref := GELUTanh(New(x, n))
		for i := range x {
			if e := math.Abs(float64(y[i] - ref.Data[i])); e > 1e-6*max(1e-3, math.Abs(float64(ref.Data[i]))) {
				t.Fatalf("GELUTanhTo(%v) = %v, GELUTanh %v", x[i], y[i], ref.Data[i])
			}
		}
	}
}

// TestGELUTanhKernelsMatchReference compares the kernels GELUTanhTo and
// GELUTanhGradTo run (on amd64 with AVX2 + FMA, the vector code of
// act_amd64.s) with the pure-Go reference loops, on random inputs with
// tails (±20, ±90), zeros, tiny, huge and infinite values and NaN, on
// lengths around the 24-element blocks and the padded tail, in place and
// out of place. Both do the same float32 operations in the same order, so
// they must agree bit for bit (any NaN counts as equal to any NaN).
func TestGELUTanhKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	special := []float32{0, float32(math.Copysign(0, -1)), 20, -20, 90, -90, 1e-30, -1e-30,
		-0.7518, -6.44, -6.45, 5e18, -5e18, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	same := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 1000, 4099} {
		x, dy := make([]float32, n), make([]float32, n)
		for i := range x {
			switch i % 4 {
			case 0:
				x[i] = float32(rng.NormFloat64() * 3)
			case 1:
				x[i] = float32(rng.Float64()*40 - 20)
			case 2:
				x[i] = float32(rng.Float64()*180 - 90)
			default:
				x[i] = special[rng.IntN(len(special))]
			}
			dy[i] = float32(rng.NormFloat64())
		}
		if n > 0 {
			x[n-1] = special[n%len(special)] // the padded tail sees specials too
		}
		y, wantY := make([]float32, n), make([]float32, n)
		dx, wantDx := make([]float32, n), make([]float32, n)
		geluTanhLoops(wantY, x)
		geluTanhGradLoops(wantDx, x, dy)
		GELUTanhTo(y, x)
		GELUTanhGradTo(dx, x, dy)
		for i, v := range x {
			if !same(y[i], wantY[i]) {
				t.Fatalf("n=%d: GELUTanhTo(%v)[%d] = %v, reference %v", n, v, i, y[i], wantY[i])
			}
			if !same(dx[i], wantDx[i]) {
				t.Fatalf("n=%d: GELUTanhGradTo(%v, dy=%v)[%d] = %v, reference %v", n, v, dy[i], i, dx[i], wantDx[i])
			}
		}
		// In place: dst = x for the forward, dx = dy for the backward.
		inY := append([]float32(nil), x...)
		GELUTanhTo(inY, inY)
		inDx := append([]float32(nil), dy...)
		GELUTanhGradTo(inDx, x, inDx)
		for i := range x {
			if !same(inY[i], y[i]) {
				t.Fatalf("n=%d: in-place GELUTanhTo[%d] = %v, out of place %v", n, i, inY[i], y[i])
			}
			if !same(inDx[i], dx[i]) {
				t.Fatalf("n=%d: in-place GELUTanhGradTo[%d] = %v, out of place %v", n, i, inDx[i], dx[i])
			}
		}
	}
}

// TestGELUTanhKernelsLargeParallel runs the kernels on a length above
// elementwiseParallelMin, so parallelChunks splits it, against the
// reference loops on one goroutine.
func TestGELUTanhKernelsLargeParallel(t *testing.T) {
	n := elementwiseParallelMin*2 + 13
	rng := rand.New(rand.NewPCG(29, 30))
	x, dy := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 4)
		dy[i] = float32(rng.NormFloat64())
	}
	y, wantY := make([]float32, n), make([]float32, n)
	dx, wantDx := make([]float32, n), make([]float32, n)
	GELUTanhTo(y, x)
	GELUTanhGradTo(dx, x, dy)
	geluTanhLoops(wantY, x)
	geluTanhGradLoops(wantDx, x, dy)
	for i := range x {
		if y[i] != wantY[i] || dx[i] != wantDx[i] {
			t.Fatalf("x[%d] = %v: got %v, %v, reference %v, %v", i, x[i], y[i], dx[i], wantY[i], wantDx[i])
		}
	}
}

func TestGELUTanhToLengthMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("GELUTanhGradTo accepted different lengths")
		}
	}()
	GELUTanhGradTo(make([]float32, 3), make([]float32, 3), make([]float32, 2))
}

// benchGELUInputs returns 1<<20 inputs spread like a GPT-2 MLP's
// pre-activations (with tails), and an upstream gradient.
func benchGELUInputs() (x, dy []float32) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 1 << 20
	x, dy = make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 3)
		dy[i] = float32(rng.NormFloat64())
	}
	return x, dy
}

// BenchmarkGELUTanh times GELUTanhTo on 1<<20 elements (bytes: one read and
// one write per element), through the public parallel entry point and on
// one goroutine.
func BenchmarkGELUTanh(b *testing.B) {
	x, _ := benchGELUInputs()
	y := make([]float32, len(x))
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		for b.Loop() {
			GELUTanhTo(y, x)
		}
	})
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		for b.Loop() {
			geluTanh(y, x)
		}
	})
}

// BenchmarkGELUTanhGrad times GELUTanhGradTo on 1<<20 elements (bytes: two
// reads and one write per element).
func BenchmarkGELUTanhGrad(b *testing.B) {
	x, dy := benchGELUInputs()
	dx := make([]float32, len(x))
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(int64(12 * len(x)))
		for b.Loop() {
			GELUTanhGradTo(dx, x, dy)
		}
	})
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(int64(12 * len(x)))
		for b.Loop() {
			geluTanhGrad(dx, x, dy)
		}
	})
}
