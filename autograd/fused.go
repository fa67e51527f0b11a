package autograd

// Fused ops compute a whole layer (cross-entropy, layer norm, RMS norm,
// embedding, attention) in one pass of plain loops and join the tape as a
// single node whose backward is written out by hand beside the forward. They
// are faster and numerically steadier than the same layer composed from
// generic ops, and they never materialise intermediates that backward does
// not need. This file holds what they share.

import (
	"fmt"
	"runtime"
	"sync"

	"transformers/tensor"
)

// fusedParallelMin is the work (roughly multiply-adds) below which a fused
// kernel stays on the calling goroutine: starting goroutines costs more than
// it saves on tiny inputs.
const fusedParallelMin = 1 << 16

// fusedParallel calls f(i) for every i in [0, n), splitting the range into
// contiguous fixed chunks over at most GOMAXPROCS goroutines when work is
// large enough. Each i is handled entirely by one goroutine and f(i) must
// write only to memory owned by i, so results do not depend on the number of
// cores.
func fusedParallel(n, work int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || work < fusedParallelMin {
		for i := range n {
			f(i)
		}
		return
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}

// fusedLastDim splits a tensor of shape [..., C] into rows × C and panics,
// naming op, if it has no axis or an empty last axis.
func fusedLastDim(op string, t *tensor.Tensor) (rows, c int) {
	if t.Dims() == 0 || t.Shape[t.Dims()-1] == 0 {
		panic(fmt.Sprintf("autograd.%s: input shape %v needs a non-empty last axis", op, t.Shape))
	}
	c = t.Shape[t.Dims()-1]
	return t.Numel() / c, c
}

// fusedCheckVector panics, naming op, unless p (when non-nil) has shape [c],
// the last axis of x.
func fusedCheckVector(op, what string, p *Var, x *tensor.Tensor, c int) {
	if p == nil {
		return
	}
	if p.Value.Dims() != 1 || p.Value.Shape[0] != c {
		panic(fmt.Sprintf("autograd.%s: %s shape %v does not match input shape %v (want [%d])", op, what, p.Value.Shape, x.Shape, c))
	}
}

// fusedInputs returns the non-nil vars among vs, for Record.
func fusedInputs(vs ...*Var) []*Var {
	out := make([]*Var, 0, len(vs))
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// GradBuffer returns v's gradient tensor, allocating it (zeros, v's shape)
// on first use, so that a backward closure outside this package can
// accumulate into part of it in place (v.Grad[...] += ...) instead of
// building a full-size temporary for AddGrad. It returns nil if v needs no
// gradient.
func (v *Var) GradBuffer() *tensor.Tensor { return fusedGrad(v) }

// fusedGrad returns v's gradient buffer, allocating it on first use, so a
// backward can accumulate into it directly (Embedding's scatter-add) instead
// of building a full-size temporary. It returns nil if v needs no gradient.
func fusedGrad(v *Var) *tensor.Tensor {
	if v == nil || !v.requiresGrad {
		return nil
	}
	if v.Grad == nil {
		v.Grad = v.newGrad(true)
	}
	return v.Grad
}
