//go:build !purego

#include "textflag.h"

// One reduction step of the 6×16 tile: two YMM loads of the packed B row
// (16 columns), then for each of the 6 rows a broadcast of its A value and
// two fused multiply-adds. Y0..Y11 hold the tile (row i in Y(2i), Y(2i+1)).
#define STEP(aoff, boff) \
	VMOVUPS      boff(DI), Y12        \
	VMOVUPS      boff+32(DI), Y13     \
	VBROADCASTSS aoff(SI), Y14        \
	VFMADD231PS  Y12, Y14, Y0         \
	VFMADD231PS  Y13, Y14, Y1         \
	VBROADCASTSS aoff+4(SI), Y15      \
	VFMADD231PS  Y12, Y15, Y2         \
	VFMADD231PS  Y13, Y15, Y3         \
	VBROADCASTSS aoff+8(SI), Y14      \
	VFMADD231PS  Y12, Y14, Y4         \
	VFMADD231PS  Y13, Y14, Y5         \
	VBROADCASTSS aoff+12(SI), Y15     \
	VFMADD231PS  Y12, Y15, Y6         \
	VFMADD231PS  Y13, Y15, Y7         \
	VBROADCASTSS aoff+16(SI), Y14     \
	VFMADD231PS  Y12, Y14, Y8         \
	VFMADD231PS  Y13, Y14, Y9         \
	VBROADCASTSS aoff+20(SI), Y15     \
	VFMADD231PS  Y12, Y15, Y10        \
	VFMADD231PS  Y13, Y15, Y11

// Store (or add into) one row of C at R11 from two accumulators.
#define STOREROW(lo, hi) \
	VMOVUPS lo, (R11)        \
	VMOVUPS hi, 32(R11)      \
	ADDQ    R8, R11

#define ADDROW(lo, hi) \
	VADDPS  (R11), lo, lo    \
	VADDPS  32(R11), hi, hi  \
	VMOVUPS lo, (R11)        \
	VMOVUPS hi, 32(R11)      \
	ADDQ    R8, R11

// func kernel6x16(kc int, a, b, c *float32, ldc int, add bool)
TEXT ·kernel6x16(SB), NOSPLIT, $0-41
	MOVQ   kc+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   b+16(FP), DI
	MOVQ   c+24(FP), R11
	MOVQ   ldc+32(FP), R8
	SHLQ   $2, R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ   CX, R10
	SHRQ   $2, R10
	JZ     tail

loop4:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ R10
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	STEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop1

store:
	CMPB add+40(FP), $0
	JNE  accum
	STOREROW(Y0, Y1)
	STOREROW(Y2, Y3)
	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	STOREROW(Y8, Y9)
	STOREROW(Y10, Y11)
	VZEROUPPER
	RET

accum:
	ADDROW(Y0, Y1)
	ADDROW(Y2, Y3)
	ADDROW(Y4, Y5)
	ADDROW(Y6, Y7)
	ADDROW(Y8, Y9)
	ADDROW(Y10, Y11)
	VZEROUPPER
	RET
