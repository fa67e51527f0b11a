package autograd

import (
	"fmt"

	"transformers/tensor"
)

// Shape ops move elements without changing them, so each backward moves the
// gradient back: reshape it, permute it inversely, or cut/scatter it.

// Reshape returns x with a new shape (one dimension may be −1), sharing its
// data; ∂/∂x is gout reshaped back.
func (g *Graph) Reshape(x *Var, shape ...int) *Var {
	return g.Record("Reshape", x.Value.Reshape(shape...), []*Var{x}, func(gout *tensor.Tensor) {
		x.AddGrad(gout.Reshape(x.Value.Shape...))
	})
}

// Transpose returns x with axes a and b swapped (a copy); ∂/∂x swaps them back.
func (g *Graph) Transpose(x *Var, a, b int) *Var {
	return g.Record("Transpose", tensor.Transpose(x.Value, a, b), []*Var{x}, func(gout *tensor.Tensor) {
		x.addFresh(tensor.Transpose(gout, a, b))
	})
}

// Permute returns x with dimension i of the result taken from dimension
// perm[i] of x; ∂/∂x applies the inverse permutation.
func (g *Graph) Permute(x *Var, perm ...int) *Var {
	y := tensor.Permute(x.Value, perm...)
	perm = append([]int(nil), perm...) // the closure must not see later edits
	return g.Record("Permute", y, []*Var{x}, func(gout *tensor.Tensor) {
		inv := make([]int, len(perm))
		for i, p := range perm {
			inv[p] = i
		}
		x.addFresh(tensor.Permute(gout, inv...))
	})
}

// Slice returns the elements with index in [start, end) along axis; ∂/∂x is
// gout placed back in that window, zero elsewhere.
func (g *Graph) Slice(x *Var, axis, start, end int) *Var {
	a := axisOf("Slice", axis, x.Value.Shape)
	return g.Record("Slice", tensor.Slice(x.Value, a, start, end), []*Var{x}, func(gout *tensor.Tensor) {
		before := append([]int(nil), x.Value.Shape...)
		after := append([]int(nil), x.Value.Shape...)
		before[a], after[a] = start, x.Value.Shape[a]-end
		x.AddGrad(tensor.Concat(a, tensor.Zeros(before...), gout, tensor.Zeros(after...)))
	})
}

// Concat joins xs along axis; ∂/∂xᵢ is gout's slice for xᵢ.
func (g *Graph) Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("autograd.Concat: no inputs")
	}
	a := axisOf("Concat", axis, xs[0].Value.Shape)
	xs = append([]*Var(nil), xs...)
	vals := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		vals[i] = x.Value
	}
	return g.Record("Concat", tensor.Concat(a, vals...), xs, func(gout *tensor.Tensor) {
		at := 0
		for _, x := range xs {
			n := x.Value.Shape[a]
			if x.requiresGrad {
				x.addFresh(tensor.Slice(gout, a, at, at+n))
			}
			at += n
		}
	})
}

// Stack joins equally shaped xs along a new axis; ∂/∂xᵢ is gout's i-th slice
// along that axis.
func (g *Graph) Stack(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("autograd.Stack: no inputs")
	}
	xs = append([]*Var(nil), xs...)
	vals := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		vals[i] = x.Value
	}
	y := tensor.Stack(axis, vals...)
	a := axis
	if a < 0 {
		a += len(y.Shape)
	}
	return g.Record("Stack", y, xs, func(gout *tensor.Tensor) {
		for i, x := range xs {
			if x.requiresGrad {
				x.AddGrad(tensor.Slice(gout, a, i, i+1).Reshape(x.Value.Shape...))
			}
		}
	})
}

// Split cuts x along axis into consecutive pieces of the given sizes; each
// piece is a Slice, so each carries its own share of the gradient.
func (g *Graph) Split(x *Var, axis int, sizes ...int) []*Var {
	a := axisOf("Split", axis, x.Value.Shape)
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total != x.Value.Shape[a] {
		panic(fmt.Sprintf("autograd.Split: sizes %v do not add up to axis %d of shape %v", sizes, axis, x.Value.Shape))
	}
	out := make([]*Var, len(sizes))
	at := 0
	for i, s := range sizes {
		out[i] = g.Slice(x, a, at, at+s)
		at += s
	}
	return out
}

// IndexSelect returns rows x[ids[0]], x[ids[1]], … along axis 0; ∂/∂x
// scatter-adds gout's rows back (a repeated id gets every contribution).
func (g *Graph) IndexSelect(x *Var, ids []int) *Var {
	ids = append([]int(nil), ids...) // the closure must not see later edits
	return g.Record("IndexSelect", tensor.IndexSelect(x.Value, ids), []*Var{x}, func(gout *tensor.Tensor) {
		if !x.requiresGrad {
			return
		}
		if x.Grad == nil {
			x.Grad = tensor.ZerosLike(x.Value)
		}
		tensor.ScatterAdd(x.Grad, ids, gout)
	})
}

// Where returns mask ≠ 0 ? a : b element-wise (mask, a and b broadcast);
// the gradient goes to a where the mask is set and to b elsewhere.
func (g *Graph) Where(mask *tensor.Tensor, a, b *Var) *Var {
	y := tensor.Where(mask, a.Value, b.Value)
	return g.Record("Where", y, []*Var{a, b}, func(gout *tensor.Tensor) {
		zero := tensor.Scalar(0)
		if a.requiresGrad {
			addReduced(a, tensor.Where(mask, gout, zero))
		}
		if b.requiresGrad {
			addReduced(b, tensor.Where(mask, zero, gout))
		}
	})
}

// MaskedFill returns x with v wherever mask ≠ 0 (mask broadcasts to x's
// shape); filled positions get no gradient.
func (g *Graph) MaskedFill(x *Var, mask *tensor.Tensor, v float32) *Var {
	return g.Record("MaskedFill", tensor.MaskedFill(x.Value, mask, v), []*Var{x}, func(gout *tensor.Tensor) {
		x.AddGrad(tensor.MaskedFill(gout, mask, 0))
	})
}
