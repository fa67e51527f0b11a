// Package toy is the book's Part 1 model, built on package scalar: a
// one-layer transformer over a six-word vocabulary, with every weight drawn
// from Python's random.gauss(0, 0.1) in the book's order, so a Go program
// prints the book's numbers.
//
// The block is the book's simplified one, followed here so the numbers match:
//
//	X        = E_token[t] + E_pos[i]
//	head h   = softmax(mask(Q_h·K_hᵀ/√d_k))·V_h,  Q_h = X·W_Q[h], K_h = X·W_K[h], V_h = X·W_V[h]
//	attn     = concat(heads)·W_Oᵀ
//	ffn      = W2·GELU(W1·attn + b1) + b2            (row by row)
//	residual = attn + ffn                             (X is not added back)
//	y        = LayerNorm(residual)·γ + β              (γ=1, β=0, ε=1e-5)
//	logits   = y·W_lmᵀ
//
// The full block of Part 2 adds X back around attention, normalises before
// each sub-layer (pre-LN) and adds a final LayerNorm.
package toy

import (
	"fmt"
	"math"

	"transformers/scalar"
	"transformers/scalar/pyrand"
)

// Vocab is the book's vocabulary; a token id is an index into it.
var Vocab = []string{"<PAD>", "<BOS>", "<EOS>", "I", "like", "transformers"}

// The book's sentence "I like transformers": inputs and next-token targets.
var (
	Tokens  = []int{1, 3, 4, 5, 2}
	Targets = []int{3, 4, 5, 2}
)

// Sizes of the book's model.
const (
	VocabSize = 6
	DModel    = 16
	Heads     = 2
	DK        = 8 // DModel / Heads
	DFF       = 64
	MaxLen    = 5
	Eps       = 1e-5
	InitStd   = 0.1
	BookSeed  = 42
)

// Model holds every weight of the toy transformer as scalar Values.
type Model struct {
	ETok  scalar.Matrix        // [6×16] token embeddings
	EPos  scalar.Matrix        // [5×16] position embeddings
	WQ    [Heads]scalar.Matrix // [16×8] per head
	WK    [Heads]scalar.Matrix // [16×8] per head
	WV    [Heads]scalar.Matrix // [16×8] per head
	WO    scalar.Matrix        // [16×16], applied as concat·W_Oᵀ
	W1    scalar.Matrix        // [64×16]
	B1    []*scalar.Value      // [64]
	W2    scalar.Matrix        // [16×64]
	B2    []*scalar.Value      // [16]
	Gamma []*scalar.Value      // [16] LayerNorm scale, starts at 1
	Beta  []*scalar.Value      // [16] LayerNorm shift, starts at 0
	WLM   scalar.Matrix        // [6×16] language-model head
}

// New draws a model from Python's random.seed(seed) then random.gauss(0, 0.1)
// for every weight, in the book's order: E_token row by row, E_pos, W_Q for
// head 0 then head 1, both W_K, both W_V, W_O, W1, b1, W2, b2, W_lm.
// γ and β are not drawn: they start at 1 and 0.
func New(seed int64) *Model {
	r := pyrand.New(seed)
	mat := func(rows, cols int) scalar.Matrix {
		m := make(scalar.Matrix, rows)
		for i := range m {
			m[i] = make([]*scalar.Value, cols)
			for j := range m[i] {
				m[i][j] = scalar.New(r.Gauss(0, InitStd))
			}
		}
		return m
	}
	vec := func(n int) []*scalar.Value { return mat(1, n)[0] }
	m := &Model{}
	m.ETok = mat(VocabSize, DModel)
	m.EPos = mat(MaxLen, DModel)
	for h := 0; h < Heads; h++ {
		m.WQ[h] = mat(DModel, DK)
	}
	for h := 0; h < Heads; h++ {
		m.WK[h] = mat(DModel, DK)
	}
	for h := 0; h < Heads; h++ {
		m.WV[h] = mat(DModel, DK)
	}
	m.WO = mat(DModel, DModel)
	m.W1 = mat(DFF, DModel)
	m.B1 = vec(DFF)
	m.W2 = mat(DModel, DFF)
	m.B2 = vec(DModel)
	m.WLM = mat(VocabSize, DModel)
	m.Gamma = make([]*scalar.Value, DModel)
	m.Beta = make([]*scalar.Value, DModel)
	for i := range m.Gamma {
		m.Gamma[i] = scalar.New(1)
		m.Beta[i] = scalar.New(0)
	}
	return m
}

// Param is one named weight tensor of the model.
type Param struct {
	Name   string
	Rows   int // 1 for vectors
	Cols   int
	Values []*scalar.Value // row by row
	Vector bool            // a vector [Cols], not a matrix
}

// Shape returns "[r×c]" or "[n]".
func (p Param) Shape() string {
	if p.Vector {
		return fmt.Sprintf("[%d]", p.Cols)
	}
	return fmt.Sprintf("[%d×%d]", p.Rows, p.Cols)
}

func isMatrixName(name string) bool {
	return name != "b1" && name != "b2" && name != "gamma" && name != "beta"
}

