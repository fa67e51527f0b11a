package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// normRow returns a row of n values around offset: mostly N(0, scale²),
// with a few values far out (±100) and exact zeros mixed in.
func normRow(rng *rand.Rand, n int, offset, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch rng.IntN(16) {
		case 0:
			x[i] = float32(rng.Float64()*200 - 100)
		case 1:
			x[i] = 0
		default:
			x[i] = float32(offset + scale*rng.NormFloat64())
		}
	}
	return x
}

// orNil returns v, or nil if use is false (an absent γ, β or partial sum).
func orNil[T any](v []T, use bool) []T {
	if !use {
		return nil
	}
	return v
}

// TestNormKernelsMatchReference compares the row kernels as they run (on
// amd64 with AVX2 + FMA, the vector code of norm_amd64.s with the Go loops
// finishing each row) with the reference loops of norm.go on the whole row,
// for lengths around the 8- and 16-element steps, with and without γ, β and
// the dγ, dβ sums. Both do the same float64 operations in the same order,
// so they must agree bit for bit.
func TestNormKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	same32 := func(a, b []float32) int {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return i
			}
		}
		return -1
	}
	for _, n := range []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 96, 128, 130, 512, 4101} {
		x := normRow(rng, n, 3, 2)
		dy := normRow(rng, n, 0, 1)
		gamma := normRow(rng, n, 1, 0.1)
		beta := normRow(rng, n, 0, 0.1)
		for _, centered := range []bool{true, false} {
			mean, sq := rowStats(x, centered)
			var s [statLanes]float64
			wantMean := 0.0
			if centered {
				rowSumLoops(&s, x)
				wantMean = sumLanes16(&s) / float64(n)
				s = [statLanes]float64{}
			}
			rowSqDevLoops(&s, x, wantMean)
			if wantSq := sumLanes16(&s); mean != wantMean || sq != wantSq {
				t.Fatalf("n=%d centered=%v: rowStats = %v, %v; loops %v, %v", n, centered, mean, sq, wantMean, wantSq)
			}
			rstd := 1 / math.Sqrt(sq/float64(n)+1e-5)
			for mask := range 8 {
				useG, useB, useP := mask&1 != 0, mask&2 != 0, mask&4 != 0
				name := fmt.Sprintf("n=%d centered=%v gamma=%v beta=%v partials=%v", n, centered, useG, useB, useP)
				g, b := orNil(gamma, useG), orNil(beta, useB)

				y, want := make([]float32, n), make([]float32, n)
				normApply(y, x, mean, rstd, g, b)
				normApplyLoops(want, x, mean, rstd, g, b)
				if i := same32(y, want); i >= 0 {
					t.Fatalf("%s: normApply[%d] = %v, loops %v", name, i, y[i], want[i])
				}

				h, wantH := make([]float32, n), make([]float32, n)
				pg, pb := make([]float64, n), make([]float64, n)
				wantPg, wantPb := make([]float64, n), make([]float64, n)
				for i := range pg { // sums already running
					pg[i], pb[i] = float64(i), -float64(i)
					wantPg[i], wantPb[i] = pg[i], pb[i]
				}
				sum, dot := normGradSums(h, x, dy, g, mean, rstd, orNil(pg, useP), orNil(pb, useP))
				var ws [2 * gradLanes]float64
				normGradSumsLoops(&ws, wantH, x, dy, g, mean, rstd, orNil(wantPg, useP), orNil(wantPb, useP))
				wantSum, wantDot := gradLaneSums(&ws)
				if sum != wantSum || dot != wantDot {
					t.Fatalf("%s: normGradSums = %v, %v; loops %v, %v", name, sum, dot, wantSum, wantDot)
				}
				if i := same32(h, wantH); i >= 0 {
					t.Fatalf("%s: x̂[%d] = %v, loops %v", name, i, h[i], wantH[i])
				}
				if useG && useB {
					// x̂ of backward is x̂ of forward: y = x̂·γ + β with the same bits.
					for i := range h {
						if got := float32(h[i]*gamma[i]) + beta[i]; got != y[i] {
							t.Fatalf("%s: backward x̂[%d] gives y %v, forward %v", name, i, got, y[i])
						}
					}
				}
				for i := range pg {
					if pg[i] != wantPg[i] || pb[i] != wantPb[i] {
						t.Fatalf("%s: partial sums[%d] = %v, %v; loops %v, %v", name, i, pg[i], pb[i], wantPg[i], wantPb[i])
					}
				}

				dx, wantDx := make([]float32, n), make([]float32, n)
				for i := range dx {
					dx[i] = float32(i % 5)
					wantDx[i] = dx[i]
				}
				normGradDx(dx, h, dy, g, rstd, sum/float64(n), dot/float64(n))
				normGradDxLoops(wantDx, wantH, dy, g, rstd, sum/float64(n), dot/float64(n))
				if i := same32(dx, wantDx); i >= 0 {
					t.Fatalf("%s: normGradDx[%d] = %v, loops %v", name, i, dx[i], wantDx[i])
				}
			}
		}
	}
}

