//go:build !purego

#include "textflag.h"

// Constants of ExpTo (vec.go), each repeated in 8 lanes: log2(e), -ln2 high
// and low parts, the polynomial P0..P5, the input limits, 1, the exponent
// bias 127 (as integers) and +Inf.
DATA expConsts<>+0(SB)/4, $0x3fb8aa3b
DATA expConsts<>+4(SB)/4, $0x3fb8aa3b
DATA expConsts<>+8(SB)/4, $0x3fb8aa3b
DATA expConsts<>+12(SB)/4, $0x3fb8aa3b
DATA expConsts<>+16(SB)/4, $0x3fb8aa3b
DATA expConsts<>+20(SB)/4, $0x3fb8aa3b
DATA expConsts<>+24(SB)/4, $0x3fb8aa3b
DATA expConsts<>+28(SB)/4, $0x3fb8aa3b
DATA expConsts<>+32(SB)/4, $0xbf318000
DATA expConsts<>+36(SB)/4, $0xbf318000
DATA expConsts<>+40(SB)/4, $0xbf318000
DATA expConsts<>+44(SB)/4, $0xbf318000
DATA expConsts<>+48(SB)/4, $0xbf318000
DATA expConsts<>+52(SB)/4, $0xbf318000
DATA expConsts<>+56(SB)/4, $0xbf318000
DATA expConsts<>+60(SB)/4, $0xbf318000
DATA expConsts<>+64(SB)/4, $0x395e8083
DATA expConsts<>+68(SB)/4, $0x395e8083
DATA expConsts<>+72(SB)/4, $0x395e8083
DATA expConsts<>+76(SB)/4, $0x395e8083
DATA expConsts<>+80(SB)/4, $0x395e8083
DATA expConsts<>+84(SB)/4, $0x395e8083
DATA expConsts<>+88(SB)/4, $0x395e8083
DATA expConsts<>+92(SB)/4, $0x395e8083
DATA expConsts<>+96(SB)/4, $0x39506967
DATA expConsts<>+100(SB)/4, $0x39506967
DATA expConsts<>+104(SB)/4, $0x39506967
DATA expConsts<>+108(SB)/4, $0x39506967
DATA expConsts<>+112(SB)/4, $0x39506967
DATA expConsts<>+116(SB)/4, $0x39506967
DATA expConsts<>+120(SB)/4, $0x39506967
DATA expConsts<>+124(SB)/4, $0x39506967
DATA expConsts<>+128(SB)/4, $0x3ab743ce
DATA expConsts<>+132(SB)/4, $0x3ab743ce
DATA expConsts<>+136(SB)/4, $0x3ab743ce
DATA expConsts<>+140(SB)/4, $0x3ab743ce
DATA expConsts<>+144(SB)/4, $0x3ab743ce
DATA expConsts<>+148(SB)/4, $0x3ab743ce
DATA expConsts<>+152(SB)/4, $0x3ab743ce
DATA expConsts<>+156(SB)/4, $0x3ab743ce
DATA expConsts<>+160(SB)/4, $0x3c088908
DATA expConsts<>+164(SB)/4, $0x3c088908
DATA expConsts<>+168(SB)/4, $0x3c088908
DATA expConsts<>+172(SB)/4, $0x3c088908
DATA expConsts<>+176(SB)/4, $0x3c088908
DATA expConsts<>+180(SB)/4, $0x3c088908
DATA expConsts<>+184(SB)/4, $0x3c088908
DATA expConsts<>+188(SB)/4, $0x3c088908
DATA expConsts<>+192(SB)/4, $0x3d2aa9c1
DATA expConsts<>+196(SB)/4, $0x3d2aa9c1
DATA expConsts<>+200(SB)/4, $0x3d2aa9c1
DATA expConsts<>+204(SB)/4, $0x3d2aa9c1
DATA expConsts<>+208(SB)/4, $0x3d2aa9c1
DATA expConsts<>+212(SB)/4, $0x3d2aa9c1
DATA expConsts<>+216(SB)/4, $0x3d2aa9c1
DATA expConsts<>+220(SB)/4, $0x3d2aa9c1
DATA expConsts<>+224(SB)/4, $0x3e2aaaaa
DATA expConsts<>+228(SB)/4, $0x3e2aaaaa
DATA expConsts<>+232(SB)/4, $0x3e2aaaaa
DATA expConsts<>+236(SB)/4, $0x3e2aaaaa
DATA expConsts<>+240(SB)/4, $0x3e2aaaaa
DATA expConsts<>+244(SB)/4, $0x3e2aaaaa
DATA expConsts<>+248(SB)/4, $0x3e2aaaaa
DATA expConsts<>+252(SB)/4, $0x3e2aaaaa
DATA expConsts<>+256(SB)/4, $0x3f000000
DATA expConsts<>+260(SB)/4, $0x3f000000
DATA expConsts<>+264(SB)/4, $0x3f000000
DATA expConsts<>+268(SB)/4, $0x3f000000
DATA expConsts<>+272(SB)/4, $0x3f000000
DATA expConsts<>+276(SB)/4, $0x3f000000
DATA expConsts<>+280(SB)/4, $0x3f000000
DATA expConsts<>+284(SB)/4, $0x3f000000
DATA expConsts<>+288(SB)/4, $0x42b17217
DATA expConsts<>+292(SB)/4, $0x42b17217
DATA expConsts<>+296(SB)/4, $0x42b17217
DATA expConsts<>+300(SB)/4, $0x42b17217
DATA expConsts<>+304(SB)/4, $0x42b17217
DATA expConsts<>+308(SB)/4, $0x42b17217
DATA expConsts<>+312(SB)/4, $0x42b17217
DATA expConsts<>+316(SB)/4, $0x42b17217
DATA expConsts<>+320(SB)/4, $0xc2cff1b4
DATA expConsts<>+324(SB)/4, $0xc2cff1b4
DATA expConsts<>+328(SB)/4, $0xc2cff1b4
DATA expConsts<>+332(SB)/4, $0xc2cff1b4
DATA expConsts<>+336(SB)/4, $0xc2cff1b4
DATA expConsts<>+340(SB)/4, $0xc2cff1b4
DATA expConsts<>+344(SB)/4, $0xc2cff1b4
DATA expConsts<>+348(SB)/4, $0xc2cff1b4
DATA expConsts<>+352(SB)/4, $0x3f800000
DATA expConsts<>+356(SB)/4, $0x3f800000
DATA expConsts<>+360(SB)/4, $0x3f800000
DATA expConsts<>+364(SB)/4, $0x3f800000
DATA expConsts<>+368(SB)/4, $0x3f800000
DATA expConsts<>+372(SB)/4, $0x3f800000
DATA expConsts<>+376(SB)/4, $0x3f800000
DATA expConsts<>+380(SB)/4, $0x3f800000
DATA expConsts<>+384(SB)/4, $0x0000007f
DATA expConsts<>+388(SB)/4, $0x0000007f
DATA expConsts<>+392(SB)/4, $0x0000007f
DATA expConsts<>+396(SB)/4, $0x0000007f
DATA expConsts<>+400(SB)/4, $0x0000007f
DATA expConsts<>+404(SB)/4, $0x0000007f
DATA expConsts<>+408(SB)/4, $0x0000007f
DATA expConsts<>+412(SB)/4, $0x0000007f
DATA expConsts<>+416(SB)/4, $0x7f800000
DATA expConsts<>+420(SB)/4, $0x7f800000
DATA expConsts<>+424(SB)/4, $0x7f800000
DATA expConsts<>+428(SB)/4, $0x7f800000
DATA expConsts<>+432(SB)/4, $0x7f800000
DATA expConsts<>+436(SB)/4, $0x7f800000
DATA expConsts<>+440(SB)/4, $0x7f800000
DATA expConsts<>+444(SB)/4, $0x7f800000
GLOBL expConsts<>(SB), RODATA|NOPTR, $448

