package tensor

import (
	"fmt"
)

// Permute returns a copy of t with its dimensions reordered: dimension i of
// the result is dimension perm[i] of t.
func Permute(t *Tensor, perm ...int) *Tensor {
	nd := len(t.Shape)
	if len(perm) != nd {
		panic(fmt.Sprintf("tensor.Permute: permutation %v for shape %v", perm, t.Shape))
	}
	seen := make([]bool, nd)
	shape := make([]int, nd)
	src := strides(t.Shape)
	st := make([]int, nd) // stride in t of each result dimension
	for i, p := range perm {
		if p < 0 || p >= nd || seen[p] {
			panic(fmt.Sprintf("tensor.Permute: permutation %v for shape %v", perm, t.Shape))
		}
		seen[p] = true
		shape[i] = t.Shape[p]
		st[i] = src[p]
	}
	out := Zeros(shape...)
	l, n := lastStride(st), lastDim(shape)
	bcastRowsParallel(shape, [][]int{st}, func(o int, offs []int) {
		io := offs[0]
		row := out.Data[o : o+n]
		for j := range row {
			row[j] = t.Data[io]
			io += l
		}
	})
	return out
}

// Transpose returns a copy of t with axes a and b swapped.
func Transpose(t *Tensor, a, b int) *Tensor {
	a, b = normAxis("Transpose", a, t.Shape), normAxis("Transpose", b, t.Shape)
	perm := make([]int, len(t.Shape))
	for i := range perm {
		perm[i] = i
	}
	perm[a], perm[b] = b, a
	return Permute(t, perm...)
}

// Slice returns the elements with index in [start, end) along axis (a copy).
func Slice(t *Tensor, axis, start, end int) *Tensor {
	a := normAxis("Slice", axis, t.Shape)
	outer, n, inner := splitAxis(t.Shape, a)
	if start < 0 || end > n || start > end {
		panic(fmt.Sprintf("tensor.Slice: range [%d, %d) out of bounds for axis %d of shape %v", start, end, axis, t.Shape))
	}
	shape := append([]int(nil), t.Shape...)
	shape[a] = end - start
	out := Zeros(shape...)
	w := (end - start) * inner
	for o := 0; o < outer; o++ {
		copy(out.Data[o*w:(o+1)*w], t.Data[(o*n+start)*inner:])
	}
	return out
}

// Concat joins tensors along axis; all other dimensions must agree.
func Concat(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("tensor.Concat: no tensors")
	}
	a := normAxis("Concat", axis, ts[0].Shape)
	shape := append([]int(nil), ts[0].Shape...)
	shape[a] = 0
	for _, t := range ts {
		if len(t.Shape) != len(shape) {
			panic(fmt.Sprintf("tensor.Concat: shapes %v and %v differ in rank", ts[0].Shape, t.Shape))
		}
		for i, d := range t.Shape {
			if i != a && d != shape[i] {
				panic(fmt.Sprintf("tensor.Concat: shapes %v and %v differ off axis %d", ts[0].Shape, t.Shape, axis))
			}
		}
		shape[a] += t.Shape[a]
	}
	out := Zeros(shape...)
	outer, n, inner := splitAxis(shape, a)
	at := 0
	for _, t := range ts {
		w := t.Shape[a] * inner
		for o := 0; o < outer; o++ {
			copy(out.Data[(o*n+at)*inner:], t.Data[o*w:(o+1)*w])
		}
		at += t.Shape[a]
	}
	return out
}

// Stack joins equally shaped tensors along a new axis (0 ≤ axis ≤ rank).
func Stack(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("tensor.Stack: no tensors")
	}
	nd := len(ts[0].Shape)
	a := axis
	if a < 0 {
		a += nd + 1
	}
	if a < 0 || a > nd {
		panic(fmt.Sprintf("tensor.Stack: axis %d out of range for shape %v", axis, ts[0].Shape))
	}
	parts := make([]*Tensor, len(ts))
	for i, t := range ts {
		if !SameShape(t.Shape, ts[0].Shape) {
			panic(fmt.Sprintf("tensor.Stack: shapes %v and %v differ", ts[0].Shape, t.Shape))
		}
		shape := make([]int, 0, nd+1)
		shape = append(shape, t.Shape[:a]...)
		shape = append(shape, 1)
		shape = append(shape, t.Shape[a:]...)
		parts[i] = t.Reshape(shape...)
	}
	return Concat(a, parts...)
}

// Split cuts t along axis into consecutive pieces of the given sizes, which
// must add up to the axis length.
func Split(t *Tensor, axis int, sizes ...int) []*Tensor {
	a := normAxis("Split", axis, t.Shape)
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total != t.Shape[a] {
		panic(fmt.Sprintf("tensor.Split: sizes %v do not add up to axis %d of shape %v", sizes, axis, t.Shape))
	}
	out := make([]*Tensor, len(sizes))
	at := 0
	for i, s := range sizes {
		out[i] = Slice(t, a, at, at+s)
		at += s
	}
	return out
}

// IndexSelect returns the rows t[ids[0]], t[ids[1]], … along axis 0, with
// shape [len(ids), t.Shape[1:]...]: an embedding lookup.
func IndexSelect(t *Tensor, ids []int) *Tensor {
	if len(t.Shape) == 0 {
		panic("tensor.IndexSelect: scalar tensor")
	}
	rows := t.Shape[0]
	w := Numel(t.Shape[1:])
	shape := append([]int{len(ids)}, t.Shape[1:]...)
	out := Zeros(shape...)
	for i, id := range ids {
		if id < 0 || id >= rows {
			panic(fmt.Sprintf("tensor.IndexSelect: index %d out of range for shape %v", id, t.Shape))
		}
		copy(out.Data[i*w:(i+1)*w], t.Data[id*w:])
	}
	return out
}

// ScatterAdd adds row i of src into row ids[i] of dst, in place: the adjoint
// of IndexSelect (repeated ids accumulate).
func ScatterAdd(dst *Tensor, ids []int, src *Tensor) {
	if len(dst.Shape) == 0 || len(src.Shape) == 0 || src.Shape[0] != len(ids) || !SameShape(dst.Shape[1:], src.Shape[1:]) {
		panic(fmt.Sprintf("tensor.ScatterAdd: dst shape %v, src shape %v, %d ids", dst.Shape, src.Shape, len(ids)))
	}
	rows := dst.Shape[0]
	w := Numel(dst.Shape[1:])
	for i, id := range ids {
		if id < 0 || id >= rows {
			panic(fmt.Sprintf("tensor.ScatterAdd: index %d out of range for shape %v", id, dst.Shape))
		}
		d := dst.Data[id*w : (id+1)*w]
		for j, x := range src.Data[i*w : (i+1)*w] {
			d[j] += x
		}
	}
}

// Gather picks one element per row along the last axis: for t of shape
// [..., n] it returns out[r] = t[r, idx[r]] with shape t.Shape[:len−1]
// (the log-probability of each target token).
func Gather(t *Tensor, idx []int) *Tensor {
	if len(t.Shape) == 0 {
		panic("tensor.Gather: scalar tensor")
	}
	n := lastDim(t.Shape)
	out := Zeros(t.Shape[:len(t.Shape)-1]...)
	if len(idx) != len(out.Data) {
		panic(fmt.Sprintf("tensor.Gather: %d indices for shape %v", len(idx), t.Shape))
	}
	for r, j := range idx {
		if j < 0 || j >= n {
			panic(fmt.Sprintf("tensor.Gather: index %d out of range for shape %v", j, t.Shape))
		}
		out.Data[r] = t.Data[r*n+j]
	}
	return out
}
