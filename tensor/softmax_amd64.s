//go:build !purego

#include "textflag.h"

// Softmax row kernels; see softmax.go for what each computes (the loops
// named …Loops there are the reference, and these give the same bits).
//
// Every kernel takes any n ≥ 0: whole blocks of 8, then the last n mod 8
// elements through VMASKMOVPS loads and stores with the mask from smTail
// (lanes past the end are neither read nor written). Sums are in float64,
// element j in lane j mod 8 of two 4-lane accumulators (lanes 0–3 in one,
// 4–7 in the other), reduced as sum8 in softmax.go does:
// ((s0+s4) + (s2+s6)) + ((s1+s5) + (s3+s7)).

// Constants of ExpTo (copied from expConsts in vec_amd64.s, same offsets),
// each repeated in 8 lanes:
//
//	  0 log₂e   32 −ln2 high   64 −ln2 low
//	 96 P0  128 P1  160 P2  192 P3  224 P4  256 P5
//	288 expHi   320 expLo   352 1   384 127 (integer)   416 +Inf
//
// and at 448, −Inf.
DATA smConsts<>+0(SB)/4, $0x3fb8aa3b
DATA smConsts<>+4(SB)/4, $0x3fb8aa3b
DATA smConsts<>+8(SB)/4, $0x3fb8aa3b
DATA smConsts<>+12(SB)/4, $0x3fb8aa3b
DATA smConsts<>+16(SB)/4, $0x3fb8aa3b
DATA smConsts<>+20(SB)/4, $0x3fb8aa3b
DATA smConsts<>+24(SB)/4, $0x3fb8aa3b
DATA smConsts<>+28(SB)/4, $0x3fb8aa3b
DATA smConsts<>+32(SB)/4, $0xbf318000
DATA smConsts<>+36(SB)/4, $0xbf318000
DATA smConsts<>+40(SB)/4, $0xbf318000
DATA smConsts<>+44(SB)/4, $0xbf318000
DATA smConsts<>+48(SB)/4, $0xbf318000
DATA smConsts<>+52(SB)/4, $0xbf318000
DATA smConsts<>+56(SB)/4, $0xbf318000
DATA smConsts<>+60(SB)/4, $0xbf318000
DATA smConsts<>+64(SB)/4, $0x395e8083
DATA smConsts<>+68(SB)/4, $0x395e8083
DATA smConsts<>+72(SB)/4, $0x395e8083
DATA smConsts<>+76(SB)/4, $0x395e8083
DATA smConsts<>+80(SB)/4, $0x395e8083
DATA smConsts<>+84(SB)/4, $0x395e8083
DATA smConsts<>+88(SB)/4, $0x395e8083
DATA smConsts<>+92(SB)/4, $0x395e8083
DATA smConsts<>+96(SB)/4, $0x39506967
DATA smConsts<>+100(SB)/4, $0x39506967
DATA smConsts<>+104(SB)/4, $0x39506967
DATA smConsts<>+108(SB)/4, $0x39506967
DATA smConsts<>+112(SB)/4, $0x39506967
DATA smConsts<>+116(SB)/4, $0x39506967
DATA smConsts<>+120(SB)/4, $0x39506967
DATA smConsts<>+124(SB)/4, $0x39506967
DATA smConsts<>+128(SB)/4, $0x3ab743ce
DATA smConsts<>+132(SB)/4, $0x3ab743ce
DATA smConsts<>+136(SB)/4, $0x3ab743ce
DATA smConsts<>+140(SB)/4, $0x3ab743ce
DATA smConsts<>+144(SB)/4, $0x3ab743ce
DATA smConsts<>+148(SB)/4, $0x3ab743ce
DATA smConsts<>+152(SB)/4, $0x3ab743ce
DATA smConsts<>+156(SB)/4, $0x3ab743ce
DATA smConsts<>+160(SB)/4, $0x3c088908
DATA smConsts<>+164(SB)/4, $0x3c088908
DATA smConsts<>+168(SB)/4, $0x3c088908
DATA smConsts<>+172(SB)/4, $0x3c088908
DATA smConsts<>+176(SB)/4, $0x3c088908
DATA smConsts<>+180(SB)/4, $0x3c088908
DATA smConsts<>+184(SB)/4, $0x3c088908
DATA smConsts<>+188(SB)/4, $0x3c088908
DATA smConsts<>+192(SB)/4, $0x3d2aa9c1
DATA smConsts<>+196(SB)/4, $0x3d2aa9c1
DATA smConsts<>+200(SB)/4, $0x3d2aa9c1
DATA smConsts<>+204(SB)/4, $0x3d2aa9c1
DATA smConsts<>+208(SB)/4, $0x3d2aa9c1
DATA smConsts<>+212(SB)/4, $0x3d2aa9c1
DATA smConsts<>+216(SB)/4, $0x3d2aa9c1
DATA smConsts<>+220(SB)/4, $0x3d2aa9c1
DATA smConsts<>+224(SB)/4, $0x3e2aaaaa
DATA smConsts<>+228(SB)/4, $0x3e2aaaaa
DATA smConsts<>+232(SB)/4, $0x3e2aaaaa
DATA smConsts<>+236(SB)/4, $0x3e2aaaaa
DATA smConsts<>+240(SB)/4, $0x3e2aaaaa
DATA smConsts<>+244(SB)/4, $0x3e2aaaaa
DATA smConsts<>+248(SB)/4, $0x3e2aaaaa
DATA smConsts<>+252(SB)/4, $0x3e2aaaaa
DATA smConsts<>+256(SB)/4, $0x3f000000
DATA smConsts<>+260(SB)/4, $0x3f000000
DATA smConsts<>+264(SB)/4, $0x3f000000
DATA smConsts<>+268(SB)/4, $0x3f000000
DATA smConsts<>+272(SB)/4, $0x3f000000
DATA smConsts<>+276(SB)/4, $0x3f000000
DATA smConsts<>+280(SB)/4, $0x3f000000
DATA smConsts<>+284(SB)/4, $0x3f000000
DATA smConsts<>+288(SB)/4, $0x42b17217
DATA smConsts<>+292(SB)/4, $0x42b17217
DATA smConsts<>+296(SB)/4, $0x42b17217
DATA smConsts<>+300(SB)/4, $0x42b17217
DATA smConsts<>+304(SB)/4, $0x42b17217
DATA smConsts<>+308(SB)/4, $0x42b17217
DATA smConsts<>+312(SB)/4, $0x42b17217
DATA smConsts<>+316(SB)/4, $0x42b17217
DATA smConsts<>+320(SB)/4, $0xc2cff1b4
DATA smConsts<>+324(SB)/4, $0xc2cff1b4
DATA smConsts<>+328(SB)/4, $0xc2cff1b4
DATA smConsts<>+332(SB)/4, $0xc2cff1b4
DATA smConsts<>+336(SB)/4, $0xc2cff1b4
DATA smConsts<>+340(SB)/4, $0xc2cff1b4
DATA smConsts<>+344(SB)/4, $0xc2cff1b4
DATA smConsts<>+348(SB)/4, $0xc2cff1b4
DATA smConsts<>+352(SB)/4, $0x3f800000
DATA smConsts<>+356(SB)/4, $0x3f800000
DATA smConsts<>+360(SB)/4, $0x3f800000
DATA smConsts<>+364(SB)/4, $0x3f800000
DATA smConsts<>+368(SB)/4, $0x3f800000
DATA smConsts<>+372(SB)/4, $0x3f800000
DATA smConsts<>+376(SB)/4, $0x3f800000
DATA smConsts<>+380(SB)/4, $0x3f800000
DATA smConsts<>+384(SB)/4, $0x0000007f
DATA smConsts<>+388(SB)/4, $0x0000007f
DATA smConsts<>+392(SB)/4, $0x0000007f
DATA smConsts<>+396(SB)/4, $0x0000007f
DATA smConsts<>+400(SB)/4, $0x0000007f
DATA smConsts<>+404(SB)/4, $0x0000007f
DATA smConsts<>+408(SB)/4, $0x0000007f
DATA smConsts<>+412(SB)/4, $0x0000007f
DATA smConsts<>+416(SB)/4, $0x7f800000
DATA smConsts<>+420(SB)/4, $0x7f800000
DATA smConsts<>+424(SB)/4, $0x7f800000
DATA smConsts<>+428(SB)/4, $0x7f800000
DATA smConsts<>+432(SB)/4, $0x7f800000
DATA smConsts<>+436(SB)/4, $0x7f800000
DATA smConsts<>+440(SB)/4, $0x7f800000
DATA smConsts<>+444(SB)/4, $0x7f800000
DATA smConsts<>+448(SB)/4, $0xff800000
DATA smConsts<>+452(SB)/4, $0xff800000
DATA smConsts<>+456(SB)/4, $0xff800000
DATA smConsts<>+460(SB)/4, $0xff800000
DATA smConsts<>+464(SB)/4, $0xff800000
DATA smConsts<>+468(SB)/4, $0xff800000
DATA smConsts<>+472(SB)/4, $0xff800000
DATA smConsts<>+476(SB)/4, $0xff800000
GLOBL smConsts<>(SB), RODATA|NOPTR, $480
DATA smTail<>+0(SB)/4, $0xffffffff
DATA smTail<>+4(SB)/4, $0xffffffff
DATA smTail<>+8(SB)/4, $0xffffffff
DATA smTail<>+12(SB)/4, $0xffffffff
DATA smTail<>+16(SB)/4, $0xffffffff
DATA smTail<>+20(SB)/4, $0xffffffff
DATA smTail<>+24(SB)/4, $0xffffffff
DATA smTail<>+28(SB)/4, $0xffffffff
DATA smTail<>+32(SB)/4, $0x00000000
DATA smTail<>+36(SB)/4, $0x00000000
DATA smTail<>+40(SB)/4, $0x00000000
DATA smTail<>+44(SB)/4, $0x00000000
DATA smTail<>+48(SB)/4, $0x00000000
DATA smTail<>+52(SB)/4, $0x00000000
DATA smTail<>+56(SB)/4, $0x00000000
DATA smTail<>+60(SB)/4, $0x00000000
GLOBL smTail<>(SB), RODATA|NOPTR, $64

