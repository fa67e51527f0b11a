// Chapter 04 — multi-head attention.
//
// The two heads' outputs ([5×8] each) are placed side by side into a [5×16]
// matrix and mixed by the output projection: attention = concat·W_Oᵀ.
//
//	go run ./chapters/04-multi-head [-seed 42]
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
		fmt.Fprintln(os.Stderr, "04-multi-head:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("04-multi-head")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	part1.Intro(w, "Chapter 04 · Multi-head attention", *seed)
	m := toy.New(*seed)
	p := m.Forward(toy.Tokens, nil)
	rows := part1.TokenLabels(toy.Tokens)
	dims := part1.Indices("d", toy.DModel)

	show.Heading(w, "Each head's output (chapter 03)")
	for h := 0; h < toy.Heads; h++ {
		show.Matrix(w, fmt.Sprintf("head %d", h), p.HeadOut[h].Data(), rows, part1.Indices("d", toy.DK), 4)
		fmt.Fprintln(w)
	}
	show.Heading(w, "Concatenate: columns 0–7 from head 0, 8–15 from head 1")
	show.Matrix(w, "concat", p.Concat.Data(), rows, dims, 4)

	show.Heading(w, "Output projection W_O, applied as concat·W_Oᵀ")
	show.Matrix(w, "W_O", m.WO.Data(), dims, dims, 4)
	fmt.Fprintln(w)
	show.Matrix(w, "attention output", p.Attn.Data(), rows, dims, 4)

	show.Heading(w, "Parameter count of attention")
	qkv := toy.Heads * 3 * toy.DModel * toy.DK
	wo := toy.DModel * toy.DModel
	count := 0
	for _, prm := range m.Params() {
		for _, prefix := range []string{"W_Q", "W_K", "W_V", "W_O"} {
			if strings.HasPrefix(prm.Name, prefix) {
				count += len(prm.Values)
			}
		}
	}
	show.Table(w, []string{"weights", "shape", "count"}, [][]string{
		{"W_Q (2 heads)", fmt.Sprintf("2 × [%d×%d]", toy.DModel, toy.DK), fmt.Sprint(toy.Heads * toy.DModel * toy.DK)},
		{"W_K (2 heads)", fmt.Sprintf("2 × [%d×%d]", toy.DModel, toy.DK), fmt.Sprint(toy.Heads * toy.DModel * toy.DK)},
		{"W_V (2 heads)", fmt.Sprintf("2 × [%d×%d]", toy.DModel, toy.DK), fmt.Sprint(toy.Heads * toy.DModel * toy.DK)},
		{"W_O", fmt.Sprintf("[%d×%d]", toy.DModel, toy.DModel), fmt.Sprint(wo)},
		{"total", "", fmt.Sprint(qkv + wo)},
	})
	fmt.Fprintf(w, "\ncounted from the model's own tensors: %d attention parameters\n", count)
	return nil
}
