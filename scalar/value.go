// Package scalar is Part 1's autograd engine: every number is a Value that
// remembers how it was made, so Backward can apply the chain rule from a loss
// back to every weight. It works in float64, one scalar at a time, and is
// written to be read line by line.
//
// Each operation computes its result and, right beside it, a closure that
// knows the local derivative: for c = a·b, ∂c/∂a = b and ∂c/∂b = a, so
// backward does a.Grad += b·c.Grad and b.Grad += a·c.Grad. Gradients add up
// (+=) because a value used twice receives a contribution from each use.
package scalar

import "math"

// Value is one scalar in a computation graph.
type Value struct {
	Data     float64  // the number itself
	Grad     float64  // ∂loss/∂this, filled in by Backward
	Op       string   // the operation that made it ("" for inputs and weights)
	prev     []*Value // the operands it was made from
	backward func()   // adds this value's Grad into its operands' Grads
}

// New returns a leaf value: an input or a weight.
func New(x float64) *Value { return &Value{Data: x} }

func newOp(x float64, op string, prev ...*Value) *Value {
	return &Value{Data: x, Op: op, prev: prev}
}

// Add returns a + b; ∂/∂a = ∂/∂b = 1.
func (a *Value) Add(b *Value) *Value {
	out := newOp(a.Data+b.Data, "+", a, b)
	out.backward = func() {
		a.Grad += out.Grad
		b.Grad += out.Grad
	}
	return out
}

// Sub returns a − b; ∂/∂a = 1, ∂/∂b = −1.
func (a *Value) Sub(b *Value) *Value {
	out := newOp(a.Data-b.Data, "-", a, b)
	out.backward = func() {
		a.Grad += out.Grad
		b.Grad -= out.Grad
	}
	return out
}

// Mul returns a·b; ∂/∂a = b, ∂/∂b = a.
func (a *Value) Mul(b *Value) *Value {
	out := newOp(a.Data*b.Data, "*", a, b)
	out.backward = func() {
		a.Grad += b.Data * out.Grad
		b.Grad += a.Data * out.Grad
	}
	return out
}

// Div returns a / b; ∂/∂a = 1/b, ∂/∂b = −a/b².
func (a *Value) Div(b *Value) *Value {
	out := newOp(a.Data/b.Data, "/", a, b)
	out.backward = func() {
		a.Grad += out.Grad / b.Data
		b.Grad -= a.Data / (b.Data * b.Data) * out.Grad
	}
	return out
}

// Neg returns −a.
func (a *Value) Neg() *Value {
	out := newOp(-a.Data, "neg", a)
	out.backward = func() { a.Grad -= out.Grad }
	return out
}

// Pow returns a^p for a constant p; ∂/∂a = p·a^(p−1).
func (a *Value) Pow(p float64) *Value {
	out := newOp(math.Pow(a.Data, p), "pow", a)
	out.backward = func() { a.Grad += p * math.Pow(a.Data, p-1) * out.Grad }
	return out
}

// Exp returns eᵃ; ∂/∂a = eᵃ.
func (a *Value) Exp() *Value {
	out := newOp(math.Exp(a.Data), "exp", a)
	out.backward = func() { a.Grad += out.Data * out.Grad }
	return out
}

// Log returns ln a; ∂/∂a = 1/a.
func (a *Value) Log() *Value {
	out := newOp(math.Log(a.Data), "log", a)
	out.backward = func() { a.Grad += out.Grad / a.Data }
	return out
}

// Sqrt returns √a; ∂/∂a = 1/(2√a).
func (a *Value) Sqrt() *Value {
	out := newOp(math.Sqrt(a.Data), "sqrt", a)
	out.backward = func() { a.Grad += out.Grad / (2 * out.Data) }
	return out
}

// Tanh returns tanh a; ∂/∂a = 1 − tanh²a.
func (a *Value) Tanh() *Value {
	out := newOp(math.Tanh(a.Data), "tanh", a)
	out.backward = func() { a.Grad += (1 - out.Data*out.Data) * out.Grad }
	return out
}

