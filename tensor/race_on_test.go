//go:build race

package tensor

// raceEnabled reports whether the race detector is on; under it sync.Pool
// drops a share of the items put back on purpose, so allocation counts of
// pooled code are not meaningful.
const raceEnabled = true
