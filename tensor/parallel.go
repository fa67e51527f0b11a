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
	splitRange(n, workers, 64, f)
}

// splitRange calls f(lo, hi) over at most workers contiguous chunks covering
// [0, n), each a multiple of align long (but the last), the first on the
// calling goroutine; with one worker or fewer it calls f(0, n).
func splitRange(n, workers, align int, f func(lo, hi int)) {
	if workers <= 1 || n <= 1 {
		f(0, n)
		return
	}
	chunk := roundUp((n+workers-1)/workers, align)
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() { f(lo, hi) })
	}
	f(0, min(chunk, n))
	wg.Wait()
}

// ParallelFor runs body(t) for every t in [0, n) on up to GOMAXPROCS
// goroutines, each taking the next index from a shared counter. Every t is
// handled whole by one goroutine, so when body(t) touches only what task t
// owns, the result does not depend on the number of cores.
func ParallelFor(n int, body func(t int)) {
	parallelTasks(min(runtime.GOMAXPROCS(0), n), n, body)
}
