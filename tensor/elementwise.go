package tensor

import (
	"fmt"
	"math"
	"runtime"
)

// BroadcastShapes returns the shape NumPy broadcasting gives the operands:
// shapes are aligned on their last dimension, and each pair of dimensions
// must be equal or one of them 1 (a missing dimension counts as 1). It
// panics if the shapes are incompatible.
func BroadcastShapes(shapes ...[]int) []int { return broadcast("BroadcastShapes", shapes...) }

func broadcast(op string, shapes ...[]int) []int {
	nd := 0
	for _, s := range shapes {
		nd = max(nd, len(s))
	}
	out := make([]int, nd)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := nd - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				panic(fmt.Sprintf("tensor.%s: shapes %v cannot be broadcast together", op, shapes))
			}
		}
	}
	return out
}

// bcastStrides returns the strides with which an operand of shape in is read
// when broadcast to out: 0 along broadcast (size-1 or missing) dimensions.
func bcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	s := strides(in)
	off := len(out) - len(in)
	for i, d := range in {
		if d != 1 || out[off+i] == 1 {
			st[off+i] = s[i]
		}
	}
	return st
}

// bcastRows walks every position of out except its last dimension and calls
// fn with the flat output offset of the row and each operand's offset. The
// caller walks the last dimension itself with stride st[k][len(out)-1].
func bcastRows(out []int, st [][]int, fn func(o int, offs []int)) {
	if Numel(out) == 0 {
		return
	}
	if len(out) <= 1 {
		fn(0, make([]int, len(st)))
		return
	}
	bcastRowRange(out, st, 0, Numel(out[:len(out)-1]), fn)
}

// bcastRowsParallel is bcastRows with the rows split into contiguous chunks
// over the cores once out is large; fn must write only to its own row of the
// output (each row is produced whole by one goroutine, so the result does not
// depend on the number of cores).
func bcastRowsParallel(out []int, st [][]int, fn func(o int, offs []int)) {
	n := Numel(out)
	if n < elementwiseParallelMin || len(out) <= 1 {
		bcastRows(out, st, fn)
		return
	}
	rows := n / out[len(out)-1]
	splitRange(rows, runtime.GOMAXPROCS(0), 1, func(lo, hi int) { bcastRowRange(out, st, lo, hi, fn) })
}

// bcastRowRange is bcastRows over the rows [r0, r1) of out (len(out) ≥ 2).
func bcastRowRange(out []int, st [][]int, r0, r1 int, fn func(o int, offs []int)) {
	nd := len(out)
	offs := make([]int, len(st))
	idx := make([]int, nd-1)
	// Decompose r0 into its index and the operands' starting offsets.
	for d, r := nd-2, r0; d >= 0; d-- {
		idx[d] = r % out[d]
		r /= out[d]
		for k := range st {
			offs[k] += idx[d] * st[k][d]
		}
	}
	last := out[nd-1]
	for r := r0; r < r1; r++ {
		fn(r*last, offs)
		for d := nd - 2; d >= 0; d-- {
			idx[d]++
			for k := range st {
				offs[k] += st[k][d]
			}
			if idx[d] < out[d] {
				break
			}
			for k := range st {
				offs[k] -= st[k][d] * out[d]
			}
			idx[d] = 0
		}
	}
}

// lastStride returns the stride of the last dimension (0 for a scalar).
func lastStride(st []int) int {
	if len(st) == 0 {
		return 0
	}
	return st[len(st)-1]
}

// lastDim returns the size of the last dimension (1 for a scalar).
func lastDim(shape []int) int {
	if len(shape) == 0 {
		return 1
	}
	return shape[len(shape)-1]
}

// binOp names an element-wise binary operation; the kernels switch on it
// outside their inner loops, so the common contiguous cases run without a
// call per element.
type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
)

var binOpNames = [...]string{"Add", "Sub", "Mul", "Div"}

func (k binOp) apply(x, y float32) float32 {
	switch k {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	}
	return x / y
}

