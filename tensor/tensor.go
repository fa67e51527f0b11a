// Package tensor provides dense, contiguous, row-major float32 arrays with a
// shape, and the kernels (element-wise, reductions, matmul, softmax, …) that
// the autograd engine builds on.
//
// A Tensor owns its Data slice; Reshape shares it, every other op returns a
// fresh tensor. A vector has shape [n], never silently [1, n]. Shape errors
// are programmer errors and panic with the op name and the shapes involved.
package tensor

import (
	"fmt"
	"strings"
)

// Tensor is a dense row-major float32 array. len(Data) == Numel(Shape).
type Tensor struct {
	Shape []int
	Data  []float32
}

// Numel returns the number of elements a tensor of the given shape holds
// (1 for the empty shape, a scalar).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// New wraps data (not copied) in a tensor of the given shape.
func New(data []float32, shape ...int) *Tensor {
	if Numel(shape) != len(data) {
		panic(fmt.Sprintf("tensor.New: shape %v needs %d elements, got %d", shape, Numel(shape), len(data)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Zeros returns a tensor of the given shape filled with 0.
func Zeros(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, Numel(shape))}
}

// Full returns a tensor of the given shape filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// Ones returns a tensor of the given shape filled with 1.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// ZerosLike returns a zero tensor with t's shape.
func ZerosLike(t *Tensor) *Tensor { return Zeros(t.Shape...) }

// Numel returns the number of elements of t.
func (t *Tensor) Numel() int { return len(t.Data) }

// Dims returns the number of dimensions of t.
func (t *Tensor) Dims() int { return len(t.Shape) }

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// String formats t with its shape; large tensors are abbreviated.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v", t.Shape)
	n := len(t.Data)
	show := n
	if show > 16 {
		show = 16
	}
	b.WriteString(" [")
	for i := 0; i < show; i++ {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%.4f", t.Data[i])
	}
	if show < n {
		fmt.Fprintf(&b, " … (%d more)", n-show)
	}
	b.WriteString("]")
	return b.String()
}