// ReLU returns max(0, a); ∂/∂a = 1 if a > 0 else 0.
func (a *Value) ReLU() *Value {
	out := newOp(math.Max(0, a.Data), "relu", a)
	out.backward = func() {
		if a.Data > 0 {
			a.Grad += out.Grad
		}
	}
	return out
}

// geluC is √(2/π), the constant of GELU's tanh form.
var geluC = math.Sqrt(2 / math.Pi)

// GELUFloat is the tanh form of GELU on a plain float:
// GELU(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func GELUFloat(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(geluC*(x+0.044715*x*x*x)))
}

// GELU returns the tanh form of GELU (see GELUFloat). With u = √(2/π)(x + 0.044715x³),
// ∂/∂x = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
func (a *Value) GELU() *Value {
	x := a.Data
	th := math.Tanh(geluC * (x + 0.044715*x*x*x))
	out := newOp(0.5*x*(1+th), "gelu", a)
	out.backward = func() {
		d := 0.5*(1+th) + 0.5*x*(1-th*th)*geluC*(1+3*0.044715*x*x)
		a.Grad += d * out.Grad
	}
	return out
}

// AddF returns a + c for a constant c.
func (a *Value) AddF(c float64) *Value { return a.Add(New(c)) }

// MulF returns a·c for a constant c.
func (a *Value) MulF(c float64) *Value { return a.Mul(New(c)) }

// Sum returns the sum of vs (0 for none).
func Sum(vs []*Value) *Value {
	if len(vs) == 0 {
		return New(0)
	}
	data := 0.0
	for _, v := range vs {
		data += v.Data
	}
	out := newOp(data, "sum", vs...)
	out.backward = func() {
		for _, v := range vs {
			v.Grad += out.Grad
		}
	}
	return out
}

// Dot returns Σ aᵢ·bᵢ as a single node: ∂/∂aᵢ = bᵢ, ∂/∂bᵢ = aᵢ.
// It is the same as summing Mul nodes, with one node instead of 2n.
func Dot(a, b []*Value) *Value {
	if len(a) != len(b) {
		panic("scalar.Dot: lengths differ")
	}
	data := 0.0
	for i := range a {
		data += a[i].Data * b[i].Data
	}
	prev := make([]*Value, 0, 2*len(a))
	prev = append(append(prev, a...), b...)
	out := newOp(data, "dot", prev...)
	out.backward = func() {
		for i := range a {
			a[i].Grad += b[i].Data * out.Grad
			b[i].Grad += a[i].Data * out.Grad
		}
	}
	return out
}

// Topo returns every value that v depends on, v last, in an order where each
// value comes after its operands. It uses an explicit stack, not recursion,
// so deep graphs cannot overflow.
func Topo(v *Value) []*Value {
	var order []*Value
	visited := map[*Value]bool{}
	type frame struct {
		v    *Value
		next int // index of the next operand to visit
	}
	stack := []frame{{v: v}}
	visited[v] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.v.prev) {
			p := top.v.prev[top.next]
			top.next++
			if !visited[p] {
				visited[p] = true
				stack = append(stack, frame{v: p})
			}
			continue
		}
		order = append(order, top.v)
		stack = stack[:len(stack)-1]
	}
	return order
}

// Backward sets ∂v/∂v = 1 and applies the chain rule from v back to every
// value it depends on, in reverse topological order. Intermediate values
// start from zero; leaves (inputs and weights) add to whatever Grad they
// held, as in PyTorch, so call ZeroGrad on the weights between steps.
func (v *Value) Backward() {
	order := Topo(v)
	for _, u := range order {
		if u.backward != nil {
			u.Grad = 0
		}
	}
	v.Grad = 1
	for i := len(order) - 1; i >= 0; i-- {
		if order[i].backward != nil {
			order[i].backward()
		}
	}
}

// ZeroGrad resets the gradient of every value given.
func ZeroGrad(vs []*Value) {
	for _, v := range vs {
		v.Grad = 0
	}
}
