package autograd

import (
	"sync"

	"transformers/tensor"
)

// A training loop allocates the same activation-sized tensors every step,
// and Go zeroes each fresh allocation on the calling goroutine. A graph
// with RecycleBuffers keeps those buffers instead: ops draw their outputs,
// and the gradients of their outputs, from the graph's pool, and Reset
// returns them all. Buffers an op overwrites completely are not cleared;
// the others are cleared in parallel.

// poolMin is the smallest buffer (in elements) the pool handles; smaller
// tensors (losses, row statistics) are plain allocations that stay valid.
const poolMin = 1 << 12

// bufPool holds free buffers by length and the buffers handed out since the
// last Reset.
type bufPool struct {
	mu   sync.Mutex
	free map[int][][]float32
	used [][]float32
}

// RecycleBuffers makes g reuse, from one step to the next, the buffers of
// the values its ops compute and of their gradients (never those of
// parameters or other leaves). After Reset every tensor an op of g returned
// before it, and every gradient of such a tensor, is invalid: read what
// you need (the loss) before calling Reset. Meant for training loops whose
// shapes repeat; it returns g.
func (g *Graph) RecycleBuffers() *Graph {
	if g.pool == nil {
		g.pool = &bufPool{free: map[int][][]float32{}}
	}
	return g
}

// get returns a buffer of n elements, zeroed if zero is set (otherwise its
// contents are stale and the caller must overwrite all of it).
func (p *bufPool) get(n int, zero bool) []float32 {
	if p == nil || n < poolMin {
		return make([]float32, n)
	}
	p.mu.Lock()
	var b []float32
	if l := p.free[n]; len(l) > 0 {
		b = l[len(l)-1]
		p.free[n] = l[:len(l)-1]
	}
	if b == nil {
		b = make([]float32, n)
		zero = false
	}
	p.used = append(p.used, b)
	p.mu.Unlock()
	if zero {
		const chunk = 1 << 14
		fusedParallel((n+chunk-1)/chunk, n/8, func(t int) { clear(b[t*chunk : min((t+1)*chunk, n)]) })
	}
	return b
}

// release makes the buffers handed out since the last release free again.
// Free buffers that went unused for a whole step are dropped, so the pool
// never holds more than one step's worth.
func (p *bufPool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.free)
	for _, b := range p.used {
		p.free[len(b)] = append(p.free[len(b)], b)
	}
	clear(p.used)
	p.used = p.used[:0]
}

// alloc returns a tensor of the given shape for an op's output: from the
// pool when g recycles buffers, zeroed if zero is set, else with stale
// contents the op must overwrite entirely.
func (g *Graph) alloc(zero bool, shape ...int) *tensor.Tensor {
	return tensor.New(g.pool.get(tensor.Numel(shape), zero), shape...)
}

// newGrad returns a buffer for v's gradient: from the pool of the graph
// that computed v, if any, else a fresh allocation.
func (v *Var) newGrad(zero bool) *tensor.Tensor {
	return tensor.New(v.pool.get(v.Value.Numel(), zero), v.Value.Shape...)
}
