package tensor

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// The fast GEMM follows the GotoBLAS/BLIS layering:
//
//	pack all of op(B) once into nr-column micro-panels, per kcBlock slice
//	for each output task (mcBlock rows × ncBlock or all columns of C, one worker)
//	  for each kcBlock slice of the reduction, in order
//	    pack op(A) rows into mr-row micro-panels   (aPack: kb × mr each)
//	    for each micro-panel pair: microKernel → an mr×nr tile of C
//
// Packing turns all three layouts (A·B, A·Bᵀ, Aᵀ·B) into the same contiguous
// panel format, so only one micro-kernel exists, with its tile size mr×nr
// and block sizes: the AVX2 + FMA assembly kernel on amd64
// (kernel_amd64.go), the pure-Go one elsewhere and with the purego build tag
// (kernel_generic.go). B is packed once per call and shared read-only by all
// tasks, so a column of C never repacks it. Work is split over output blocks
// only, never over the reduction, and every element's sum runs in the same
// order whatever the block boundaries are, so the result is bit-identical
// for any GOMAXPROCS.
const (
	// parallelFlops is the size (m·n·k) below which Gemm runs serially:
	// smaller products finish faster than goroutines start.
	parallelFlops = 64 * 64 * 64
)

// Gemm computes C = op(A)·op(B), or C += op(A)·op(B) when accumulate is set,
// for row-major matrices given as slices with leading dimensions (row
// strides) lda, ldb, ldc. op(A) is m×k: A itself (m×k) or, if transA, the
// transpose of the stored k×m matrix; likewise op(B) is k×n. C must not
// overlap A or B. This is the blocked, register-tiled, parallel kernel;
// gemmRef is its plain reference.
func Gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	checkGemm("Gemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !accumulate {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	if m <= gemvRows && !transA && transB {
		gemvNT(m, n, k, a, lda, b, ldb, c, ldc, accumulate)
		return
	}
	np := roundUp(n, nr)
	bp := getPackedB(k * np)
	// With enough row blocks to keep every worker busy, a task spans all
	// columns, so each panel of A is packed once; otherwise the columns are
	// cut into ncBlock-wide blocks for more tasks. Block boundaries never
	// change a result, so this choice may depend on GOMAXPROCS.
	procs := runtime.GOMAXPROCS(0)
	tm, nc := (m+mcBlock-1)/mcBlock, ncBlock
	if tm >= 4*procs || procs == 1 {
		nc = np
	}
	g := gemmCall{transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, np, bp.data,
		nc, (n + nc - 1) / nc}
	tasks := tm * g.tn
	packs := ((k + kcBlock - 1) / kcBlock) * g.tn // one per (reduction slice, column block)
	workers := min(procs, tasks)
	if workers <= 1 || m*n*k < parallelFlops {
		// Serial: no goroutines and no closures, so nothing is allocated.
		for t := 0; t < packs; t++ {
			g.pack(t)
		}
		w := getGemmWork()
		for t := 0; t < tasks; t++ {
			g.run(w, t)
		}
		gemmPool.Put(w)
	} else {
		h := g // only this copy escapes to the goroutines
		parallelTasks(min(workers, packs), packs, h.pack)
		parallelTasks(workers, tasks, func(t int) {
			w := getGemmWork()
			h.run(w, t)
			gemmPool.Put(w)
		})
	}
	packedBPool.Put(bp)
}

// gemvRows is the most rows of A for which an A·Bᵀ product skips packing
// and takes each element as a Dot of two contiguous rows: decoding one token
// at a time (x·Wᵀ with a single row x) would otherwise repack all of W for
// every token, costing as much as the product itself.
const gemvRows = 4

// gemvNT computes C = A·Bᵀ (or C += A·Bᵀ) as dot products of rows, split
// over fixed chunks of columns when large. Each element is one Dot, so the
// result does not depend on the chunking.
func gemvNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	const chunk = 64
	cols := func(t int) {
		for j := t * chunk; j < min((t+1)*chunk, n); j++ {
			bj := b[j*ldb : j*ldb+k]
			for i := 0; i < m; i++ {
				s := Dot(a[i*lda:i*lda+k], bj)
				if accumulate {
					s += c[i*ldc+j]
				}
				c[i*ldc+j] = s
			}
		}
	}
	tasks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), tasks)
	if workers <= 1 || m*n*k < parallelFlops {
		for t := 0; t < tasks; t++ {
			cols(t)
		}
		return
	}
	parallelTasks(workers, tasks, cols)
}

