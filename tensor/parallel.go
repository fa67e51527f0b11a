package tensor

import (
	"runtime"
	"sync"
)

// elementwiseParallelMin is the length below which element-wise kernels stay
// on the calling goroutine: shorter loops finish before goroutines start.
const elementwiseParallelMin = 1 << 15

// parallelChunks calls f(lo, hi) over contiguous chunks covering [0, n),
// one chunk per worker (at most GOMAXPROCS) once n is large enough, and
// f(0, n) otherwise. For element-wise kernels, where each output depends
// only on its own inputs, the result is the same whatever the chunking.
func parallelChunks(n int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/(elementwiseParallelMin/2))
	if workers <= 1 {
		f(0, n)
		return
	}
	chunk := roundUp((n+workers-1)/workers, 64)
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() { f(lo, hi) })
	}
	f(0, min(chunk, n))
	wg.Wait()
}
