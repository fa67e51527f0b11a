//go:build !purego

package tensor

// geluBlock is how many elements geluAVX2 and geluGradAVX2 take per loop
// iteration: three interleaved blocks of 8.
const geluBlock = 24

// geluAVX2 and geluGradAVX2 are in act_amd64.s; n must be a multiple of
// geluBlock. They compute GELUTanhTo and GELUTanhGradTo with the float32
// operations of geluTanhLoops and geluTanhGradLoops, with e^(−2u) inline
// as expAVX2 computes it.
//
//go:noescape
func geluAVX2(dst, x *float32, n int)

//go:noescape
func geluGradAVX2(dx, x, dy *float32, n int)

// geluTanh is GELUTanhTo on one goroutine.
func geluTanh(dst, x []float32) {
	x = x[:len(dst)]
	if !hasAVX2FMA {
		geluTanhLoops(dst, x)
		return
	}
	nb := len(dst) / geluBlock * geluBlock
	if nb > 0 {
		geluAVX2(&dst[0], &x[0], nb)
	}
	if nb < len(dst) {
		// The tail goes through the same vector code via a padded copy, so
		// every element gets the same bits wherever it sits.
		var buf [geluBlock]float32
		copy(buf[:], x[nb:])
		geluAVX2(&buf[0], &buf[0], geluBlock)
		copy(dst[nb:], buf[:])
	}
}

// geluTanhGrad is GELUTanhGradTo on one goroutine.
func geluTanhGrad(dx, x, dy []float32) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	if !hasAVX2FMA {
		geluTanhGradLoops(dx, x, dy)
		return
	}
	nb := len(dx) / geluBlock * geluBlock
	if nb > 0 {
		geluGradAVX2(&dx[0], &x[0], &dy[0], nb)
	}
	if nb < len(dx) {
		var bx, bd [geluBlock]float32
		copy(bx[:], x[nb:])
		copy(bd[:], dy[nb:])
		geluGradAVX2(&bd[0], &bx[0], &bd[0], geluBlock)
		copy(dx[nb:], bd[:])
	}
}
