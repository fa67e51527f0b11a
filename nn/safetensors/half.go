package safetensors

import "math"

// F16ToF32 converts an IEEE 754 binary16 bit pattern (1 sign, 5 exponent,
// 10 mantissa bits, bias 15) to float32. The conversion is exact: normal
// numbers, subnormals (mantissa·2⁻²⁴), ±0, ±Inf and NaN (payload kept) all
// have float32 images.
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0 && mant == 0: // ±0
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: mant·2⁻²⁴; normalise so the leading 1 is implicit
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// F32ToF16 rounds a float32 to the nearest binary16 bit pattern (ties to
// even). Values beyond the largest finite half (65504) round to ±Inf, tiny
// values become subnormals or ±0, and NaN stays a (quiet) NaN.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13) // quiet NaN, top payload bits kept
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // biased half exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal half: the value is m·2^(exp−150) with the implicit bit,
		// i.e. m·2^(e−14) units of 2⁻²⁴.
		if e < -10 {
			return sign // below half the smallest subnormal: rounds to 0
		}
		m := mant | 0x800000
		return sign | uint16(roundShift(m, uint(14-e)))
	}
	// Normal: a carry out of the mantissa correctly bumps the exponent
	// (and 65520 and above reach 0x7c00, Inf).
	q := uint32(e)<<10 | mant>>13
	return sign | uint16(roundShift(q<<13|mant&0x1fff, 13))
}

// roundShift returns x >> s rounded to nearest, ties to even.
func roundShift(x uint32, s uint) uint32 {
	q := x >> s
	rem := x & (1<<s - 1)
	half := uint32(1) << (s - 1)
	if rem > half || (rem == half && q&1 == 1) {
		q++
	}
	return q
}

// BF16ToF32 converts a bfloat16 bit pattern (the top 16 bits of a float32)
// to float32; the conversion is exact.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 rounds a float32 to the nearest bfloat16 (ties to even); NaN
// stays a quiet NaN.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7f800000 == 0x7f800000 && b&0x7fffff != 0 {
		return uint16(b>>16) | 0x40
	}
	return uint16(roundShift(b, 16))
}
