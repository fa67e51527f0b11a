//go:build !purego

#include "textflag.h"

// Row kernels of LayerNorm and RMSNorm (see norm.go for the math and
// norm_amd64.go for the Go side). Every step is the float64 operation of
// the reference loops in norm.go, in the same order and with no fused
// multiply-adds, on 4 elements per instruction:
//
//	VCVTPS2PD widens 4 float32 to float64 exactly,
//	VCVTPD2PSY rounds 4 float64 to float32 as Go's float32(·) does,
//
// so the results are bit for bit those of the loops. Partial sums stay in
// registers whose lanes are the reference's lanes: element j of a row adds
// into lane j mod 16 (RowStats: four registers of 4) or j mod 8
// (NormGradSums: two registers of 4 for Σ d̂ and two for Σ d̂⊙x̂). The lanes
// start at zero; at the end they are stored in s (for the Go loops to
// continue on a row's tail) and added in the reference's fixed tree.

// LANES8(A, B, XA, XT) leaves in the low element of XA the sum of the 8
// lanes of A (s[0..3]) and B (s[4..7]) in the tree of sumLanes8:
// aₖ = sₖ + sₖ₊₄, then (a₀ + a₂) + (a₁ + a₃). It overwrites A and XT.
#define LANES8(A, B, XA, XT) \
	VADDPD       B, A, A   \
	VEXTRACTF128 $1, A, XT \
	VADDPD       XT, XA, XA \
	VUNPCKHPD    XA, XA, XT \
	VADDSD       XT, XA, XA

// LANES16(A, B, C, D, XA, XT) leaves in the low element of XA the sum of the
// 16 lanes of A, B, C, D (s[0..3], …, s[12..15]) in the tree of sumLanes16:
// aₖ = sₖ + sₖ₊₈, bₖ = aₖ + aₖ₊₄, then (b₀ + b₂) + (b₁ + b₃). It overwrites
// A, B and XT.
#define LANES16(A, B, C, D, XA, XT) \
	VADDPD C, A, A \
	VADDPD D, B, B \
	LANES8(A, B, XA, XT)

// func rowSumAVX2(s *[statLanes]float64, x *float32, n int) float64
// s[j mod 16] = Σ x[j] over j < n with that remainder, n a multiple of 16;
// returns sumLanes16(s).
TEXT ·rowSumAVX2(SB), NOSPLIT, $0-32
	MOVQ    s+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    n+16(FP), CX
	VXORPD  Y0, Y0, Y0
	VXORPD  Y1, Y1, Y1
	VXORPD  Y2, Y2, Y2
	VXORPD  Y3, Y3, Y3
	SHRQ    $4, CX
	JZ      sumdone

