// Package autograd is a define-by-run reverse-mode automatic differentiation
// engine over package tensor.
//
// A Graph is a tape: every op called on it computes its forward value and,
// when the graph records gradients and some input requires a gradient,
// appends a node holding the op's name, its inputs and a backward closure
// written beside the forward. Because nodes are appended in creation order,
// walking the tape backwards is a valid topological order: no recursion, no
// sort. Whether gradients are recorded is a property of the Graph, never a
// global switch, so a rollout on a NoGrad graph cannot race with training on
// another goroutine.
package autograd

import (
	"fmt"
	"slices"

	"transformers/tensor"
)

// Var is a tensor in a computation: its Value, and its Grad (∂loss/∂Var),
// which is nil until a backward pass reaches it. Gradients accumulate with +=
// until ZeroGrad, so a Var used twice receives both contributions.
type Var struct {
	Name         string
	Value        *tensor.Tensor
	Grad         *tensor.Tensor
	requiresGrad bool
	pool         *bufPool // buffers for Grad, if v was computed by a recycling graph
}

// Param returns a leaf Var that requires a gradient (a trainable weight).
func Param(name string, t *tensor.Tensor) *Var {
	return &Var{Name: name, Value: t, requiresGrad: true}
}

// Const returns a leaf Var that needs no gradient (inputs, targets, masks).
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// SetRequiresGrad freezes (false) or unfreezes (true) a leaf. A frozen
// parameter costs nothing in backward: no node that reaches only frozen
// leaves is recorded.
func (v *Var) SetRequiresGrad(b bool) { v.requiresGrad = b }

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape }

// ZeroGrad drops v's accumulated gradient.
func (v *Var) ZeroGrad() { v.Grad = nil }

// Detach returns a Var sharing v's value with no history and no gradient.
func (v *Var) Detach() *Var { return &Var{Name: v.Name, Value: v.Value} }

// accumulate adds g into v.Grad, allocating it on first use.
func (v *Var) accumulate(g *tensor.Tensor) {
	if !tensor.SameShape(v.Value.Shape, g.Shape) {
		panic(fmt.Sprintf("autograd: gradient shape %v does not match value shape %v (%s)", g.Shape, v.Value.Shape, v.Name))
	}
	if v.Grad == nil {
		// First contribution: a copy (0 + g = g), without zeroing first.
		if v.pool != nil {
			v.Grad = v.newGrad(false)
			copy(v.Grad.Data, g.Data)
			return
		}
		v.Grad = &tensor.Tensor{Shape: slices.Clone(v.Value.Shape), Data: append([]float32(nil), g.Data...)}
		return
	}
	tensor.AddTo(v.Grad.Data, g.Data)
}

// addFresh is AddGrad for a gradient g that the caller has just allocated
// and will not touch again: on first use v.Grad takes over g's data instead
// of copying it. Never pass a tensor that is (or shares data with) an
// upstream gradient or any other live tensor.
func (v *Var) addFresh(g *tensor.Tensor) {
	if !v.requiresGrad {
		return
	}
	if v.Grad == nil && tensor.SameShape(v.Value.Shape, g.Shape) {
		v.Grad = &tensor.Tensor{Shape: slices.Clone(v.Value.Shape), Data: g.Data}
		return
	}
	v.accumulate(g)
}

// node is one recorded op: out was computed from inputs; backward reads
// out.Grad and accumulates into the inputs that require gradients.
type node struct {
	op       string
	inputs   []*Var
	out      *Var
	backward func()
}

// Graph records operations for one forward/backward pass.
type Graph struct {
	noGrad bool
	nodes  []*node
	pool   *bufPool // nil unless RecycleBuffers
}

// New returns a graph that records gradients.
func New() *Graph { return &Graph{} }

// NoGrad returns a graph that computes forward values only: inference,
// rollouts and frozen reference models.
func NoGrad() *Graph { return &Graph{noGrad: true} }

// Recording reports whether g records gradients.
func (g *Graph) Recording() bool { return !g.noGrad }

// Len returns the number of recorded nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// needs reports whether an op on these inputs must be recorded.
func (g *Graph) needs(inputs ...*Var) bool {
	if g.noGrad {
		return false
	}
	for _, in := range inputs {
		if in.requiresGrad {
			return true
		}
	}
	return false
}

// Record wraps value as the output of op on inputs. If gradients are needed,
// backward is called during Backward with the output's gradient and must
// accumulate into the inputs via Var.AddGrad. Ops outside this package (fused
// kernels in nn, gpt, diffusion) use Record to join the tape.
func (g *Graph) Record(op string, value *tensor.Tensor, inputs []*Var, backward func(gout *tensor.Tensor)) *Var {
	out := &Var{Name: op, Value: value, pool: g.pool}
	if !g.needs(inputs...) {
		return out
	}
	out.requiresGrad = true
	n := &node{op: op, inputs: inputs, out: out}
	n.backward = func() { backward(out.Grad) }
	g.nodes = append(g.nodes, n)
	return out
}

// AddGrad accumulates g into v's gradient if v requires one. Backward
// closures call it; it is a no-op for constants and frozen parameters.
func (v *Var) AddGrad(g *tensor.Tensor) {
	if v.requiresGrad {
		v.accumulate(g)
	}
}

// Backward runs reverse mode from a scalar loss (seed gradient 1).
func (g *Graph) Backward(loss *Var) {
	if loss.Value.Numel() != 1 {
		panic(fmt.Sprintf("autograd.Backward: loss must have one element, has shape %v", loss.Value.Shape))
	}
	g.BackwardWith(loss, tensor.Ones(loss.Value.Shape...))
}

// BackwardWith runs reverse mode from out with the given upstream gradient.
// Nodes are visited in reverse creation order, which is topological.
func (g *Graph) BackwardWith(out *Var, grad *tensor.Tensor) {
	if g.noGrad {
		panic("autograd.Backward: graph was created with NoGrad")
	}
	if !out.requiresGrad {
		panic("autograd.Backward: output does not depend on any parameter that requires a gradient")
	}
	out.accumulate(grad)
	for i := len(g.nodes) - 1; i >= 0; i-- {
		n := g.nodes[i]
		if n.out.Grad == nil {
			continue // not on a path to out
		}
		n.backward()
	}
}

// Reset forgets the recorded nodes so the graph can be reused for the next
// step (and, with RecycleBuffers, takes back their buffers).
func (g *Graph) Reset() {
	clear(g.nodes)
	g.nodes = g.nodes[:0]
	if g.pool != nil {
		g.pool.release()
	}
}
