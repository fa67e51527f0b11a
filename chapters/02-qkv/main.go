// Chapter 02 — queries, keys and values.
//
// Each head projects every input row three ways: Q = X·W_Q asks "what am I
// looking for?", K = X·W_K says "what do I contain?", V = X·W_V is "what I
// pass on". Here d_model = 16 splits into 2 heads of d_k = 8.
//
//	go run ./chapters/02-qkv [-seed 42]
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"transformers/chapters/internal/part1"
	"transformers/chapters/internal/show"
	"transformers/scalar/toy"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "02-qkv:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("02-qkv")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	part1.Intro(w, "Chapter 02 · Queries, keys and values", *seed)
	m := toy.New(*seed)
	p := m.Forward(toy.Tokens, nil)
	rows := part1.TokenLabels(toy.Tokens)
	cols := part1.Indices("d", toy.DK)

	show.Heading(w, "Input X (chapter 01)")
	show.Matrix(w, "X", p.X.Data(), rows, part1.Indices("d", toy.DModel), 4)

	for h := 0; h < toy.Heads; h++ {
		show.Heading(w, fmt.Sprintf("Head %d: Q = X·W_Q[%d], K = X·W_K[%d], V = X·W_V[%d]", h, h, h, h))
		show.Matrix(w, fmt.Sprintf("W_Q[%d]", h), m.WQ[h].Data(), part1.Indices("d", toy.DModel), cols, 4)
		fmt.Fprintln(w)
		show.Matrix(w, fmt.Sprintf("Q[%d]", h), p.Q[h].Data(), rows, cols, 4)
		fmt.Fprintln(w)
		show.Matrix(w, fmt.Sprintf("K[%d]", h), p.K[h].Data(), rows, cols, 4)
		fmt.Fprintln(w)
		show.Matrix(w, fmt.Sprintf("V[%d]", h), p.V[h].Data(), rows, cols, 4)
	}

	show.Heading(w, "One dot product, term by term: Q[0][0][0] = Σₖ X[0][k]·W_Q[0][k][0]")
	var sum float64
	var terms []string
	for k := 0; k < toy.DModel; k++ {
		x, wq := p.X[0][k].Data, m.WQ[0][k][0].Data
		sum += x * wq
		fmt.Fprintf(w, "  k=%2d  %s × %s = %s   running sum %s\n", k, padNum(x), padNum(wq), padNum(x*wq), padNum(sum))
		terms = append(terms, show.Term(x*wq, 4))
	}
	fmt.Fprintf(w, "  Q[0][0][0] = %s = %s (the matrix above says %s)\n", strings.Join(terms[:3], " + ")+" + …", show.Num(sum, 4), show.Num(p.Q[0][0][0].Data, 4))

	show.Heading(w, "Sizes")
	show.KV(w,
		"per head", fmt.Sprintf("W_Q, W_K, W_V are [%d×%d] = %d weights each", toy.DModel, toy.DK, toy.DModel*toy.DK),
		"both heads", fmt.Sprintf("3 × %d × %d = %d weights", toy.Heads, toy.DModel*toy.DK, 3*toy.Heads*toy.DModel*toy.DK),
		"multiply-adds", fmt.Sprintf("3 × %d heads × %d rows × %d × %d = %d", toy.Heads, len(toy.Tokens), toy.DModel, toy.DK, 3*toy.Heads*len(toy.Tokens)*toy.DModel*toy.DK))
	return nil
}

func padNum(x float64) string { return fmt.Sprintf("%7s", show.Num(x, 4)) }
