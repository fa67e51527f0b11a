package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"transformers/tensor"
)

// Datasets2D names the 2-D distributions Points can draw.
var Datasets2D = []string{"moons", "checkerboard", "spirals", "gaussians"}

// Points draws n points [n, 2] from a named 2-D distribution, with each
// point's class label (which moon, which checkerboard colour class, which spiral
// arm, which mixture component). Every set is scaled to roughly unit variance
// per axis so that it sits on the scale of the N(0, I) noise.
//
//	moons:        two interleaved half circles, Gaussian jitter 0.05
//	checkerboard: uniform on the 8 black squares of a 4×4 board on [−2, 2]²
//	spirals:      two arms r = θ, θ ∈ [0.5π, 3π], jitter 0.1 (rescaled)
//	gaussians:    8 equal-weight components, std 0.1, on a circle of radius 1.5
func Points(name string, rng *rand.Rand, n int) (*tensor.Tensor, []int, error) {
	x := tensor.Zeros(n, 2)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		var px, py float64
		var c int
		switch name {
		case "moons":
			c = rng.IntN(2)
			a := rng.Float64() * math.Pi
			if c == 0 {
				px, py = math.Cos(a), math.Sin(a)
			} else {
				px, py = 1-math.Cos(a), 0.5-math.Sin(a)
			}
			px, py = (px-0.5+0.05*rng.NormFloat64())*1.2, (py-0.25+0.05*rng.NormFloat64())*1.6
		case "checkerboard":
			for {
				ix, iy := rng.IntN(4), rng.IntN(4)
				if (ix+iy)%2 == 0 {
					c = (ix / 2) + 2*(iy/2)
					px = float64(ix) - 2 + rng.Float64()
					py = float64(iy) - 2 + rng.Float64()
					break
				}
			}
			c %= 2
		case "spirals":
			c = rng.IntN(2)
			th := math.Pi * (0.5 + 2.5*math.Sqrt(rng.Float64()))
			r := th / (3 * math.Pi) * 2
			if c == 1 {
				th += math.Pi
			}
			px, py = r*math.Cos(th)+0.05*rng.NormFloat64(), r*math.Sin(th)+0.05*rng.NormFloat64()
		case "gaussians":
			c = rng.IntN(8)
			a := 2 * math.Pi * float64(c) / 8
			px, py = 1.5*math.Cos(a)+0.1*rng.NormFloat64(), 1.5*math.Sin(a)+0.1*rng.NormFloat64()
		default:
			return nil, nil, fmt.Errorf("unknown 2-D dataset %q (want one of %v)", name, Datasets2D)
		}
		x.Data[2*i], x.Data[2*i+1] = float32(px), float32(py)
		labels[i] = c
	}
	return x, labels, nil
}

// NumClasses2D is the number of distinct labels Points gives a dataset.
func NumClasses2D(name string) int {
	if name == "gaussians" {
		return 8
	}
	return 2
}

// SlicedWasserstein is the sliced 2-Wasserstein distance between two point
// clouds a, b [n, d] with the same n:
//
//	SW₂(a, b) = √( mean over θ of W₂²(θ·a, θ·b) ),  θ uniform on the unit sphere,
//
// where the 1-D W₂² between equal-size samples is the mean squared difference
// of their sorted values. It uses `projections` directions drawn from rng.
func SlicedWasserstein(a, b *tensor.Tensor, projections int, rng *rand.Rand) float64 {
	if len(a.Shape) != 2 || !tensor.SameShape(a.Shape, b.Shape) {
		panic(fmt.Sprintf("diffusion.SlicedWasserstein: shapes %v and %v (want equal [n, d])", a.Shape, b.Shape))
	}
	n, d := a.Shape[0], a.Shape[1]
	pa, pb := make([]float64, n), make([]float64, n)
	theta := make([]float64, d)
	total := 0.0
	for p := 0; p < projections; p++ {
		norm := 0.0
		for j := range theta {
			theta[j] = rng.NormFloat64()
			norm += theta[j] * theta[j]
		}
		norm = math.Sqrt(norm)
		for i := 0; i < n; i++ {
			sa, sb := 0.0, 0.0
			for j := 0; j < d; j++ {
				sa += float64(a.Data[i*d+j]) * theta[j]
				sb += float64(b.Data[i*d+j]) * theta[j]
			}
			pa[i], pb[i] = sa/norm, sb/norm
		}
		sort.Float64s(pa)
		sort.Float64s(pb)
		s := 0.0
		for i := range pa {
			s += (pa[i] - pb[i]) * (pa[i] - pb[i])
		}
		total += s / float64(n)
	}
	return math.Sqrt(total / float64(projections))
}
