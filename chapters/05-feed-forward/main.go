// Chapter 05 — the feed-forward network.
//
// Each position goes through the same two-layer network on its own:
// FFN(x) = W2·GELU(W1·x + b1) + b2, widening 16 → 64 and narrowing back.
// In the book's simplified block it is applied to the attention output.
//
//	go run ./chapters/05-feed-forward [-seed 42]
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
		fmt.Fprintln(os.Stderr, "05-feed-forward:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("05-feed-forward")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	part1.Intro(w, "Chapter 05 · The feed-forward network", *seed)
	m := toy.New(*seed)
	p := m.Forward(toy.Tokens, nil)
	rows := part1.TokenLabels(toy.Tokens)

	show.Heading(w, "GELU(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))")
	var table [][]string
	for x := -3.0; x <= 3.0001; x += 0.5 {
		table = append(table, []string{show.Num(x, 1), show.Num(scalar.GELUFloat(x), 4), show.Num(math.Max(0, x), 4)})
	}
	show.Table(w, []string{"x", "GELU(x)", "ReLU(x)"}, table)
	fmt.Fprintln(w, "GELU lets small negative values through a little, and is smooth at 0.")

	show.Heading(w, "Weights")
	show.Matrix(w, "W1 (first 8 of 64 rows)", m.W1.Data()[:8], nil, part1.Indices("d", toy.DModel), 4)
	fmt.Fprintln(w)
	show.Vector(w, "b1 (first 8)", scalar.Floats(m.B1[:8]), 4)
	show.Vector(w, "b2", scalar.Floats(m.B2), 4)

	show.Heading(w, "Forward, position by position")
	show.Matrix(w, "input (attention output)", p.Attn.Data(), rows, part1.Indices("d", toy.DModel), 4)
	fmt.Fprintln(w)
	show.Matrix(w, "hidden = input·W1ᵀ + b1 (first 8 of 64 columns)", cols(p.Hidden.Data(), 8), rows, part1.Indices("h", 8), 4)
	fmt.Fprintln(w)
	show.Matrix(w, "GELU(hidden) (first 8 of 64 columns)", cols(p.Act.Data(), 8), rows, part1.Indices("h", 8), 4)
	fmt.Fprintln(w)
	show.Matrix(w, "FFN output = GELU(hidden)·W2ᵀ + b2", p.FFN.Data(), rows, part1.Indices("d", toy.DModel), 4)

	show.Heading(w, "Parameter count of the feed-forward network")
	n1, n2 := toy.DFF*toy.DModel, toy.DModel*toy.DFF
	show.Table(w, []string{"weights", "shape", "count"}, [][]string{
		{"W1", fmt.Sprintf("[%d×%d]", toy.DFF, toy.DModel), fmt.Sprint(n1)},
		{"b1", fmt.Sprintf("[%d]", toy.DFF), fmt.Sprint(toy.DFF)},
		{"W2", fmt.Sprintf("[%d×%d]", toy.DModel, toy.DFF), fmt.Sprint(n2)},
		{"b2", fmt.Sprintf("[%d]", toy.DModel), fmt.Sprint(toy.DModel)},
		{"total", "", fmt.Sprint(n1 + toy.DFF + n2 + toy.DModel)},
	})
	count := len(m.W1.Flatten()) + len(m.B1) + len(m.W2.Flatten()) + len(m.B2)
	fmt.Fprintf(w, "\ncounted from the model's own tensors: %d feed-forward parameters\n", count)
	return nil
}

func cols(m [][]float64, n int) [][]float64 {
	out := make([][]float64, len(m))
	for i, r := range m {
		out[i] = r[:n]
	}
	return out
}
