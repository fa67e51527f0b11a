// Chapter 08 — the gradient of the loss with respect to the logits.
//
// For one position, L = −log softmax(z)[t], and ∂L/∂z = P − onehot(t): push
// the target's logit up by 1 − P(t), every other logit down by its
// probability. Each row sums to zero. With the mean over 4 targets, each row
// is divided by 4. These are the real probabilities of chapter 07's forward
// pass, and the scalar engine's backward pass must agree.
//
//	go run ./chapters/08-loss-gradients [-seed 42]
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
		fmt.Fprintln(os.Stderr, "08-loss-gradients:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("08-loss-gradients")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	part1.Intro(w, "Chapter 08 · Gradients of the loss", *seed)
	m := toy.New(*seed)
	p := m.Forward(toy.Tokens, toy.Targets)
	n := len(toy.Targets)
	rows := part1.TokenLabels(toy.Tokens)[:n]

	show.Heading(w, "Probabilities from chapter 07 (the positions that have a target)")
	show.Matrix(w, "P", p.Probs[:n], rows, toy.Vocab, 4)

	show.Heading(w, "∂L_i/∂logits_i = P − onehot(target), per position")
	grad := make([][]float64, n)
	for i, t := range toy.Targets {
		grad[i] = append([]float64(nil), p.Probs[i]...)
		grad[i][t]--
	}
	show.Matrix(w, "P − onehot", grad, rows, toy.Vocab, 4)
	var table [][]string
	for i, r := range grad {
		sum := 0.0
		for _, g := range r {
			sum += g
		}
		table = append(table, []string{rows[i], toy.Vocab[toy.Targets[i]], show.Num(r[toy.Targets[i]], 4), fmt.Sprintf("%.1e", sum)})
	}
	fmt.Fprintln(w)
	show.Table(w, []string{"position", "target", "∂L/∂z_target = P−1", "row sum"}, table)

	show.Heading(w, "The same, from the scalar engine's backward pass")
	p.Loss.Backward()
	engine := make([][]float64, n)
	worst := 0.0
	for i := range engine {
		engine[i] = make([]float64, toy.VocabSize)
		for j := range engine[i] {
			engine[i][j] = p.Logits[i][j].Grad
			worst = math.Max(worst, math.Abs(engine[i][j]-grad[i][j]/float64(n)))
		}
	}
	show.Matrix(w, "∂(mean loss)/∂logits", engine, rows, toy.Vocab, 4)
	fmt.Fprintf(w, "\nmean over %d targets divides each row by %d; largest |engine − (P − onehot)/%d| = %.1e\n", n, n, n, worst)
	fmt.Fprintf(w, "row 4 (<EOS>) has no target, so its logits get no gradient: %v\n", allZero(p.Logits[4]))
	return nil
}

func allZero(vs []*scalar.Value) bool {
	for _, v := range vs {
		if v.Grad != 0 {
			return false
		}
	}
	return true
}
