//go:build purego || !amd64

package tensor

// This file is the portable kernel set: built with the purego tag and on
// every architecture but amd64 (where kernel_amd64.go and its assembly take
// over), and the reference the assembly is tested against.
//
// mr×nr is the register tile of microKernel. Go's register allocator has 15
// usable floating-point registers on amd64: a 2×4 tile keeps its 8
// accumulators, 4 values of B and 1 of A in registers with no spills (a
// 4×4 tile spills to the stack and runs at half the speed).
const (
	mr = 2
	nr = 4

	mcBlock = 64  // rows of C per task (multiple of mr)
	ncBlock = 256 // columns of C per task (multiple of nr)
	kcBlock = 256 // reduction slice held in the packed panels
)

// microKernel computes the mr×nr tile T[i][j] = Σ_p a[p·mr+i]·b[p·nr+j] over
// kc packed steps and stores it into c[i·ldc+j] (add = false) or adds it
// (add = true). a and b are packed micro-panels (see packA, packB). This is
// the portable pure-Go kernel (amd64 uses kernel_amd64.s). Built with
// GOAMD64=v3 the compiler turns each c += a·b into one FMA instruction, which
// is faster and rounds once instead of twice.
func microKernel(kc int, a, b []float32, c []float32, ldc int, add bool) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	a = a[:kc*mr]
	b = b[:kc*nr]
	for len(a) >= mr && len(b) >= nr {
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		a0 := a[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := a[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a = a[mr:]
		b = b[nr:]
	}
	r0 := c[0*ldc : 0*ldc+nr : 0*ldc+nr]
	r1 := c[1*ldc : 1*ldc+nr : 1*ldc+nr]
	if add {
		r0[0] += c00
		r0[1] += c01
		r0[2] += c02
		r0[3] += c03
		r1[0] += c10
		r1[1] += c11
		r1[2] += c12
		r1[3] += c13
		return
	}
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
}

// packPanelA packs a whole mr-row micro-panel: panel[p·mr+i] = op(A)[r+i,
// p0+p] for i < mr, p < kb (see packA).
func packPanelA(trans bool, a []float32, lda, r, p0, kb int, panel []float32) {
	packPanelALoops(trans, a, lda, r, p0, kb, panel)
}

// packPanelB packs a whole nr-column micro-panel of an untransposed B:
// panel[p·nr+j] = b[(p0+p)·ldb + j0+j] for j < nr, p < kb (see packB).
func packPanelB(b []float32, ldb, p0, kb, j0 int, panel []float32) {
	packPanelBLoops(b, ldb, p0, kb, j0, panel)
}

// GemmKernel names the micro-kernel Gemm runs: "purego" (2×4 tile in Go)
// with the purego build tag or on a non-amd64 architecture.
func GemmKernel() string { return "purego" }

// packPanelBT packs a whole nr-column micro-panel of a transposed B:
// panel[p·nr+j] = b[(j0+j)·ldb + p0+p] for j < nr, p < kb (see packB).
func packPanelBT(b []float32, ldb, p0, kb, j0 int, panel []float32) {
	packPanelBTLoops(b, ldb, p0, kb, j0, panel)
}
