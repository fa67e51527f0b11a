//go:build !unix

package part2

import "time"

// CPUTime reports false: this system has no portable per-process CPU clock,
// so callers fall back to wall time.
func CPUTime() (time.Duration, bool) { return 0, false }
