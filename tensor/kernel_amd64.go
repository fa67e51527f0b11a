//go:build !purego

package tensor

// mr×nr is the register tile of the AVX2 + FMA kernel: 6 rows × 16 columns
// are 12 YMM accumulators (8 float32 lanes each), plus 2 registers for a
// row of packed B and 2 for broadcast values of A: 16 YMM registers, all of
// them, with no spills. Each reduction step issues 12 FMAs for 8 loads.
//
// The blocks fit this kernel to the caches of a current x86 core (32 KiB L1
// data, ≥ 512 KiB L2): a kcBlock×nr micro-panel of B (16 KiB) stays in L1
// while the kernel sweeps the mcBlock×kcBlock panel of A (96 KiB) in L2.
const (
	mr = 6
	nr = 16

	mcBlock = 96  // rows of C per task (multiple of mr)
	ncBlock = 256 // columns of C per task (multiple of nr)
	kcBlock = 256 // reduction slice held in the packed panels
)

// kernel6x16 is microKernel in Go assembly (kernel_amd64.s). It reads
// a[0:kc·6] and b[0:kc·16] and writes c[i·ldc+j] for i < 6, j < 16; the
// caller guarantees those bounds.
//
//go:noescape
func kernel6x16(kc int, a, b, c *float32, ldc int, add bool)

// microKernel computes the mr×nr tile T[i][j] = Σ_p a[p·mr+i]·b[p·nr+j] over
// kc packed steps (in order of p, one fused multiply-add each) and stores it
// into c[i·ldc+j] (add = false) or adds it (add = true). It runs the AVX2 +
// FMA assembly kernel when the CPU has it and microKernelLoops otherwise.
func microKernel(kc int, a, b []float32, c []float32, ldc int, add bool) {
	if kc <= 0 {
		microKernelLoops(kc, a, b, c, ldc, add)
		return
	}
	_, _, _ = a[kc*mr-1], b[kc*nr-1], c[(mr-1)*ldc+nr-1] // bounds checks the assembly omits
	if !hasAVX2FMA {
		microKernelLoops(kc, a, b, c, ldc, add)
		return
	}
	kernel6x16(kc, &a[0], &b[0], &c[0], ldc, add)
}

// The packing routines of pack_amd64.s, for whole micro-panels.
//
//go:noescape
func packA6N(kb int, src *float32, lda int, dst *float32)

//go:noescape
func packA6T(kb int, src *float32, lda int, dst *float32)

//go:noescape
func packB16N(kb int, src *float32, ldb int, dst *float32)

//go:noescape
func packA6NT8(kb8 int, src *float32, lda int, dst *float32)

//go:noescape
func packB16T8(kb8 int, src *float32, ldb int, dst *float32)

// packPanelA packs a whole mr-row micro-panel: panel[p·mr+i] = op(A)[r+i,
// p0+p] for i < mr, p < kb (see packA).
func packPanelA(trans bool, a []float32, lda, r, p0, kb int, panel []float32) {
	_ = panel[kb*mr-1]
	if trans { // op(A)[r+i, p0+p] = a[(p0+p)·lda + r+i]
		s := a[p0*lda+r : (p0+kb-1)*lda+r+mr]
		packA6T(kb, &s[0], lda, &panel[0])
		return
	}
	s := a[r*lda+p0 : (r+mr-1)*lda+p0+kb]
	kb8 := 0
	if hasAVX2FMA && kb > 8 {
		// Eight p at a time through a transpose; at least one p is left
		// for packA6N, as packA6NT8 requires.
		kb8 = (kb - 1) &^ 7
		packA6NT8(kb8, &s[0], lda, &panel[0])
	}
	packA6N(kb-kb8, &s[kb8], lda, &panel[kb8*mr])
}

// packPanelBT packs a whole nr-column micro-panel of a transposed B:
// panel[p·nr+j] = b[(j0+j)·ldb + p0+p] for j < nr, p < kb (see packB).
func packPanelBT(b []float32, ldb, p0, kb, j0 int, panel []float32) {
	_ = panel[kb*nr-1]
	s := b[j0*ldb+p0 : (j0+nr-1)*ldb+p0+kb]
	kb8 := 0
	if hasAVX2FMA {
		kb8 = kb &^ 7
		if kb8 > 0 {
			packB16T8(kb8, &s[0], ldb, &panel[0])
		}
	}
	packPanelBTLoops(b, ldb, p0+kb8, kb-kb8, j0, panel[kb8*nr:])
}

// packPanelB packs a whole nr-column micro-panel of an untransposed B:
// panel[p·nr+j] = b[(p0+p)·ldb + j0+j] for j < nr, p < kb (see packB).
func packPanelB(b []float32, ldb, p0, kb, j0 int, panel []float32) {
	_ = panel[kb*nr-1]
	s := b[p0*ldb+j0 : (p0+kb-1)*ldb+j0+nr]
	if hasAVX2FMA {
		packB16N(kb, &s[0], ldb, &panel[0])
		return
	}
	packPanelBLoops(b, ldb, p0, kb, j0, panel)
}

// GemmKernel names the micro-kernel Gemm runs on this machine: "avx2+fma"
// (6×16 tile) or, on an amd64 CPU without them, "go" (6×16 tile in Go).
func GemmKernel() string {
	if hasAVX2FMA {
		return "avx2+fma"
	}
	return "go"
}
