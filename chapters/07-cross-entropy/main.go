// Chapter 07 — logits, softmax and cross-entropy.
//
// The LM head turns each normalised row into 6 logits (logits = LN·W_lmᵀ),
// softmax turns logits into probabilities, and the loss for a position is
// −log P(next token). The mean over the 4 targets is the cross-entropy, and
// e^loss is the perplexity. A model that knows nothing scores ln 6.
//
//	go run ./chapters/07-cross-entropy [-seed 42]
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
		fmt.Fprintln(os.Stderr, "07-cross-entropy:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("07-cross-entropy")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	part1.Intro(w, "Chapter 07 · Cross-entropy", *seed)
	m := toy.New(*seed)
	p := m.Forward(toy.Tokens, toy.Targets)
	rows := part1.TokenLabels(toy.Tokens)

	show.Heading(w, "Logits = LayerNorm output · W_lmᵀ")
	show.Matrix(w, "logits", p.Logits.Data(), rows, toy.Vocab, 4)
	fmt.Fprintln(w)
	show.Vector(w, "logits row 0", p.Logits.Data()[0], 4)

	show.Heading(w, "Softmax: probabilities of the next token")
	show.Matrix(w, "P", p.Probs, rows, toy.Vocab, 4)

	show.Heading(w, "Loss for each position: −log P(target)")
	var table [][]string
	for i, t := range toy.Targets {
		pt := p.Probs[i][t]
		table = append(table, []string{rows[i], toy.Vocab[t], show.Num(pt, 4), show.Num(p.Losses[i].Data, 4)})
	}
	show.Table(w, []string{"position", "target", "P(target)", "−log P"}, table)

	show.Heading(w, "Summary")
	show.KV(w,
		"mean cross-entropy", show.Num(p.Loss.Data, 4),
		"baseline ln 6 (uniform guess)", show.Num(math.Log(toy.VocabSize), 4),
		"perplexity e^loss", fmt.Sprintf("%.2f", math.Exp(p.Loss.Data)),
		"difference from baseline", show.Num(p.Loss.Data-math.Log(toy.VocabSize), 4))
	fmt.Fprintln(w, "An untrained model is about as good as guessing uniformly: perplexity ≈ 6, the vocabulary size.")
	return nil
}