// func expAVX2(dst, x *float32, n int)
// dst[i] = e^x[i] for i < n, n a multiple of 8; see exp32 in vec.go for the
// same steps one element at a time.
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   expdone

exploop:
	VMOVUPS     (SI), Y0
	VMAXPS      expConsts<>+320(SB), Y0, Y1
	VMINPS      expConsts<>+288(SB), Y1, Y1
	VMULPS      expConsts<>+0(SB), Y1, Y2
	VROUNDPS    $0, Y2, Y2
	VMOVAPS     Y1, Y3
	VFMADD231PS expConsts<>+32(SB), Y2, Y3
	VFMADD231PS expConsts<>+64(SB), Y2, Y3
	VMOVUPS     expConsts<>+96(SB), Y4
	VFMADD213PS expConsts<>+128(SB), Y3, Y4
	VFMADD213PS expConsts<>+160(SB), Y3, Y4
	VFMADD213PS expConsts<>+192(SB), Y3, Y4
	VFMADD213PS expConsts<>+224(SB), Y3, Y4
	VFMADD213PS expConsts<>+256(SB), Y3, Y4
	VMULPS      Y3, Y3, Y5
	VFMADD213PS Y3, Y5, Y4
	VADDPS      expConsts<>+352(SB), Y4, Y4
	VCVTPS2DQ   Y2, Y6
	VPSRAD      $1, Y6, Y7
	VPSUBD      Y7, Y6, Y6
	VPADDD      expConsts<>+384(SB), Y7, Y7
	VPSLLD      $23, Y7, Y7
	VPADDD      expConsts<>+384(SB), Y6, Y6
	VPSLLD      $23, Y6, Y6
	VMULPS      Y7, Y4, Y4
	VMULPS      Y6, Y4, Y4
	VCMPPS      $0x1e, expConsts<>+288(SB), Y0, Y8
	VBLENDVPS   Y8, expConsts<>+416(SB), Y4, Y4
	VCMPPS      $0x11, expConsts<>+320(SB), Y0, Y8
	VANDNPS     Y4, Y8, Y4
	VCMPPS      $3, Y0, Y0, Y8
	VBLENDVPS   Y8, Y0, Y4, Y4
	VMOVUPS     Y4, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        CX
	JNZ         exploop

