// Chapter 06 — the residual and layer normalisation.
//
// The book's block adds the feed-forward output to the attention output
// (residual = attn + FFN(attn)) and normalises each row:
// LN(x) = γ·(x − μ)/√(σ² + ε) + β with μ the row mean, σ² the population
// variance, ε = 1e-5, γ = 1, β = 0. Part 2's full block also adds X back
// around attention and normalises before each sub-layer instead.
//
//	go run ./chapters/06-layer-norm [-seed 42]
package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"transformers/chapters/internal/part1"
	"transformers/chapters/internal/show"
	"transformers/scalar/toy"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "06-layer-norm:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("06-layer-norm")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	part1.Intro(w, "Chapter 06 · Residual and layer normalisation", *seed)
	m := toy.New(*seed)
	p := m.Forward(toy.Tokens, nil)
	rows := part1.TokenLabels(toy.Tokens)
	dims := part1.Indices("d", toy.DModel)

	show.Heading(w, "Residual = attention output + FFN output")
	show.Matrix(w, "attention", p.Attn.Data(), rows, dims, 4)
	fmt.Fprintln(w)
	show.Matrix(w, "FFN", p.FFN.Data(), rows, dims, 4)
	fmt.Fprintln(w)
	show.Matrix(w, "residual", p.Residual.Data(), rows, dims, 4)

	show.Heading(w, "Position 0 by hand")
	x := p.Residual.Data()[0]
	mu := 0.0
	for _, v := range x {
		mu += v
	}
	mu /= float64(len(x))
	variance := 0.0
	for _, v := range x {
		variance += (v - mu) * (v - mu)
	}
	variance /= float64(len(x))
	sigma := math.Sqrt(variance + toy.Eps)
	show.KV(w,
		"mean μ = Σx/16", show.Num(mu, 6),
		"variance σ² = Σ(x−μ)²/16", show.Num(variance, 6),
		"σ = √(σ² + 1e-5)", show.Num(sigma, 6))
	fmt.Fprintf(w, "  first element: (%s − %s) / %s = %s\n", show.Num(x[0], 4), show.Term(mu, 4), show.Num(sigma, 4), show.Num((x[0]-mu)/sigma, 4))

	show.Heading(w, "Normalised rows (γ = 1, β = 0)")
	norm := p.Norm.Data()
	show.Matrix(w, "LayerNorm(residual)", norm, rows, dims, 4)

	show.Heading(w, "Check: every row now has mean ≈ 0 and variance ≈ 1")
	var table [][]string
	for i, r := range norm {
		mean, v := 0.0, 0.0
		for _, e := range r {
			mean += e
		}
		mean /= float64(len(r))
		for _, e := range r {
			v += (e - mean) * (e - mean)
		}
		v /= float64(len(r))
		in := p.Residual.Data()[i]
		inMean, inVar := 0.0, 0.0
		for _, e := range in {
			inMean += e
		}
		inMean /= float64(len(in))
		for _, e := range in {
			inVar += (e - inMean) * (e - inMean)
		}
		inVar /= float64(len(in))
		table = append(table, []string{rows[i], show.Num(inMean, 4), show.Num(inVar, 6), show.Num(mean, 4), show.Num(v, 4)})
	}
	show.Table(w, []string{"position", "mean in", "var in", "mean out", "var out"}, table)
	fmt.Fprintln(w, "\nvariance out is a little below 1 because ε = 1e-5 is not negligible next to these small variances.")
	return nil
}
