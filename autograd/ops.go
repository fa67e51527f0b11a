package autograd

import (
	"fmt"
	"math"

	"transformers/tensor"
)

// This file holds the element-wise and reduction ops. Each computes its value
// with a tensor kernel and passes Record the backward closure right beside
// it; the closure turns ∂L/∂out (gout) into ∂L/∂input for every input that
// requires a gradient.

// addReduced accumulates g into v's gradient, first summing over the
// dimensions along which v was broadcast (the adjoint of broadcasting).
func addReduced(v *Var, g *tensor.Tensor) {
	if !v.requiresGrad {
		return
	}
	if tensor.SameShape(g.Shape, v.Value.Shape) {
		v.accumulate(g)
		return
	}
	v.addFresh(tensor.SumTo(g, v.Value.Shape))
}

// Add returns a + b with NumPy broadcasting; ∂/∂a = ∂/∂b = gout, summed back
// to each operand's shape.
func (g *Graph) Add(a, b *Var) *Var {
	var y *tensor.Tensor
	if g.pool != nil && tensor.SameShape(a.Value.Shape, b.Value.Shape) {
		y = g.alloc(false, a.Value.Shape...)
		tensor.AddInto(y, a.Value, b.Value)
	} else {
		y = tensor.Add(a.Value, b.Value)
	}
	return g.Record("Add", y, []*Var{a, b}, func(gout *tensor.Tensor) {
		addReduced(a, gout)
		addReduced(b, gout)
	})
}

// Sub returns a − b with broadcasting; ∂/∂a = gout, ∂/∂b = −gout.
func (g *Graph) Sub(a, b *Var) *Var {
	return g.Record("Sub", tensor.Sub(a.Value, b.Value), []*Var{a, b}, func(gout *tensor.Tensor) {
		addReduced(a, gout)
		if b.requiresGrad {
			addReduced(b, tensor.Neg(gout))
		}
	})
}

// Mul returns a ⊙ b with broadcasting; ∂/∂a = gout ⊙ b, ∂/∂b = gout ⊙ a.
func (g *Graph) Mul(a, b *Var) *Var {
	return g.Record("Mul", tensor.Mul(a.Value, b.Value), []*Var{a, b}, func(gout *tensor.Tensor) {
		if a.requiresGrad {
			addReduced(a, tensor.Mul(gout, b.Value))
		}
		if b.requiresGrad {
			addReduced(b, tensor.Mul(gout, a.Value))
		}
	})
}

// Div returns a ⊘ b with broadcasting; ∂/∂a = gout ⊘ b,
// ∂/∂b = −gout ⊙ a ⊘ b².
func (g *Graph) Div(a, b *Var) *Var {
	return g.Record("Div", tensor.Div(a.Value, b.Value), []*Var{a, b}, func(gout *tensor.Tensor) {
		if a.requiresGrad {
			addReduced(a, tensor.Div(gout, b.Value))
		}
		if b.requiresGrad {
			q := tensor.Div(tensor.Mul(gout, a.Value), tensor.Mul(b.Value, b.Value))
			addReduced(b, tensor.Neg(q))
		}
	})
}

// pointwise records an element-wise op y = f(x) whose derivative at each
// element is d(x, y).
func (g *Graph) pointwise(op string, x *Var, y *tensor.Tensor, d func(x, y float32) float32) *Var {
	return g.Record(op, y, []*Var{x}, func(gout *tensor.Tensor) {
		gx := tensor.ZerosLike(x.Value)
		xd, yd, gd := x.Value.Data, y.Data, gout.Data
		for i := range gx.Data {
			gx.Data[i] = gd[i] * d(xd[i], yd[i])
		}
		x.addFresh(gx)
	})
}

// Neg returns −x; ∂/∂x = −gout.
func (g *Graph) Neg(x *Var) *Var {
	return g.Record("Neg", tensor.Neg(x.Value), []*Var{x}, func(gout *tensor.Tensor) {
		x.addFresh(tensor.Neg(gout))
	})
}

// Scale returns s·x; ∂/∂x = s·gout.
func (g *Graph) Scale(x *Var, s float32) *Var {
	return g.Record("Scale", tensor.Scale(x.Value, s), []*Var{x}, func(gout *tensor.Tensor) {
		x.addFresh(tensor.Scale(gout, s))
	})
}

// AddScalar returns x + s; ∂/∂x = gout.
func (g *Graph) AddScalar(x *Var, s float32) *Var {
	return g.Record("AddScalar", tensor.AddScalar(x.Value, s), []*Var{x}, func(gout *tensor.Tensor) {
		x.AddGrad(gout)
	})
}

// Pow returns x^p for a scalar exponent; ∂/∂x = p·x^(p−1)·gout.
func (g *Graph) Pow(x *Var, p float32) *Var {
	return g.pointwise("Pow", x, tensor.Pow(x.Value, p), func(x, _ float32) float32 {
		return p * float32(math.Pow(float64(x), float64(p-1)))
	})
}

// Exp returns eˣ; ∂/∂x = eˣ·gout.
func (g *Graph) Exp(x *Var) *Var {
	return g.pointwise("Exp", x, tensor.Exp(x.Value), func(_, y float32) float32 { return y })
}

// Log returns ln x; ∂/∂x = gout / x.
func (g *Graph) Log(x *Var) *Var {
	return g.pointwise("Log", x, tensor.Log(x.Value), func(x, _ float32) float32 { return 1 / x })
}

