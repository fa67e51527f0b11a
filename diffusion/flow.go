// Package diffusion is Part 5 of the book: flow matching from noise to data,
// first on 2-D points, then on small images made by code, with a diffusion
// transformer, class and text conditioning, classifier-free guidance and
// latent diffusion.
//
// One time convention runs through the whole package (the book's):
//
//	x_t = (1−t)·data + t·noise,   t ∈ [0, 1]
//	v   = dx_t/dt = noise − data   (the target velocity)
//
// so t = 0 is data and t = 1 is pure Gaussian noise, and sampling integrates
// dx/dt = v(x, t) backwards from t = 1 to t = 0.
package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"

	"transformers/tensor"
)

// Interpolate returns x_t = (1−t)·data + t·noise, with one time per sample:
// data and noise share the shape [B, ...] and len(t) == B.
func Interpolate(data, noise *tensor.Tensor, t []float32) *tensor.Tensor {
	checkBatch("diffusion.Interpolate", data, noise, t)
	out := tensor.ZerosLike(data)
	per := len(data.Data) / len(t)
	for b, tb := range t {
		for i := b * per; i < (b+1)*per; i++ {
			out.Data[i] = (1-tb)*data.Data[i] + tb*noise.Data[i]
		}
	}
	return out
}

// TargetVelocity returns v = noise − data, the time derivative of
// Interpolate's straight path (the same for every t).
func TargetVelocity(data, noise *tensor.Tensor) *tensor.Tensor {
	if !tensor.SameShape(data.Shape, noise.Shape) {
		panic(fmt.Sprintf("diffusion.TargetVelocity: data shape %v vs noise shape %v", data.Shape, noise.Shape))
	}
	return tensor.Sub(noise, data)
}

func checkBatch(op string, data, noise *tensor.Tensor, t []float32) {
	if !tensor.SameShape(data.Shape, noise.Shape) {
		panic(fmt.Sprintf("%s: data shape %v vs noise shape %v", op, data.Shape, noise.Shape))
	}
	if len(data.Shape) == 0 || data.Shape[0] != len(t) {
		panic(fmt.Sprintf("%s: data shape %v vs %d times", op, data.Shape, len(t)))
	}
}

// TimeDist says how training draws t.
type TimeDist int

const (
	// Uniform draws t ~ U[0, 1] (the book's choice).
	Uniform TimeDist = iota
	// LogitNormal draws t = σ(z), z ~ N(0, 1): more samples near t = ½, where
	// the velocity is hardest to predict (Esser et al., 2024).
	LogitNormal
)

// String names the distribution as the -t flag spells it.
func (d TimeDist) String() string {
	switch d {
	case Uniform:
		return "uniform"
	case LogitNormal:
		return "logit-normal"
	}
	return fmt.Sprintf("TimeDist(%d)", int(d))
}

// ParseTimeDist reads "uniform" or "logit-normal".
func ParseTimeDist(s string) (TimeDist, error) {
	switch s {
	case "uniform":
		return Uniform, nil
	case "logit-normal", "logitnormal":
		return LogitNormal, nil
	}
	return 0, fmt.Errorf("unknown time distribution %q (want uniform or logit-normal)", s)
}

// SampleTimes draws n training times from d.
func SampleTimes(rng *rand.Rand, d TimeDist, n int) []float32 {
	t := make([]float32, n)
	for i := range t {
		switch d {
		case LogitNormal:
			t[i] = float32(1 / (1 + math.Exp(-rng.NormFloat64())))
		default:
			t[i] = rng.Float32()
		}
	}
	return t
}

// Batch is one flow-matching training batch: the noisy input X_t at times T
// and the velocity Target = noise − data the network must predict there.
type Batch struct {
	Xt, Target *tensor.Tensor
	T          []float32
	Noise      *tensor.Tensor
}

// MakeBatch draws noise ~ N(0, I) and t ~ d for every row of data [B, ...]
// and returns the straight-path input and target.
func MakeBatch(rng *rand.Rand, data *tensor.Tensor, d TimeDist) Batch {
	noise := tensor.Randn(rng, 1, data.Shape...)
	t := SampleTimes(rng, d, data.Shape[0])
	return Batch{Xt: Interpolate(data, noise, t), Target: TargetVelocity(data, noise), T: t, Noise: noise}
}

// Field is a velocity field v(x, t) evaluated on a batch x [B, ...] at one
// time t; it returns a tensor of x's shape.
type Field func(x *tensor.Tensor, t float32) *tensor.Tensor

// Solver is an ODE integration rule for dx/dt = v(x, t).
type Solver int

const (
	// Euler: x ← x + h·v(x, t). One call per step, error O(h).
	Euler Solver = iota
	// Midpoint: k = v(x + ½h·v(x,t), t + ½h). Two calls per step, O(h²).
	Midpoint
	// Heun: the trapezoid of v at both ends of an Euler step. Two calls, O(h²).
	Heun
	// RK4: the classical fourth-order Runge–Kutta rule. Four calls, O(h⁴).
	RK4
)

// Solvers lists every Solver in order of accuracy.
var Solvers = []Solver{Euler, Midpoint, Heun, RK4}

