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

func TestGELUTanhToLengthMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("GELUTanhGradTo accepted different lengths")
		}
	}()
	GELUTanhGradTo(make([]float32, 3), make([]float32, 3), make([]float32, 2))
}