// binaryRow sets dst[j] = x[j·sx] k y[j·sy] for every j.
func binaryRow(k binOp, dst, x []float32, sx int, y []float32, sy int) {
	n := len(dst)
	switch {
	case sx == 1 && sy == 1:
		x, y = x[:n], y[:n]
		switch k {
		case opAdd:
			for j := range dst {
				dst[j] = x[j] + y[j]
			}
		case opSub:
			for j := range dst {
				dst[j] = x[j] - y[j]
			}
		case opMul:
			for j := range dst {
				dst[j] = x[j] * y[j]
			}
		case opDiv:
			for j := range dst {
				dst[j] = x[j] / y[j]
			}
		}
	case sx == 1 && sy == 0:
		x, v := x[:n], y[0]
		switch k {
		case opAdd:
			for j := range dst {
				dst[j] = x[j] + v
			}
		case opSub:
			for j := range dst {
				dst[j] = x[j] - v
			}
		case opMul:
			for j := range dst {
				dst[j] = x[j] * v
			}
		case opDiv:
			for j := range dst {
				dst[j] = x[j] / v
			}
		}
	default:
		ix, iy := 0, 0
		for j := range dst {
			dst[j] = k.apply(x[ix], y[iy])
			ix += sx
			iy += sy
		}
	}
}

// binary applies k element-wise with broadcasting.
func binary(k binOp, a, b *Tensor) *Tensor {
	if SameShape(a.Shape, b.Shape) {
		out := ZerosLike(a)
		if len(out.Data) < elementwiseParallelMin {
			binaryRow(k, out.Data, a.Data, 1, b.Data, 1)
			return out
		}
		parallelChunks(len(out.Data), func(lo, hi int) {
			binaryRow(k, out.Data[lo:hi], a.Data[lo:hi], 1, b.Data[lo:hi], 1)
		})
		return out
	}
	shape := broadcast(binOpNames[k], a.Shape, b.Shape)
	out := Zeros(shape...)
	sa, sb := bcastStrides(a.Shape, shape), bcastStrides(b.Shape, shape)
	la, lb, n := lastStride(sa), lastStride(sb), lastDim(shape)
	bcastRowsParallel(shape, [][]int{sa, sb}, func(o int, offs []int) {
		binaryRow(k, out.Data[o:o+n], a.Data[offs[0]:], la, b.Data[offs[1]:], lb)
	})
	return out
}

// AddInto writes a + b into dst; all three must have the same shape (no
// broadcasting), and dst may be a or b.
func AddInto(dst, a, b *Tensor) {
	if !SameShape(dst.Shape, a.Shape) || !SameShape(a.Shape, b.Shape) {
		panic(fmt.Sprintf("tensor.AddInto: dst %v, a %v and b %v must have one shape", dst.Shape, a.Shape, b.Shape))
	}
	parallelChunks(len(dst.Data), func(lo, hi int) {
		binaryRow(opAdd, dst.Data[lo:hi], a.Data[lo:hi], 1, b.Data[lo:hi], 1)
	})
}

// Add returns a + b element-wise, with NumPy broadcasting.
func Add(a, b *Tensor) *Tensor { return binary(opAdd, a, b) }

// Sub returns a − b element-wise, with NumPy broadcasting.
func Sub(a, b *Tensor) *Tensor { return binary(opSub, a, b) }

// Mul returns a ⊙ b (element-wise product), with NumPy broadcasting.
func Mul(a, b *Tensor) *Tensor { return binary(opMul, a, b) }

// Div returns a ⊘ b (element-wise quotient), with NumPy broadcasting.
func Div(a, b *Tensor) *Tensor { return binary(opDiv, a, b) }

// SumTo sums t over the dimensions along which shape was broadcast to reach
// t's shape, returning a tensor of the given shape. It is the adjoint of
// broadcasting: the gradient of an operand of shape s is SumTo(g, s).
func SumTo(t *Tensor, shape []int) *Tensor {
	if !SameShape(broadcast("SumTo", shape, t.Shape), t.Shape) {
		panic(fmt.Sprintf("tensor.SumTo: shape %v does not broadcast to %v", shape, t.Shape))
	}
	if SameShape(shape, t.Shape) {
		return t.Clone()
	}
	out := Zeros(shape...)
	if n := lastDim(t.Shape); len(out.Data) == n && n > 0 && lastDim(shape) == n {
		// Summing rows into one row (a bias gradient): vector adds, row by
		// row in order, the same sums as the general loop below.
		for o := 0; o < len(t.Data); o += n {
			addTo(out.Data, t.Data[o:o+n])
		}
		return out
	}
	st := bcastStrides(shape, t.Shape)
	l, n := lastStride(st), lastDim(t.Shape)
	bcastRows(t.Shape, [][]int{st}, func(o int, offs []int) {
		io := offs[0]
		for _, x := range t.Data[o : o+n] {
			out.Data[io] += x
			io += l
		}
	})
	return out
}

