package autograd

import "transformers/tensor"

// LayerNorm normalises x over its last axis (size C) and applies an optional
// affine map, with PyTorch's semantics (population variance, eps inside the
// square root):
//
//	forward:  μ = mean(x),  σ² = mean((x − μ)²),  r = 1/√(σ² + eps)
//	          x̂ = (x − μ)·r,  y = x̂ ⊙ γ + β
//	backward: d̂ = dy ⊙ γ
//	          dx = r · (d̂ − mean(d̂) − x̂ · mean(d̂ ⊙ x̂))
//	          dγ = Σ_rows dy ⊙ x̂,  dβ = Σ_rows dy
//
// x has shape [..., C]; gamma and beta have shape [C] and either may be nil
// (γ = 1, β = 0). Row statistics are accumulated in float64; the row
// kernels are tensor.NormForward and tensor.NormBackward (vector code on
// amd64 with AVX2 + FMA).
func (g *Graph) LayerNorm(x, gamma, beta *Var, eps float32) *Var {
	const op = "LayerNorm"
	xv := x.Value
	rows, c := fusedLastDim(op, xv)
	fusedCheckVector(op, "gamma", gamma, xv, c)
	fusedCheckVector(op, "beta", beta, xv, c)
	y := g.alloc(false, xv.Shape...) // every row is written
	// Only each row's mean and 1/σ are kept: backward recomputes
	// x̂ = (x − μ)·r from the input, bit for bit as forward did.
	st := normStats{x: xv.Data, c: c, mean: make([]float64, rows), rstd: make([]float64, rows)}
	// Rows are independent: blocks of normRowBlock rows go to the workers.
	blocks := (rows + normRowBlock - 1) / normRowBlock
	gd, bd := fusedData(gamma), fusedData(beta)
	fusedParallel(blocks, rows*c*4, func(blk int) {
		lo, hi := blk*normRowBlock, min((blk+1)*normRowBlock, rows)
		tensor.NormForward(y.Data[lo*c:hi*c], xv.Data[lo*c:hi*c], c, true, float64(eps), gd, bd, st.mean[lo:hi], st.rstd[lo:hi])
	})
	return g.Record(op, y, fusedInputs(x, gamma, beta), func(dy *tensor.Tensor) {
		fusedNormBackward(dy.Data, st, gamma, true, fusedGrad(x), fusedGrad(gamma), fusedGrad(beta))
	})
}

// normStats is what a normalisation keeps for backward: its input x (rows
// of c values) and each row's mean (0 for RMSNorm) and reciprocal scale.
type normStats struct {
	x          []float32
	c          int
	mean, rstd []float64
}

// normRowBlock is how many rows one parallel task of LayerNorm handles.
const normRowBlock = 64

// fusedData returns v's values, or nil if v is nil.
func fusedData(v *Var) []float32 {
	if v == nil {
		return nil
	}
	return v.Value.Data
}

// RMSNorm scales x by the reciprocal root mean square of its last axis (size
// C), with the semantics of PyTorch's nn.RMSNorm (no mean subtraction, no
// bias):
//
//	forward:  r = 1/√(mean(x²) + eps),  x̂ = x·r,  y = x̂ ⊙ γ
//	backward: d̂ = dy ⊙ γ
//	          dx = r · (d̂ − x̂ · mean(d̂ ⊙ x̂))
//	          dγ = Σ_rows dy ⊙ x̂
//
// x has shape [..., C]; gamma has shape [C] or is nil (γ = 1).
func (g *Graph) RMSNorm(x, gamma *Var, eps float32) *Var {
	const op = "RMSNorm"
	xv := x.Value
	rows, c := fusedLastDim(op, xv)
	fusedCheckVector(op, "gamma", gamma, xv, c)
	y := g.alloc(false, xv.Shape...) // every row is written
	st := normStats{x: xv.Data, c: c, mean: make([]float64, rows), rstd: make([]float64, rows)}
	gd := fusedData(gamma)
	blocks := (rows + normRowBlock - 1) / normRowBlock
	fusedParallel(blocks, rows*c*4, func(blk int) {
		lo, hi := blk*normRowBlock, min((blk+1)*normRowBlock, rows)
		tensor.NormForward(y.Data[lo*c:hi*c], xv.Data[lo*c:hi*c], c, false, float64(eps), gd, nil, st.mean[lo:hi], st.rstd[lo:hi])
	})
	return g.Record(op, y, fusedInputs(x, gamma), func(dy *tensor.Tensor) {
		fusedNormBackward(dy.Data, st, gamma, false, fusedGrad(x), fusedGrad(gamma), nil)
	})
}

// fusedNormBackward is the backward of LayerNorm (centered) and RMSNorm:
// with d̂ = dy ⊙ γ and x̂ recomputed from st, it accumulates
//
//	dx += r·(d̂ − [centered]·mean(d̂) − x̂·mean(d̂ ⊙ x̂))
//	dγ += Σ_rows dy ⊙ x̂,  dβ += Σ_rows dy
//
// into whichever of dx, dγ, dβ are non-nil, in one pass over the rows.
// Blocks of normRowBlock rows run in parallel; each keeps float64 partial
// sums of dγ and dβ, which are added block by block in order afterwards, so
// the result does not depend on the number of cores.
func fusedNormBackward(dy []float32, st normStats, gamma *Var, centered bool, dx, dgamma, dbeta *tensor.Tensor) {
	if dx == nil && dgamma == nil && dbeta == nil {
		return
	}
	c := st.c
	rows := len(dy) / c
	blocks := (rows + normRowBlock - 1) / normRowBlock
	affine := dgamma != nil || dbeta != nil
	var part []float64 // per block: Σ dy⊙x̂ (c values), then Σ dy (c values)
	if affine {
		part = make([]float64, blocks*2*c)
	}
	var g []float32
	if gamma != nil {
		g = gamma.Value.Data[:c]
	}
	fusedParallel(blocks, rows*c*6, func(blk int) {
		var pg, pb []float64 // this block's sums of dγ and dβ
		if dgamma != nil {
			pg = part[blk*2*c : blk*2*c+c]
		}
		if dbeta != nil {
			pb = part[blk*2*c+c : (blk+1)*2*c]
		}
		var dxb []float32
		lo, hi := blk*normRowBlock, min((blk+1)*normRowBlock, rows)
		if dx != nil {
			dxb = dx.Data[lo*c : hi*c]
		}
		tensor.NormBackward(dxb, st.x[lo*c:hi*c], dy[lo*c:hi*c], c, centered, g, st.mean[lo:hi], st.rstd[lo:hi], pg, pb)
	})
	if !affine {
		return
	}
	for j := range c {
		sg, sb := 0.0, 0.0
		for blk := range blocks {
			sg += part[blk*2*c+j]
			sb += part[blk*2*c+c+j]
		}
		if dgamma != nil {
			dgamma.Data[j] += float32(sg)
		}
		if dbeta != nil {
			dbeta.Data[j] += float32(sb)
		}
	}
}
