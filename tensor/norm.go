package tensor

import (
	"fmt"
	"math"
)

// Kernels of LayerNorm and RMSNorm. A row x of c values is normalised with
// its mean μ (0 for RMSNorm) and reciprocal scale r:
//
//	LayerNorm: μ = mean(x),  r = 1/√(mean((x − μ)²) + eps)
//	RMSNorm:   μ = 0,        r = 1/√(mean(x²) + eps)
//	x̂ = (x − μ)·r,  y = x̂ ⊙ γ + β
//
// and backward, with d̂ = dy ⊙ γ, takes
//
//	dx = r·(d̂ − mean(d̂) − x̂·mean(d̂ ⊙ x̂))   (mean(d̂) dropped for RMSNorm)
//	dγ = Σ_rows dy ⊙ x̂,  dβ = Σ_rows dy.
//
// NormForward and NormBackward run these over rows, one row at a time,
// with four row kernels: rowStats (μ and the sum of squares behind r),
// normApply (y), normGradSums (x̂, Σ d̂, Σ d̂⊙x̂, and one row of the dγ, dβ
// sums) and normGradDx (dx).
//
// Numerics: x − μ, the products with r and all sums are float64; x̂ is
// rounded to float32 once, and backward uses that same rounded x̂. The sums
// run in a fixed number of interleaved lanes (element j goes to lane
// j mod 16 for the statistics, j mod 8 for the backward sums) combined by a
// fixed tree (sumLanes16, sumLanes8), so the bits depend only on the data
// and the row length. On amd64 with AVX2 + FMA the loops run in vector code
// (norm_amd64.s) that performs the same float64 operations in the same
// order, without fused multiply-adds, and so gives the same bits as the Go
// loops below, which run under -tags purego and on other architectures.

// statLanes and gradLanes are the numbers of interleaved partial sums of
// rowStats and normGradSums.
const (
	statLanes = 16
	gradLanes = 8
)

// NormForward normalises each row of x (rows of c values) into y:
//
//	mean = Σx/c (centered: LayerNorm) or 0 (RMSNorm)
//	rstd = 1/√(Σ(x − mean)²/c + eps)
//	y = float32((x − mean)·rstd) ⊙ γ + β
//
// and stores each row's mean and rstd for NormBackward. gamma and beta have
// length c or are nil (γ = 1, β = 0); y has the length of x and may be x;
// mean and rstd have one element per row. The statistics are two float64
// passes over the row (no cancellation between a sum of squares and a
// squared sum).
func NormForward(y, x []float32, c int, centered bool, eps float64, gamma, beta []float32, mean, rstd []float64) {
	rows := normRows("NormForward", x, c, mean, rstd)
	normCheck("NormForward", "y", len(y), len(x), false)
	normCheck("NormForward", "gamma", len(gamma), c, gamma == nil)
	normCheck("NormForward", "beta", len(beta), c, beta == nil)
	for r := range rows {
		xr := x[r*c : (r+1)*c]
		m, sq := rowStats(xr, centered)
		rs := 1 / math.Sqrt(sq/float64(c)+eps)
		mean[r], rstd[r] = m, rs
		normApply(y[r*c:(r+1)*c], xr, m, rs, gamma, beta)
	}
}

// NormBackward is the backward of NormForward over the same rows: with
// x̂ = float32((x − mean)·rstd) recomputed bit for bit as forward had it and
// d̂ = dy ⊙ γ (γ = 1 if gamma is nil), it adds, row by row,
//
//	dx += float32(rstd·((d̂ − mean(d̂)) − x̂·mean(d̂ ⊙ x̂)))   (mean(d̂) = 0 if not centered)
//	pg += dy ⊙ x̂,  pb += dy                                  (float64)
//
// into whichever of dx, pg and pb are not nil (pg, pb: length c, the
// running sums of dγ and dβ over rows).
func NormBackward(dx, x, dy []float32, c int, centered bool, gamma []float32, mean, rstd, pg, pb []float64) {
	rows := normRows("NormBackward", x, c, mean, rstd)
	normCheck("NormBackward", "dy", len(dy), len(x), false)
	normCheck("NormBackward", "dx", len(dx), len(x), dx == nil)
	normCheck("NormBackward", "gamma", len(gamma), c, gamma == nil)
	normCheck("NormBackward", "pg", len(pg), c, pg == nil)
	normCheck("NormBackward", "pb", len(pb), c, pb == nil)
	var buf [512]float32
	h := buf[:min(c, len(buf))] // x̂ of the current row
	if c > len(buf) {
		h = make([]float32, c)
	}
	for r := range rows {
		xr, dyr := x[r*c:(r+1)*c], dy[r*c:(r+1)*c]
		sum, dot := normGradSums(h, xr, dyr, gamma, mean[r], rstd[r], pg, pb)
		if dx == nil {
			continue
		}
		dmean := 0.0
		if centered {
			dmean = sum / float64(c)
		}
		normGradDx(dx[r*c:(r+1)*c], h, dyr, gamma, rstd[r], dmean, dot/float64(c))
	}
}

