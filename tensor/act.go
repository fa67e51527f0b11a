package tensor

import "fmt"

// geluChunk is how many elements the GELU kernels pass to ExpTo at a time
// (a stack buffer, so they allocate nothing).
const geluChunk = 256

// GELUTanhTo writes GPT-2's tanh approximation of GELU of every element of
// x into dst, which must have the same length (dst may be x):
//
//	GELU(x) = ½x(1 + tanh u) = x·σ(2u),  u = √(2/π)(x + 0.044715x³)
//
// using the identity ½(1 + tanh u) = σ(2u) = 1/(1 + e^(−2u)), which has no
// cancellation at either tail, with e^(−2u) from ExpTo. It agrees with
// GELUTanh to within a few float32 ulps and is several times faster. On
// amd64 with AVX2 + FMA the whole formula runs in vector code
// (act_amd64.s) that gives the same bits as the portable loops.
func GELUTanhTo(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("tensor.GELUTanhTo: lengths %d and %d differ", len(dst), len(x)))
	}
	if len(x) < elementwiseParallelMin {
		geluTanh(dst, x)
		return
	}
	parallelChunks(len(x), func(lo, hi int) { geluTanh(dst[lo:hi], x[lo:hi]) })
}

// geluTanhLoops is the reference form of GELUTanhTo on one goroutine:
// −2u for a chunk, ExpTo, then x/(1 + e^(−2u)) one element at a time. On
// amd64 with AVX2 + FMA, geluTanh (act_amd64.go) runs the same float32
// operations 8 elements per instruction instead; elsewhere geluTanh is this
// loop.
func geluTanhLoops(dst, x []float32) {
	var e [geluChunk]float32
	for lo := 0; lo < len(x); lo += geluChunk {
		xs := x[lo:min(lo+geluChunk, len(x))]
		es := e[:len(xs)]
		geluExpArg(es, xs)
		ExpTo(es, es)
		d := dst[lo : lo+len(xs)]
		for i, v := range xs {
			d[i] = v / (1 + es[i])
		}
	}
}

// GELUTanhGradTo writes dy ⊙ GELU′(x) into dx for GPT-2's tanh
// approximation (all three slices of one length; dx may alias dy). With
// s = σ(2u), so that ½(1 + tanh u) = s and 1 − tanh²u = 4s(1 − s):
//
//	GELU′(x) = s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²)
func GELUTanhGradTo(dx, x, dy []float32) {
	if len(dx) != len(x) || len(dy) != len(x) {
		panic(fmt.Sprintf("tensor.GELUTanhGradTo: lengths %d, %d and %d differ", len(dx), len(x), len(dy)))
	}
	if len(x) < elementwiseParallelMin {
		geluTanhGrad(dx, x, dy)
		return
	}
	parallelChunks(len(x), func(lo, hi int) { geluTanhGrad(dx[lo:hi], x[lo:hi], dy[lo:hi]) })
}

// geluTanhGradLoops is the reference form of GELUTanhGradTo on one
// goroutine; geluTanhGrad is it or, on amd64 with AVX2 + FMA, the same
// float32 operations in vector code (act_amd64.go).
func geluTanhGradLoops(dx, x, dy []float32) {
	var e [geluChunk]float32
	for lo := 0; lo < len(x); lo += geluChunk {
		xs := x[lo:min(lo+geluChunk, len(x))]
		es := e[:len(xs)]
		geluExpArg(es, xs)
		ExpTo(es, es)
		gs, ds := dy[lo:lo+len(xs)], dx[lo:lo+len(xs)]
		for i, v := range xs {
			s := 1 / (1 + es[i])
			d := s + float32(2*v*s*(1-s)*(GELUTanhC*(1+float32(3*0.044715*v*v))))
			ds[i] = gs[i] * d
		}
	}
}

// geluExpArg writes −2u = −2√(2/π)(x + 0.044715x³) for each x.
//
// The float32 conversions here and in geluTanhGradLoops round each product
// before the sum that follows it, which stops the compiler from fusing the
// two into one multiply-add (as it may with GOAMD64=v3): the reference then
// has one meaning on every target, and the vector code in act_amd64.s
// matches it bit for bit.
func geluExpArg(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = -2 * GELUTanhC * (v + float32(0.044715*v*v*v))
	}
}
