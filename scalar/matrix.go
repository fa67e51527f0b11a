package scalar

import (
	"fmt"
	"math"
)

// Matrix is a row-major matrix of Values: m[i][j] is row i, column j.
type Matrix [][]*Value

// NewMatrix wraps plain numbers as leaf Values.
func NewMatrix(rows [][]float64) Matrix {
	m := make(Matrix, len(rows))
	for i, r := range rows {
		m[i] = make([]*Value, len(r))
		for j, x := range r {
			m[i][j] = New(x)
		}
	}
	return m
}

// Vector wraps plain numbers as leaf Values.
func Vector(xs []float64) []*Value {
	v := make([]*Value, len(xs))
	for i, x := range xs {
		v[i] = New(x)
	}
	return v
}

// Rows returns the number of rows.
func (m Matrix) Rows() int { return len(m) }

// Cols returns the number of columns (0 for an empty matrix).
func (m Matrix) Cols() int {
	if len(m) == 0 {
		return 0
	}
	return len(m[0])
}

// Shape returns "[rows×cols]" for printing.
func (m Matrix) Shape() string { return fmt.Sprintf("[%d×%d]", m.Rows(), m.Cols()) }

// Data returns the plain numbers.
func (m Matrix) Data() [][]float64 {
	out := make([][]float64, len(m))
	for i, r := range m {
		out[i] = Floats(r)
	}
	return out
}

// Floats returns the Data of each value.
func Floats(vs []*Value) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = v.Data
	}
	return out
}

// Flatten returns the matrix's values row by row.
func (m Matrix) Flatten() []*Value {
	var out []*Value
	for _, r := range m {
		out = append(out, r...)
	}
	return out
}

// Transpose returns mᵀ (sharing the same Values).
func Transpose(m Matrix) Matrix {
	t := make(Matrix, m.Cols())
	for j := range t {
		t[j] = make([]*Value, m.Rows())
		for i := range m {
			t[j][i] = m[i][j]
		}
	}
	return t
}

// MatMul returns a·b: out[i][j] = Σₖ a[i][k]·b[k][j].
func MatMul(a, b Matrix) Matrix {
	if a.Cols() != b.Rows() {
		panic(fmt.Sprintf("scalar.MatMul: shapes %s and %s do not chain", a.Shape(), b.Shape()))
	}
	bt := Transpose(b)
	out := make(Matrix, a.Rows())
	for i := range a {
		out[i] = make([]*Value, b.Cols())
		for j := range bt {
			out[i][j] = Dot(a[i], bt[j])
		}
	}
	return out
}

// Add returns a + b element by element.
func Add(a, b Matrix) Matrix {
	if a.Rows() != b.Rows() || a.Cols() != b.Cols() {
		panic(fmt.Sprintf("scalar.Add: shapes %s and %s differ", a.Shape(), b.Shape()))
	}
	out := make(Matrix, len(a))
	for i := range a {
		out[i] = make([]*Value, len(a[i]))
		for j := range a[i] {
			out[i][j] = a[i][j].Add(b[i][j])
		}
	}
	return out
}

// AddRow returns m with the vector bias added to every row (a broadcast bias).
func AddRow(m Matrix, bias []*Value) Matrix {
	out := make(Matrix, len(m))
	for i := range m {
		if len(m[i]) != len(bias) {
			panic(fmt.Sprintf("scalar.AddRow: row of %d and bias of %d", len(m[i]), len(bias)))
		}
		out[i] = make([]*Value, len(m[i]))
		for j := range m[i] {
			out[i][j] = m[i][j].Add(bias[j])
		}
	}
	return out
}

// Scale returns m·c for a constant c.
func Scale(m Matrix, c float64) Matrix {
	out := make(Matrix, len(m))
	for i := range m {
		out[i] = make([]*Value, len(m[i]))
		for j := range m[i] {
			out[i][j] = m[i][j].MulF(c)
		}
	}
	return out
}

// Apply returns f applied to every element (e.g. (*Value).GELU).
func Apply(m Matrix, f func(*Value) *Value) Matrix {
	out := make(Matrix, len(m))
	for i := range m {
		out[i] = make([]*Value, len(m[i]))
		for j := range m[i] {
			out[i][j] = f(m[i][j])
		}
	}
	return out
}

// ConcatCols places matrices side by side: [n×a], [n×b] → [n×(a+b)].
func ConcatCols(ms ...Matrix) Matrix {
	out := make(Matrix, ms[0].Rows())
	for i := range out {
		for _, m := range ms {
			out[i] = append(out[i], m[i]...)
		}
	}
	return out
}

// CausalMask returns scores with every entry above the diagonal (a query
// looking at a later key) replaced by −∞, so softmax gives it weight 0.
func CausalMask(scores Matrix) Matrix {
	out := make(Matrix, len(scores))
	for i := range scores {
		out[i] = make([]*Value, len(scores[i]))
		for j := range scores[i] {
			if j > i {
				out[i][j] = New(math.Inf(-1))
			} else {
				out[i][j] = scores[i][j]
			}
		}
	}
	return out
}

// Softmax returns softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m), where the
// constant m = max x keeps exp from overflowing and cancels out.
func Softmax(x []*Value) []*Value {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v.Data)
	}
	shift := New(m)
	exps := make([]*Value, len(x))
	for i, v := range x {
		exps[i] = v.Sub(shift).Exp()
	}
	total := Sum(exps)
	out := make([]*Value, len(x))
	for i := range exps {
		out[i] = exps[i].Div(total)
	}
	return out
}

// SoftmaxRows applies Softmax to every row.
func SoftmaxRows(m Matrix) Matrix { return MapRows(m, Softmax) }

// MapRows returns f applied to each row.
func MapRows(m Matrix, f func([]*Value) []*Value) Matrix {
	out := make(Matrix, len(m))
	for i := range m {
		out[i] = f(m[i])
	}
	return out
}

// Mean returns (Σ xᵢ)/n.
func Mean(x []*Value) *Value { return Sum(x).MulF(1 / float64(len(x))) }

// LayerNorm returns γ·(x − μ)/√(σ² + ε) + β with μ the mean and σ² the
// population variance (divide by n) of x. gamma and beta may be nil (1 and 0).
func LayerNorm(x, gamma, beta []*Value, eps float64) []*Value {
	mu := Mean(x)
	centered := make([]*Value, len(x))
	sq := make([]*Value, len(x))
	for i, v := range x {
		centered[i] = v.Sub(mu)
		sq[i] = centered[i].Mul(centered[i])
	}
	std := Mean(sq).AddF(eps).Sqrt()
	out := make([]*Value, len(x))
	for i := range x {
		y := centered[i].Div(std)
		if gamma != nil {
			y = y.Mul(gamma[i])
		}
		if beta != nil {
			y = y.Add(beta[i])
		}
		out[i] = y
	}
	return out
}

// CrossEntropy returns −log softmax(logits)[target] = logsumexp(logits) − logits[target].
func CrossEntropy(logits []*Value, target int) *Value {
	m := math.Inf(-1)
	for _, v := range logits {
		m = math.Max(m, v.Data)
	}
	shift := New(m)
	exps := make([]*Value, len(logits))
	for i, v := range logits {
		exps[i] = v.Sub(shift).Exp()
	}
	lse := Sum(exps).Log().Add(shift)
	return lse.Sub(logits[target])
}
