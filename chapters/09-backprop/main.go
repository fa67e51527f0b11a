// Chapter 09 — backpropagation through the whole block.
//
// The scalar engine runs the real backward pass: from the loss through the
// LM head, LayerNorm, the residual, the feed-forward network, W_O, every
// attention head (softmax included) and into both embedding tables. Then
// every one of the 3,456 gradients is checked against a central finite
// difference (L(w+h) − L(w−h))/2h computed by two fresh forward passes.
//
//	go run ./chapters/09-backprop [-seed 42] [-h 1e-5]
package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"transformers/chapters/internal/part1"
	"transformers/chapters/internal/show"
	"transformers/scalar"
	"transformers/scalar/toy"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "09-backprop:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("09-backprop")
	h := fs.Float64("h", 1e-5, "finite-difference step")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !(*h > 0 && *h < 1) {
		return fmt.Errorf("-h %g: the finite-difference step must be in (0, 1)", *h)
	}
	part1.Intro(w, "Chapter 09 · Backpropagation through the block", *seed)
	m := toy.New(*seed)
	p := m.Forward(toy.Tokens, toy.Targets)
	p.Loss.Backward()
	fmt.Fprintf(w, "loss %s; graph of %d values walked backwards in topological order\n", show.Num(p.Loss.Data, 4), len(scalar.Topo(p.Loss)))

	show.Heading(w, "How the gradient flows back, layer by layer (norms ‖∂L/∂·‖)")
	stages := []struct {
		name string
		m    scalar.Matrix
	}{
		{"logits", p.Logits}, {"LayerNorm output", p.Norm}, {"residual", p.Residual},
		{"FFN output", p.FFN}, {"GELU(hidden)", p.Act}, {"hidden", p.Hidden},
		{"attention output", p.Attn}, {"concat of heads", p.Concat},
		{"head 0 weights", p.Weights[0]}, {"head 0 scores", p.Scores[0]},
		{"Q[0]", p.Q[0]}, {"K[0]", p.K[0]}, {"V[0]", p.V[0]}, {"X", p.X},
	}
	var table [][]string
	for _, s := range stages {
		table = append(table, []string{s.name, s.m.Shape(), fmt.Sprintf("%.6f", gradNorm(s.m.Flatten()))})
	}
	show.Table(w, []string{"∂L/∂", "shape", "norm"}, table)
	fmt.Fprintln(w, "\nthe residual's gradient reaches attention twice: directly, and through the FFN.")
	show.Matrix(w, "∂L/∂(head 0 weights)", grads(p.Weights[0]), part1.TokenLabels(toy.Tokens), part1.Indices("k", 5), 4)

	show.Heading(w, "Gradients of every parameter (first rows of the large ones)")
	for _, prm := range m.Params() {
		rows := make([][]float64, 0, 2)
		for r := 0; r < prm.Rows && r < 2; r++ {
			rows = append(rows, scalar.Floats(prm.Values[r*prm.Cols : (r+1)*prm.Cols])[:min(prm.Cols, 8)])
		}
		title := "∂L/∂" + prm.Name + " " + prm.Shape()
		if prm.Rows > 2 || prm.Cols > 8 {
			title += fmt.Sprintf(", first %d rows × %d columns", len(rows), min(prm.Cols, 8))
		}
		gr := make([][]float64, len(rows))
		for r := range rows {
			gr[r] = make([]float64, len(rows[r]))
			for c := range gr[r] {
				gr[r][c] = prm.Values[r*prm.Cols+c].Grad
			}
		}
		fmt.Fprintln(w, title)
		show.Rows(w, gr, nil, nil, 6)
	}

	show.Heading(w, fmt.Sprintf("Finite-difference check of every parameter (h = %g)", *h))
	checks := m.CheckGradients(toy.Tokens, toy.Targets, *h)
	table = nil
	worst, worstName, total := 0.0, "", 0
	for i, c := range checks {
		n := len(m.Params()[i].Values)
		total += n
		table = append(table, []string{c.Name, m.Params()[i].Shape(), fmt.Sprint(n), fmt.Sprintf("%.2e", c.MaxGrad), fmt.Sprintf("%.2e", c.MaxDiff)})
		if c.MaxDiff > worst {
			worst, worstName = c.MaxDiff, c.Name
		}
	}
	show.Table(w, []string{"parameter", "shape", "count", "max |grad|", "max |backward − numeric|"}, table)
	verdict := "agree"
	if worst > 1e-7 {
		verdict = "DISAGREE"
	}
	fmt.Fprintf(w, "\nchecked %d parameters: backward and finite differences %s; largest difference %.2e (%s)\n", total, verdict, worst, worstName)
	if verdict != "agree" {
		return fmt.Errorf("gradient check failed: largest difference %.2e in %s", worst, worstName)
	}
	return nil
}

func gradNorm(vs []*scalar.Value) float64 {
	s := 0.0
	for _, v := range vs {
		s += v.Grad * v.Grad
	}
	return math.Sqrt(s)
}

func grads(m scalar.Matrix) [][]float64 {
	out := make([][]float64, len(m))
	for i, r := range m {
		out[i] = make([]float64, len(r))
		for j, v := range r {
			out[i][j] = v.Grad
		}
	}
	return out
}
