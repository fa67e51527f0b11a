package tensor

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// The fast GEMM follows the GotoBLAS/BLIS layering:
//
//	for each output task (an mcBlock×ncBlock block of C, handed to a worker)
//	  for each kcBlock slice of the reduction, in order
//	    pack op(A) rows into mr-row micro-panels   (aPack: kb × mr each)
//	    pack op(B) cols into nr-col micro-panels   (bPack: kb × nr each)
//	    for each micro-panel pair: microKernel → an mr×nr tile of C
//
// Packing turns all three layouts (A·B, A·Bᵀ, Aᵀ·B) into the same contiguous
// panel format, so only one micro-kernel exists: microKernel in
// kernel_generic.go, with its tile size mr×nr. A SIMD kernel (issue 5) drops
// in by providing those three names in an architecture-specific file with
// build tags. Work is split over output blocks only, never over the
// reduction, and every element's sum runs in the same order whatever the
// block boundaries are, so the result is bit-identical for any GOMAXPROCS.
const (
	mcBlock = 64  // rows of C per task (multiple of mr)
	ncBlock = 256 // columns of C per task (multiple of nr)
	kcBlock = 256 // reduction slice held in the packed panels

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
	tm, tn := (m+mcBlock-1)/mcBlock, (n+ncBlock-1)/ncBlock
	tasks := tm * tn
	run := func(w *gemmWork, t int) {
		i0, j0 := (t/tn)*mcBlock, (t%tn)*ncBlock
		w.block(transA, transB, i0, min(mcBlock, m-i0), j0, min(ncBlock, n-j0), k, a, lda, b, ldb, c, ldc, accumulate)
	}
	workers := min(runtime.GOMAXPROCS(0), tasks)
	if workers <= 1 || m*n*k < parallelFlops {
		w := getGemmWork()
		for t := 0; t < tasks; t++ {
			run(w, t)
		}
		gemmPool.Put(w)
		return
	}
	parallelTasks(workers, tasks, func(t int) {
		w := getGemmWork()
		run(w, t)
		gemmPool.Put(w)
	})
}

// parallelTasks runs body(t) for every t in [0, tasks) on the given number
// of goroutines, each taking the next index from a shared counter. Which
// goroutine runs a task varies, but every task is computed whole by one
// goroutine, so results never depend on the schedule or on GOMAXPROCS.
func parallelTasks(workers, tasks int, body func(t int)) {
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

// gemmWork is one worker's packing buffers and edge tile.
type gemmWork struct {
	aPack, bPack []float32
	tile         [mr * nr]float32
}

// gemmPool recycles packing buffers between calls, so a training step's
// many products do not allocate. It is a cache, not state: any buffer works.
var gemmPool = sync.Pool{New: func() any {
	return &gemmWork{aPack: make([]float32, mcBlock*kcBlock), bPack: make([]float32, kcBlock*ncBlock)}
}}

func getGemmWork() *gemmWork { return gemmPool.Get().(*gemmWork) }

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// block computes the mb×nb block of C at (i0, j0) over the whole reduction.
func (w *gemmWork) block(transA, transB bool, i0, mb, j0, nb, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	for p0 := 0; p0 < k; p0 += kcBlock {
		kb := min(kcBlock, k-p0)
		add := accumulate || p0 > 0
		packA(transA, a, lda, i0, mb, p0, kb, w.aPack)
		packB(transB, b, ldb, p0, kb, j0, nb, w.bPack)
		for jr := 0; jr < nb; jr += nr {
			bp := w.bPack[jr*kb : (jr+nr)*kb]
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