// normRows checks that x holds whole rows of c > 0 values and that mean
// and rstd have one element per row, and returns the number of rows.
func normRows(op string, x []float32, c int, mean, rstd []float64) int {
	if c <= 0 || len(x)%c != 0 {
		panic(fmt.Sprintf("tensor.%s: %d values are not rows of %d", op, len(x), c))
	}
	rows := len(x) / c
	normCheck(op, "mean", len(mean), rows, false)
	normCheck(op, "rstd", len(rstd), rows, false)
	return rows
}

// normCheck panics unless a slice's length n is want (or it is absent).
func normCheck(op, name string, n, want int, absent bool) {
	if n != want && !absent {
		panic(fmt.Sprintf("tensor.%s: %s has length %d, want %d", op, name, n, want))
	}
}

// rowStats returns the mean of a row (0 if not centered) and the sum of
// squared deviations from it.
func rowStats(x []float32, centered bool) (mean, sq float64) {
	if centered && len(x) > 0 {
		mean = rowSum(x) / float64(len(x))
	}
	return mean, rowSqDev(x, mean)
}

// sumLanes16 and sumLanes8 add interleaved partial sums in a fixed tree:
// the upper half is added lane by lane onto the lower half until one value
// is left (for 16 lanes: s[k] + s[k+8], then + 4, + 2, + 1).
func sumLanes16(s *[statLanes]float64) float64 {
	a0, a1, a2, a3 := s[0]+s[8], s[1]+s[9], s[2]+s[10], s[3]+s[11]
	a4, a5, a6, a7 := s[4]+s[12], s[5]+s[13], s[6]+s[14], s[7]+s[15]
	b0, b1, b2, b3 := a0+a4, a1+a5, a2+a6, a3+a7
	return (b0 + b2) + (b1 + b3)
}

func sumLanes8(s *[gradLanes]float64) float64 {
	a0, a1, a2, a3 := s[0]+s[4], s[1]+s[5], s[2]+s[6], s[3]+s[7]
	return (a0 + a2) + (a1 + a3)
}

// gradLaneSums returns the sums of normGradSums from its lanes: Σ d̂ from
// s[:8], Σ d̂⊙x̂ from s[8:].
func gradLaneSums(s *[2 * gradLanes]float64) (sum, dot float64) {
	return sumLanes8((*[gradLanes]float64)(s[:gradLanes])), sumLanes8((*[gradLanes]float64)(s[gradLanes:]))
}

// rowSumLoops adds x[j] into lane s[j mod statLanes].
func rowSumLoops(s *[statLanes]float64, x []float32) {
	for j, v := range x {
		s[j%statLanes] += float64(v)
	}
}

// rowSqDevLoops adds (x[j] − c)² into lane s[j mod statLanes]. The float64
// conversion rounds the square before the sum, so that no compiler fuses
// the two into one multiply-add: the vector code does not either.
func rowSqDevLoops(s *[statLanes]float64, x []float32, c float64) {
	for j, v := range x {
		d := float64(v) - c
		s[j%statLanes] += float64(d * d)
	}
}

// normApplyLoops writes y = float32((x − mean)·rstd) ⊙ γ + β (reference
// form of normApply).
func normApplyLoops(y, x []float32, mean, rstd float64, gamma, beta []float32) {
	x = x[:len(y)]
	for j, v := range x {
		h := float32((float64(v) - mean) * rstd)
		if gamma != nil {
			h = float32(h * gamma[j]) // rounded before β is added: no fusion
		}
		if beta != nil {
			h += beta[j]
		}
		y[j] = h
	}
}

// normGradSumsLoops is the reference form of normGradSums, the first
// backward pass over a row: it writes x̂ into h, adds dy ⊙ x̂ into pg and dy
// into pb (if not nil), and adds d̂ = dy ⊙ γ into lane s[j mod gradLanes]
// and d̂⊙x̂ into lane s[gradLanes + j mod gradLanes]. dy·x̂ and dy·γ are
// exact in float64 (two 24-bit significands); d̂·x̂ is rounded before it is
// added.
func normGradSumsLoops(s *[2 * gradLanes]float64, h, x, dy, gamma []float32, mean, rstd float64, pg, pb []float64) {
	x, dy = x[:len(h)], dy[:len(h)]
	for j, v := range x {
		hj := float32((float64(v) - mean) * rstd)
		h[j] = hj
		d := float64(dy[j])
		if pg != nil {
			pg[j] += float64(d * float64(hj))
		}
		if pb != nil {
			pb[j] += d
		}
		if gamma != nil {
			d *= float64(gamma[j])
		}
		s[j%gradLanes] += d
		s[gradLanes+j%gradLanes] += float64(d * float64(hj))
	}
}

// normGradDxLoops is the reference form of normGradDx, the second backward
// pass over a row: dx += float32(rstd·((d̂ − dmean) − x̂·dhmean)).
func normGradDxLoops(dx, h, dy, gamma []float32, rstd, dmean, dhmean float64) {
	h, dy = h[:len(dx)], dy[:len(dx)]
	for j, hj := range h {
		d := float64(dy[j])
		if gamma != nil {
			d *= float64(gamma[j])
		}
		t := float64(float64(hj) * dhmean) // rounded: no fusion with the subtraction
		dx[j] += float32(rstd * ((d - dmean) - t))
	}
}