// smTail at byte offset 4·(8 − r) is the mask of the first r of 8 lanes.

// EXP8(in, c, n, p, t) sets p = e^in, 8 lanes, with the steps and
// constants of expAVX2 (vec_amd64.s), clobbering c, n and t: c is the
// clamped input and then r, n is round(c·log₂e) and then its integer, t
// holds r² and then the factors of 2ⁿ and the masks of the special cases.
#define EXP8(in, c, n, p, t) \
	VMAXPS      smConsts<>+320(SB), in, c  \
	VMINPS      smConsts<>+288(SB), c, c   \
	VMULPS      smConsts<>+0(SB), c, n     \
	VROUNDPS    $0, n, n                   \
	VFMADD231PS smConsts<>+32(SB), n, c    \
	VFMADD231PS smConsts<>+64(SB), n, c    \
	VMOVUPS     smConsts<>+96(SB), p       \
	VFMADD213PS smConsts<>+128(SB), c, p   \
	VFMADD213PS smConsts<>+160(SB), c, p   \
	VFMADD213PS smConsts<>+192(SB), c, p   \
	VFMADD213PS smConsts<>+224(SB), c, p   \
	VFMADD213PS smConsts<>+256(SB), c, p   \
	VMULPS      c, c, t                    \
	VFMADD213PS c, t, p                    \
	VADDPS      smConsts<>+352(SB), p, p   \
	VCVTPS2DQ   n, n                       \
	VPSRAD      $1, n, t                   \
	VPSUBD      t, n, n                    \
	VPADDD      smConsts<>+384(SB), t, t   \
	VPSLLD      $23, t, t                  \
	VPADDD      smConsts<>+384(SB), n, n   \
	VPSLLD      $23, n, n                  \
	VMULPS      t, p, p                    \
	VMULPS      n, p, p                    \
	VCMPPS      $0x1e, smConsts<>+288(SB), in, t \
	VBLENDVPS   t, smConsts<>+416(SB), p, p      \
	VCMPPS      $0x11, smConsts<>+320(SB), in, t \
	VANDNPS     p, t, p                    \
	VCMPPS      $3, in, in, t              \
	VBLENDVPS   t, in, p, p

