//go:build purego || !amd64

package tensor

// The row kernels of LayerNorm and RMSNorm: the reference loops.

func rowSum(x []float32) float64 {
	var s [statLanes]float64
	rowSumLoops(&s, x)
	return sumLanes16(&s)
}

func rowSqDev(x []float32, c float64) float64 {
	var s [statLanes]float64
	rowSqDevLoops(&s, x, c)
	return sumLanes16(&s)
}

func normApply(y, x []float32, mean, rstd float64, gamma, beta []float32) {
	normApplyLoops(y, x, mean, rstd, gamma, beta)
}

func normGradSums(h, x, dy, gamma []float32, mean, rstd float64, pg, pb []float64) (sum, dot float64) {
	var s [2 * gradLanes]float64
	normGradSumsLoops(&s, h, x, dy, gamma, mean, rstd, pg, pb)
	return gradLaneSums(&s)
}

func normGradDx(dx, h, dy, gamma []float32, rstd, dmean, dhmean float64) {
	normGradDxLoops(dx, h, dy, gamma, rstd, dmean, dhmean)
}