// Where returns mask ≠ 0 ? a : b element-wise; all three broadcast together.
func Where(mask, a, b *Tensor) *Tensor {
	shape := broadcast("Where", mask.Shape, a.Shape, b.Shape)
	out := Zeros(shape...)
	sm, sa, sb := bcastStrides(mask.Shape, shape), bcastStrides(a.Shape, shape), bcastStrides(b.Shape, shape)
	lm, la, lb, n := lastStride(sm), lastStride(sa), lastStride(sb), lastDim(shape)
	bcastRows(shape, [][]int{sm, sa, sb}, func(o int, offs []int) {
		im, ia, ib := offs[0], offs[1], offs[2]
		row := out.Data[o : o+n]
		for j := range row {
			if mask.Data[im] != 0 {
				row[j] = a.Data[ia]
			} else {
				row[j] = b.Data[ib]
			}
			im += lm
			ia += la
			ib += lb
		}
	})
	return out
}

// MaskedFill returns a copy of t with v wherever mask ≠ 0. The mask must
// broadcast to t's shape (for example a [T, T] causal mask over [B, H, T, T]).
func MaskedFill(t, mask *Tensor, v float32) *Tensor {
	if !SameShape(broadcast("MaskedFill", mask.Shape, t.Shape), t.Shape) {
		panic(fmt.Sprintf("tensor.MaskedFill: mask shape %v does not broadcast to %v", mask.Shape, t.Shape))
	}
	return Where(mask, Full(v), t)
}

// unary applies f to every element.
func unary(t *Tensor, f func(x float32) float32) *Tensor {
	out := ZerosLike(t)
	for i, x := range t.Data {
		out.Data[i] = f(x)
	}
	return out
}

// Map returns f applied to every element of t.
func Map(t *Tensor, f func(x float32) float32) *Tensor { return unary(t, f) }

// Neg returns −t.
func Neg(t *Tensor) *Tensor { return unary(t, func(x float32) float32 { return -x }) }

// Scale returns s·t.
func Scale(t *Tensor, s float32) *Tensor { return unary(t, func(x float32) float32 { return s * x }) }

// AddScalar returns t + s.
func AddScalar(t *Tensor, s float32) *Tensor {
	return unary(t, func(x float32) float32 { return x + s })
}

// Pow returns t^p element-wise (a scalar exponent).
func Pow(t *Tensor, p float32) *Tensor {
	switch p {
	case 2:
		return unary(t, func(x float32) float32 { return x * x })
	case 1:
		return t.Clone()
	}
	return unary(t, func(x float32) float32 { return float32(math.Pow(float64(x), float64(p))) })
}

// Exp returns eˣ element-wise.
func Exp(t *Tensor) *Tensor {
	return unary(t, func(x float32) float32 { return float32(math.Exp(float64(x))) })
}

// Log returns ln x element-wise.
func Log(t *Tensor) *Tensor {
	return unary(t, func(x float32) float32 { return float32(math.Log(float64(x))) })
}

// Sqrt returns √x element-wise.
func Sqrt(t *Tensor) *Tensor {
	return unary(t, func(x float32) float32 { return float32(math.Sqrt(float64(x))) })
}

// Abs returns |x| element-wise.
func Abs(t *Tensor) *Tensor {
	return unary(t, func(x float32) float32 { return float32(math.Abs(float64(x))) })
}

// Clamp returns min(max(x, lo), hi) element-wise.
func Clamp(t *Tensor, lo, hi float32) *Tensor {
	if lo > hi {
		panic(fmt.Sprintf("tensor.Clamp: lo %v > hi %v", lo, hi))
	}
	return unary(t, func(x float32) float32 { return min(max(x, lo), hi) })
}

// Tril returns the rows×cols lower-triangular mask: 1 where j ≤ i+k, else 0
// (k = 0 keeps the diagonal; a causal "may attend" mask).
func Tril(rows, cols, k int) *Tensor {
	t := Zeros(rows, cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols && j <= i+k; j++ {
			t.Data[i*cols+j] = 1
		}
	}
	return t
}

// Triu returns the rows×cols upper-triangular mask: 1 where j ≥ i+k, else 0
// (Triu(T, T, 1) marks the future positions a causal model must not see).
func Triu(rows, cols, k int) *Tensor {
	t := Zeros(rows, cols)
	for i := 0; i < rows; i++ {
		for j := max(0, i+k); j < cols; j++ {
			t.Data[i*cols+j] = 1
		}
	}
	return t
}