// neumaier returns Σ v with compensated (Neumaier) summation: accurate to
// about one float64 rounding whatever the length and cancellation.
func neumaier(v []float64) float64 {
	s, c := 0.0, 0.0
	for _, x := range v {
		t := s + x
		if math.Abs(s) >= math.Abs(x) {
			c += (s - t) + x
		} else {
			c += (x - t) + s
		}
		s = t
	}
	return s + c
}

// TestRowStatsMatchesCompensated checks RowStats against compensated
// float64 sums on rows up to 4096 values with |x| up to 100, including rows
// whose spread is tiny next to their mean (where a one-pass Σx² − (Σx)²/n
// would lose every digit): the relative error must stay near float64's.
func TestRowStatsMatchesCompensated(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, n := range []int{1, 5, 16, 128, 333, 4096} {
		for _, c := range []struct{ offset, scale float64 }{{0, 1}, {90, 1e-3}, {-50, 30}} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(c.offset + c.scale*rng.NormFloat64())
			}
			v := make([]float64, n)
			for i, xv := range x {
				v[i] = float64(xv)
			}
			wantMean := neumaier(v) / float64(n)
			for i, xv := range x {
				d := float64(xv) - wantMean
				v[i] = d * d
			}
			wantSq := neumaier(v)
			for i, xv := range x {
				v[i] = float64(xv) * float64(xv)
			}
			wantSq0 := neumaier(v)
			mean, sq := rowStats(x, true)
			_, sq0 := rowStats(x, false)
			close := func(got, want, scale float64) bool { return math.Abs(got-want) <= 1e-12*scale }
			if !close(mean, wantMean, math.Abs(wantMean)+c.scale) || !close(sq, wantSq, wantSq) || !close(sq0, wantSq0, wantSq0) {
				t.Fatalf("n=%d offset=%v scale=%v: rowStats = %v, %v (uncentered %v); want %v, %v (%v)",
					n, c.offset, c.scale, mean, sq, sq0, wantMean, wantSq, wantSq0)
			}
		}
	}
}

// TestNormForwardBackwardMatchFloat64 runs NormForward and NormBackward
// (LayerNorm and RMSNorm) on a few rows and compares with the formulas
// evaluated in float64 throughout (no float32 rounding of x̂):
//
//	y = x̂γ + β,  dx = r(d̂ − mean(d̂) − x̂·mean(d̂x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
func TestNormForwardBackwardMatchFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	const rows, eps = 5, 1e-5
	for _, n := range []int{3, 24, 128, 515} {
		for _, centered := range []bool{true, false} {
			gamma, beta := normRow(rng, n, 1, 0.3), normRow(rng, n, 0, 0.3)
			x, dy := make([]float32, 0, rows*n), normRow(rng, rows*n, 0, 1)
			for r := range rows {
				x = append(x, normRow(rng, n, float64(r)*20-40, 1+float64(r))...)
			}
			y, dx := make([]float32, rows*n), make([]float32, rows*n)
			for i := range dx {
				dx[i] = float32(i%3) - 1 // dx is added to
			}
			mean, rstd := make([]float64, rows), make([]float64, rows)
			pg, pb := make([]float64, n), make([]float64, n)
			NormForward(y, x, n, centered, eps, gamma, beta, mean, rstd)
			NormBackward(dx, x, dy, n, centered, gamma, mean, rstd, pg, pb)

			wantPg, wantPb := make([]float64, n), make([]float64, n)
			absPg := make([]float64, n) // Σ |dy·x̂|: the scale of dγ's rounding error
			for r := range rows {
				xr, dyr, yr, dxr := x[r*n:(r+1)*n], dy[r*n:(r+1)*n], y[r*n:(r+1)*n], dx[r*n:(r+1)*n]
				m, v := 0.0, 0.0
				if centered {
					for _, xv := range xr {
						m += float64(xv)
					}
					m /= float64(n)
				}
				for _, xv := range xr {
					v += (float64(xv) - m) * (float64(xv) - m)
				}
				rs := 1 / math.Sqrt(v/float64(n)+eps)
				if math.Abs(mean[r]-m) > 1e-12*(math.Abs(m)+1) || math.Abs(rstd[r]-rs) > 1e-12*rs {
					t.Fatalf("n=%d centered=%v row %d: mean, rstd = %v, %v; want %v, %v", n, centered, r, mean[r], rstd[r], m, rs)
				}
				xh, dh := make([]float64, n), make([]float64, n)
				md, mdx := 0.0, 0.0
				for j := range xr {
					xh[j] = (float64(xr[j]) - m) * rs
					dh[j] = float64(dyr[j]) * float64(gamma[j])
					md += dh[j] / float64(n)
					mdx += dh[j] * xh[j] / float64(n)
				}
				if !centered {
					md = 0
				}
				for j := range xr {
					wantY := xh[j]*float64(gamma[j]) + float64(beta[j])
					if e := math.Abs(float64(yr[j]) - wantY); e > 3e-7*(math.Abs(xh[j]*float64(gamma[j]))+math.Abs(float64(beta[j])))+1e-30 {
						t.Fatalf("n=%d centered=%v row %d: y[%d] = %v, want %v", n, centered, r, j, yr[j], wantY)
					}
					wantDx := float64(float32((r*n+j)%3)-1) + rs*(dh[j]-md-xh[j]*mdx)
					if e := math.Abs(float64(dxr[j]) - wantDx); e > 3e-7*(1+rs*(math.Abs(dh[j])+math.Abs(md)+math.Abs(xh[j]*mdx))) {
						t.Fatalf("n=%d centered=%v row %d: dx[%d] = %v, want %v", n, centered, r, j, dxr[j], wantDx)
					}
					wantPg[j] += float64(dyr[j]) * xh[j]
					wantPb[j] += float64(dyr[j])
					absPg[j] += math.Abs(float64(dyr[j]) * xh[j])
				}
			}
			for j := range pg {
				if e := math.Abs(pg[j] - wantPg[j]); e > 2e-7*absPg[j] || pb[j] != wantPb[j] {
					t.Fatalf("n=%d centered=%v: dγ, dβ sums[%d] = %v, %v; want %v, %v", n, centered, j, pg[j], pb[j], wantPg[j], wantPb[j])
				}
			}
		}
	}
}