// String names the solver.
func (s Solver) String() string {
	switch s {
	case Euler:
		return "euler"
	case Midpoint:
		return "midpoint"
	case Heun:
		return "heun"
	case RK4:
		return "rk4"
	}
	return fmt.Sprintf("Solver(%d)", int(s))
}

// Order is the solver's global error order p (error ∝ hᵖ).
func (s Solver) Order() int {
	return [...]int{1, 2, 2, 4}[s]
}

// ParseSolver reads a solver name as String spells it.
func ParseSolver(name string) (Solver, error) {
	for _, s := range Solvers {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown solver %q (want euler, midpoint, heun or rk4)", name)
}

// Sample integrates dx/dt = v(x, t) from t = 1 (x = x1, noise) to t = 0 in
// steps equal steps of h = −1/steps with the given solver, and returns the
// final x and the number of calls to v. If trace is non-nil it is called with
// the state after every step (and once with the start, step 0, t = 1).
func Sample(v Field, x1 *tensor.Tensor, steps int, s Solver, trace func(step int, t float32, x *tensor.Tensor)) (*tensor.Tensor, int) {
	if steps < 1 {
		panic(fmt.Sprintf("diffusion.Sample: steps %d < 1", steps))
	}
	x := x1.Clone()
	calls := 0
	call := func(x *tensor.Tensor, t float64) *tensor.Tensor {
		calls++
		return v(x, float32(t))
	}
	if trace != nil {
		trace(0, 1, x)
	}
	h := -1 / float64(steps)
	for i := 0; i < steps; i++ {
		t := 1 + float64(i)*h
		switch s {
		case Euler:
			x = axpy(x, h, call(x, t))
		case Midpoint:
			k1 := call(x, t)
			x = axpy(x, h, call(axpy(x, h/2, k1), t+h/2))
		case Heun:
			k1 := call(x, t)
			k2 := call(axpy(x, h, k1), t+h)
			x = axpy(axpy(x, h/2, k1), h/2, k2)
		case RK4:
			k1 := call(x, t)
			k2 := call(axpy(x, h/2, k1), t+h/2)
			k3 := call(axpy(x, h/2, k2), t+h/2)
			k4 := call(axpy(x, h, k3), t+h)
			x = axpy(axpy(axpy(axpy(x, h/6, k1), h/3, k2), h/3, k3), h/6, k4)
		default:
			panic(fmt.Sprintf("diffusion.Sample: unknown solver %d", int(s)))
		}
		if trace != nil {
			trace(i+1, float32(1+float64(i+1)*h), x)
		}
	}
	return x, calls
}

// axpy returns x + a·y as a new tensor.
func axpy(x *tensor.Tensor, a float64, y *tensor.Tensor) *tensor.Tensor {
	if !tensor.SameShape(x.Shape, y.Shape) {
		panic(fmt.Sprintf("diffusion: velocity shape %v vs state shape %v", y.Shape, x.Shape))
	}
	out := tensor.ZerosLike(x)
	af := float32(a)
	for i, xv := range x.Data {
		out.Data[i] = xv + af*y.Data[i]
	}
	return out
}

// Guided returns the classifier-free-guidance field
// v = v_u + w·(v_c − v_u): w = 0 is the unconditional model, w = 1 the
// conditional one, w > 1 pushes samples further towards the condition.
func Guided(cond, uncond Field, w float32) Field {
	return func(x *tensor.Tensor, t float32) *tensor.Tensor {
		vc, vu := cond(x, t), uncond(x, t)
		out := tensor.ZerosLike(vc)
		for i := range out.Data {
			out.Data[i] = vu.Data[i] + w*(vc.Data[i]-vu.Data[i])
		}
		return out
	}
}

// Composed is composable classifier-free guidance (Liu et al., 2022): with
// one conditional field per part of the prompt,
//
//	v = v_u + w · Σ_k (v_k − v_u),
//
// the velocity of p(x) · Π_k (p(x | c_k) / p(x))^w, a product of experts:
// each part pulls towards what it alone describes, so a combination never
// seen in training ("a blue circle" from blue squares and red circles) is
// where the pulls agree.
func Composed(parts []Field, uncond Field, w float32) Field {
	return func(x *tensor.Tensor, t float32) *tensor.Tensor {
		vu := uncond(x, t)
		out := vu.Clone()
		for _, p := range parts {
			vc := p(x, t)
			for i := range out.Data {
				out.Data[i] += w * (vc.Data[i] - vu.Data[i])
			}
		}
		return out
	}
}

// Combine is the field Σ_k c_k · v_k, a linear combination of velocity
// fields (the coefficients usually sum to 1, so the combination is still a
// velocity). Guided is Combine([cond, uncond], [w, 1−w]); Composed is
// Combine([parts…, uncond], [w, …, w, 1−K·w]).
func Combine(fields []Field, coefs []float32) Field {
	if len(fields) != len(coefs) {
		panic(fmt.Sprintf("diffusion.Combine: %d fields, %d coefficients", len(fields), len(coefs)))
	}
	return func(x *tensor.Tensor, t float32) *tensor.Tensor {
		var out *tensor.Tensor
		for k, f := range fields {
			v := f(x, t)
			if out == nil {
				out = tensor.Zeros(v.Shape...)
			}
			for i := range out.Data {
				out.Data[i] += coefs[k] * v.Data[i]
			}
		}
		return out
	}
}
