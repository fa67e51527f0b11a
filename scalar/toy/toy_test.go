package toy

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func fmtRow(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.4f", x)
	}
	return strings.Join(parts, ", ")
}

// The numbers BOOK.md says the book prints for seed 42.
func TestBookNumbers(t *testing.T) {
	m := New(BookSeed)
	p := m.Forward(Tokens, Targets)
	row := func(vs []float64) string { return fmtRow(vs) }
	tests := []struct{ name, got, want string }{
		{"X[0]", row(p.X.Data()[0]), "0.1473, 0.1281, 0.1995, -0.0465, 0.2125, -0.1338, -0.0829, -0.0638, 0.0722, 0.1183, 0.1193, 0.0937, -0.1594, -0.0402, 0.1124, -0.2064"},
		{"head 0 weights row 1", row(p.Weights[0].Data()[1][:2]), "0.5014, 0.4986"},
		{"logits row 0", row(p.Logits.Data()[0]), "0.3362, -0.1025, -0.0514, -0.0053, 0.2907, 0.0848"},
		{"mean loss", fmt.Sprintf("%.4f", p.Loss.Data), "1.8299"},
		{"perplexity", fmt.Sprintf("%.2f", math.Exp(p.Loss.Data)), "6.23"},
		{"parameters", fmt.Sprint(m.NumParams()), "3456"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %s, want %s", tc.name, tc.got, tc.want)
		}
	}
}

// The whole block's backward pass (embeddings, attention and its softmax,
// W_O, FFN, residual, LayerNorm, LM head) against central differences.
func TestWholeBlockGradients(t *testing.T) {
	m := New(BookSeed)
	checks := m.CheckGradients(Tokens, Targets, 1e-5)
	if len(checks) != 16 {
		t.Fatalf("checked %d tensors, want 16", len(checks))
	}
	for _, c := range checks {
		if c.MaxDiff > 1e-8 {
			t.Errorf("%s: max |backward − numeric| = %.3g (max |grad| %.3g)", c.Name, c.MaxDiff, c.MaxGrad)
		}
		if c.MaxGrad == 0 && c.Name != "E_token" {
			t.Errorf("%s: all gradients are zero", c.Name)
		}
	}
}

func TestPlainLossMatchesForward(t *testing.T) {
	for _, seed := range []int64{42, 7} {
		m := New(seed)
		a := m.Forward(Tokens, Targets).Loss.Data
		b := m.PlainLoss(Tokens, Targets)
		if math.Abs(a-b) > 1e-13 {
			t.Errorf("seed %d: Forward loss %.17g, PlainLoss %.17g", seed, a, b)
		}
	}
}