sumloop:
	VCVTPS2PD 0(SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sumloop

sumdone:
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	LANES16(Y0, Y1, Y2, Y3, X0, X1)
	VMOVSD  X0, ret+24(FP)
	VZEROUPPER
	RET

// func rowSqDevAVX2(s *[statLanes]float64, x *float32, n int, c float64) float64
// s[j mod 16] = Σ (x[j] − c)² over j < n with that remainder, n a multiple
// of 16, each square rounded before the sum (VMULPD, then VADDPD); returns
// sumLanes16(s).
TEXT ·rowSqDevAVX2(SB), NOSPLIT, $0-40
	MOVQ         s+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD c+24(FP), Y8
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	VXORPD       Y2, Y2, Y2
	VXORPD       Y3, Y3, Y3
	SHRQ         $4, CX
	JZ           sqdone

sqloop:
	VCVTPS2PD 0(SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VSUBPD    Y8, Y4, Y4
	VSUBPD    Y8, Y5, Y5
	VSUBPD    Y8, Y6, Y6
	VSUBPD    Y8, Y7, Y7
	VMULPD    Y4, Y4, Y4
	VMULPD    Y5, Y5, Y5
	VMULPD    Y6, Y6, Y6
	VMULPD    Y7, Y7, Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sqloop

sqdone:
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	LANES16(Y0, Y1, Y2, Y3, X0, X1)
	VMOVSD  X0, ret+32(FP)
	VZEROUPPER
	RET

// func normApplyAVX2(y, x, gamma, beta *float32, n int, mean, rstd float64)
// y[j] = float32((x[j] − mean)·rstd) · γ[j] + β[j] for j < n, n a multiple
// of 8, each step rounded to float32; a nil gamma or beta is skipped.
TEXT ·normApplyAVX2(SB), NOSPLIT, $0-56
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         gamma+16(FP), R8
	MOVQ         beta+24(FP), R9
	MOVQ         n+32(FP), CX
	VBROADCASTSD mean+40(FP), Y14
	VBROADCASTSD rstd+48(FP), Y15
	SHRQ         $3, CX
	JZ           applydone

applyloop:
	VCVTPS2PD   0(SI), Y0
	VCVTPS2PD   16(SI), Y1
	VSUBPD      Y14, Y0, Y0
	VSUBPD      Y14, Y1, Y1
	VMULPD      Y15, Y0, Y0
	VMULPD      Y15, Y1, Y1
	VCVTPD2PSY  Y0, X0
	VCVTPD2PSY  Y1, X1
	VINSERTF128 $1, X1, Y0, Y0
	TESTQ       R8, R8
	JZ          applybeta
	VMULPS      0(R8), Y0, Y0
	ADDQ        $32, R8

applybeta:
	TESTQ  R9, R9
	JZ     applystore
	VADDPS 0(R9), Y0, Y0
	ADDQ   $32, R9

applystore:
	VMOVUPS Y0, 0(DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     applyloop

applydone:
	VZEROUPPER
	RET

// func normGradSumsAVX2(s *[2 * gradLanes]float64, h, x, dy, gamma *float32, pg, pb *float64, n int, mean, rstd float64) (sum, dot float64)
// For j < n, n a multiple of 8, with x̂ = float32((x[j] − mean)·rstd) and
// d̂ = dy[j]·γ[j] (γ = 1 if gamma is nil):
//
//	h[j] = x̂,  pg[j] += dy[j]·x̂,  pb[j] += dy[j]   (if pg, pb not nil)
//	s[j mod 8] += d̂,  s[8 + j mod 8] += d̂·x̂       (product rounded first)
//
// with s starting at zero, and returns sumLanes8 of both halves of s. Y10,
// Y11 hold the Σ d̂ lanes, Y12, Y13 the Σ d̂⊙x̂ lanes.
TEXT ·normGradSumsAVX2(SB), NOSPLIT, $0-96
	MOVQ         s+0(FP), R11
	MOVQ         h+8(FP), DI
	MOVQ         x+16(FP), SI
	MOVQ         dy+24(FP), DX
	MOVQ         gamma+32(FP), R8
	MOVQ         pg+40(FP), R9
	MOVQ         pb+48(FP), R10
	MOVQ         n+56(FP), CX
	VBROADCASTSD mean+64(FP), Y14
	VBROADCASTSD rstd+72(FP), Y15
	VXORPD       Y10, Y10, Y10
	VXORPD       Y11, Y11, Y11
	VXORPD       Y12, Y12, Y12
	VXORPD       Y13, Y13, Y13
	SHRQ         $3, CX
	JZ           gsdone

gsloop:
	// x̂, rounded to float32, stored, and widened again.
	VCVTPS2PD  0(SI), Y0
	VCVTPS2PD  16(SI), Y1
	VSUBPD     Y14, Y0, Y0
	VSUBPD     Y14, Y1, Y1
	VMULPD     Y15, Y0, Y0
	VMULPD     Y15, Y1, Y1
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VMOVUPS    X0, 0(DI)
	VMOVUPS    X1, 16(DI)
	VCVTPS2PD  X0, Y0
	VCVTPS2PD  X1, Y1

	// dy, and the dγ, dβ row sums.
	VCVTPS2PD 0(DX), Y2
	VCVTPS2PD 16(DX), Y3
	TESTQ     R9, R9
	JZ        gsbeta
	VMULPD    Y0, Y2, Y4
	VMULPD    Y1, Y3, Y5
	VADDPD    0(R9), Y4, Y4
	VADDPD    32(R9), Y5, Y5
	VMOVUPD   Y4, 0(R9)
	VMOVUPD   Y5, 32(R9)
	ADDQ      $64, R9

gsbeta:
	TESTQ   R10, R10
	JZ      gsgamma
	VADDPD  0(R10), Y2, Y4
	VADDPD  32(R10), Y3, Y5
	VMOVUPD Y4, 0(R10)
	VMOVUPD Y5, 32(R10)
	ADDQ    $64, R10

gsgamma:
	// d̂ = dy·γ, then the two lane sums.
	TESTQ     R8, R8
	JZ        gssum
	VCVTPS2PD 0(R8), Y4
	VCVTPS2PD 16(R8), Y5
	VMULPD    Y4, Y2, Y2
	VMULPD    Y5, Y3, Y3
	ADDQ      $32, R8

gssum:
	VADDPD Y2, Y10, Y10
	VADDPD Y3, Y11, Y11
	VMULPD Y0, Y2, Y2
	VMULPD Y1, Y3, Y3
	VADDPD Y2, Y12, Y12
	VADDPD Y3, Y13, Y13
	ADDQ   $32, SI
	ADDQ   $32, DI
	ADDQ   $32, DX
	DECQ   CX
	JNZ    gsloop

gsdone:
	VMOVUPD Y10, 0(R11)
	VMOVUPD Y11, 32(R11)
	VMOVUPD Y12, 64(R11)
	VMOVUPD Y13, 96(R11)
	LANES8(Y10, Y11, X10, X0)
	LANES8(Y12, Y13, X12, X0)
	VMOVSD  X10, sum+80(FP)
	VMOVSD  X12, dot+88(FP)
	VZEROUPPER
	RET

// func normGradDxAVX2(dx, h, dy, gamma *float32, n int, rstd, dmean, dhmean float64)
// dx[j] += float32(rstd·((d̂ − dmean) − float64(h[j])·dhmean)) for j < n, n a
// multiple of 8, with d̂ = dy[j]·γ[j] (γ = 1 if gamma is nil).
TEXT ·normGradDxAVX2(SB), NOSPLIT, $0-64
	MOVQ         dx+0(FP), DI
	MOVQ         h+8(FP), SI
	MOVQ         dy+16(FP), DX
	MOVQ         gamma+24(FP), R8
	MOVQ         n+32(FP), CX
	VBROADCASTSD rstd+40(FP), Y15
	VBROADCASTSD dmean+48(FP), Y13
	VBROADCASTSD dhmean+56(FP), Y14
	SHRQ         $3, CX
	JZ           dxdone

dxloop:
	VCVTPS2PD 0(DX), Y0
	VCVTPS2PD 16(DX), Y1
	TESTQ     R8, R8
	JZ        dxcenter
	VCVTPS2PD 0(R8), Y2
	VCVTPS2PD 16(R8), Y3
	VMULPD    Y2, Y0, Y0
	VMULPD    Y3, Y1, Y1
	ADDQ      $32, R8

dxcenter:
	VSUBPD      Y13, Y0, Y0
	VSUBPD      Y13, Y1, Y1
	VCVTPS2PD   0(SI), Y2
	VCVTPS2PD   16(SI), Y3
	VMULPD      Y14, Y2, Y2
	VMULPD      Y14, Y3, Y3
	VSUBPD      Y2, Y0, Y0
	VSUBPD      Y3, Y1, Y1
	VMULPD      Y15, Y0, Y0
	VMULPD      Y15, Y1, Y1
	VCVTPD2PSY  Y0, X0
	VCVTPD2PSY  Y1, X1
	VINSERTF128 $1, X1, Y0, Y0
	VADDPS      0(DI), Y0, Y0
	VMOVUPS     Y0, 0(DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	DECQ        CX
	JNZ         dxloop

dxdone:
	VZEROUPPER
	RET
