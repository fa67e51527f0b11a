//go:build !purego

#include "textflag.h"

// GPT-2's tanh approximation of GELU, 24 elements per loop iteration.
//
// Forward, with u = √(2/π)(x + 0.044715x³):
//
//	GELU(x) = ½x(1 + tanh u) = x·σ(2u) = x / (1 + e^(−2u))
//
// Backward, with s = σ(2u) = 1/(1 + e^(−2u)), so that ½(1 + tanh u) = s and
// 1 − tanh²u = 4s(1 − s):
//
//	dx = dy·GELU′(x),  GELU′(x) = s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²)
//
// Every step is the float32 operation the pure-Go reference (geluTanhLoops
// and geluTanhGradLoops in act.go) performs, in the same order and with no
// extra fused multiply-adds, and e^(−2u) is computed with the steps and
// constants of expAVX2 (vec_amd64.s; exp32 in vec.go does the same one
// element at a time), so the vector code reproduces the reference's bits.
//
// Each loop iteration works on three blocks of 8 floats in three register
// sets, the instructions of the blocks interleaved: one block is a long
// dependent chain (about 40 instructions), and independent chains side by
// side keep the floating-point pipes busy. (Three sets of five registers
// fit in the sixteen YMM registers.)

// Constants, each repeated in 8 lanes, at 32-byte offsets:
//
//	  0 log₂e            32 −ln2 (high part)  64 −ln2 (low part)
//	 96 P0   128 P1   160 P2   192 P3   224 P4   256 P5  (e^r ≈ 1 + r + r²P(r))
//	288 100 (upper clamp of t; see GELU24)    320 expLo (−103.97)
//	352 1                                     384 127 (exponent bias, integer)
//	416 0.044715                              448 −2√(2/π)
//	480 √(2/π)                                512 3·0.044715

