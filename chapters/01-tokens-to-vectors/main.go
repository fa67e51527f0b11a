// Chapter 01 — from tokens to vectors.
//
// A sentence becomes token ids, each id picks a row of the token embedding
// table, each position picks a row of the position table, and the model's
// input is their sum: X[i] = E_token[tokens[i]] + E_pos[i].
//
//	go run ./chapters/01-tokens-to-vectors [-seed 42]
package main

import (
	"fmt"
	"io"
	"os"

	"transformers/chapters/internal/part1"
	"transformers/chapters/internal/show"
	"transformers/scalar/toy"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "01-tokens-to-vectors:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("01-tokens-to-vectors")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	part1.Intro(w, "Chapter 01 · From tokens to vectors", *seed)
	m := toy.New(*seed)

	show.Heading(w, "Vocabulary")
	rows := make([][]string, len(toy.Vocab))
	for id, word := range toy.Vocab {
		rows[id] = []string{fmt.Sprint(id), word}
	}
	show.Table(w, []string{"id", "token"}, rows)

	show.Heading(w, "The sentence as token ids")
	fmt.Fprintf(w, "text:    \"I like transformers\"\n")
	fmt.Fprintf(w, "tokens:  %v   (<BOS> I like transformers <EOS>)\n", toy.Tokens)
	fmt.Fprintf(w, "targets: %v      (each position predicts the next token)\n", toy.Targets)

	show.Heading(w, "Embedding tables (d_model = 16)")
	dims := part1.Indices("d", toy.DModel)
	show.Matrix(w, "E_token", m.ETok.Data(), toy.Vocab, dims, 4)
	fmt.Fprintln(w)
	show.Matrix(w, "E_pos", m.EPos.Data(), part1.Indices("pos", toy.MaxLen), dims, 4)

	p := m.Forward(toy.Tokens, nil)
	show.Heading(w, "X = E_token[t] + E_pos[i], row 0 worked element by element")
	t0 := toy.Tokens[0]
	for j := 0; j < 4; j++ {
		fmt.Fprintf(w, "  X[0][%d] = E_token[%s][%d] + E_pos[0][%d] = %s + %s = %s\n", j, toy.Vocab[t0], j, j,
			show.Term(m.ETok[t0][j].Data, 4), show.Term(m.EPos[0][j].Data, 4), show.Num(p.X[0][j].Data, 4))
	}
	fmt.Fprintln(w, "  … and so on for all 16 dimensions and all 5 positions:")
	fmt.Fprintln(w)
	show.Matrix(w, "X", p.X.Data(), part1.TokenLabels(toy.Tokens), dims, 4)
	fmt.Fprintln(w)
	show.Vector(w, "X[0]", p.X.Data()[0], 4)
	fmt.Fprintf(w, "\nparameters: E_token %d + E_pos %d = %d\n", toy.VocabSize*toy.DModel, toy.MaxLen*toy.DModel, (toy.VocabSize+toy.MaxLen)*toy.DModel)
	return nil
}
