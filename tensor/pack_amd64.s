//go:build !purego

#include "textflag.h"

// func packA6N(kb int, src *float32, lda int, dst *float32)
// dst[p·6+i] = src[i·lda+p] for i < 6, p < kb: six rows of A interleaved.
TEXT ·packA6N(SB), NOSPLIT, $0-32
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	LEAQ (SI)(R8*1), R9   // row 1
	LEAQ (R9)(R8*1), R10  // row 2
	LEAQ (R10)(R8*1), R11 // row 3
	LEAQ (R11)(R8*1), R12 // row 4
	LEAQ (R12)(R8*1), R13 // row 5
	XORQ AX, AX
	TESTQ CX, CX
	JZ   doneA6N

loopA6N:
	MOVL (SI)(AX*4), DX
	MOVL DX, 0(DI)
	MOVL (R9)(AX*4), DX
	MOVL DX, 4(DI)
	MOVL (R10)(AX*4), DX
	MOVL DX, 8(DI)
	MOVL (R11)(AX*4), DX
	MOVL DX, 12(DI)
	MOVL (R12)(AX*4), DX
	MOVL DX, 16(DI)
	MOVL (R13)(AX*4), DX
	MOVL DX, 20(DI)
	ADDQ $24, DI
	INCQ AX
	CMPQ AX, CX
	JLT  loopA6N

doneA6N:
	RET

// func packA6T(kb int, src *float32, lda int, dst *float32)
// dst[p·6+i] = src[p·lda+i] for i < 6, p < kb: six contiguous values per step.
TEXT ·packA6T(SB), NOSPLIT, $0-32
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	TESTQ CX, CX
	JZ   doneA6T

loopA6T:
	MOVUPS (SI), X0
	MOVQ   16(SI), X1
	MOVUPS X0, (DI)
	MOVQ   X1, 16(DI)
	ADDQ   R8, SI
	ADDQ   $24, DI
	DECQ   CX
	JNZ    loopA6T

doneA6T:
	RET

// func packB16N(kb int, src *float32, ldb int, dst *float32)
// dst[p·16+j] = src[p·ldb+j] for j < 16, p < kb.
TEXT ·packB16N(SB), NOSPLIT, $0-32
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	TESTQ CX, CX
	JZ   doneB16N

loopB16N:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     loopB16N

doneB16N:
	VZEROUPPER
	RET

// TRANSPOSE8 transposes the 8×8 block held row by row in Y0..Y7 into its
// columns in Y8..Y15 (Y8 = column 0: element i is row i's first value):
// interleave row pairs, then pairs of pairs, then swap 128-bit halves.
#define TRANSPOSE8 \
	VUNPCKLPS  Y1, Y0, Y8         \
	VUNPCKHPS  Y1, Y0, Y9         \
	VUNPCKLPS  Y3, Y2, Y10        \
	VUNPCKHPS  Y3, Y2, Y11        \
	VUNPCKLPS  Y5, Y4, Y12        \
	VUNPCKHPS  Y5, Y4, Y13        \
	VUNPCKLPS  Y7, Y6, Y14        \
	VUNPCKHPS  Y7, Y6, Y15        \
	VSHUFPS    $0x44, Y10, Y8, Y0 \
	VSHUFPS    $0xEE, Y10, Y8, Y1 \
	VSHUFPS    $0x44, Y11, Y9, Y2 \
	VSHUFPS    $0xEE, Y11, Y9, Y3 \
	VSHUFPS    $0x44, Y14, Y12, Y4 \
	VSHUFPS    $0xEE, Y14, Y12, Y5 \
	VSHUFPS    $0x44, Y15, Y13, Y6 \
	VSHUFPS    $0xEE, Y15, Y13, Y7 \
	VPERM2F128 $0x20, Y4, Y0, Y8  \
	VPERM2F128 $0x20, Y5, Y1, Y9  \
	VPERM2F128 $0x20, Y6, Y2, Y10 \
	VPERM2F128 $0x20, Y7, Y3, Y11 \
	VPERM2F128 $0x31, Y4, Y0, Y12 \
	VPERM2F128 $0x31, Y5, Y1, Y13 \
	VPERM2F128 $0x31, Y6, Y2, Y14 \
	VPERM2F128 $0x31, Y7, Y3, Y15

// func packA6NT8(kb8 int, src *float32, lda int, dst *float32)
// dst[p·6+i] = src[i·lda+p] for i < 6, p < kb8 (a multiple of 8), as
// packA6N does, eight values of p at a time through an 8×8 transpose (rows
// 6 and 7 are zeros). Each column is stored 8 wide, so the store for p
// writes two zeros into p+1's slots, which the next store overwrites: the
// caller must pack at least one more p after kb8.
TEXT ·packA6NT8(SB), NOSPLIT, $0-32
	MOVQ kb8+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9   // 3 rows
	LEAQ (SI)(R8*4), R10  // row 4
	SHRQ $3, CX
	JZ   doneA6NT8

loopA6NT8:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7
	TRANSPOSE8
	VMOVUPS Y8, 0(DI)
	VMOVUPS Y9, 24(DI)
	VMOVUPS Y10, 48(DI)
	VMOVUPS Y11, 72(DI)
	VMOVUPS Y12, 96(DI)
	VMOVUPS Y13, 120(DI)
	VMOVUPS Y14, 144(DI)
	VMOVUPS Y15, 168(DI)
	ADDQ    $32, SI
	ADDQ    $32, R10
	ADDQ    $192, DI
	DECQ    CX
	JNZ     loopA6NT8

doneA6NT8:
	VZEROUPPER
	RET

// func packB16T8(kb8 int, src *float32, ldb int, dst *float32)
// dst[p·16+j] = src[j·ldb+p] for j < 16, p < kb8 (a multiple of 8): a
// micro-panel of a transposed B, as two 8×8 transposes per eight p.
TEXT ·packB16T8(SB), NOSPLIT, $0-32
	MOVQ kb8+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9   // 3 rows
	LEAQ (R8)(R9*2), R11  // 7 rows
	SHRQ $3, CX
	JZ   doneB16T8

loopB16T8:
	LEAQ    (SI)(R8*4), R10 // row 4
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (SI)(R11*1), Y7
	TRANSPOSE8
	VMOVUPS Y8, 0(DI)
	VMOVUPS Y9, 64(DI)
	VMOVUPS Y10, 128(DI)
	VMOVUPS Y11, 192(DI)
	VMOVUPS Y12, 256(DI)
	VMOVUPS Y13, 320(DI)
	VMOVUPS Y14, 384(DI)
	VMOVUPS Y15, 448(DI)
	LEAQ    (SI)(R8*8), R12 // rows 8..15
	LEAQ    (R12)(R8*4), R10
	VMOVUPS (R12), Y0
	VMOVUPS (R12)(R8*1), Y1
	VMOVUPS (R12)(R8*2), Y2
	VMOVUPS (R12)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (R12)(R11*1), Y7
	TRANSPOSE8
	VMOVUPS Y8, 32(DI)
	VMOVUPS Y9, 96(DI)
	VMOVUPS Y10, 160(DI)
	VMOVUPS Y11, 224(DI)
	VMOVUPS Y12, 288(DI)
	VMOVUPS Y13, 352(DI)
	VMOVUPS Y14, 416(DI)
	VMOVUPS Y15, 480(DI)
	ADDQ    $32, SI
	ADDQ    $512, DI
	DECQ    CX
	JNZ     loopB16T8

doneB16T8:
	VZEROUPPER
	RET