DATA geluConsts<>+0(SB)/4, $0x3fb8aa3b
DATA geluConsts<>+4(SB)/4, $0x3fb8aa3b
DATA geluConsts<>+8(SB)/4, $0x3fb8aa3b
DATA geluConsts<>+12(SB)/4, $0x3fb8aa3b
DATA geluConsts<>+16(SB)/4, $0x3fb8aa3b
DATA geluConsts<>+20(SB)/4, $0x3fb8aa3b
DATA geluConsts<>+24(SB)/4, $0x3fb8aa3b
DATA geluConsts<>+28(SB)/4, $0x3fb8aa3b
DATA geluConsts<>+32(SB)/4, $0xbf318000
DATA geluConsts<>+36(SB)/4, $0xbf318000
DATA geluConsts<>+40(SB)/4, $0xbf318000
DATA geluConsts<>+44(SB)/4, $0xbf318000
DATA geluConsts<>+48(SB)/4, $0xbf318000
DATA geluConsts<>+52(SB)/4, $0xbf318000
DATA geluConsts<>+56(SB)/4, $0xbf318000
DATA geluConsts<>+60(SB)/4, $0xbf318000
DATA geluConsts<>+64(SB)/4, $0x395e8083
DATA geluConsts<>+68(SB)/4, $0x395e8083
DATA geluConsts<>+72(SB)/4, $0x395e8083
DATA geluConsts<>+76(SB)/4, $0x395e8083
DATA geluConsts<>+80(SB)/4, $0x395e8083
DATA geluConsts<>+84(SB)/4, $0x395e8083
DATA geluConsts<>+88(SB)/4, $0x395e8083
DATA geluConsts<>+92(SB)/4, $0x395e8083
DATA geluConsts<>+96(SB)/4, $0x39506967
DATA geluConsts<>+100(SB)/4, $0x39506967
DATA geluConsts<>+104(SB)/4, $0x39506967
DATA geluConsts<>+108(SB)/4, $0x39506967
DATA geluConsts<>+112(SB)/4, $0x39506967
DATA geluConsts<>+116(SB)/4, $0x39506967
DATA geluConsts<>+120(SB)/4, $0x39506967
DATA geluConsts<>+124(SB)/4, $0x39506967
DATA geluConsts<>+128(SB)/4, $0x3ab743ce
DATA geluConsts<>+132(SB)/4, $0x3ab743ce
DATA geluConsts<>+136(SB)/4, $0x3ab743ce
DATA geluConsts<>+140(SB)/4, $0x3ab743ce
DATA geluConsts<>+144(SB)/4, $0x3ab743ce
DATA geluConsts<>+148(SB)/4, $0x3ab743ce
DATA geluConsts<>+152(SB)/4, $0x3ab743ce
DATA geluConsts<>+156(SB)/4, $0x3ab743ce
DATA geluConsts<>+160(SB)/4, $0x3c088908
DATA geluConsts<>+164(SB)/4, $0x3c088908
DATA geluConsts<>+168(SB)/4, $0x3c088908
DATA geluConsts<>+172(SB)/4, $0x3c088908
DATA geluConsts<>+176(SB)/4, $0x3c088908
DATA geluConsts<>+180(SB)/4, $0x3c088908
DATA geluConsts<>+184(SB)/4, $0x3c088908
DATA geluConsts<>+188(SB)/4, $0x3c088908
DATA geluConsts<>+192(SB)/4, $0x3d2aa9c1
DATA geluConsts<>+196(SB)/4, $0x3d2aa9c1
DATA geluConsts<>+200(SB)/4, $0x3d2aa9c1
DATA geluConsts<>+204(SB)/4, $0x3d2aa9c1
DATA geluConsts<>+208(SB)/4, $0x3d2aa9c1
DATA geluConsts<>+212(SB)/4, $0x3d2aa9c1
DATA geluConsts<>+216(SB)/4, $0x3d2aa9c1
DATA geluConsts<>+220(SB)/4, $0x3d2aa9c1
DATA geluConsts<>+224(SB)/4, $0x3e2aaaaa
DATA geluConsts<>+228(SB)/4, $0x3e2aaaaa
DATA geluConsts<>+232(SB)/4, $0x3e2aaaaa
DATA geluConsts<>+236(SB)/4, $0x3e2aaaaa
DATA geluConsts<>+240(SB)/4, $0x3e2aaaaa
DATA geluConsts<>+244(SB)/4, $0x3e2aaaaa
DATA geluConsts<>+248(SB)/4, $0x3e2aaaaa
DATA geluConsts<>+252(SB)/4, $0x3e2aaaaa
DATA geluConsts<>+256(SB)/4, $0x3f000000
DATA geluConsts<>+260(SB)/4, $0x3f000000
DATA geluConsts<>+264(SB)/4, $0x3f000000
DATA geluConsts<>+268(SB)/4, $0x3f000000
DATA geluConsts<>+272(SB)/4, $0x3f000000
DATA geluConsts<>+276(SB)/4, $0x3f000000
DATA geluConsts<>+280(SB)/4, $0x3f000000
DATA geluConsts<>+284(SB)/4, $0x3f000000
DATA geluConsts<>+288(SB)/4, $0x42c80000
DATA geluConsts<>+292(SB)/4, $0x42c80000
DATA geluConsts<>+296(SB)/4, $0x42c80000
DATA geluConsts<>+300(SB)/4, $0x42c80000
DATA geluConsts<>+304(SB)/4, $0x42c80000
DATA geluConsts<>+308(SB)/4, $0x42c80000
DATA geluConsts<>+312(SB)/4, $0x42c80000
DATA geluConsts<>+316(SB)/4, $0x42c80000
DATA geluConsts<>+320(SB)/4, $0xc2cff1b4
DATA geluConsts<>+324(SB)/4, $0xc2cff1b4
DATA geluConsts<>+328(SB)/4, $0xc2cff1b4
DATA geluConsts<>+332(SB)/4, $0xc2cff1b4
DATA geluConsts<>+336(SB)/4, $0xc2cff1b4
DATA geluConsts<>+340(SB)/4, $0xc2cff1b4
DATA geluConsts<>+344(SB)/4, $0xc2cff1b4
DATA geluConsts<>+348(SB)/4, $0xc2cff1b4
DATA geluConsts<>+352(SB)/4, $0x3f800000
DATA geluConsts<>+356(SB)/4, $0x3f800000
DATA geluConsts<>+360(SB)/4, $0x3f800000
DATA geluConsts<>+364(SB)/4, $0x3f800000
DATA geluConsts<>+368(SB)/4, $0x3f800000
DATA geluConsts<>+372(SB)/4, $0x3f800000
DATA geluConsts<>+376(SB)/4, $0x3f800000
DATA geluConsts<>+380(SB)/4, $0x3f800000
DATA geluConsts<>+384(SB)/4, $0x0000007f
DATA geluConsts<>+388(SB)/4, $0x0000007f
DATA geluConsts<>+392(SB)/4, $0x0000007f
DATA geluConsts<>+396(SB)/4, $0x0000007f
DATA geluConsts<>+400(SB)/4, $0x0000007f
DATA geluConsts<>+404(SB)/4, $0x0000007f
DATA geluConsts<>+408(SB)/4, $0x0000007f
DATA geluConsts<>+412(SB)/4, $0x0000007f
DATA geluConsts<>+416(SB)/4, $0x3d372713
DATA geluConsts<>+420(SB)/4, $0x3d372713
DATA geluConsts<>+424(SB)/4, $0x3d372713
DATA geluConsts<>+428(SB)/4, $0x3d372713
DATA geluConsts<>+432(SB)/4, $0x3d372713
DATA geluConsts<>+436(SB)/4, $0x3d372713
DATA geluConsts<>+440(SB)/4, $0x3d372713
DATA geluConsts<>+444(SB)/4, $0x3d372713
DATA geluConsts<>+448(SB)/4, $0xbfcc422a
DATA geluConsts<>+452(SB)/4, $0xbfcc422a
DATA geluConsts<>+456(SB)/4, $0xbfcc422a
DATA geluConsts<>+460(SB)/4, $0xbfcc422a
DATA geluConsts<>+464(SB)/4, $0xbfcc422a
DATA geluConsts<>+468(SB)/4, $0xbfcc422a
DATA geluConsts<>+472(SB)/4, $0xbfcc422a
DATA geluConsts<>+476(SB)/4, $0xbfcc422a
DATA geluConsts<>+480(SB)/4, $0x3f4c422a
DATA geluConsts<>+484(SB)/4, $0x3f4c422a
DATA geluConsts<>+488(SB)/4, $0x3f4c422a
DATA geluConsts<>+492(SB)/4, $0x3f4c422a
DATA geluConsts<>+496(SB)/4, $0x3f4c422a
DATA geluConsts<>+500(SB)/4, $0x3f4c422a
DATA geluConsts<>+504(SB)/4, $0x3f4c422a
DATA geluConsts<>+508(SB)/4, $0x3f4c422a
DATA geluConsts<>+512(SB)/4, $0x3e095d4f
DATA geluConsts<>+516(SB)/4, $0x3e095d4f
DATA geluConsts<>+520(SB)/4, $0x3e095d4f
DATA geluConsts<>+524(SB)/4, $0x3e095d4f
DATA geluConsts<>+528(SB)/4, $0x3e095d4f
DATA geluConsts<>+532(SB)/4, $0x3e095d4f
DATA geluConsts<>+536(SB)/4, $0x3e095d4f
DATA geluConsts<>+540(SB)/4, $0x3e095d4f
GLOBL geluConsts<>(SB), RODATA|NOPTR, $544

