package autograd

import (
	"transformers/tensor"
)

// For C = A·B the adjoints are ∂A = ∂C·Bᵀ and ∂B = Aᵀ·∂C; the three layouts
// of tensor's matmul give every one of them without materialising a
// transpose. Where an operand was broadcast over batch dimensions its
// gradient is summed back (SumTo); where a 2-D weight multiplies a batched
// activation, the batch folds into one Aᵀ·∂C product instead.

// addProduct accumulates a matrix product into v's gradient. into(dst,
// accumulate) writes the product (of shape shape) into dst; when shape is
// v's own shape the product lands directly in v.Grad with no temporary.
func addProduct(v *Var, shape []int, into func(dst *tensor.Tensor, accumulate bool)) {
	if !v.requiresGrad {
		return
	}
	if tensor.SameShape(shape, v.Value.Shape) {
		if v.Grad == nil {
			v.Grad = v.newGrad(false) // the product overwrites all of it
			into(v.Grad, false)
			return
		}
		into(v.Grad, true)
		return
	}
	tmp := tensor.Zeros(shape...)
	into(tmp, false)
	v.addFresh(tensor.SumTo(tmp, v.Value.Shape))
}

// batchShape returns out's leading (batch) dimensions followed by r, c.
func batchShape(out *tensor.Tensor, r, c int) []int {
	s := append([]int(nil), out.Shape[:len(out.Shape)-2]...)
	return append(s, r, c)
}

// flat views a tensor [..., r, c] as the 2-D [(…·r), c].
func flat(t *tensor.Tensor) *tensor.Tensor { return t.Reshape(-1, t.Shape[len(t.Shape)-1]) }

// MatMul returns A·B for a [..., m, k] and b [..., k, n] with broadcast batch
// dimensions; ∂A = ∂C·Bᵀ, ∂B = Aᵀ·∂C.
func (g *Graph) MatMul(a, b *Var) *Var {
	y := tensor.MatMul(a.Value, b.Value)
	return g.Record("MatMul", y, []*Var{a, b}, func(gout *tensor.Tensor) {
		m, n := y.Shape[len(y.Shape)-2], y.Shape[len(y.Shape)-1]
		k := a.Value.Shape[len(a.Value.Shape)-1]
		addProduct(a, batchShape(y, m, k), func(dst *tensor.Tensor, acc bool) {
			tensor.MatMulNTInto(dst, gout, b.Value, acc)
		})
		if b.Value.Dims() == 2 {
			addProduct(b, []int{k, n}, func(dst *tensor.Tensor, acc bool) {
				tensor.MatMulTNInto(dst, flat(a.Value), flat(gout), acc)
			})
			return
		}
		addProduct(b, batchShape(y, k, n), func(dst *tensor.Tensor, acc bool) {
			tensor.MatMulTNInto(dst, a.Value, gout, acc)
		})
	})
}

// MatMulNT returns A·Bᵀ for a [..., m, k] and b [..., n, k] (x·Wᵀ for a
// weight stored (out, in), or Q·Kᵀ); ∂A = ∂C·B, ∂B = ∂Cᵀ·A.
func (g *Graph) MatMulNT(a, b *Var) *Var {
	y := tensor.MatMulNT(a.Value, b.Value)
	return g.Record("MatMulNT", y, []*Var{a, b}, func(gout *tensor.Tensor) {
		m, n := y.Shape[len(y.Shape)-2], y.Shape[len(y.Shape)-1]
		k := a.Value.Shape[len(a.Value.Shape)-1]
		addProduct(a, batchShape(y, m, k), func(dst *tensor.Tensor, acc bool) {
			tensor.MatMulInto(dst, gout, b.Value, acc)
		})
		if b.Value.Dims() == 2 {
			addProduct(b, []int{n, k}, func(dst *tensor.Tensor, acc bool) {
				tensor.MatMulTNInto(dst, flat(gout), flat(a.Value), acc)
			})
			return
		}
		addProduct(b, batchShape(y, n, k), func(dst *tensor.Tensor, acc bool) {
			tensor.MatMulTNInto(dst, gout, a.Value, acc)
		})
	})
}

// MatMulTN returns Aᵀ·B for a [..., k, m] and b [..., k, n];
// ∂A = B·∂Cᵀ, ∂B = A·∂C.
func (g *Graph) MatMulTN(a, b *Var) *Var {
	y := tensor.MatMulTN(a.Value, b.Value)
	return g.Record("MatMulTN", y, []*Var{a, b}, func(gout *tensor.Tensor) {
		m, n := y.Shape[len(y.Shape)-2], y.Shape[len(y.Shape)-1]
		k := a.Value.Shape[len(a.Value.Shape)-2]
		addProduct(a, batchShape(y, k, m), func(dst *tensor.Tensor, acc bool) {
			tensor.MatMulNTInto(dst, b.Value, gout, acc)
		})
		addProduct(b, batchShape(y, k, n), func(dst *tensor.Tensor, acc bool) {
			tensor.MatMulInto(dst, a.Value, gout, acc)
		})
	})
}
