package autograd

import (
	"fmt"
	"slices"

	"transformers/tensor"
)

// Embedding looks up rows of weight (shape [V, C]) by token id:
//
//	forward:  y[i, :] = W[ids[i], :]
//	backward: dW[ids[i], :] += dy[i, :]   (a scatter-add: repeated ids sum)
//
// The result has shape [len(ids), C], or shape ++ [C] when shape is given
// (e.g. Embedding(wte, ids, B, T) gives [B, T, C]); the product of shape must
// equal len(ids). Every id must lie in [0, V). The backward adds straight
// into W's gradient, touching only the rows that were looked up.
func (g *Graph) Embedding(weight *Var, ids []int, shape ...int) *Var {
	const op = "Embedding"
	w := weight.Value
	if w.Dims() != 2 {
		panic(fmt.Sprintf("autograd.%s: weight shape %v is not [V, C]", op, w.Shape))
	}
	nv, c := w.Shape[0], w.Shape[1]
	if shape == nil {
		shape = []int{len(ids)}
	}
	if tensor.Numel(shape) != len(ids) {
		panic(fmt.Sprintf("autograd.%s: shape %v needs %d ids, got %d", op, shape, tensor.Numel(shape), len(ids)))
	}
	ids = slices.Clone(ids) // backward must see the ids of this forward
	y := tensor.Zeros(append(append([]int(nil), shape...), c)...)
	for i, id := range ids {
		if id < 0 || id >= nv {
			panic(fmt.Sprintf("autograd.%s: id %d at position %d out of range [0, %d) for weight shape %v", op, id, i, nv, w.Shape))
		}
		copy(y.Data[i*c:(i+1)*c], w.Data[id*c:(id+1)*c])
	}
	return g.Record(op, y, []*Var{weight}, func(dy *tensor.Tensor) {
		dw := fusedGrad(weight)
		if dw == nil {
			return
		}
		for i, id := range ids {
			row, d := dw.Data[id*c:(id+1)*c], dy.Data[i*c:(i+1)*c]
			for j, v := range d {
				row[j] += v
			}
		}
	})
}
