// Chapter 10 — AdamW and a real training loop.
//
// One AdamW step is worked by hand for a single weight (lr 1e-3, β₁ 0.9,
// β₂ 0.999, ε 1e-8, weight decay 0.01, decoupled), then the model is trained
// on "I like transformers" with the scalar engine's real gradients until it
// predicts every next token.
//
//	go run ./chapters/10-adamw [-seed 42] [-steps 300] [-lr 1e-3] [-out out/10-adamw]
package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"transformers/chapters/internal/part1"
	"transformers/chapters/internal/show"
	"transformers/nn/plot"
	"transformers/scalar"
	"transformers/scalar/toy"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "10-adamw:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed := part1.Flags("10-adamw")
	steps := fs.Int("steps", 300, "training steps")
	lr := fs.Float64("lr", 1e-3, "AdamW learning rate for the training loop")
	every := fs.Int("every", 25, "print the loss every this many steps")
	out := fs.String("out", "out/10-adamw", "folder for the loss-curve picture")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *steps < 1:
		return fmt.Errorf("-steps %d: need at least 1", *steps)
	case !(*lr > 0):
		return fmt.Errorf("-lr %g: the learning rate must be positive", *lr)
	case *every < 1:
		return fmt.Errorf("-every %d: need at least 1", *every)
	}
	part1.Intro(w, "Chapter 10 · AdamW and training", *seed)
	m := toy.New(*seed)

	show.Heading(w, "The parameters")
	var table [][]string
	for _, p := range m.Params() {
		table = append(table, []string{p.Name, p.Shape(), fmt.Sprint(len(p.Values))})
	}
	table = append(table, []string{"total", "", fmt.Sprint(m.NumParams())})
	show.Table(w, []string{"parameter", "shape", "count"}, table)

	// One step by hand, on the weight with the largest gradient.
	params := m.AllValues()
	opt := scalar.NewAdamW(params)
	loss := m.Forward(toy.Tokens, toy.Targets).Loss
	loss.Backward()
	best, bestName := 0, ""
	i := 0
	for _, p := range m.Params() {
		for j := range p.Values {
			if math.Abs(params[i].Grad) > math.Abs(params[best].Grad) {
				best, bestName = i, fmt.Sprintf("%s[%d][%d]", p.Name, j/p.Cols, j%p.Cols)
			}
			i++
		}
	}
	wt := params[best]
	w0, g := wt.Data, wt.Grad
	show.Heading(w, fmt.Sprintf("One AdamW step by hand: %s, the weight with the largest gradient", bestName))
	decayed := w0 - opt.LR*opt.WeightDecay*w0
	mm := (1 - opt.Beta1) * g
	vv := (1 - opt.Beta2) * g * g
	mHat := mm / (1 - opt.Beta1)
	vHat := vv / (1 - opt.Beta2)
	byHand := decayed - opt.LR*mHat/(math.Sqrt(vHat)+opt.Eps)
	show.KV(w,
		"w", show.Num(w0, 8),
		"g = ∂L/∂w", show.Num(g, 8),
		"decay  w − lr·λ·w", fmt.Sprintf("%s − %g·%g·%s = %s", show.Num(w0, 8), opt.LR, opt.WeightDecay, show.Term(w0, 8), show.Num(decayed, 8)),
		"m = (1−β₁)·g", show.Num(mm, 8),
		"v = (1−β₂)·g²", fmt.Sprintf("%.8e", vv),
		"m̂ = m/(1−β₁¹)", show.Num(mHat, 8),
		"v̂ = v/(1−β₂¹)", fmt.Sprintf("%.8e", vHat),
		"step lr·m̂/(√v̂+ε)", show.Num(opt.LR*mHat/(math.Sqrt(vHat)+opt.Eps), 8),
		"new w", show.Num(byHand, 8))
	opt.Step()
	fmt.Fprintf(w, "  optimiser's result: %s (difference %.1e). On the first step m̂/√v̂ = sign(g), so every weight moves by about lr.\n",
		show.Num(wt.Data, 8), math.Abs(wt.Data-byHand))
	after := m.Forward(toy.Tokens, toy.Targets).Loss.Data
	fmt.Fprintf(w, "  loss before the step %s, after %s\n", show.Num(loss.Data, 4), show.Num(after, 4))

	// The training loop starts again from the initial weights, with fresh moments.
	m = toy.New(*seed)
	opt = scalar.NewAdamW(m.AllValues())
	opt.LR = *lr
	show.Heading(w, fmt.Sprintf("Training on the sentence: %d steps of AdamW, lr %g", *steps, *lr))
	var rows [][]string
	var p *toy.Pass
	var curve []float64
	for step := 0; step <= *steps; step++ {
		p = m.Forward(toy.Tokens, toy.Targets)
		curve = append(curve, p.Loss.Data)
		if math.IsNaN(p.Loss.Data) || math.IsInf(p.Loss.Data, 0) {
			return fmt.Errorf("step %d: loss is %v; stopping", step, p.Loss.Data)
		}
		if step%*every == 0 || step == *steps {
			rows = append(rows, []string{fmt.Sprint(step), show.Num(p.Loss.Data, 4), fmt.Sprintf("%.2f", math.Exp(p.Loss.Data)), bar(p.Loss.Data)})
		}
		if step == *steps {
			break
		}
		opt.ZeroGrad()
		p.Loss.Backward()
		opt.Step()
	}
	show.Table(w, []string{"step", "loss", "perplexity", ""}, rows)
	chart := &plot.LineChart{Title: "Chapter 10: training on one sentence", XLabel: "step", YLabel: "loss (nats)"}
	chart.AddY(fmt.Sprintf("AdamW lr %g", *lr), curve)
	path := filepath.Join(*out, "loss.png")
	if err := chart.WritePNG(path); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nloss curve written to %s\n", path)

	show.Heading(w, "What the trained model predicts")
	table = nil
	for i, t := range toy.Targets {
		argmax := 0
		for j, q := range p.Probs[i] {
			if q > p.Probs[i][argmax] {
				argmax = j
			}
		}
		table = append(table, []string{part1.TokenLabels(toy.Tokens)[i], toy.Vocab[t], show.Num(p.Probs[i][t], 4), toy.Vocab[argmax]})
	}
	show.Table(w, []string{"position", "target", "P(target)", "predicted"}, table)
	fmt.Fprintf(w, "\nloss fell from %s to %s\n", show.Num(toy.New(*seed).Forward(toy.Tokens, toy.Targets).Loss.Data, 4), show.Num(p.Loss.Data, 4))
	return nil
}

// bar draws the loss as a row of blocks, 10 per unit of loss.
func bar(loss float64) string {
	n := int(math.Round(loss * 10))
	s := ""
	for i := 0; i < n && i < 40; i++ {
		s += "█"
	}
	return s
}
