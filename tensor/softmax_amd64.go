//go:build !purego

package tensor

// The softmax row kernels in softmax_amd64.s take any n ≥ 0: whole blocks
// of 8 elements, then the last n mod 8 through masked loads and stores
// (lanes past the end are neither read nor written), so every element gets
// the same operations wherever it sits. Each computes what the loop of the
// same name with suffix Loops in softmax.go computes, bit for bit.

//go:noescape
func scaleMaxAVX2(x *float32, n int, s float32) float32

//go:noescape
func expSubSumAVX2(x *float32, n int, m float32) float64

//go:noescape
func scaleToAVX2(dst, x *float32, n int, s float32)

//go:noescape
func dot64AVX2(x, y *float32, n int) float64

//go:noescape
func softmaxGradAVX2(dst, p, dp *float32, n int, r float64, s float32)

func scaleMax(x []float32, s float32) float32 {
	if !hasAVX2FMA || len(x) == 0 {
		return scaleMaxLoops(x, s)
	}
	return scaleMaxAVX2(&x[0], len(x), s)
}

func expSubSum(x []float32, m float32) float64 {
	if !hasAVX2FMA || len(x) == 0 {
		return expSubSumLoops(x, m)
	}
	return expSubSumAVX2(&x[0], len(x), m)
}

func scaleTo(dst, x []float32, s float32) {
	x = x[:len(dst)]
	if !hasAVX2FMA || len(dst) == 0 {
		scaleToLoops(dst, x, s)
		return
	}
	scaleToAVX2(&dst[0], &x[0], len(dst), s)
}

func dot64(x, y []float32) float64 {
	y = y[:len(x)]
	if !hasAVX2FMA || len(x) == 0 {
		return dot64Loops(x, y)
	}
	return dot64AVX2(&x[0], &y[0], len(x))
}

func softmaxGradTo(dst, p, dp []float32, r float64, s float32) {
	p, dp = p[:len(dst)], dp[:len(dst)]
	if !hasAVX2FMA || len(dst) == 0 {
		softmaxGradToLoops(dst, p, dp, r, s)
		return
	}
	softmaxGradAVX2(&dst[0], &p[0], &dp[0], len(dst), r, s)
}
