// Package pyrand reproduces CPython's random module bit for bit: the MT19937
// generator seeded by init_by_array, random() with 53-bit resolution, and
// gauss() with its cached second value. Part 1 of the book draws every weight
// with Python's random.gauss after random.seed(42); with this package the Go
// programs draw the same numbers.
package pyrand

import "math"

const (
	n         = 624
	m         = 397
	matrixA   = 0x9908b0df
	upperMask = 0x80000000
	lowerMask = 0x7fffffff
)

// Rand is one Python random.Random instance.
type Rand struct {
	mt        [n]uint32
	mti       int
	gaussNext float64
	hasGauss  bool
}

// New returns a generator seeded as Python's random.seed(seed).
func New(seed int64) *Rand {
	r := &Rand{}
	r.Seed(seed)
	return r
}

// Seed re-seeds r as random.seed(seed) does for an int: the absolute value is
// split into 32-bit words, least significant first, and fed to init_by_array.
// It also clears the cached gaussian, as CPython does.
func (r *Rand) Seed(seed int64) {
	u := uint64(seed)
	if seed < 0 {
		u = uint64(-seed)
	}
	key := []uint32{uint32(u)}
	if hi := uint32(u >> 32); hi != 0 {
		key = append(key, hi)
	}
	r.initByArray(key)
	r.hasGauss = false
}

func (r *Rand) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < n; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.mti = n
}

func (r *Rand) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	k := n
	if len(key) > k {
		k = len(key)
	}
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = n - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000 // MSB is 1, assuring a non-zero initial array
}

// Uint32 returns the next 32-bit output of MT19937 (genrand_uint32).
func (r *Rand) Uint32() uint32 {
	if r.mti >= n {
		mag := [2]uint32{0, matrixA}
		kk := 0
		for ; kk < n-m; kk++ {
			y := (r.mt[kk] & upperMask) | (r.mt[kk+1] & lowerMask)
			r.mt[kk] = r.mt[kk+m] ^ (y >> 1) ^ mag[y&1]
		}
		for ; kk < n-1; kk++ {
			y := (r.mt[kk] & upperMask) | (r.mt[kk+1] & lowerMask)
			r.mt[kk] = r.mt[kk+(m-n)] ^ (y >> 1) ^ mag[y&1]
		}
		y := (r.mt[n-1] & upperMask) | (r.mt[0] & lowerMask)
		r.mt[n-1] = r.mt[m-1] ^ (y >> 1) ^ mag[y&1]
		r.mti = 0
	}
	y := r.mt[r.mti]
	r.mti++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// Random returns a float64 in [0, 1) exactly as random.random():
// (a·2²⁶ + b) / 2⁵³ with a = genrand>>5 (27 bits) and b = genrand>>6 (26 bits).
func (r *Rand) Random() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(a)*67108864.0 + float64(b)) * (1.0 / 9007199254740992.0)
}

// Gauss returns a normal deviate with mean mu and standard deviation sigma
// exactly as random.gauss: the Box–Muller pair z₀ = cos(2πu₁)·√(−2 ln(1−u₂)),
// z₁ = sin(2πu₁)·√(−2 ln(1−u₂)), returning z₀ now and caching z₁ for the
// next call.
func (r *Rand) Gauss(mu, sigma float64) float64 {
	var z float64
	if r.hasGauss {
		z = r.gaussNext
		r.hasGauss = false
	} else {
		x2pi := r.Random() * 2 * math.Pi
		g2rad := math.Sqrt(-2.0 * exactLog(1.0-r.Random()))
		sin, cos := exactSinCos(x2pi)
		z = cos * g2rad
		r.gaussNext = sin * g2rad
		r.hasGauss = true
	}
	return mu + z*sigma
}
