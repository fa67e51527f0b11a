// Chapter 03 — attention.
//
// For one head: scores = Q·Kᵀ/√d_k, the causal mask sets every score of a
// later position to −∞, softmax turns each row into weights that sum to 1,
// and the head's output is weights·V.
//
//	go run ./chapters/03-attention [-seed 42]
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
		fmt.Fprintln(os.Stderr, "03-attention:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("03-attention")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	part1.Intro(w, "Chapter 03 · Attention", *seed)
	m := toy.New(*seed)
	p := m.Forward(toy.Tokens, nil)
	rows := part1.TokenLabels(toy.Tokens)
	keys := part1.Indices("k", len(toy.Tokens))

	for h := 0; h < toy.Heads; h++ {
		show.Heading(w, fmt.Sprintf("Head %d", h))
		raw := scalar.MatMul(p.Q[h], scalar.Transpose(p.K[h]))
		show.Matrix(w, fmt.Sprintf("Q[%d]·K[%d]ᵀ", h, h), raw.Data(), rows, keys, 4)
		fmt.Fprintf(w, "\nscaled by 1/√d_k = 1/√%d = %.4f:\n", toy.DK, 1/math.Sqrt(toy.DK))
		show.Matrix(w, "scores", p.Scores[h].Data(), rows, keys, 4)
		fmt.Fprintln(w, "\ncausal mask (a token may not look at later tokens):")
		show.Matrix(w, "masked", p.Masked[h].Data(), rows, keys, 4)
		fmt.Fprintln(w, "\nsoftmax of each row:")
		show.Matrix(w, "weights", p.Weights[h].Data(), rows, keys, 4)
		fmt.Fprintln(w)
		show.Matrix(w, fmt.Sprintf("weights·V[%d]", h), p.HeadOut[h].Data(), rows, part1.Indices("d", toy.DK), 4)
	}

	show.Heading(w, "Softmax by hand: head 0, row 1 (the token \"I\" looks at <BOS> and itself)")
	s := p.Masked[0].Data()[1]
	mx := math.Max(s[0], s[1])
	e0, e1 := math.Exp(s[0]-mx), math.Exp(s[1]-mx)
	fmt.Fprintf(w, "  scores          s = [%s, %s, -inf, -inf, -inf]\n", show.Num(s[0], 4), show.Num(s[1], 4))
	fmt.Fprintf(w, "  subtract max    m = %s  (softmax is unchanged by a shift; exp cannot overflow)\n", show.Num(mx, 4))
	fmt.Fprintf(w, "  exponentiate    e = [%s, %s, 0, 0, 0]   (exp(-inf) = 0: the mask)\n", show.Num(e0, 4), show.Num(e1, 4))
	fmt.Fprintf(w, "  sum             Σ = %s\n", show.Num(e0+e1, 4))
	fmt.Fprintf(w, "  normalise       w = [%s, %s]\n", show.Num(e0/(e0+e1), 4), show.Num(e1/(e0+e1), 4))
	show.Vector(w, "\nhead 0 weights row 1", p.Weights[0].Data()[1][:2], 4)

	show.Heading(w, "Checks")
	for h := 0; h < toy.Heads; h++ {
		worst, future := 0.0, 0.0
		for i, r := range p.Weights[h].Data() {
			sum := 0.0
			for j, x := range r {
				sum += x
				if j > i {
					future = math.Max(future, math.Abs(x))
				}
			}
			worst = math.Max(worst, math.Abs(sum-1))
		}
		fmt.Fprintf(w, "  head %d: largest |row sum − 1| = %.1e; largest weight on a later token = %g\n", h, worst, future)
	}
	return nil
}