// GELU24 writes GELU(x) for the 24 floats at (SI) to (DI), three blocks of
// 8 in the registers named …a, …b and …c, their instructions interleaved:
//
//	t = −2√(2/π)·(x + ((0.044715·x)·x)·x)          (= −2u, as geluExpArg)
//	e = e^t as expAVX2: n = round(t·log₂e), r = t − n·ln2 (ln2 in two
//	    parts), e^r ≈ 1 + r + r²·P(r), times 2ⁿ as the two normal float32
//	    factors 2^(n>>1) and 2^(n−n>>1)
//	y = x / (1 + e)
//
// expAVX2 clamps t to [expLo, expHi] and then patches three cases with
// masks; here none of them needs a mask, so e and y keep the reference's
// bits with fewer instructions:
//
//   - t > expHi, where e must be +Inf (so y = ±0 and s = 0): t is clamped
//     to 100 instead, and the product overflows to +Inf by itself. Every
//     float32 t above expHi exceeds 128·ln2, so either n = 128 and r > 0,
//     making e^r ≥ 1 and e ≥ 2¹²⁸, or n ≥ 129 and e ≥ 2^(−½)·2¹²⁹; and
//     n ≤ 144 keeps both factors normal.
//   - t < expLo, where e must be 0: the e computed at the clamp is under
//     2⁻²⁴, so 1 + e rounds to 1 exactly as 1 + 0 does.
//   - t NaN, where e must be NaN: t is NaN only when x is, and then y and
//     dx come out as x's NaN anyway.
#define GELU24(Xa, Aa, Na, Pa, Ra, Xb, Ab, Nb, Pb, Rb, Xc, Ac, Nc, Pc, Rc) \
	VMOVUPS     (SI), Xa;                     \
	VMOVUPS     32(SI), Xb;                   \
	VMOVUPS     64(SI), Xc;                   \
	VMULPS      geluConsts<>+416(SB), Xa, Aa; \
	VMULPS      geluConsts<>+416(SB), Xb, Ab; \
	VMULPS      geluConsts<>+416(SB), Xc, Ac; \
	VMULPS      Xa, Aa, Aa;                   \
	VMULPS      Xb, Ab, Ab;                   \
	VMULPS      Xc, Ac, Ac;                   \
	VMULPS      Xa, Aa, Aa;                   \
	VMULPS      Xb, Ab, Ab;                   \
	VMULPS      Xc, Ac, Ac;                   \
	VADDPS      Xa, Aa, Aa;                   \
	VADDPS      Xb, Ab, Ab;                   \
	VADDPS      Xc, Ac, Ac;                   \
	VMULPS      geluConsts<>+448(SB), Aa, Aa; \
	VMULPS      geluConsts<>+448(SB), Ab, Ab; \
	VMULPS      geluConsts<>+448(SB), Ac, Ac; \
	VMAXPS      geluConsts<>+320(SB), Aa, Aa; \
	VMAXPS      geluConsts<>+320(SB), Ab, Ab; \
	VMAXPS      geluConsts<>+320(SB), Ac, Ac; \
	VMINPS      geluConsts<>+288(SB), Aa, Aa; \
	VMINPS      geluConsts<>+288(SB), Ab, Ab; \
	VMINPS      geluConsts<>+288(SB), Ac, Ac; \
	VMULPS      geluConsts<>+0(SB), Aa, Na;   \
	VMULPS      geluConsts<>+0(SB), Ab, Nb;   \
	VMULPS      geluConsts<>+0(SB), Ac, Nc;   \
	VROUNDPS    $0, Na, Na;                   \
	VROUNDPS    $0, Nb, Nb;                   \
	VROUNDPS    $0, Nc, Nc;                   \
	VFMADD231PS geluConsts<>+32(SB), Na, Aa;  \
	VFMADD231PS geluConsts<>+32(SB), Nb, Ab;  \
	VFMADD231PS geluConsts<>+32(SB), Nc, Ac;  \
	VFMADD231PS geluConsts<>+64(SB), Na, Aa;  \
	VFMADD231PS geluConsts<>+64(SB), Nb, Ab;  \
	VFMADD231PS geluConsts<>+64(SB), Nc, Ac;  \
	VMOVUPS     geluConsts<>+96(SB), Pa;      \
	VMOVUPS     geluConsts<>+96(SB), Pb;      \
	VMOVUPS     geluConsts<>+96(SB), Pc;      \
	VFMADD213PS geluConsts<>+128(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+128(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+128(SB), Ac, Pc; \
	VFMADD213PS geluConsts<>+160(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+160(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+160(SB), Ac, Pc; \
	VFMADD213PS geluConsts<>+192(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+192(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+192(SB), Ac, Pc; \
	VFMADD213PS geluConsts<>+224(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+224(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+224(SB), Ac, Pc; \
	VFMADD213PS geluConsts<>+256(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+256(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+256(SB), Ac, Pc; \
	VMULPS      Aa, Aa, Ra;                   \
	VMULPS      Ab, Ab, Rb;                   \
	VMULPS      Ac, Ac, Rc;                   \
	VFMADD213PS Aa, Ra, Pa;                   \
	VFMADD213PS Ab, Rb, Pb;                   \
	VFMADD213PS Ac, Rc, Pc;                   \
	VADDPS      geluConsts<>+352(SB), Pa, Pa; \
	VADDPS      geluConsts<>+352(SB), Pb, Pb; \
	VADDPS      geluConsts<>+352(SB), Pc, Pc; \
	VCVTPS2DQ   Na, Na;                       \
	VCVTPS2DQ   Nb, Nb;                       \
	VCVTPS2DQ   Nc, Nc;                       \
	VPSRAD      $1, Na, Ra;                   \
	VPSRAD      $1, Nb, Rb;                   \
	VPSRAD      $1, Nc, Rc;                   \
	VPSUBD      Ra, Na, Na;                   \
	VPSUBD      Rb, Nb, Nb;                   \
	VPSUBD      Rc, Nc, Nc;                   \
	VPADDD      geluConsts<>+384(SB), Ra, Ra; \
	VPADDD      geluConsts<>+384(SB), Rb, Rb; \
	VPADDD      geluConsts<>+384(SB), Rc, Rc; \
	VPSLLD      $23, Ra, Ra;                  \
	VPSLLD      $23, Rb, Rb;                  \
	VPSLLD      $23, Rc, Rc;                  \
	VPADDD      geluConsts<>+384(SB), Na, Na; \
	VPADDD      geluConsts<>+384(SB), Nb, Nb; \
	VPADDD      geluConsts<>+384(SB), Nc, Nc; \
	VPSLLD      $23, Na, Na;                  \
	VPSLLD      $23, Nb, Nb;                  \
	VPSLLD      $23, Nc, Nc;                  \
	VMULPS      Ra, Pa, Pa;                   \
	VMULPS      Rb, Pb, Pb;                   \
	VMULPS      Rc, Pc, Pc;                   \
	VMULPS      Na, Pa, Pa;                   \
	VMULPS      Nb, Pb, Pb;                   \
	VMULPS      Nc, Pc, Pc;                   \
	VADDPS      geluConsts<>+352(SB), Pa, Pa; \
	VADDPS      geluConsts<>+352(SB), Pb, Pb; \
	VADDPS      geluConsts<>+352(SB), Pc, Pc; \
	VDIVPS      Pa, Xa, Pa;                   \
	VDIVPS      Pb, Xb, Pb;                   \
	VDIVPS      Pc, Xc, Pc;                   \
	VMOVUPS     Pa, (DI);                     \
	VMOVUPS     Pb, 32(DI);                   \
	VMOVUPS     Pc, 64(DI)

// func geluAVX2(dst, x *float32, n int)
// dst[i] = GELU(x[i]) for i < n, n a multiple of 24 (dst may be x).
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ  dst+0(FP), DI
	MOVQ  x+8(FP), SI
	MOVQ  n+16(FP), CX
	TESTQ CX, CX
	JZ    geludone

geluloop:
	GELU24(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14)
	ADDQ $96, SI
	ADDQ $96, DI
	SUBQ $24, CX
	JNZ  geluloop

geludone:
	VZEROUPPER
	RET

// GELUGRAD24 writes dy·GELU′(x) for the 24 floats at (SI) (x) and (BX)
// (dy) to (DI), with t and e as in GELU24 and then, in the reference's
// order,
//
//	s = 1/(1 + e)
//	K = √(2/π)·(1 + ((3·0.044715)·x)·x)
//	dx = dy·(s + (((2x)·s)·(1 − s))·K)
#define GELUGRAD24(Xa, Aa, Na, Pa, Ra, Xb, Ab, Nb, Pb, Rb, Xc, Ac, Nc, Pc, Rc) \
	VMOVUPS     (SI), Xa;                     \
	VMOVUPS     32(SI), Xb;                   \
	VMOVUPS     64(SI), Xc;                   \
	VMULPS      geluConsts<>+416(SB), Xa, Aa; \
	VMULPS      geluConsts<>+416(SB), Xb, Ab; \
	VMULPS      geluConsts<>+416(SB), Xc, Ac; \
	VMULPS      Xa, Aa, Aa;                   \
	VMULPS      Xb, Ab, Ab;                   \
	VMULPS      Xc, Ac, Ac;                   \
	VMULPS      Xa, Aa, Aa;                   \
	VMULPS      Xb, Ab, Ab;                   \
	VMULPS      Xc, Ac, Ac;                   \
	VADDPS      Xa, Aa, Aa;                   \
	VADDPS      Xb, Ab, Ab;                   \
	VADDPS      Xc, Ac, Ac;                   \
	VMULPS      geluConsts<>+448(SB), Aa, Aa; \
	VMULPS      geluConsts<>+448(SB), Ab, Ab; \
	VMULPS      geluConsts<>+448(SB), Ac, Ac; \
	VMAXPS      geluConsts<>+320(SB), Aa, Aa; \
	VMAXPS      geluConsts<>+320(SB), Ab, Ab; \
	VMAXPS      geluConsts<>+320(SB), Ac, Ac; \
	VMINPS      geluConsts<>+288(SB), Aa, Aa; \
	VMINPS      geluConsts<>+288(SB), Ab, Ab; \
	VMINPS      geluConsts<>+288(SB), Ac, Ac; \
	VMULPS      geluConsts<>+0(SB), Aa, Na;   \
	VMULPS      geluConsts<>+0(SB), Ab, Nb;   \
	VMULPS      geluConsts<>+0(SB), Ac, Nc;   \
	VROUNDPS    $0, Na, Na;                   \
	VROUNDPS    $0, Nb, Nb;                   \
	VROUNDPS    $0, Nc, Nc;                   \
	VFMADD231PS geluConsts<>+32(SB), Na, Aa;  \
	VFMADD231PS geluConsts<>+32(SB), Nb, Ab;  \
	VFMADD231PS geluConsts<>+32(SB), Nc, Ac;  \
	VFMADD231PS geluConsts<>+64(SB), Na, Aa;  \
	VFMADD231PS geluConsts<>+64(SB), Nb, Ab;  \
	VFMADD231PS geluConsts<>+64(SB), Nc, Ac;  \
	VMOVUPS     geluConsts<>+96(SB), Pa;      \
	VMOVUPS     geluConsts<>+96(SB), Pb;      \
	VMOVUPS     geluConsts<>+96(SB), Pc;      \
	VFMADD213PS geluConsts<>+128(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+128(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+128(SB), Ac, Pc; \
	VFMADD213PS geluConsts<>+160(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+160(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+160(SB), Ac, Pc; \
	VFMADD213PS geluConsts<>+192(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+192(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+192(SB), Ac, Pc; \
	VFMADD213PS geluConsts<>+224(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+224(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+224(SB), Ac, Pc; \
	VFMADD213PS geluConsts<>+256(SB), Aa, Pa; \
	VFMADD213PS geluConsts<>+256(SB), Ab, Pb; \
	VFMADD213PS geluConsts<>+256(SB), Ac, Pc; \
	VMULPS      Aa, Aa, Ra;                   \
	VMULPS      Ab, Ab, Rb;                   \
	VMULPS      Ac, Ac, Rc;                   \
	VFMADD213PS Aa, Ra, Pa;                   \
	VFMADD213PS Ab, Rb, Pb;                   \
	VFMADD213PS Ac, Rc, Pc;                   \
	VADDPS      geluConsts<>+352(SB), Pa, Pa; \
	VADDPS      geluConsts<>+352(SB), Pb, Pb; \
	VADDPS      geluConsts<>+352(SB), Pc, Pc; \
	VCVTPS2DQ   Na, Na;                       \
	VCVTPS2DQ   Nb, Nb;                       \
	VCVTPS2DQ   Nc, Nc;                       \
	VPSRAD      $1, Na, Ra;                   \
	VPSRAD      $1, Nb, Rb;                   \
	VPSRAD      $1, Nc, Rc;                   \
	VPSUBD      Ra, Na, Na;                   \
	VPSUBD      Rb, Nb, Nb;                   \
	VPSUBD      Rc, Nc, Nc;                   \
	VPADDD      geluConsts<>+384(SB), Ra, Ra; \
	VPADDD      geluConsts<>+384(SB), Rb, Rb; \
	VPADDD      geluConsts<>+384(SB), Rc, Rc; \
	VPSLLD      $23, Ra, Ra;                  \
	VPSLLD      $23, Rb, Rb;                  \
	VPSLLD      $23, Rc, Rc;                  \
	VPADDD      geluConsts<>+384(SB), Na, Na; \
	VPADDD      geluConsts<>+384(SB), Nb, Nb; \
	VPADDD      geluConsts<>+384(SB), Nc, Nc; \
	VPSLLD      $23, Na, Na;                  \
	VPSLLD      $23, Nb, Nb;                  \
	VPSLLD      $23, Nc, Nc;                  \
	VMULPS      Ra, Pa, Pa;                   \
	VMULPS      Rb, Pb, Pb;                   \
	VMULPS      Rc, Pc, Pc;                   \
	VMULPS      Na, Pa, Pa;                   \
	VMULPS      Nb, Pb, Pb;                   \
	VMULPS      Nc, Pc, Pc;                   \
	VADDPS      geluConsts<>+352(SB), Pa, Pa; \
	VADDPS      geluConsts<>+352(SB), Pb, Pb; \
	VADDPS      geluConsts<>+352(SB), Pc, Pc; \
	VMOVUPS     geluConsts<>+352(SB), Aa;     \
	VMOVUPS     geluConsts<>+352(SB), Ab;     \
	VMOVUPS     geluConsts<>+352(SB), Ac;     \
	VDIVPS      Pa, Aa, Aa;                   \
	VDIVPS      Pb, Ab, Ab;                   \
	VDIVPS      Pc, Ac, Ac;                   \
	VMULPS      geluConsts<>+512(SB), Xa, Na; \
	VMULPS      geluConsts<>+512(SB), Xb, Nb; \
	VMULPS      geluConsts<>+512(SB), Xc, Nc; \
	VMULPS      Xa, Na, Na;                   \
	VMULPS      Xb, Nb, Nb;                   \
	VMULPS      Xc, Nc, Nc;                   \
	VADDPS      geluConsts<>+352(SB), Na, Na; \
	VADDPS      geluConsts<>+352(SB), Nb, Nb; \
	VADDPS      geluConsts<>+352(SB), Nc, Nc; \
	VMULPS      geluConsts<>+480(SB), Na, Na; \
	VMULPS      geluConsts<>+480(SB), Nb, Nb; \
	VMULPS      geluConsts<>+480(SB), Nc, Nc; \
	VADDPS      Xa, Xa, Ra;                   \
	VADDPS      Xb, Xb, Rb;                   \
	VADDPS      Xc, Xc, Rc;                   \
	VMULPS      Aa, Ra, Ra;                   \
	VMULPS      Ab, Rb, Rb;                   \
	VMULPS      Ac, Rc, Rc;                   \
	VMOVUPS     geluConsts<>+352(SB), Pa;     \
	VMOVUPS     geluConsts<>+352(SB), Pb;     \
	VMOVUPS     geluConsts<>+352(SB), Pc;     \
	VSUBPS      Aa, Pa, Pa;                   \
	VSUBPS      Ab, Pb, Pb;                   \
	VSUBPS      Ac, Pc, Pc;                   \
	VMULPS      Pa, Ra, Ra;                   \
	VMULPS      Pb, Rb, Rb;                   \
	VMULPS      Pc, Rc, Rc;                   \
	VMULPS      Na, Ra, Ra;                   \
	VMULPS      Nb, Rb, Rb;                   \
	VMULPS      Nc, Rc, Rc;                   \
	VADDPS      Aa, Ra, Ra;                   \
	VADDPS      Ab, Rb, Rb;                   \
	VADDPS      Ac, Rc, Rc;                   \
	VMULPS      (BX), Ra, Ra;                 \
	VMULPS      32(BX), Rb, Rb;               \
	VMULPS      64(BX), Rc, Rc;               \
	VMOVUPS     Ra, (DI);                     \
	VMOVUPS     Rb, 32(DI);                   \
	VMOVUPS     Rc, 64(DI)

// func geluGradAVX2(dx, x, dy *float32, n int)
// dx[i] = dy[i]·GELU′(x[i]) for i < n, n a multiple of 24 (dx may be x or
// dy).
TEXT ·geluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ  dx+0(FP), DI
	MOVQ  x+8(FP), SI
	MOVQ  dy+16(FP), BX
	MOVQ  n+24(FP), CX
	TESTQ CX, CX
	JZ    gelugraddone

gelugradloop:
	GELUGRAD24(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14)
	ADDQ $96, SI
	ADDQ $96, BX
	ADDQ $96, DI
	SUBQ $24, CX
	JNZ  gelugradloop

gelugraddone:
	VZEROUPPER
	RET
