package autograd

import (
	"fmt"

	"transformers/tensor"
)

// Linear returns the affine map y = x·Wᵀ + b of a fully connected layer as
// one node: x has shape [..., in], w (the weight, stored (out, in) as in
// PyTorch) [out, in], and b (the bias, may be nil) [out]; y has shape
// [..., out]. With the rows of x flattened to X [N, in] and ∂Y the upstream
// gradient [N, out]:
//
//	∂X = ∂Y·W,  ∂W = ∂Yᵀ·X,  ∂b = Σ_rows ∂Y
//
// It equals Add(MatMulNT(x, w), b) but writes the bias into the output
// before the product accumulates onto it, and accumulates ∂W and ∂b
// straight into the parameters' gradients, so no broadcast pass and no
// temporaries run on the calling goroutine. The bias gradient sums rows in
// order for every column, split over fixed column chunks, so it does not
// depend on the number of cores.
func (g *Graph) Linear(x, w, b *Var) *Var {
	const op = "Linear"
	xs, ws := x.Value.Shape, w.Value.Shape
	if len(ws) != 2 || len(xs) == 0 || xs[len(xs)-1] != ws[1] {
		panic(fmt.Sprintf("autograd.%s: input shape %v does not match weight shape %v (out, in)", op, xs, ws))
	}
	out, in := ws[0], ws[1]
	fusedCheckVector(op, "bias", b, &tensor.Tensor{Shape: []int{out}}, out)
	rows := 1
	for _, s := range xs[:len(xs)-1] {
		rows *= s
	}
	shape := append(append([]int(nil), xs[:len(xs)-1]...), out)
	y := g.alloc(false, shape...) // the bias fill or the product overwrites it
	if b != nil {
		fusedParallel(rows, rows*out, func(r int) { copy(y.Data[r*out:(r+1)*out], b.Value.Data) })
	}
	tensor.Gemm(false, true, rows, out, in, x.Value.Data, in, w.Value.Data, in, y.Data, out, b != nil)
	return g.Record(op, y, fusedInputs(x, w, b), func(gout *tensor.Tensor) {
		addProduct(x, xs, func(dst *tensor.Tensor, acc bool) {
			tensor.Gemm(false, false, rows, in, out, gout.Data, out, w.Value.Data, in, dst.Data, in, acc)
		})
		addProduct(w, ws, func(dst *tensor.Tensor, acc bool) {
			tensor.Gemm(true, false, out, in, rows, gout.Data, out, x.Value.Data, in, dst.Data, in, acc)
		})
		if db := fusedGrad(b); db != nil {
			columnSums(db.Data, gout.Data, rows, out)
		}
	})
}

// linearBiasChunk is how many columns one task of columnSums handles.
const linearBiasChunk = 64

// columnSums adds the column sums of the rows×n matrix m to dst (length n):
// dst[j] += Σᵢ m[i·n + j], each sum taken over rows in order. Tasks own
// fixed column chunks, so the result is the same on any number of cores.
func columnSums(dst, m []float32, rows, n int) {
	tasks := (n + linearBiasChunk - 1) / linearBiasChunk
	fusedParallel(tasks, rows*n, func(t int) {
		c0, c1 := t*linearBiasChunk, min((t+1)*linearBiasChunk, n)
		tensor.AddRows(dst[c0:c1], m[c0:], rows, n)
	})
}
