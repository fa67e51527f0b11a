package tensor

import (
	"fmt"
	"math"
)

// Row kernels of a softmax and its gradient, for attention's fused kernel,
// which normalises each query row of scores in place. For a row x with
// scale s, the forward pass is three sweeps over the row:
//
//	m = max_j s·x[j]                  ScaleMax   (x[j] ← s·x[j])
//	Z = Σ_j e^(x[j] − m)              ExpSubSum  (x[j] ← e^(x[j] − m))
//	P[j] = x[j] / Z                   ScaleTo    (x[j] ← (1/Z)·x[j])
//
// and the backward pass of softmax, with dP the gradient arriving at P, is
//
//	r = Σ_j P[j]·dP[j]                Dot64
//	dS[j] = P[j]·(dP[j] − r)          SoftmaxGradTo
//
// Sums are accumulated in float64 in eight running sums, element j going to
// sum j mod 8, which are then added in a fixed tree (sum8), so the result
// depends only on the row, never on the build or CPU. On amd64 with AVX2 +
// FMA each kernel runs 8 elements per instruction (softmax_amd64.s) and
// gives exactly the bits of the loops below, which are the reference (and
// the code that runs with -tags purego and on other architectures).

// ScaleMax multiplies every element of x by s in place (x[j] = s·x[j], one
// float32 rounding each) and returns the largest product: −Inf for an empty
// row, and NaN products are skipped. (When the largest product is a zero,
// its sign may differ between the vector code and the loop; e^(x − m), and
// so the softmax, is the same either way.)
func ScaleMax(x []float32, s float32) float32 { return scaleMax(x, s) }

// scaleMaxLoops is the reference form of ScaleMax.
func scaleMaxLoops(x []float32, s float32) float32 {
	m := float32(math.Inf(-1))
	for j, v := range x {
		v *= s
		x[j] = v
		if v > m {
			m = v
		}
	}
	return m
}

// ExpSubSum replaces every element of x by e^(x[j] − m), the difference
// rounded to float32 and the exponential computed exactly as ExpTo computes
// it, and returns the sum of the new elements in float64. An element of −Inf
// (a masked score) becomes 0.
func ExpSubSum(x []float32, m float32) float64 { return expSubSum(x, m) }

// expSubSumLoops is the reference form of ExpSubSum.
func expSubSumLoops(x []float32, m float32) float64 {
	var s [8]float64
	for j, v := range x {
		e := exp32(v - m)
		x[j] = e
		s[j%8] += float64(e)
	}
	return sum8(&s)
}

// ScaleTo writes s·x[j] into dst[j] (one float32 rounding each); dst and x
// must have the same length, and dst may be x.
func ScaleTo(dst, x []float32, s float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("tensor.ScaleTo: lengths %d and %d differ", len(dst), len(x)))
	}
	scaleTo(dst, x, s)
}

// scaleToLoops is the reference form of ScaleTo.
func scaleToLoops(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for j, v := range x {
		dst[j] = s * v
	}
}

// Dot64 returns Σ x[j]·y[j] for two slices of one length, accumulated in
// float64. Each product of two float32 values is exact in float64, so only
// the additions round; they are made in eight running sums (element j in
// sum j mod 8) added in a fixed tree.
func Dot64(x, y []float32) float64 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("tensor.Dot64: lengths %d and %d differ", len(x), len(y)))
	}
	return dot64(x, y)
}

// dot64Loops is the reference form of Dot64.
func dot64Loops(x, y []float32) float64 {
	y = y[:len(x)]
	var s [8]float64
	for j, v := range x {
		s[j%8] += float64(v) * float64(y[j])
	}
	return sum8(&s)
}

// SoftmaxGradTo writes the softmax gradient dS[j] = P[j]·(dP[j] − r), times
// s, into dst for one row: with p the probabilities P, dp the incoming
// gradient dP and r = Σ P⊙dP (Dot64), each element is
//
//	dst[j] = float32(P[j]·(dP[j] − r)) · s
//
// computed in float64 and rounded to float32 once before the scaling. Where
// P[j] = 0 (a masked key, or a probability that underflowed) dst[j] is
// exactly 0, whatever dP[j] holds. The three slices have one length; dst
// may be dp.
func SoftmaxGradTo(dst, p, dp []float32, r float64, s float32) {
	if len(p) != len(dst) || len(dp) != len(dst) {
		panic(fmt.Sprintf("tensor.SoftmaxGradTo: lengths %d, %d and %d differ", len(dst), len(p), len(dp)))
	}
	softmaxGradTo(dst, p, dp, r, s)
}

// softmaxGradToLoops is the reference form of SoftmaxGradTo.
func softmaxGradToLoops(dst, p, dp []float32, r float64, s float32) {
	p, dp = p[:len(dst)], dp[:len(dst)]
	for j, pj := range p {
		if pj == 0 {
			dst[j] = 0
			continue
		}
		dst[j] = float32(float64(pj)*(float64(dp[j])-r)) * s
	}
}

// sum8 adds eight running sums in the fixed tree the vector code uses:
// ((s0+s4) + (s2+s6)) + ((s1+s5) + (s3+s7)).
func sum8(s *[8]float64) float64 {
	t0, t1, t2, t3 := s[0]+s[4], s[1]+s[5], s[2]+s[6], s[3]+s[7]
	return (t0 + t2) + (t1 + t3)
}
