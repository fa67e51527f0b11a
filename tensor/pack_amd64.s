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
