// Package part1 holds what Part 1's chapter programs share: the -seed flag,
// the opening lines that say which draw of weights is in use, and the
// vocabulary labels for printing.
package part1

import (
	"flag"
	"fmt"
	"io"

	"transformers/chapters/internal/show"
	"transformers/scalar/toy"
)

// Flags returns a flag set for a Part 1 chapter with the -seed flag bound.
func Flags(name string) (*flag.FlagSet, *int64) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	seed := fs.Int64("seed", toy.BookSeed, "seed for Python's random.seed before drawing the weights (42 reproduces the book)")
	return fs, seed
}

// Intro prints the chapter title and which seed drew the weights.
func Intro(w io.Writer, title string, seed int64) {
	show.Heading(w, title)
	if seed == toy.BookSeed {
		fmt.Fprintf(w, "weights: random.seed(%d), random.gauss(0, %.1f) in the book's order (the book's numbers)\n", seed, toy.InitStd)
	} else {
		fmt.Fprintf(w, "weights: random.seed(%d), random.gauss(0, %.1f): -seed %d is not the book's seed 42, so numbers differ from the book\n", seed, toy.InitStd, seed)
	}
}

// TokenLabels returns "i:word" labels for a token sequence, e.g. "0:<BOS>".
func TokenLabels(tokens []int) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = fmt.Sprintf("%d:%s", i, toy.Vocab[t])
	}
	return out
}

// Indices returns "0", "1", … "n-1" as labels, with a prefix.
func Indices(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}
