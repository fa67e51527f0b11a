package pyrand

import (
	"math"
	"math/big"
)

// CPython calls the C library's log, cos and sin, which on glibc return the
// correctly rounded result. Go's math package is accurate to about one ulp
// but not always correctly rounded, and one ulp is enough to change the
// 17th digit of a gaussian. So gauss evaluates these three functions in
// 160-bit arithmetic with math/big and rounds once to float64.

const prec = 160

func bf(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }

// piBig is π computed once per call by Machin's formula π = 16·atan(1/5) − 4·atan(1/239).
func piBig() *big.Float {
	a := atanInv(5)
	a.Mul(a, bf(16))
	b := atanInv(239)
	b.Mul(b, bf(4))
	return a.Sub(a, b)
}

// atanInv returns atan(1/n) = Σ (−1)^k / ((2k+1)·n^(2k+1)).
func atanInv(n int64) *big.Float {
	sum := bf(0)
	nn := bf(float64(n * n))
	pow := new(big.Float).SetPrec(prec).Quo(bf(1), bf(float64(n))) // 1/n^(2k+1)
	eps := new(big.Float).SetPrec(prec).SetMantExp(bf(1), -prec-8)
	for k := int64(0); ; k++ {
		term := new(big.Float).SetPrec(prec).Quo(pow, bf(float64(2*k+1)))
		if k%2 == 0 {
			sum.Add(sum, term)
		} else {
			sum.Sub(sum, term)
		}
		if term.Cmp(eps) < 0 {
			return sum
		}
		pow.Quo(pow, nn)
	}
}

// atanhSeries returns atanh(s) = Σ s^(2k+1)/(2k+1) for small |s|.
func atanhSeries(s *big.Float) *big.Float {
	sum := bf(0)
	s2 := new(big.Float).SetPrec(prec).Mul(s, s)
	pow := new(big.Float).SetPrec(prec).Set(s)
	eps := new(big.Float).SetPrec(prec).SetMantExp(bf(1), -prec-8)
	for k := int64(0); ; k++ {
		term := new(big.Float).SetPrec(prec).Quo(pow, bf(float64(2*k+1)))
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(eps) < 0 {
			return sum
		}
		pow.Mul(pow, s2)
	}
}

// exactLog returns ln(x) correctly rounded, for finite x > 0.
// x = m·2^e with m in [√½, √2): ln x = e·ln 2 + 2·atanh((m−1)/(m+1)).
func exactLog(x float64) float64 {
	if x <= 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return math.Log(x)
	}
	frac, e := math.Frexp(x) // x = frac·2^e, frac in [0.5, 1)
	if frac < math.Sqrt2/2 {
		frac *= 2
		e--
	}
	m := bf(frac)
	s := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).Sub(m, bf(1)), new(big.Float).SetPrec(prec).Add(m, bf(1)))
	lm := atanhSeries(s)
	lm.Mul(lm, bf(2))
	ln2 := atanhSeries(new(big.Float).SetPrec(prec).Quo(bf(1), bf(3)))
	ln2.Mul(ln2, bf(2))
	ln2.Mul(ln2, bf(float64(e)))
	f, _ := lm.Add(lm, ln2).Float64()
	return f
}

// exactSinCos returns sin(x) and cos(x) correctly rounded for 0 ≤ x < 8
// (gauss only needs [0, 2π)): reduce by π/2, then Taylor series.
func exactSinCos(x float64) (sin, cos float64) {
	if x < 0 || x >= 8 {
		return math.Sin(x), math.Cos(x)
	}
	pi := piBig()
	halfPi := new(big.Float).SetPrec(prec).Quo(pi, bf(2))
	xb := bf(x)
	q := new(big.Float).SetPrec(prec).Quo(xb, halfPi)
	qf, _ := q.Float64()
	k := int64(math.Floor(qf + 0.5))
	r := new(big.Float).SetPrec(prec).Sub(xb, new(big.Float).SetPrec(prec).Mul(halfPi, bf(float64(k))))
	s, c := taylorSinCos(r)
	switch ((k % 4) + 4) % 4 {
	case 1:
		s, c = c, s.Neg(s)
	case 2:
		s, c = s.Neg(s), c.Neg(c)
	case 3:
		s, c = c.Neg(c), s
	}
	sin, _ = s.Float64()
	cos, _ = c.Float64()
	return sin, cos
}

// taylorSinCos sums sin r = Σ (−1)^k r^(2k+1)/(2k+1)! and cos r = Σ (−1)^k r^(2k)/(2k)!.
func taylorSinCos(r *big.Float) (*big.Float, *big.Float) {
	sin, cos := bf(0), bf(0)
	term := bf(1) // r^n / n!
	eps := new(big.Float).SetPrec(prec).SetMantExp(bf(1), -prec-8)
	for n := int64(0); ; n++ {
		t := new(big.Float).SetPrec(prec).Set(term)
		switch n % 4 {
		case 0:
			cos.Add(cos, t)
		case 1:
			sin.Add(sin, t)
		case 2:
			cos.Sub(cos, t)
		case 3:
			sin.Sub(sin, t)
		}
		if n > 2 && new(big.Float).Abs(term).Cmp(eps) < 0 {
			return sin, cos
		}
		term.Mul(term, r)
		term.Quo(term, bf(float64(n+1)))
	}
}