// Params lists every weight, in drawing order, with γ and β at the end.
func (m *Model) Params() []Param {
	mp := func(name string, x scalar.Matrix) Param {
		return Param{Name: name, Rows: x.Rows(), Cols: x.Cols(), Values: x.Flatten()}
	}
	vp := func(name string, v []*scalar.Value) Param {
		return Param{Name: name, Rows: 1, Cols: len(v), Values: v, Vector: true}
	}
	ps := []Param{mp("E_token", m.ETok), mp("E_pos", m.EPos)}
	for h := 0; h < Heads; h++ {
		ps = append(ps, mp(fmt.Sprintf("W_Q[%d]", h), m.WQ[h]))
	}
	for h := 0; h < Heads; h++ {
		ps = append(ps, mp(fmt.Sprintf("W_K[%d]", h), m.WK[h]))
	}
	for h := 0; h < Heads; h++ {
		ps = append(ps, mp(fmt.Sprintf("W_V[%d]", h), m.WV[h]))
	}
	ps = append(ps, mp("W_O", m.WO), mp("W1", m.W1), vp("b1", m.B1), mp("W2", m.W2), vp("b2", m.B2),
		mp("W_lm", m.WLM), vp("gamma", m.Gamma), vp("beta", m.Beta))
	return ps
}

// AllValues returns every weight Value, in Params order.
func (m *Model) AllValues() []*scalar.Value {
	var out []*scalar.Value
	for _, p := range m.Params() {
		out = append(out, p.Values...)
	}
	return out
}

// NumParams counts the weights (3,456 for the book's model).
func (m *Model) NumParams() int { return len(m.AllValues()) }

// Pass holds every intermediate of one forward pass, so chapters can print
// each step and Backward can reach every weight.
type Pass struct {
	X        scalar.Matrix        // [T×16] token + position embeddings
	Q, K, V  [Heads]scalar.Matrix // [T×8] per head
	Scores   [Heads]scalar.Matrix // [T×T] Q·Kᵀ/√d_k before the mask
	Masked   [Heads]scalar.Matrix // [T×T] with −∞ above the diagonal
	Weights  [Heads]scalar.Matrix // [T×T] softmax of Masked
	HeadOut  [Heads]scalar.Matrix // [T×8] Weights·V
	Concat   scalar.Matrix        // [T×16]
	Attn     scalar.Matrix        // [T×16] Concat·W_Oᵀ
	Hidden   scalar.Matrix        // [T×64] attn·W1ᵀ + b1
	Act      scalar.Matrix        // [T×64] GELU(Hidden)
	FFN      scalar.Matrix        // [T×16] Act·W2ᵀ + b2
	Residual scalar.Matrix        // [T×16] Attn + FFN
	Norm     scalar.Matrix        // [T×16] LayerNorm(Residual)
	Logits   scalar.Matrix        // [T×6] Norm·W_lmᵀ
	Losses   []*scalar.Value      // per-target cross-entropy
	Loss     *scalar.Value        // mean of Losses
	Probs    [][]float64          // softmax of each logits row (plain numbers)
	Targets  []int                // the targets the loss used
	_        struct{}             // keep struct literal keyed
}

// Forward runs the model on tokens and, if targets is non-nil, computes the
// mean cross-entropy of logits row i against targets[i].
func (m *Model) Forward(tokens, targets []int) *Pass {
	if len(tokens) > MaxLen {
		panic(fmt.Sprintf("toy.Forward: %d tokens exceed the maximum length %d", len(tokens), MaxLen))
	}
	p := &Pass{Targets: targets}
	p.X = make(scalar.Matrix, len(tokens))
	for i, t := range tokens {
		row := make([]*scalar.Value, DModel)
		for j := range row {
			row[j] = m.ETok[t][j].Add(m.EPos[i][j])
		}
		p.X[i] = row
	}
	heads := make([]scalar.Matrix, Heads)
	for h := 0; h < Heads; h++ {
		p.Q[h] = scalar.MatMul(p.X, m.WQ[h])
		p.K[h] = scalar.MatMul(p.X, m.WK[h])
		p.V[h] = scalar.MatMul(p.X, m.WV[h])
		p.Scores[h] = scalar.Scale(scalar.MatMul(p.Q[h], scalar.Transpose(p.K[h])), 1/math.Sqrt(DK))
		p.Masked[h] = scalar.CausalMask(p.Scores[h])
		p.Weights[h] = scalar.SoftmaxRows(p.Masked[h])
		p.HeadOut[h] = scalar.MatMul(p.Weights[h], p.V[h])
		heads[h] = p.HeadOut[h]
	}
	p.Concat = scalar.ConcatCols(heads...)
	p.Attn = scalar.MatMul(p.Concat, scalar.Transpose(m.WO))
	p.Hidden = scalar.AddRow(scalar.MatMul(p.Attn, scalar.Transpose(m.W1)), m.B1)
	p.Act = scalar.Apply(p.Hidden, (*scalar.Value).GELU)
	p.FFN = scalar.AddRow(scalar.MatMul(p.Act, scalar.Transpose(m.W2)), m.B2)
	p.Residual = scalar.Add(p.Attn, p.FFN)
	p.Norm = scalar.MapRows(p.Residual, func(r []*scalar.Value) []*scalar.Value {
		return scalar.LayerNorm(r, m.Gamma, m.Beta, Eps)
	})
	p.Logits = scalar.MatMul(p.Norm, scalar.Transpose(m.WLM))
	for _, row := range p.Logits {
		p.Probs = append(p.Probs, scalar.Floats(scalar.Softmax(row)))
	}
	if targets != nil {
		for i, t := range targets {
			p.Losses = append(p.Losses, scalar.CrossEntropy(p.Logits[i], t))
		}
		p.Loss = scalar.Mean(p.Losses)
	}
	return p
}
