package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Scalar returns a 0-dimensional tensor (shape []) holding v.
func Scalar(v float32) *Tensor { return &Tensor{Shape: []int{}, Data: []float32{v}} }

// Arange returns the vector [start, start+step, start+2·step, …] of every
// value strictly before stop (NumPy's arange): ⌈(stop−start)/step⌉ elements.
func Arange(start, stop, step float32) *Tensor {
	if step == 0 {
		panic("tensor.Arange: step is 0")
	}
	n := int(math.Ceil(float64(stop-start) / float64(step)))
	if n < 0 {
		n = 0
	}
	t := Zeros(n)
	for i := range t.Data {
		t.Data[i] = start + float32(i)*step
	}
	return t
}

// Randn returns a tensor of the given shape with entries drawn from the
// normal distribution N(0, std²) using rng.
func Randn(rng *rand.Rand, std float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64()) * std
	}
	return t
}

// Uniform returns a tensor of the given shape with entries drawn uniformly
// from [lo, hi) using rng.
func Uniform(rng *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*rng.Float32()
	}
	return t
}

// strides returns the row-major strides of shape: stride[i] = Π_{j>i} shape[j].
func strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// offset returns the flat index of the element at idx.
func (t *Tensor) offset(op string, idx []int) int {
	if len(idx) != len(t.Shape) {
		panic(fmt.Sprintf("tensor.%s: %d indices for shape %v", op, len(idx), t.Shape))
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= t.Shape[i] {
			panic(fmt.Sprintf("tensor.%s: index %v out of range for shape %v", op, idx, t.Shape))
		}
		off = off*t.Shape[i] + x
	}
	return off
}

// At returns the element at the multi-index idx (one index per dimension).
func (t *Tensor) At(idx ...int) float32 { return t.Data[t.offset("At", idx)] }

// Set stores v at the multi-index idx.
func (t *Tensor) Set(v float32, idx ...int) { t.Data[t.offset("Set", idx)] = v }

// Reshape returns a tensor with the given shape sharing t's data (no copy).
// At most one dimension may be −1; it is inferred from the element count.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	return &Tensor{Shape: inferShape("Reshape", t.Shape, len(t.Data), shape), Data: t.Data}
}

// inferShape resolves one −1 in shape so that it holds n elements.
func inferShape(op string, from []int, n int, shape []int) []int {
	out := append([]int(nil), shape...)
	neg := -1
	known := 1
	for i, d := range out {
		switch {
		case d == -1 && neg < 0:
			neg = i
		case d < 0:
			panic(fmt.Sprintf("tensor.%s: invalid target shape %v (from %v)", op, shape, from))
		default:
			known *= d
		}
	}
	if neg >= 0 {
		if known == 0 || n%known != 0 {
			panic(fmt.Sprintf("tensor.%s: cannot infer −1 in %v from %v", op, shape, from))
		}
		out[neg] = n / known
		known *= out[neg]
	}
	if known != n {
		panic(fmt.Sprintf("tensor.%s: cannot reshape %v (%d elements) to %v", op, from, n, shape))
	}
	return out
}

// normAxis maps a possibly negative axis (−1 is the last) into [0, ndim).
func normAxis(op string, axis int, shape []int) int {
	nd := len(shape)
	a := axis
	if a < 0 {
		a += nd
	}
	if a < 0 || a >= nd {
		panic(fmt.Sprintf("tensor.%s: axis %d out of range for shape %v", op, axis, shape))
	}
	return a
}

// splitAxis views shape as [outer, n, inner] around axis.
func splitAxis(shape []int, axis int) (outer, n, inner int) {
	outer, inner = 1, 1
	for i := 0; i < axis; i++ {
		outer *= shape[i]
	}
	for i := axis + 1; i < len(shape); i++ {
		inner *= shape[i]
	}
	return outer, shape[axis], inner
}
