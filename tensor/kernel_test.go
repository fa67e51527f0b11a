package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMicroKernelMatchesLoops compares microKernel (the assembly kernel on
// amd64, when the CPU has AVX2 + FMA) with its plain-loop reference on
// random panels, for reduction lengths around the unrolling factor and the
// block size, storing and accumulating, with a padded leading dimension
// whose padding must stay untouched.
func TestMicroKernelMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 9, 31, 64, 255, kcBlock} {
		for _, add := range []bool{false, true} {
			for _, pad := range []int{0, 1, 5} {
				ldc := nr + pad
				a := Randn(rng, 1, kc*mr).Data
				b := Randn(rng, 1, kc*nr).Data
				c0 := Randn(rng, 1, mr*ldc).Data
				got := append([]float32(nil), c0...)
				want := append([]float32(nil), c0...)
				microKernel(kc, a, b, got, ldc, add)
				microKernelLoops(kc, a, b, want, ldc, add)
				for i := range got {
					if i%ldc >= nr {
						if got[i] != c0[i] {
							t.Fatalf("kc=%d add=%v ldc=%d: padding element %d changed", kc, add, ldc, i)
						}
						continue
					}
					// FMA rounds once per step, the loops twice: allow a few
					// ulps of the sum of |terms|.
					scale := 1.0
					for p := 0; p < kc; p++ {
						scale += math.Abs(float64(a[p*mr+i/ldc]) * float64(b[p*nr+i%ldc]))
					}
					if e := math.Abs(float64(got[i]-want[i])) / scale; e > 1e-6 || math.IsNaN(e) {
						t.Fatalf("kc=%d add=%v ldc=%d: C[%d] = %v, reference %v", kc, add, ldc, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestPackPanelsMatchLoops checks the (assembly) whole-panel packers
// against their plain-loop references, bit for bit, in both layouts.
func TestPackPanelsMatchLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, kb := range []int{1, 2, 7, 8, 9, 16, 17, 33, 64, 255} {
		for _, trans := range []bool{false, true} {
			rows, cols := mr+3, kb+4 // op(A) is rows×cols, stored with padding
			if trans {
				rows, cols = cols, rows
			}
			lda := cols + 2
			a := Randn(rng, 1, rows*lda).Data
			r, p0 := 2, 3
			if trans {
				r, p0 = 3, 2
			}
			got, want := make([]float32, kb*mr), make([]float32, kb*mr)
			packPanelA(trans, a, lda, r, p0, kb, got)
			packPanelALoops(trans, a, lda, r, p0, kb, want)
			same(t, "packPanelA", New(want, len(want)), New(got, len(got)))
		}
		ldb := nr + 7
		b := Randn(rng, 1, (kb+2)*ldb).Data
		got, want := make([]float32, kb*nr), make([]float32, kb*nr)
		packPanelB(b, ldb, 2, kb, 5, got)
		packPanelBLoops(b, ldb, 2, kb, 5, want)
		same(t, "packPanelB", New(want, len(want)), New(got, len(got)))
		// A transposed B: nr rows of b (columns of op(B)) of kb+3 values.
		bt := Randn(rng, 1, (nr+6)*(kb+5)).Data
		got, want = make([]float32, kb*nr), make([]float32, kb*nr)
		packPanelBT(bt, kb+5, 2, kb, 4, got)
		packPanelBTLoops(bt, kb+5, 2, kb, 4, want)
		same(t, "packPanelBT", New(want, len(want)), New(got, len(got)))
	}
}

// FuzzMicroKernel compares microKernel with microKernelLoops for fuzzed
// reduction lengths, padding and operands.
func FuzzMicroKernel(f *testing.F) {
	f.Add(uint16(1), uint8(0), false, uint64(1))
	f.Add(uint16(257), uint8(3), true, uint64(2))
	f.Fuzz(func(t *testing.T, kc16 uint16, pad uint8, add bool, seed uint64) {
		kc := int(kc16)%600 + 1
		ldc := nr + int(pad)%8
		rng := rand.New(rand.NewPCG(seed, 9))
		a, b := Randn(rng, 1, kc*mr).Data, Randn(rng, 1, kc*nr).Data
		c0 := Randn(rng, 1, mr*ldc).Data
		got := append([]float32(nil), c0...)
		want := append([]float32(nil), c0...)
		microKernel(kc, a, b, got, ldc, add)
		microKernelLoops(kc, a, b, want, ldc, add)
		for i := range got {
			if i%ldc >= nr {
				if got[i] != c0[i] {
					t.Fatalf("padding element %d changed", i)
				}
				continue
			}
			if e := math.Abs(float64(got[i] - want[i])); e > 1e-5*float64(kc+1) || math.IsNaN(e) {
				t.Fatalf("kc=%d: C[%d] = %v, reference %v", kc, i, got[i], want[i])
			}
		}
	})
}

// TestGemmSerialDoesNotAllocate checks that a small (serial) product takes
// its packing buffers from the pools: a training step makes thousands.
func TestGemmSerialDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("under -race sync.Pool drops items on purpose; this runs in the plain and purego test runs")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	a, b, c := Randn(rng, 1, 32, 40), Randn(rng, 1, 24, 40), Zeros(32, 24)
	Gemm(false, true, 32, 24, 40, a.Data, 40, b.Data, 40, c.Data, 24, false) // warm the pools
	if n := testing.AllocsPerRun(20, func() {
		Gemm(false, true, 32, 24, 40, a.Data, 40, b.Data, 40, c.Data, 24, false)
	}); n != 0 {
		t.Fatalf("serial Gemm allocated %v times per call", n)
	}
}
