package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// gemmCase runs Gemm and gemmRef on the same random operands (with padded
// leading dimensions) and returns the worst error relative to Σ|a||b|.
func gemmCase(t testing.TB, rng *rand.Rand, tA, tB bool, m, n, k int, acc bool) {
	t.Helper()
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+rng.IntN(3), bc+rng.IntN(3), n+rng.IntN(3)
	a := Randn(rng, 1, max(0, (ar-1)*lda+ac)).Data
	b := Randn(rng, 1, max(0, (br-1)*ldb+bc)).Data
	c0 := Randn(rng, 1, max(0, (m-1)*ldc+n)).Data
	if m == 0 || n == 0 {
		c0 = nil
	}
	got := append([]float32(nil), c0...)
	want := append([]float32(nil), c0...)
	Gemm(tA, tB, m, n, k, a, lda, b, ldb, got, ldc, acc)
	gemmRef(tA, tB, m, n, k, a, lda, b, ldb, want, ldc, acc)
	// Elements outside the m×n window (the ldc padding) must be untouched.
	for i := range got {
		inside := ldc > 0 && i%ldc < n
		if !inside && got[i] != c0[i] {
			t.Fatalf("tA=%v tB=%v m=%d n=%d k=%d: padding element %d changed", tA, tB, m, n, k, i)
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			scale := 1.0
			if acc {
				scale += math.Abs(float64(c0[i*ldc+j]))
			}
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				scale += math.Abs(float64(av) * float64(bv))
			}
			e := math.Abs(float64(got[i*ldc+j]-want[i*ldc+j])) / scale
			if e > 1e-5 || math.IsNaN(e) {
				t.Fatalf("tA=%v tB=%v m=%d n=%d k=%d acc=%v: C[%d,%d] = %v, reference %v",
					tA, tB, m, n, k, acc, i, j, got[i*ldc+j], want[i*ldc+j])
			}
		}
	}
}

func TestGemmMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 2, 3, 4, 5, 7, 8, 13, 17, 31, 64, 67}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, acc := range []bool{false, true} {
				for trial := 0; trial < 25; trial++ {
					m := sizes[rng.IntN(len(sizes))]
					n := sizes[rng.IntN(len(sizes))]
					k := sizes[rng.IntN(len(sizes))]
					gemmCase(t, rng, tA, tB, m, n, k, acc)
				}
			}
		}
	}
	// Sizes that cross the block boundaries (mcBlock, ncBlock, kcBlock) and
	// take the parallel path.
	for _, s := range [][3]int{{mcBlock + 3, ncBlock + 5, kcBlock + 7}, {130, 9, 600}, {1, 300, 257}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				gemmCase(t, rng, tA, tB, s[0], s[1], s[2], tA != tB)
			}
		}
	}
}

func FuzzGemm(f *testing.F) {
	f.Add(uint8(3), uint8(5), uint8(7), uint8(0), uint64(1))
	f.Add(uint8(0), uint8(1), uint8(2), uint8(7), uint64(2))
	f.Add(uint8(65), uint8(17), uint8(1), uint8(3), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k, flags uint8, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 7))
		gemmCase(t, rng, flags&1 != 0, flags&2 != 0, int(m)%80, int(n)%80, int(k)%80, flags&4 != 0)
	})
}

func TestGemmDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m, n, k := 150, 300, 270 // several tasks and several reduction slices
	a := Randn(rng, 1, m, k)
	b := Randn(rng, 1, n, k)
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	one := MatMulNT(a, b)
	runtime.GOMAXPROCS(2)
	two := MatMulNT(a, b)
	runtime.GOMAXPROCS(4)
	four := MatMulNT(a, b)
	same(t, "MatMulNT", one, two, four)

	// Many small matrices: the batch itself is split across goroutines.
	qa, qb := Randn(rng, 1, 80, 16, 17), Randn(rng, 1, 80, 17, 16)
	runtime.GOMAXPROCS(1)
	one = MatMul(qa, qb)
	runtime.GOMAXPROCS(2)
	two = MatMul(qa, qb)
	runtime.GOMAXPROCS(4)
	four = MatMul(qa, qb)
	same(t, "batched MatMul", one, two, four)
	for i := 0; i < 80; i++ {
		want := MatMul(Slice(qa, 0, i, i+1).Reshape(16, 17), Slice(qb, 0, i, i+1).Reshape(17, 16))
		got := Slice(four, 0, i, i+1)
		same(t, "batched vs single MatMul", want, got.Reshape(16, 16))
	}
}

// same fails unless all tensors hold bit-identical data.
func same(t *testing.T, name string, ts ...*Tensor) {
	t.Helper()
	for _, u := range ts[1:] {
		for i := range ts[0].Data {
			if math.Float32bits(ts[0].Data[i]) != math.Float32bits(u.Data[i]) {
				t.Fatalf("%s: element %d differs: %v vs %v", name, i, ts[0].Data[i], u.Data[i])
			}
		}
	}
}

func TestGemmPanicsOnShortSlice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Gemm accepted a too-short A")
		}
	}()
	Gemm(false, false, 2, 2, 2, make([]float32, 3), 2, make([]float32, 4), 2, make([]float32, 4), 2, false)
}

func benchGemm(b *testing.B, tA, tB bool, m, n, k int) {
	rng := rand.New(rand.NewPCG(1, 1))
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	a := Randn(rng, 1, ar, ac)
	bb := Randn(rng, 1, br, bc)
	c := Zeros(m, n)
	b.ResetTimer()
	for b.Loop() {
		Gemm(tA, tB, m, n, k, a.Data, ac, bb.Data, bc, c.Data, n, false)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkGemm(b *testing.B) {
	for _, s := range []int{128, 256, 512, 1024} {
		b.Run(fmt.Sprintf("square%d", s), func(b *testing.B) { benchGemm(b, false, false, s, s, s) })
	}
	// The transformer's shapes (B·T = 2048 tokens, C = 128, 4C = 512):
	b.Run("qkv_2048x128x384", func(b *testing.B) { benchGemm(b, false, false, 2048, 384, 128) })
	b.Run("mlp_NT_2048x128x512", func(b *testing.B) { benchGemm(b, false, true, 2048, 512, 128) })
	b.Run("proj_2048x512x128", func(b *testing.B) { benchGemm(b, false, false, 2048, 128, 512) })
	b.Run("wgrad_TN_512x128x2048", func(b *testing.B) { benchGemm(b, true, false, 512, 128, 2048) })
}

func BenchmarkGemmRef(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	s := 256
	a, bb, c := Randn(rng, 1, s, s), Randn(rng, 1, s, s), Zeros(s, s)
	for b.Loop() {
		gemmRef(false, false, s, s, s, a.Data, s, bb.Data, s, c.Data, s, false)
	}
	b.ReportMetric(2*float64(s*s*s)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
