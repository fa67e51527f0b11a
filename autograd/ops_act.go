package autograd

import (
	"math"

	"transformers/tensor"
)

// Softmax returns softmax(x) along axis (stable); with y = softmax(x),
// ∂x = y ⊙ (∂y − Σ_axis ∂y ⊙ y).
func (g *Graph) Softmax(x *Var, axis int) *Var {
	a := axisOf("Softmax", axis, x.Value.Shape)
	y := tensor.Softmax(x.Value, a)
	return g.Record("Softmax", y, []*Var{x}, func(gout *tensor.Tensor) {
		outer, n, inner := splitAxis(x.Value.Shape, a)
		gx := tensor.ZerosLike(x.Value)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*n*inner + i
				var dot float64
				for j := 0; j < n; j++ {
					k := base + j*inner
					dot += float64(gout.Data[k]) * float64(y.Data[k])
				}
				for j := 0; j < n; j++ {
					k := base + j*inner
					gx.Data[k] = y.Data[k] * (gout.Data[k] - float32(dot))
				}
			}
		}
		x.addFresh(gx)
	})
}

// LogSoftmax returns log softmax(x) along axis (stable); with y its value,
// ∂x = ∂y − eʸ ⊙ Σ_axis ∂y.
func (g *Graph) LogSoftmax(x *Var, axis int) *Var {
	a := axisOf("LogSoftmax", axis, x.Value.Shape)
	y := tensor.LogSoftmax(x.Value, a)
	return g.Record("LogSoftmax", y, []*Var{x}, func(gout *tensor.Tensor) {
		outer, n, inner := splitAxis(x.Value.Shape, a)
		gx := tensor.ZerosLike(x.Value)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*n*inner + i
				var sum float64
				for j := 0; j < n; j++ {
					sum += float64(gout.Data[base+j*inner])
				}
				for j := 0; j < n; j++ {
					k := base + j*inner
					gx.Data[k] = gout.Data[k] - float32(math.Exp(float64(y.Data[k]))*sum)
				}
			}
		}
		x.addFresh(gx)
	})
}

// ReLU returns max(x, 0); ∂x = ∂y where x > 0, else 0.
func (g *Graph) ReLU(x *Var) *Var {
	return g.pointwise("ReLU", x, tensor.ReLU(x.Value), func(x, _ float32) float32 {
		if x > 0 {
			return 1
		}
		return 0
	})
}

// GELU returns the exact GELU x·Φ(x); its derivative is Φ(x) + x·φ(x) with
// φ the standard normal density.
func (g *Graph) GELU(x *Var) *Var {
	return g.pointwise("GELU", x, tensor.GELU(x.Value), func(x, _ float32) float32 {
		v := float64(x)
		cdf := 0.5 * (1 + math.Erf(v/math.Sqrt2))
		pdf := math.Exp(-0.5*v*v) / math.Sqrt(2*math.Pi)
		return float32(cdf + v*pdf)
	})
}

// GELUTanh returns the tanh approximation ½x(1 + tanh u), u = c(x + 0.044715x³);
// its derivative is ½(1 + tanh u) + ½x(1 − tanh²u)·c(1 + 3·0.044715x²).
// Both run on the vectorised float32 kernels tensor.GELUTanhTo and
// tensor.GELUTanhGradTo.
func (g *Graph) GELUTanh(x *Var) *Var {
	y := g.alloc(false, x.Value.Shape...)
	tensor.GELUTanhTo(y.Data, x.Value.Data)
	return g.Record("GELUTanh", y, []*Var{x}, func(gout *tensor.Tensor) {
		if !x.requiresGrad {
			return
		}
		if x.Grad == nil { // first contribution: write it in place
			x.Grad = x.newGrad(false)
			tensor.GELUTanhGradTo(x.Grad.Data, x.Value.Data, gout.Data)
			return
		}
		gx := tensor.ZerosLike(x.Value)
		tensor.GELUTanhGradTo(gx.Data, x.Value.Data, gout.Data)
		x.accumulate(gx)
	})
}

// SiLU returns x·σ(x); its derivative is σ(x)(1 + x(1 − σ(x))).
func (g *Graph) SiLU(x *Var) *Var {
	return g.pointwise("SiLU", x, tensor.SiLU(x.Value), func(x, _ float32) float32 {
		v := float64(x)
		s := 1 / (1 + math.Exp(-v))
		return float32(s * (1 + v*(1-s)))
	})
}

// Sigmoid returns σ(x) = 1/(1 + e^−x); with y = σ(x), ∂x = ∂y·y(1 − y).
func (g *Graph) Sigmoid(x *Var) *Var {
	return g.pointwise("Sigmoid", x, tensor.Sigmoid(x.Value), func(_, y float32) float32 { return y * (1 - y) })
}

// Tanh returns tanh x; with y = tanh x, ∂x = ∂y·(1 − y²).
func (g *Graph) Tanh(x *Var) *Var {
	return g.pointwise("Tanh", x, tensor.Tanh(x.Value), func(_, y float32) float32 { return 1 - y*y })
}