// ACC8(p, px, lo, lox, hi, hix) adds the 8 floats of p (px its low half)
// as float64 to the running sums Y13 (lanes 0–3) and Y14 (lanes 4–7),
// clobbering lo and hi (lox and hix their low halves).
#define ACC8(p, px, lo, lox, hi, hix) \
	VCVTPS2PD    px, lo      \
	VEXTRACTF128 $1, p, hix  \
	VCVTPS2PD    hix, hi     \
	VADDPD       lo, Y13, Y13 \
	VADDPD       hi, Y14, Y14

// TAILMASK sets Y15 to the mask of the first n mod 8 lanes, with n in CX,
// or jumps to done if n is a multiple of 8. It clobbers AX and BX.
#define TAILMASK(done) \
	MOVQ CX, BX                \
	ANDQ $7, BX                \
	JZ   done                  \
	MOVQ $8, AX                \
	SUBQ BX, AX                \
	LEAQ smTail<>(SB), BX      \
	VMOVUPS (BX)(AX*4), Y15

// SUM8 sets X13 to the sum of the eight float64 lanes of Y13 (lanes 0–3)
// and Y14 (lanes 4–7) in sum8's order.
#define SUM8 \
	VADDPD       Y14, Y13, Y13 \
	VEXTRACTF128 $1, Y13, X14  \
	VADDPD       X14, X13, X13 \
	VUNPCKHPD    X13, X13, X14 \
	VADDSD       X14, X13, X13

