//go:build purego || !amd64

package tensor

// geluTanh is GELUTanhTo on one goroutine: the reference loops.
func geluTanh(dst, x []float32) { geluTanhLoops(dst, x) }

// geluTanhGrad is GELUTanhGradTo on one goroutine: the reference loops.
func geluTanhGrad(dx, x, dy []float32) { geluTanhGradLoops(dx, x, dy) }
