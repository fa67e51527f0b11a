package gpt

import (
	"fmt"
	"math"

	"transformers/autograd"
	"transformers/tensor"
)

// Sinusoidal returns the fixed position table of "Attention Is All You Need"
// for positions start, …, start+n−1, shape [n, d]:
//
//	PE[p, 2i] = sin(p / 10000^(2i/d)),  PE[p, 2i+1] = cos(p / 10000^(2i/d))
//
// Computed in float64 and rounded, so a row does not depend on start or n.
func Sinusoidal(start, n, d int) *tensor.Tensor {
	if d%2 != 0 {
		panic(fmt.Sprintf("gpt.Sinusoidal: width %d is odd", d))
	}
	t := tensor.Zeros(n, d)
	for r := range n {
		p := float64(start + r)
		for i := 0; i < d; i += 2 {
			a := p / math.Pow(10000, float64(i)/float64(d))
			t.Data[r*d+i] = float32(math.Sin(a))
			t.Data[r*d+i+1] = float32(math.Cos(a))
		}
	}
	return t
}

// ALiBiSlopes returns the per-head slopes m_h = 2^(−8(h+1)/H) of ALiBi
// (Press et al.): for 4 heads 1/4, 1/16, 1/64, 1/256.
func ALiBiSlopes(heads int) []float64 {
	s := make([]float64, heads)
	for h := range s {
		s[h] = math.Pow(2, -8*float64(h+1)/float64(heads))
	}
	return s
}

// ALiBiBias returns the additive attention bias [H, Tq, Tk] for queries at
// positions Tk−Tq, …, Tk−1 (the last Tq of Tk, as with a KV cache):
// bias[h, i, j] = −m_h·(q_i − j) for j ≤ q_i and 0 above the diagonal (the
// causal mask removes those entries anyway).
func ALiBiBias(heads, tq, tk int) *tensor.Tensor {
	slopes := ALiBiSlopes(heads)
	t := tensor.Zeros(heads, tq, tk)
	for h, m := range slopes {
		for i := range tq {
			q := tk - tq + i
			row := t.Data[(h*tq+i)*tk : (h*tq+i+1)*tk]
			for j := 0; j <= q; j++ {
				row[j] = float32(-m * float64(q-j))
			}
		}
	}
	return t
}

// ropeTables returns cos and sin of the angles p·θ_i, θ_i = base^(−2i/D),
// for positions start … start+n−1 and i < D/2, each laid out [n, D/2].
func ropeTables(start, n, d int, base float64) (cos, sin []float32) {
	half := d / 2
	cos = make([]float32, n*half)
	sin = make([]float32, n*half)
	for r := range n {
		p := float64(start + r)
		for i := range half {
			a := p * math.Pow(base, -2*float64(i)/float64(d))
			cos[r*half+i] = float32(math.Cos(a))
			sin[r*half+i] = float32(math.Sin(a))
		}
	}
	return cos, sin
}

// RoPE rotates queries or keys x [B, H, T, D] by their positions start, …,
// start+T−1 (rotary position embedding, Su et al.), pairing feature i with
// i + D/2 (the GPT-NeoX / LLaMA layout):
//
//	y_i = x_i cos φ − x_{i+D/2} sin φ,   y_{i+D/2} = x_i sin φ + x_{i+D/2} cos φ,   φ = p·base^(−2i/D)
//
// The backward pass rotates the gradient by −φ (a rotation's transpose is its
// inverse). Because q·k after rotation depends only on the difference of
// positions, a cached key rotated once at its own position stays valid.
func RoPE(g *autograd.Graph, x *autograd.Var, start int, base float64) *autograd.Var {
	s := x.Value.Shape
	if len(s) != 4 || s[3]%2 != 0 {
		panic(fmt.Sprintf("gpt.RoPE: want x [B, H, T, D] with even D, got %v", s))
	}
	T, D := s[2], s[3]
	half := D / 2
	cos, sin := ropeTables(start, T, D, base)
	rotate := func(src, dst []float32, sign float32) {
		for row := 0; row < len(src)/D; row++ {
			p := row % T
			a, b := src[row*D:row*D+half], src[row*D+half:(row+1)*D]
			ya, yb := dst[row*D:row*D+half], dst[row*D+half:(row+1)*D]
			c, sn := cos[p*half:(p+1)*half], sin[p*half:(p+1)*half]
			for i := range half {
				si := sign * sn[i]
				ya[i] = a[i]*c[i] - b[i]*si
				yb[i] = a[i]*si + b[i]*c[i]
			}
		}
	}
	out := tensor.ZerosLike(x.Value)
	rotate(x.Value.Data, out.Data, 1)
	return g.Record("RoPE", out, []*autograd.Var{x}, func(gout *tensor.Tensor) {
		dx := tensor.ZerosLike(gout)
		rotate(gout.Data, dx.Data, -1)
		x.AddGrad(dx)
	})
}
