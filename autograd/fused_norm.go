package autograd

import (
	"math"

	"transformers/tensor"
)

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
// (γ = 1, β = 0). Row statistics are accumulated in float64.
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
	fusedParallel(blocks, rows*c*4, func(blk int) {
		for r := blk * normRowBlock; r < min((blk+1)*normRowBlock, rows); r++ {
			layerNormRow(xv.Data[r*c:(r+1)*c], y.Data[r*c:(r+1)*c], &st.mean[r], &st.rstd[r], gamma, beta, eps)
		}
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

// layerNormRow normalises one row xr: x̂ = (x − μ)·r, y = x̂ ⊙ γ + β, and
// stores μ and r.
func layerNormRow(xr, yr []float32, mu, rstd *float64, gamma, beta *Var, eps float32) {
	mean := 0.0
	for _, v := range xr {
		mean += float64(v)
	}
	mean /= float64(len(xr))
	variance := 0.0
	for _, v := range xr {
		d := float64(v) - mean
		variance += d * d
	}
	variance /= float64(len(xr))
	rs := 1 / math.Sqrt(variance+float64(eps))
	*mu, *rstd = mean, rs
	for j, v := range xr {
		h := float32((float64(v) - mean) * rs)
		if gamma != nil {
			h *= gamma.Value.Data[j]
		}
		if beta != nil {
			h += beta.Value.Data[j]
		}
		yr[j] = h
	}
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
	y := tensor.ZerosLike(xv)
	st := normStats{x: xv.Data, c: c, mean: make([]float64, rows), rstd: make([]float64, rows)}
	for r := range rows {
		xr := xv.Data[r*c : (r+1)*c]
		ms := 0.0
		for _, v := range xr {
			ms += float64(v) * float64(v)
		}
		rs := 1 / math.Sqrt(ms/float64(c)+float64(eps))
		st.rstd[r] = rs
		yr := y.Data[r*c : (r+1)*c]
		for j, v := range xr {
			h := float32(float64(v) * rs)
			if gamma != nil {
				h *= gamma.Value.Data[j]
			}
			yr[j] = h
		}
	}
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
		h := make([]float32, c) // x̂ of the current row
		var pg, pb []float64
		if affine {
			pg, pb = part[blk*2*c:blk*2*c+c], part[blk*2*c+c:(blk+1)*2*c]
		}
		for r := blk * normRowBlock; r < min((blk+1)*normRowBlock, rows); r++ {
			xr, dyr := st.x[r*c:(r+1)*c], dy[r*c:(r+1)*c]
			m, rs := st.mean[r], st.rstd[r]
			for j, v := range xr {
				h[j] = float32((float64(v) - m) * rs) // as forward computed it
			}
			if affine {
				for j, d := range dyr {
					pg[j] += float64(d) * float64(h[j])
					pb[j] += float64(d)
				}
			}
			if dx == nil {
				continue
			}
			sum, dot := 0.0, 0.0
			for j, d := range dyr {
				dh := float64(d)
				if g != nil {
					dh *= float64(g[j])
				}
				sum += dh
				dot += dh * float64(h[j])
			}
			mean, mdot := sum/float64(c), dot/float64(c)
			if !centered {
				mean = 0
			}
			dxr := dx.Data[r*c : (r+1)*c]
			for j, d := range dyr {
				dh := float64(d)
				if g != nil {
					dh *= float64(g[j])
				}
				dxr[j] += float32(rs * (dh - mean - float64(h[j])*mdot))
			}
		}
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