// gemmCall holds one Gemm call's operands and its packed B.
type gemmCall struct {
	transA, transB bool
	m, n, k        int
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
	accumulate     bool
	np             int       // n rounded up to whole micro-panels
	bPack          []float32 // all of op(B), packed
	nc             int       // columns of C per task (a multiple of nr)
	tn             int       // column blocks
}

// pack packs op(B) for reduction slice t/tn and column block t%tn.
func (g *gemmCall) pack(t int) {
	p0, j0 := (t/g.tn)*kcBlock, (t%g.tn)*g.nc
	kb := min(kcBlock, g.k-p0)
	packB(g.transB, g.b, g.ldb, p0, kb, j0, min(g.nc, g.n-j0), g.bPack[p0*g.np+j0*kb:])
}

// run computes output block t: rows (t/tn)·mcBlock…, columns (t%tn)·nc….
func (g *gemmCall) run(w *gemmWork, t int) {
	i0, j0 := (t/g.tn)*mcBlock, (t%g.tn)*g.nc
	w.block(g.transA, i0, min(mcBlock, g.m-i0), j0, min(g.nc, g.n-j0), g.k, g.np, g.a, g.lda, g.bPack, g.c, g.ldc, g.accumulate)
}

// parallelTasks runs body(t) for every t in [0, tasks) on the given number
// of goroutines, each taking the next index from a shared counter. Which
// goroutine runs a task varies, but every task is computed whole by one
// goroutine, so results never depend on the schedule or on GOMAXPROCS.
func parallelTasks(workers, tasks int, body func(t int)) {
	if workers <= 1 {
		for t := 0; t < tasks; t++ {
			body(t)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				t := int(next.Add(1)) - 1
				if t >= tasks {
					return
				}
				body(t)
			}
		})
	}
	wg.Wait()
}

