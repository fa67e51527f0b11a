package tensor

import (
	"fmt"
	"runtime"
)

// MatMul returns the matrix product A·B of a [..., m, k] and b [..., k, n]
// as [..., m, n]. Leading (batch) dimensions broadcast with NumPy's rules,
// so a [B, T, C] activation times a [C, N] weight is one product.
func MatMul(a, b *Tensor) *Tensor { return matmul("MatMul", nil, a, b, false, false, false) }

// MatMulNT returns A·Bᵀ for a [..., m, k] and b [..., n, k] as [..., m, n]
// without materialising the transpose: x·Wᵀ for a weight stored (out, in),
// and the Q·Kᵀ of attention.
func MatMulNT(a, b *Tensor) *Tensor { return matmul("MatMulNT", nil, a, b, false, true, false) }

// MatMulTN returns Aᵀ·B for a [..., k, m] and b [..., k, n] as [..., m, n]
// without materialising the transpose: the weight gradient Xᵀ·G.
func MatMulTN(a, b *Tensor) *Tensor { return matmul("MatMulTN", nil, a, b, true, false, false) }

// MatMulInto writes A·B into dst (dst = A·B, or dst += A·B if accumulate);
// dst must already have the result's shape and must not share memory with a
// or b. It allocates no result tensor: the form for preallocated buffers.
func MatMulInto(dst, a, b *Tensor, accumulate bool) {
	matmul("MatMulInto", dst, a, b, false, false, accumulate)
}

// MatMulNTInto writes A·Bᵀ into dst (or adds it, if accumulate).
func MatMulNTInto(dst, a, b *Tensor, accumulate bool) {
	matmul("MatMulNTInto", dst, a, b, false, true, accumulate)
}

// MatMulTNInto writes Aᵀ·B into dst (or adds it, if accumulate).
func MatMulTNInto(dst, a, b *Tensor, accumulate bool) {
	matmul("MatMulTNInto", dst, a, b, true, false, accumulate)
}

// matmul checks shapes, broadcasts batch dimensions and calls Gemm per
// matrix (or once, when B has no batch dimensions and A is not transposed).
func matmul(op string, dst, a, b *Tensor, tA, tB, accumulate bool) *Tensor {
	if len(a.Shape) < 2 || len(b.Shape) < 2 {
		panic(fmt.Sprintf("tensor.%s: need matrices, got shapes %v and %v", op, a.Shape, b.Shape))
	}
	ar, ac := a.Shape[len(a.Shape)-2], a.Shape[len(a.Shape)-1]
	br, bc := b.Shape[len(b.Shape)-2], b.Shape[len(b.Shape)-1]
	m, k := ar, ac
	if tA {
		m, k = ac, ar
	}
	kb, n := br, bc
	if tB {
		kb, n = bc, br
	}
	if k != kb {
		panic(fmt.Sprintf("tensor.%s: inner dimensions differ for shapes %v and %v", op, a.Shape, b.Shape))
	}
	leadA, leadB := a.Shape[:len(a.Shape)-2], b.Shape[:len(b.Shape)-2]
	lead := broadcast(op, leadA, leadB)
	shape := append(append([]int(nil), lead...), m, n)
	if dst == nil {
		dst = Zeros(shape...)
	} else if !SameShape(dst.Shape, shape) {
		panic(fmt.Sprintf("tensor.%s: destination shape %v, want %v for shapes %v and %v", op, dst.Shape, shape, a.Shape, b.Shape))
	}
	batch := Numel(lead)
	if batch == 0 {
		return dst
	}
	if len(leadB) == 0 && !tA {
		// Fold the batch into the rows of one big product.
		Gemm(tA, tB, batch*m, n, k, a.Data, ac, b.Data, bc, dst.Data, n, accumulate)
		return dst
	}
	sa, sb := bcastStrides(leadA, lead), bcastStrides(leadB, lead)
	offA, offB := make([]int, 0, batch), make([]int, 0, batch)
	bcastRows(append(append([]int(nil), lead...), 1), [][]int{append(sa, 0), append(sb, 0)}, func(_ int, offs []int) {
		offA, offB = append(offA, offs[0]*ar*ac), append(offB, offs[1]*br*bc)
	})
	one := func(i int) {
		Gemm(tA, tB, m, n, k, a.Data[offA[i]:], ac, b.Data[offB[i]:], bc, dst.Data[i*m*n:], n, accumulate)
	}
	// Large matrices parallelise inside Gemm; many small ones (attention's
	// [B, H, T, T] products) run one matrix per task instead. Either way a
	// matrix is computed whole by one call, so the result is the same.
	workers := min(runtime.GOMAXPROCS(0), batch)
	if m*n*k >= parallelFlops || workers <= 1 || batch*m*n*k < parallelFlops {
		for i := range batch {
			one(i)
		}
		return dst
	}
	parallelTasks(workers, batch, one)
	return dst
}
