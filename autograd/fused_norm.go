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
	y := tensor.ZerosLike(xv)
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
		dx, dgamma, dbeta := fusedGrad(x), fusedGrad(gamma), fusedGrad(beta)
		fusedNormAffineBackward(dy.Data, st, dgamma, dbeta)
		if dx != nil {
			fusedParallel(blocks, rows*c*4, func(blk int) {
				fusedNormInputBackward(dy.Data, st, blk*normRowBlock, min((blk+1)*normRowBlock, rows), gamma, true, dx.Data)
			})
		}
	})
}

// normStats is what a normalisation keeps for backward: its input x (rows
// of c values) and each row's mean (0 for RMSNorm) and reciprocal scale.
type normStats struct {
	x          []float32
	c          int
	mean, rstd []float64
}

// xhat returns x̂ = (x − μ)·r of element j of row r, as forward computed it.
func (s normStats) xhat(r, j int) float32 {
	return float32((float64(s.x[r*s.c+j]) - s.mean[r]) * s.rstd[r])
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
		dx, dgamma := fusedGrad(x), fusedGrad(gamma)
		fusedNormAffineBackward(dy.Data, st, dgamma, nil)
		if dx != nil {
			fusedNormInputBackward(dy.Data, st, 0, rows, gamma, false, dx.Data)
		}
	})
}

// fusedNormAffineBackward accumulates dγ += Σ_rows dy ⊙ x̂ and dβ += Σ_rows dy
// (either may be nil). Each column's sums run over the rows in order, in
// float64; tasks own fixed column chunks, so the result does not depend on
// the number of cores.
func fusedNormAffineBackward(dy []float32, st normStats, dgamma, dbeta *tensor.Tensor) {
	if dgamma == nil && dbeta == nil {
		return
	}
	c := st.c
	rows := len(dy) / c
	tasks := (c + normColChunk - 1) / normColChunk
	fusedParallel(tasks, 2*len(dy), func(t int) {
		c0, c1 := t*normColChunk, min((t+1)*normColChunk, c)
		var sg, sb [normColChunk]float64
		for r := range rows {
			d := dy[r*c+c0 : r*c+c1]
			for j, v := range d {
				sg[j] += float64(v) * float64(st.xhat(r, c0+j))
				sb[j] += float64(v)
			}
		}
		for j := c0; j < c1; j++ {
			if dgamma != nil {
				dgamma.Data[j] += float32(sg[j-c0])
			}
			if dbeta != nil {
				dbeta.Data[j] += float32(sb[j-c0])
			}
		}
	})
}

// normColChunk is how many columns one task of the affine backward sums.
const normColChunk = 32

// fusedNormInputBackward accumulates the input gradient of rows [r0, r1) of
// a normalisation, with x̂ recomputed from st:
// dx += r·(d̂ − [centered]·mean(d̂) − x̂·mean(d̂ ⊙ x̂)) with d̂ = dy ⊙ γ.
// centered is true for LayerNorm (which subtracts the mean in forward) and
// false for RMSNorm.
func fusedNormInputBackward(dy []float32, st normStats, r0, r1 int, gamma *Var, centered bool, dx []float32) {
	c := st.c
	for r := r0; r < r1; r++ {
		dyr, dxr := dy[r*c:(r+1)*c], dx[r*c:(r+1)*c]
		sum, dot := 0.0, 0.0
		for j, d := range dyr {
			dh := float64(d)
			if gamma != nil {
				dh *= float64(gamma.Value.Data[j])
			}
			sum += dh
			dot += dh * float64(st.xhat(r, j))
		}
		mean, mdot := sum/float64(c), dot/float64(c)
		if !centered {
			mean = 0
		}
		rs := st.rstd[r]
		for j, d := range dyr {
			dh := float64(d)
			if gamma != nil {
				dh *= float64(gamma.Value.Data[j])
			}
			dxr[j] += float32(rs * (dh - mean - float64(st.xhat(r, j))*mdot))
		}
	}
}
