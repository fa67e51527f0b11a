//go:build purego || !amd64

package tensor

func scaleMax(x []float32, s float32) float32 { return scaleMaxLoops(x, s) }

func expSubSum(x []float32, m float32) float64 { return expSubSumLoops(x, m) }

func scaleTo(dst, x []float32, s float32) { scaleToLoops(dst, x, s) }

func dot64(x, y []float32) float64 { return dot64Loops(x, y) }

func softmaxGradTo(dst, p, dp []float32, r float64, s float32) {
	softmaxGradToLoops(dst, p, dp, r, s)
}