// checkGemm panics unless every slice is long enough for its matrix.
func checkGemm(op string, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	need := func(rows, cols, ld, have int) bool {
		if rows == 0 || cols == 0 {
			return true
		}
		return ld >= cols && have >= (rows-1)*ld+cols
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if m < 0 || n < 0 || k < 0 || !need(ar, ac, lda, len(a)) || !need(br, bc, ldb, len(b)) || !need(m, n, ldc, len(c)) {
		panic(fmt.Sprintf("tensor.%s: m=%d n=%d k=%d with A %d/lda %d, B %d/ldb %d, C %d/ldc %d",
			op, m, n, k, len(a), lda, len(b), ldb, len(c), ldc))
	}
}

// gemmWork is one worker's packing buffer for A and its edge tile.
type gemmWork struct {
	aPack []float32
	tile  [mr * nr]float32
}

// gemmPool recycles packing buffers between calls, so a training step's
// many products do not allocate. It is a cache, not state: any buffer works.
var gemmPool = sync.Pool{New: func() any {
	return &gemmWork{aPack: make([]float32, mcBlock*kcBlock)}
}}

func getGemmWork() *gemmWork { return gemmPool.Get().(*gemmWork) }

// packedB is a reusable buffer for the packed op(B) of one call.
type packedB struct{ data []float32 }

// packedBPool recycles packedB buffers; a buffer too small for the call is
// grown, so after warm-up the largest product's buffer is reused.
var packedBPool = sync.Pool{New: func() any { return new(packedB) }}

func getPackedB(size int) *packedB {
	p := packedBPool.Get().(*packedB)
	if cap(p.data) < size {
		p.data = make([]float32, size)
	}
	p.data = p.data[:size]
	return p
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// block computes the mb×nb block of C at (i0, j0) over the whole reduction.
// bPack holds all of op(B) packed by Gemm: the kb×nr micro-panel for the
// slice starting at p0 and the columns starting at j is at p0·np + j·kb.
func (w *gemmWork) block(transA bool, i0, mb, j0, nb, k, np int, a []float32, lda int, bPack []float32, c []float32, ldc int, accumulate bool) {
	for p0 := 0; p0 < k; p0 += kcBlock {
		kb := min(kcBlock, k-p0)
		add := accumulate || p0 > 0
		packA(transA, a, lda, i0, mb, p0, kb, w.aPack)
		for jr := 0; jr < nb; jr += nr {
			bp := bPack[p0*np+(j0+jr)*kb : p0*np+(j0+jr+nr)*kb]
			nn := min(nr, nb-jr)
			for ir := 0; ir < mb; ir += mr {
				ap := w.aPack[ir*kb : (ir+mr)*kb]
				mm := min(mr, mb-ir)
				off := (i0+ir)*ldc + j0 + jr
				if mm == mr && nn == nr {
					microKernel(kb, ap, bp, c[off:], ldc, add)
					continue
				}
				// Edge tile: compute the full tile aside, keep the valid part.
				microKernel(kb, ap, bp, w.tile[:], nr, false)
				for i := 0; i < mm; i++ {
					row := c[off+i*ldc : off+i*ldc+nn]
					t := w.tile[i*nr : i*nr+nn]
					if add {
						for j := range row {
							row[j] += t[j]
						}
					} else {
						copy(row, t)
					}
				}
			}
		}
	}
}

// packA copies op(A)[i0:i0+mb, p0:p0+kb] into micro-panels of mr rows, each
// stored p-major (kb × mr), padding missing rows with zeros.
func packA(trans bool, a []float32, lda, i0, mb, p0, kb int, dst []float32) {
	for ir := 0; ir < mb; ir += mr {
		panel := dst[ir*kb : (ir+mr)*kb]
		rows := min(mr, mb-ir)
		if rows == mr {
			packPanelA(trans, a, lda, i0+ir, p0, kb, panel)
			continue
		}
		for i := 0; i < mr; i++ {
			if i >= rows {
				for p := 0; p < kb; p++ {
					panel[p*mr+i] = 0
				}
				continue
			}
			r := i0 + ir + i
			if trans { // op(A)[r, p] = a[p·lda + r]
				for p := 0; p < kb; p++ {
					panel[p*mr+i] = a[(p0+p)*lda+r]
				}
			} else {
				src := a[r*lda+p0 : r*lda+p0+kb]
				for p, x := range src {
					panel[p*mr+i] = x
				}
			}
		}
	}
}

// packB copies op(B)[p0:p0+kb, j0:j0+nb] into micro-panels of nr columns,
// each stored p-major (kb × nr), padding missing columns with zeros.
func packB(trans bool, b []float32, ldb, p0, kb, j0, nb int, dst []float32) {
	for jr := 0; jr < nb; jr += nr {
		panel := dst[jr*kb : (jr+nr)*kb]
		cols := min(nr, nb-jr)
		if trans && cols == nr {
			packPanelBT(b, ldb, p0, kb, j0+jr, panel)
			continue
		}
		if trans { // op(B)[p, col] = b[col·ldb + p]
			for j := 0; j < nr; j++ {
				if j >= cols {
					for p := 0; p < kb; p++ {
						panel[p*nr+j] = 0
					}
					continue
				}
				src := b[(j0+jr+j)*ldb+p0 : (j0+jr+j)*ldb+p0+kb]
				for p, x := range src {
					panel[p*nr+j] = x
				}
			}
			continue
		}
		if cols == nr {
			packPanelB(b, ldb, p0, kb, j0+jr, panel)
			continue
		}
		for p := 0; p < kb; p++ {
			row := panel[p*nr : (p+1)*nr]
			src := b[(p0+p)*ldb+j0+jr:]
			copy(row[:cols], src[:cols])
			clear(row[cols:])
		}
	}
}

// gemmRef is the obviously-correct reference for Gemm: a triple loop with a
// float64 accumulator per output element.
func gemmRef(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	checkGemm("gemmRef", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			if accumulate {
				s = float64(c[i*ldc+j])
			}
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			c[i*ldc+j] = float32(s)
		}
	}
}