// func scaleMaxAVX2(x *float32, n int, s float32) float32
// x[j] *= s; returns the largest product (NaNs skipped), −Inf if none.
TEXT ·scaleMaxAVX2(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Y1
	VMOVUPS      smConsts<>+448(SB), Y2
	MOVQ         CX, DX
	SHRQ         $3, DX
	JZ           smaxtail

smaxloop:
	VMULPS  (SI), Y1, Y0
	VMOVUPS Y0, (SI)
	VMAXPS  Y2, Y0, Y2 // max(new, acc): a NaN product leaves acc
	ADDQ    $32, SI
	DECQ    DX
	JNZ     smaxloop

smaxtail:
	TAILMASK(smaxdone)
	VMASKMOVPS (SI), Y15, Y0
	VMULPS     Y1, Y0, Y0
	VMASKMOVPS Y0, Y15, (SI)
	VMOVUPS    smConsts<>+448(SB), Y3
	VBLENDVPS  Y15, Y0, Y3, Y0 // −Inf past the end
	VMAXPS     Y2, Y0, Y2

smaxdone:
	VEXTRACTF128 $1, Y2, X3
	VMAXPS       X3, X2, X2
	VMOVHLPS     X2, X2, X3
	VMAXPS       X3, X2, X2
	VMOVSHDUP    X2, X3
	VMAXSS       X3, X2, X2
	VMOVSS       X2, ret+24(FP)
	VZEROUPPER
	RET

// func expSubSumAVX2(x *float32, n int, m float32) float64
// x[j] = e^(x[j] − m); returns Σ x[j] in float64. The main loop takes two
// blocks of 8 (two register sets, so their long exp chains overlap) and
// adds the first block's values to the sums before the second's.
TEXT ·expSubSumAVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y12
	VXORPD       Y13, Y13, Y13
	VXORPD       Y14, Y14, Y14
	MOVQ         CX, DX
	SHRQ         $4, DX
	JZ           ess8

essloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y5
	VSUBPS  Y12, Y0, Y0
	VSUBPS  Y12, Y5, Y5
	EXP8(Y0, Y1, Y2, Y3, Y4)
	EXP8(Y5, Y6, Y7, Y8, Y9)
	VMOVUPS Y3, (SI)
	VMOVUPS Y8, 32(SI)
	ACC8(Y3, X3, Y10, X10, Y11, X11)
	ACC8(Y8, X8, Y10, X10, Y11, X11)
	ADDQ    $64, SI
	DECQ    DX
	JNZ     essloop

ess8:
	TESTQ $8, CX
	JZ    esstail
	VMOVUPS (SI), Y0
	VSUBPS  Y12, Y0, Y0
	EXP8(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y3, (SI)
	ACC8(Y3, X3, Y10, X10, Y11, X11)
	ADDQ    $32, SI

esstail:
	TAILMASK(essdone)
	VMASKMOVPS (SI), Y15, Y0
	VSUBPS     Y12, Y0, Y0
	EXP8(Y0, Y1, Y2, Y3, Y4)
	VANDPS     Y15, Y3, Y3 // 0 past the end, so the sums are unchanged
	VMASKMOVPS Y3, Y15, (SI)
	ACC8(Y3, X3, Y10, X10, Y11, X11)

essdone:
	SUM8
	VMOVSD X13, ret+24(FP)
	VZEROUPPER
	RET

// func scaleToAVX2(dst, x *float32, n int, s float32)
// dst[j] = s·x[j].
TEXT ·scaleToAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS s+24(FP), Y1
	MOVQ         CX, DX
	SHRQ         $3, DX
	JZ           scaletail

scaleloop:
	VMULPS  (SI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    DX
	JNZ     scaleloop

scaletail:
	TAILMASK(scaledone)
	VMASKMOVPS (SI), Y15, Y0
	VMULPS     Y1, Y0, Y0
	VMASKMOVPS Y0, Y15, (DI)

scaledone:
	VZEROUPPER
	RET

// func dot64AVX2(x, y *float32, n int) float64
// Σ x[j]·y[j] in float64 (each product exact, so the fused multiply-add
// rounds only the sum).
TEXT ·dot64AVX2(SB), NOSPLIT, $0-32
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPD Y13, Y13, Y13
	VXORPD Y14, Y14, Y14
	MOVQ   CX, DX
	SHRQ   $3, DX
	JZ     d64tail

d64loop:
	VCVTPS2PD   (SI), Y0
	VCVTPS2PD   16(SI), Y1
	VCVTPS2PD   (DI), Y2
	VCVTPS2PD   16(DI), Y3
	VFMADD231PD Y2, Y0, Y13
	VFMADD231PD Y3, Y1, Y14
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        DX
	JNZ         d64loop

d64tail:
	TAILMASK(d64done)
	VMASKMOVPS   (SI), Y15, Y4 // 0 past the end
	VMASKMOVPS   (DI), Y15, Y5
	VCVTPS2PD    X4, Y0
	VEXTRACTF128 $1, Y4, X1
	VCVTPS2PD    X1, Y1
	VCVTPS2PD    X5, Y2
	VEXTRACTF128 $1, Y5, X3
	VCVTPS2PD    X3, Y3
	VFMADD231PD  Y2, Y0, Y13
	VFMADD231PD  Y3, Y1, Y14

d64done:
	SUM8
	VMOVSD X13, ret+24(FP)
	VZEROUPPER
	RET

// SGRAD8 sets Y2 to float32(p·(dp − r))·s for p in Y0 and dp in Y1, with r
// in the four float64 lanes of Y14, s in Y11 and 0 in Y10: 0 where p = 0.
// It clobbers Y3–Y6.
#define SGRAD8 \
	VCVTPS2PD    X0, Y2       \
	VEXTRACTF128 $1, Y0, X3   \
	VCVTPS2PD    X3, Y3       \
	VCVTPS2PD    X1, Y4       \
	VEXTRACTF128 $1, Y1, X5   \
	VCVTPS2PD    X5, Y5       \
	VSUBPD       Y14, Y4, Y4  \
	VSUBPD       Y14, Y5, Y5  \
	VMULPD       Y4, Y2, Y2   \
	VMULPD       Y5, Y3, Y3   \
	VCVTPD2PSY   Y2, X2       \
	VCVTPD2PSY   Y3, X3       \
	VINSERTF128  $1, X3, Y2, Y2 \
	VMULPS       Y11, Y2, Y2  \
	VCMPPS       $0, Y10, Y0, Y6 \
	VANDNPS      Y2, Y6, Y2

// func softmaxGradAVX2(dst, p, dp *float32, n int, r float64, s float32)
// dst[j] = float32(p[j]·(dp[j] − r))·s, or 0 where p[j] = 0.
TEXT ·softmaxGradAVX2(SB), NOSPLIT, $0-44
	MOVQ         dst+0(FP), DI
	MOVQ         p+8(FP), SI
	MOVQ         dp+16(FP), R9
	MOVQ         n+24(FP), CX
	VBROADCASTSD r+32(FP), Y14
	VBROADCASTSS s+40(FP), Y11
	VXORPS       Y10, Y10, Y10
	MOVQ         CX, DX
	SHRQ         $3, DX
	JZ           sgtail

sgloop:
	VMOVUPS (SI), Y0
	VMOVUPS (R9), Y1
	SGRAD8
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R9
	ADDQ    $32, DI
	DECQ    DX
	JNZ     sgloop

sgtail:
	TAILMASK(sgdone)
	VMASKMOVPS (SI), Y15, Y0
	VMASKMOVPS (R9), Y15, Y1
	SGRAD8
	VMASKMOVPS Y2, Y15, (DI)

sgdone:
	VZEROUPPER
	RET
