//go:build !purego

package tensor

// cpuid executes the CPUID instruction for the given leaf and sub-leaf.
func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// xgetbv0 reads extended control register 0 (which register states the
// operating system saves on a context switch).
func xgetbv0() (lo, hi uint32)

// hasAVX2FMA reports whether this CPU and operating system can run the
// AVX2 + FMA kernels: the CPU must report AVX, FMA, AVX2 and OSXSAVE, and the
// OS must have enabled saving of the SSE and AVX (YMM) register state.
// It is computed once at start-up and never changes afterwards.
var hasAVX2FMA = detectAVX2FMA()

func detectAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if c1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 { // XMM (bit 1) and YMM (bit 2) state
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0 // AVX2
}