expdone:
	VZEROUPPER
	RET

// func addAVX2(dst, src *float32, n int)
// dst[i] += src[i] for i < n, n a multiple of 8.
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ CX, DX
	SHRQ $5, DX
	JZ   add8

add32:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VADDPS  64(SI), Y2, Y2
	VADDPS  96(SI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	DECQ    DX
	JNZ     add32

add8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ   adddone

add8loop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     add8loop

adddone:
	VZEROUPPER
	RET

// func dotAVX2(x, y *float32, n int) float32
// Σ x[i]·y[i] for i < n, n a multiple of 32: four 8-lane accumulators with
// fused multiply-adds, then (A0+A1)+(A2+A3) and a fixed horizontal sum.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	SHRQ   $5, CX
	JZ     dotsum

dotloop:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        CX
	JNZ         dotloop

dotsum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET

// func addRows64AVX2(dst, src *float32, ld, rows int)
// dst[j] += src[0·ld+j] + src[1·ld+j] + … for j < 64, the rows added to
// each column in order (eight 8-lane accumulators that start at dst).
TEXT ·addRows64AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ rows+24(FP), CX
	SHLQ $2, R8
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	TESTQ   CX, CX
	JZ      doneRows64

loopRows64:
	VADDPS 0(SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	VADDPS 128(SI), Y4, Y4
	VADDPS 160(SI), Y5, Y5
	VADDPS 192(SI), Y6, Y6
	VADDPS 224(SI), Y7, Y7
	ADDQ   R8, SI
	DECQ   CX
	JNZ    loopRows64

doneRows64:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VZEROUPPER
	RET

// func addRows8AVX2(dst, src *float32, ld, rows int)
// addRows64AVX2 for 8 columns.
TEXT ·addRows8AVX2(SB), NOSPLIT, $0-32
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    ld+16(FP), R8
	MOVQ    rows+24(FP), CX
	SHLQ    $2, R8
	VMOVUPS 0(DI), Y0
	TESTQ   CX, CX
	JZ      doneRows8

loopRows8:
	VADDPS 0(SI), Y0, Y0
	ADDQ   R8, SI
	DECQ   CX
	JNZ    loopRows8

doneRows8:
	VMOVUPS Y0, 0(DI)
	VZEROUPPER
	RET
