//go:build !purego

package tensor

// expAVX2 and addAVX2 are in vec_amd64.s; n must be a multiple of 8.
//
//go:noescape
func expAVX2(dst, x *float32, n int)

//go:noescape
func addAVX2(dst, src *float32, n int)

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func addRows64AVX2(dst, src *float32, ld, rows int)

//go:noescape
func addRows8AVX2(dst, src *float32, ld, rows int)

func addRows(dst, m []float32, rows, ld int) {
	if !hasAVX2FMA {
		addRowsLoops(dst, m, rows, ld)
		return
	}
	j := 0
	for ; j+64 <= len(dst); j += 64 {
		addRows64AVX2(&dst[j], &m[j], ld, rows)
	}
	for ; j+8 <= len(dst); j += 8 {
		addRows8AVX2(&dst[j], &m[j], ld, rows)
	}
	if j < len(dst) {
		addRowsLoops(dst[j:], m[j:], rows, ld)
	}
}

func expTo(dst, x []float32) {
	x = x[:len(dst)]
	if !hasAVX2FMA {
		expToLoops(dst, x)
		return
	}
	n8 := len(dst) &^ 7
	if n8 > 0 {
		expAVX2(&dst[0], &x[0], n8)
	}
	if n8 < len(dst) {
		// The tail goes through the same vector code via a padded copy, so
		// every element gets the same bits wherever it sits.
		var buf [8]float32
		copy(buf[:], x[n8:])
		expAVX2(&buf[0], &buf[0], 8)
		copy(dst[n8:], buf[:])
	}
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	if !hasAVX2FMA {
		addToLoops(dst, src)
		return
	}
	n8 := len(dst) &^ 7
	if n8 > 0 {
		addAVX2(&dst[0], &src[0], n8)
	}
	addToLoops(dst[n8:], src[n8:])
}

func dot(x, y []float32) float32 {
	y = y[:len(x)]
	if !hasAVX2FMA {
		return dotLoops(x, y)
	}
	n32 := len(x) &^ 31
	var s float32
	if n32 > 0 {
		s = dotAVX2(&x[0], &y[0], n32)
	}
	if n32 < len(x) {
		s += dotLoops(x[n32:], y[n32:])
	}
	return s
}
