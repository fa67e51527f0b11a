package tensor

import (
	"fmt"
	"math"
)

// AddTo adds src into dst element by element: dst[i] += src[i]. The slices
// must have the same length. It is the gradient accumulation of autograd
// and is bit-identical to the plain loop (each sum is rounded once).
func AddTo(dst, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("tensor.AddTo: lengths %d and %d differ", len(dst), len(src)))
	}
	if len(dst) < elementwiseParallelMin {
		addTo(dst, src) // no closure: short calls allocate nothing
		return
	}
	parallelChunks(len(dst), func(lo, hi int) { addTo(dst[lo:hi], src[lo:hi]) })
}

// addToLoops is the reference form of AddTo.
func addToLoops(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] += x
	}
}

// Dot returns the inner product Σᵢ x[i]·y[i] of two slices of one length.
// It sums in a fixed order that depends only on the length (on amd64, 32
// interleaved partial sums with fused multiply-adds, then a fixed
// reduction tree), so equal inputs give equal bits.
func Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("tensor.Dot: lengths %d and %d differ", len(x), len(y)))
	}
	return dot(x, y)
}

// dotLoops is the reference form of Dot: one running sum.
func dotLoops(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// Constants of ExpTo: eˣ = 2ⁿ·eʳ with n = round(x·log₂e) and
// r = x − n·ln2 (ln 2 split in a high part exact in float32 and a low
// part), eʳ ≈ 1 + r + r²·P(r) on |r| ≤ ½ln 2 with P the degree-5 minimax
// polynomial of the Cephes library's expf.
const (
	expHi    = 88.72283   // above: +Inf (eˣ overflows float32)
	expLo    = -103.97208 // below: 0 (eˣ is under half the smallest subnormal)
	expLog2e = 1.44269504088896341
	expLn2Hi = 0.693359375 // 355/512, exact
	expLn2Lo = -2.12194440e-4
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
)

// ExpTo writes eˣ of every element of x into dst (dst[i] = e^x[i]), which
// must have the same length; dst may be x itself. It computes in float32
// (see the constants above) to within about 2 ulps of the correctly rounded
// result, returns +Inf above 88.72, 0 below −103.97 and for −Inf, and NaN
// for NaN. On amd64 with AVX2 + FMA it runs 8 elements per instruction and
// gives exactly the same bits as the portable code. Softmax and
// cross-entropy use it.
func ExpTo(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("tensor.ExpTo: lengths %d and %d differ", len(dst), len(x)))
	}
	expTo(dst, x)
}

// expToLoops is the reference form of ExpTo, one element at a time with the
// same operations (and fused multiply-adds) as the vector code.
func expToLoops(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = exp32(v)
	}
}

// exp32 is eᵛ in float32 as described at ExpTo.
func exp32(v float32) float32 {
	switch {
	case v != v:
		return v
	case v > expHi:
		return float32(math.Inf(1))
	case v < expLo:
		return 0
	}
	fma := func(a, b, c float32) float32 { return float32(math.FMA(float64(a), float64(b), float64(c))) }
	n := float32(math.RoundToEven(float64(v * expLog2e)))
	r := fma(n, -expLn2Hi, v)
	r = fma(n, -expLn2Lo, r)
	p := fma(expP0, r, expP1)
	p = fma(p, r, expP2)
	p = fma(p, r, expP3)
	p = fma(p, r, expP4)
	p = fma(p, r, expP5)
	y := fma(p, float32(r*r), r) + 1
	// 2ⁿ in two factors, each a normal float32, so no step overflows
	// early and results in the subnormal range round correctly.
	ni := int32(n)
	n1 := ni >> 1
	n2 := ni - n1
	return y * math.Float32frombits(uint32(n1+127)<<23) * math.Float32frombits(uint32(n2+127)<<23)
}

// AddRows adds the first len(dst) columns of the rows×ld row-major matrix m
// into dst: dst[j] += m[0·ld+j] + m[1·ld+j] + … (a bias gradient), adding
// each column's rows in order, so every build and CPU gives the same bits.
func AddRows(dst, m []float32, rows, ld int) {
	n := len(dst)
	if rows < 0 || ld < n || (rows > 0 && len(m) < (rows-1)*ld+n) {
		panic(fmt.Sprintf("tensor.AddRows: %d values per row, %d rows %d apart, from %d values", n, rows, ld, len(m)))
	}
	if rows == 0 || n == 0 {
		return
	}
	addRows(dst, m, rows, ld)
}

// addRowsLoops is the plain-loop form of AddRows.
func addRowsLoops(dst, m []float32, rows, ld int) {
	for i := range rows {
		row := m[i*ld : i*ld+len(dst)]
		for j, x := range row {
			dst[j] += x
		}
	}
}
