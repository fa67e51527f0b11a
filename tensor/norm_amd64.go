//go:build !purego

package tensor

// The row kernels of LayerNorm and RMSNorm in norm_amd64.s. Each handles a
// prefix of the row whose length n is a multiple of 16 (rowSumAVX2,
// rowSqDevAVX2) or 8 (the others). The sums store their lanes in s and
// return them added in the tree of sumLanes16 or sumLanes8 (in registers:
// reading back lanes just stored as 32-byte vectors would stall). If the
// row is longer, the Go wrappers below finish it with the reference loops,
// which continue the same lanes (the prefix length is a multiple of the
// lane count), so the bits are those of the loops on the whole row. A nil
// gamma, beta, pg or pb is passed as a nil pointer and skipped by the
// vector code as by the loops.

//go:noescape
func rowSumAVX2(s *[statLanes]float64, x *float32, n int) float64

//go:noescape
func rowSqDevAVX2(s *[statLanes]float64, x *float32, n int, c float64) float64

//go:noescape
func normApplyAVX2(y, x, gamma, beta *float32, n int, mean, rstd float64)

//go:noescape
func normGradSumsAVX2(s *[2 * gradLanes]float64, h, x, dy, gamma *float32, pg, pb *float64, n int, mean, rstd float64) (sum, dot float64)

//go:noescape
func normGradDxAVX2(dx, h, dy, gamma *float32, n int, rstd, dmean, dhmean float64)

// first returns &v[0], or nil if v is nil.
func first[T any](v []T) *T {
	if v == nil {
		return nil
	}
	return &v[0]
}

// tail returns v[lo:], or nil if v is nil (optional γ, β, partial sums).
func tail[T any](v []T, lo int) []T {
	if v == nil {
		return nil
	}
	return v[lo:]
}

func rowSum(x []float32) float64 {
	var s [statLanes]float64
	if n := len(x) &^ (statLanes - 1); hasAVX2FMA && n > 0 {
		sum := rowSumAVX2(&s, &x[0], n)
		if n == len(x) {
			return sum
		}
		x = x[n:]
	}
	rowSumLoops(&s, x)
	return sumLanes16(&s)
}

func rowSqDev(x []float32, c float64) float64 {
	var s [statLanes]float64
	if n := len(x) &^ (statLanes - 1); hasAVX2FMA && n > 0 {
		sq := rowSqDevAVX2(&s, &x[0], n, c)
		if n == len(x) {
			return sq
		}
		x = x[n:]
	}
	rowSqDevLoops(&s, x, c)
	return sumLanes16(&s)
}

func normApply(y, x []float32, mean, rstd float64, gamma, beta []float32) {
	n := len(y) &^ 7
	if !hasAVX2FMA || n == 0 {
		normApplyLoops(y, x, mean, rstd, gamma, beta)
		return
	}
	normApplyAVX2(&y[0], &x[0], first(gamma), first(beta), n, mean, rstd)
	normApplyLoops(y[n:], x[n:], mean, rstd, tail(gamma, n), tail(beta, n))
}

func normGradSums(h, x, dy, gamma []float32, mean, rstd float64, pg, pb []float64) (sum, dot float64) {
	var s [2 * gradLanes]float64
	n := len(h) &^ (gradLanes - 1)
	if !hasAVX2FMA || n == 0 {
		normGradSumsLoops(&s, h, x, dy, gamma, mean, rstd, pg, pb)
		return gradLaneSums(&s)
	}
	sum, dot = normGradSumsAVX2(&s, &h[0], &x[0], &dy[0], first(gamma), first(pg), first(pb), n, mean, rstd)
	if n == len(h) {
		return sum, dot
	}
	normGradSumsLoops(&s, h[n:], x[n:], dy[n:], tail(gamma, n), mean, rstd, tail(pg, n), tail(pb, n))
	return gradLaneSums(&s)
}

func normGradDx(dx, h, dy, gamma []float32, rstd, dmean, dhmean float64) {
	n := len(dx) &^ 7
	if !hasAVX2FMA || n == 0 {
		normGradDxLoops(dx, h, dy, gamma, rstd, dmean, dhmean)
		return
	}
	normGradDxAVX2(&dx[0], &h[0], &dy[0], first(gamma), n, rstd, dmean, dhmean)
	normGradDxLoops(dx[n:], h[n:], dy[n:], tail(gamma, n), rstd, dmean, dhmean)
}
