//go:build purego || !amd64

package tensor

func expTo(dst, x []float32) { expToLoops(dst, x) }

func addTo(dst, src []float32) { addToLoops(dst, src) }

func dot(x, y []float32) float32 { return dotLoops(x, y) }

func addRows(dst, m []float32, rows, ld int) { addRowsLoops(dst, m, rows, ld) }