// Sqrt returns √x; ∂/∂x = gout / (2√x).
func (g *Graph) Sqrt(x *Var) *Var {
	return g.pointwise("Sqrt", x, tensor.Sqrt(x.Value), func(_, y float32) float32 { return 0.5 / y })
}

// Abs returns |x|; ∂/∂x = sign(x)·gout (0 at x = 0).
func (g *Graph) Abs(x *Var) *Var {
	return g.pointwise("Abs", x, tensor.Abs(x.Value), func(x, _ float32) float32 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	})
}

// Clamp returns min(max(x, lo), hi); the gradient passes where lo ≤ x ≤ hi
// and is 0 where the value was clipped.
func (g *Graph) Clamp(x *Var, lo, hi float32) *Var {
	return g.pointwise("Clamp", x, tensor.Clamp(x.Value, lo, hi), func(x, _ float32) float32 {
		if x < lo || x > hi {
			return 0
		}
		return 1
	})
}

// axisOf normalises a possibly negative axis of shape.
func axisOf(op string, axis int, shape []int) int {
	a := axis
	if a < 0 {
		a += len(shape)
	}
	if a < 0 || a >= len(shape) {
		panic(fmt.Sprintf("autograd.%s: axis %d out of range for shape %v", op, axis, shape))
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

// expandAxis broadcasts a gradient of a reduction over axis (with or without
// keepdim) back to shape, scaled by s.
func expandAxis(gout *tensor.Tensor, shape []int, axis int, s float32) *tensor.Tensor {
	outer, n, inner := splitAxis(shape, axis)
	gx := tensor.Zeros(shape...)
	for o := 0; o < outer; o++ {
		for j := 0; j < n; j++ {
			row := gx.Data[(o*n+j)*inner : (o*n+j+1)*inner]
			src := gout.Data[o*inner : (o+1)*inner]
			for i := range row {
				row[i] = s * src[i]
			}
		}
	}
	return gx
}

// Sum returns Σ over axis (keepdim keeps it as size 1); ∂/∂x broadcasts gout
// back along the axis.
func (g *Graph) Sum(x *Var, axis int, keepdim bool) *Var {
	a := axisOf("Sum", axis, x.Value.Shape)
	return g.Record("Sum", tensor.Sum(x.Value, a, keepdim), []*Var{x}, func(gout *tensor.Tensor) {
		x.AddGrad(expandAxis(gout, x.Value.Shape, a, 1))
	})
}

// Mean returns the mean over axis; ∂/∂x = gout/n broadcast along the axis.
func (g *Graph) Mean(x *Var, axis int, keepdim bool) *Var {
	a := axisOf("Mean", axis, x.Value.Shape)
	n := float32(x.Value.Shape[a])
	return g.Record("Mean", tensor.Mean(x.Value, a, keepdim), []*Var{x}, func(gout *tensor.Tensor) {
		x.AddGrad(expandAxis(gout, x.Value.Shape, a, 1/n))
	})
}

// SumAll returns the scalar Σ of every element; ∂/∂x = gout everywhere.
func (g *Graph) SumAll(x *Var) *Var {
	return g.Record("SumAll", tensor.Scalar(tensor.SumAll(x.Value)), []*Var{x}, func(gout *tensor.Tensor) {
		x.AddGrad(tensor.Full(gout.Data[0], x.Value.Shape...))
	})
}

// MeanAll returns the scalar mean of every element; ∂/∂x = gout/N.
func (g *Graph) MeanAll(x *Var) *Var {
	n := float32(x.Value.Numel())
	return g.Record("MeanAll", tensor.Scalar(tensor.MeanAll(x.Value)), []*Var{x}, func(gout *tensor.Tensor) {
		x.AddGrad(tensor.Full(gout.Data[0]/n, x.Value.Shape...))
	})
}

// Max returns the maximum over axis; the gradient flows only to the first
// maximal element of each slice (PyTorch's choice for max with an axis).
func (g *Graph) Max(x *Var, axis int, keepdim bool) *Var {
	a := axisOf("Max", axis, x.Value.Shape)
	return g.Record("Max", tensor.Max(x.Value, a, keepdim), []*Var{x}, func(gout *tensor.Tensor) {
		outer, n, inner := splitAxis(x.Value.Shape, a)
		arg := tensor.Argmax(x.Value, a)
		gx := tensor.ZerosLike(x.Value)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				gx.Data[(o*n+arg[o*inner+i])*inner+i] = gout.Data[o*inner+i]
			}
		}
		x.AddGrad(gx)
	})
}

// Var returns the population variance over axis, σ² = Σ(x − μ)²/n;
// ∂σ²/∂x = 2(x − μ)/n.
func (g *Graph) Var(x *Var, axis int, keepdim bool) *Var {
	a := axisOf("Var", axis, x.Value.Shape)
	return g.Record("Var", tensor.Var(x.Value, a, keepdim), []*Var{x}, func(gout *tensor.Tensor) {
		outer, n, inner := splitAxis(x.Value.Shape, a)
		mu := tensor.Mean(x.Value, a, false)
		gx := tensor.ZerosLike(x.Value)
		for o := 0; o < outer; o++ {
			for j := 0; j < n; j++ {
				for i := 0; i < inner; i++ {
					k := (o*n+j)*inner + i
					gx.Data[k] = gout.Data[o*inner+i] * 2 * (x.Value.Data[k] - mu.Data[o*inner+i]) / float32(n)
				}
			}
		}
		x.AddGrad(gx)
	})
}
