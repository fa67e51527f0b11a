package tensor

import (
	"math"
)

// reducedShape returns shape with axis removed, or set to 1 if keepdim.
func reducedShape(shape []int, axis int, keepdim bool) []int {
	out := make([]int, 0, len(shape))
	for i, d := range shape {
		switch {
		case i != axis:
			out = append(out, d)
		case keepdim:
			out = append(out, 1)
		}
	}
	return out
}

// reduce views t as [outer, n, inner] around axis and sets
// out[o, i] = f(t[o, 0:n, i]) where the slice is read with stride inner.
func reduce(op string, t *Tensor, axis int, keepdim bool, f func(x []float32, stride, n int) float32) *Tensor {
	a := normAxis(op, axis, t.Shape)
	outer, n, inner := splitAxis(t.Shape, a)
	out := Zeros(reducedShape(t.Shape, a, keepdim)...)
	for o := 0; o < outer; o++ {
		base := o * n * inner
		for i := 0; i < inner; i++ {
			out.Data[o*inner+i] = f(t.Data[base+i:], inner, n)
		}
	}
	return out
}

// Sum returns Σ over axis (negative axes count from the end). With keepdim
// the reduced axis stays as size 1, so the result broadcasts against t.
func Sum(t *Tensor, axis int, keepdim bool) *Tensor {
	return reduce("Sum", t, axis, keepdim, func(x []float32, s, n int) float32 {
		var acc float32
		for j := 0; j < n; j++ {
			acc += x[j*s]
		}
		return acc
	})
}

// Mean returns the arithmetic mean over axis: Σx / n.
func Mean(t *Tensor, axis int, keepdim bool) *Tensor {
	return reduce("Mean", t, axis, keepdim, func(x []float32, s, n int) float32 {
		var acc float32
		for j := 0; j < n; j++ {
			acc += x[j*s]
		}
		return acc / float32(n)
	})
}

// Var returns the population variance over axis: Σ(x − μ)² / n, computed in
// two passes for accuracy.
func Var(t *Tensor, axis int, keepdim bool) *Tensor {
	return reduce("Var", t, axis, keepdim, func(x []float32, s, n int) float32 {
		var mu float64
		for j := 0; j < n; j++ {
			mu += float64(x[j*s])
		}
		mu /= float64(n)
		var v float64
		for j := 0; j < n; j++ {
			d := float64(x[j*s]) - mu
			v += d * d
		}
		return float32(v / float64(n))
	})
}

// Max returns the maximum over axis (the axis must be non-empty).
func Max(t *Tensor, axis int, keepdim bool) *Tensor {
	return reduce("Max", t, axis, keepdim, func(x []float32, s, n int) float32 {
		return x[argmax(x, s, n)*s]
	})
}

// argmax returns the first index of the largest of x[0], x[s], …, x[(n−1)s].
func argmax(x []float32, s, n int) int {
	if n == 0 {
		panic("tensor.Max: reduction over an empty axis")
	}
	best := 0
	for j := 1; j < n; j++ {
		if x[j*s] > x[best*s] {
			best = j
		}
	}
	return best
}

// Argmax returns, for every position of the other axes in row-major order,
// the index along axis of the largest element (the first one on ties).
func Argmax(t *Tensor, axis int) []int {
	a := normAxis("Argmax", axis, t.Shape)
	outer, n, inner := splitAxis(t.Shape, a)
	out := make([]int, outer*inner)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			out[o*inner+i] = argmax(t.Data[o*n*inner+i:], inner, n)
		}
	}
	return out
}

// SumAll returns the sum of every element, accumulated in float64.
func SumAll(t *Tensor) float32 {
	var acc float64
	for _, x := range t.Data {
		acc += float64(x)
	}
	return float32(acc)
}

// MeanAll returns the mean of every element, accumulated in float64.
func MeanAll(t *Tensor) float32 {
	return float32(float64(SumAll(t)) / float64(len(t.Data)))
}

// Softmax returns exp(x − max) / Σ exp(x − max) along axis: subtracting the
// maximum first keeps exp from overflowing and does not change the result.
func Softmax(t *Tensor, axis int) *Tensor { return softmax("Softmax", t, axis, false) }

// LogSoftmax returns x − max − log Σ exp(x − max) along axis, the stable form
// of log(softmax(x)).
func LogSoftmax(t *Tensor, axis int) *Tensor { return softmax("LogSoftmax", t, axis, true) }

func softmax(op string, t *Tensor, axis int, logForm bool) *Tensor {
	a := normAxis(op, axis, t.Shape)
	outer, n, inner := splitAxis(t.Shape, a)
	out := ZerosLike(t)
	if n == 0 {
		return out
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			x := t.Data[base:]
			y := out.Data[base:]
			m := x[argmax(x, inner, n)*inner]
			var sum float64
			for j := 0; j < n; j++ {
				e := math.Exp(float64(x[j*inner] - m))
				if !logForm {
					y[j*inner] = float32(e)
				}
				sum += e
			}
			if logForm {
				ls := float32(math.Log(sum))
				for j := 0; j < n; j++ {
					y[j*inner] = x[j*inner] - m - ls
				}
			} else {
				inv := 1 / sum
				for j := 0; j < n; j++ {
					y[j*inner] = float32(float64(y[j*inner]) * inv)
				}
			}
		}
	}
	return out
}

// ReLU returns max(x, 0) element-wise.
func ReLU(t *Tensor) *Tensor { return unary(t, func(x float32) float32 { return max(x, 0) }) }

// GELU returns the exact Gaussian error linear unit x·Φ(x) = ½x(1 + erf(x/√2)).
func GELU(t *Tensor) *Tensor {
	return unary(t, func(x float32) float32 {
		return float32(0.5 * float64(x) * (1 + math.Erf(float64(x)/math.Sqrt2)))
	})
}

// GELUTanhC is √(2/π), the constant of the tanh approximation of GELU.
const GELUTanhC = 0.7978845608028654

// GELUTanh returns GPT-2's tanh approximation of GELU:
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
func GELUTanh(t *Tensor) *Tensor {
	return unary(t, func(x float32) float32 {
		v := float64(x)
		return float32(0.5 * v * (1 + math.Tanh(GELUTanhC*(v+0.044715*v*v*v))))
	})
}

// Sigmoid returns σ(x) = 1 / (1 + e^−x) element-wise.
func Sigmoid(t *Tensor) *Tensor {
	return unary(t, func(x float32) float32 { return float32(sigmoid(float64(x))) })
}

// sigmoid is computed without overflow for large |x|.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// SiLU returns x·σ(x) (also called swish), the gate of SwiGLU.
func SiLU(t *Tensor) *Tensor {
	return unary(t, func(x float32) float32 { return float32(float64(x) * sigmoid(float64(x))) })
}

// Tanh returns tanh x element-wise.
func Tanh(t *Tensor) *Tensor {
	return unary(t, func(x float32) float32 { return float32(math.Tanh(float64(x))) })
}