// TestNormKernelsPanicOnLengths checks that mismatched lengths panic.
func TestNormKernelsPanicOnLengths(t *testing.T) {
	x, odd := make([]float32, 16), make([]float32, 15)
	g, m, p := make([]float32, 8), make([]float64, 2), make([]float64, 8)
	for name, f := range map[string]func(){
		"forward rows":   func() { NormForward(odd, odd, 8, true, 1e-5, nil, nil, m, m) },
		"forward c=0":    func() { NormForward(x, x, 0, true, 1e-5, nil, nil, m, m) },
		"forward y":      func() { NormForward(odd, x, 8, true, 1e-5, nil, nil, m, m) },
		"forward gamma":  func() { NormForward(x, x, 8, true, 1e-5, g[1:], nil, m, m) },
		"forward beta":   func() { NormForward(x, x, 8, true, 1e-5, nil, []float32{}, m, m) },
		"forward mean":   func() { NormForward(x, x, 8, true, 1e-5, nil, nil, m[1:], m) },
		"backward dy":    func() { NormBackward(nil, x, odd, 8, true, nil, m, m, nil, nil) },
		"backward dx":    func() { NormBackward(odd, x, x, 8, true, nil, m, m, nil, nil) },
		"backward pg":    func() { NormBackward(nil, x, x, 8, true, nil, m, m, p[1:], nil) },
		"backward pb":    func() { NormBackward(nil, x, x, 8, true, nil, m, m, nil, p[1:]) },
		"backward rstd":  func() { NormBackward(nil, x, x, 8, true, nil, m, m[1:], nil, nil) },
		"backward gamma": func() { NormBackward(nil, x, x, 8, true, g[1:], m, m, nil, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	NormBackward(nil, x, x, 8, true, g, m, m, p, nil) // valid: no panic
}

// TestNormKernelsDoNotAllocate checks that NormForward and NormBackward
// allocate nothing for rows up to 512 values (x̂ lives on the stack).
func TestNormKernelsDoNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	const rows, c = 3, 133
	x, dy, g := normRow(rng, rows*c, 0, 1), normRow(rng, rows*c, 0, 1), normRow(rng, c, 1, 0.1)
	y, dx := make([]float32, rows*c), make([]float32, rows*c)
	mean, rstd := make([]float64, rows), make([]float64, rows)
	pg, pb := make([]float64, c), make([]float64, c)
	allocs := testing.AllocsPerRun(20, func() {
		NormForward(y, x, c, true, 1e-5, g, g, mean, rstd)
		NormBackward(dx, x, dy, c, true, g, mean, rstd, pg, pb)
	})
	if allocs != 0 {
		t.Fatalf("NormForward + NormBackward allocate %v times", allocs)
	}
}

// BenchmarkNormRows runs NormForward and NormBackward (with γ, β and the
// dγ, dβ sums) over 2048 rows of 128: the reference model's activations.
func BenchmarkNormRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(49, 50))
	const rows, c = 2048, 128
	x, dy := normRow(rng, rows*c, 0, 1), normRow(rng, rows*c, 0, 1)
	g, beta := normRow(rng, c, 1, 0.1), normRow(rng, c, 0, 0.1)
	y, dx := make([]float32, rows*c), make([]float32, rows*c)
	mean, rstd := make([]float64, rows), make([]float64, rows)
	pg, pb := make([]float64, c), make([]float64, c)
	NormForward(y, x, c, true, 1e-5, g, beta, mean, rstd)
	b.Run("fwd", func(b *testing.B) {
		b.SetBytes(rows * c * 4)
		for b.Loop() {
			NormForward(y, x, c, true, 1e-5, g, beta, mean, rstd)
		}
	})
	b.Run("bwd", func(b *testing.B) {
		b.SetBytes(rows * c * 4)
		for b.Loop() {
			NormBackward(dx, x, dy, c, true, g, mean, rstd, pg, pb)
		}
	})
}
