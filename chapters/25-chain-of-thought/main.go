// Chapter 25 — chain of thought.
//
// One tiny GPT learns multi-digit addition from a mix of two formats: a bare
// answer ("478+365\n" → "A:843\n") and a worked, digit-by-digit scratchpad
// selected by a trigger in the prompt ("478+365 steps\n" → "8+5+0=13 w3
// c1\n…A:843\n"). The same weights then answer held-out problems (never
// seen in training) both ways, greedily, and the program measures each
// format's accuracy, how often the scratchpad itself is right, and where
// the two formats disagree. The loss is on the completion only.
//
//	go run ./chapters/25-chain-of-thought [-digits 3] [-steps 500] [-out out/25-chain-of-thought]
package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part4"
	"transformers/chapters/internal/show"
	"transformers/nn/plot"
	"transformers/reason/arith"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "25-chain-of-thought:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("25-chain-of-thought")
	cfg := part4.Config{Layers: 2, DModel: 64, Steps: 500, Batch: 32, LR: 1e-2}
	digits := fs.Int("digits", 3, "digits of each operand")
	nTrain := fs.Int("train", 3000, "training problems (each written in both formats)")
	nTest := fs.Int("test", 200, "held-out problems")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "optimizer updates")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "examples per update")
	fs.IntVar(&cfg.Layers, "layers", cfg.Layers, "transformer blocks")
	fs.IntVar(&cfg.DModel, "d-model", cfg.DModel, "residual width (4 heads)")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "peak learning rate")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("digits", *digits, "train", *nTrain, "test", *nTest); err != nil {
		return err
	}
	if *digits > 6 {
		return fmt.Errorf("-digits %d: at most 6", *digits)
	}
	cfg.Seed = *seed
	part2.Intro(w, "Chapter 25 · Chain of thought: the same model, with and without its steps", *seed, *out)

	show.Heading(w, "The task: addition, two formats selected by a trigger")
	ac := arith.Config{Op: arith.Add, MinDigits: *digits, MaxDigits: *digits}
	train := arith.Generate(part2.Rng(*seed, 1), ac, arith.Train, *nTrain)
	test := arith.Generate(part2.Rng(*seed, 2), ac, arith.HeldOut, *nTest)
	data := part4.FormatMix(train, arith.Direct, arith.Steps)
	ex := test[0]
	for _, f := range []arith.Format{arith.Direct, arith.Steps} {
		ex.Format = f
		fmt.Fprintf(w, "%q → %q\n", ex.Prompt(), ex.Completion())
	}
	cfg.Context = part4.Context(part4.Tokenizer(), data)
	show.KV(w, "training problems", fmt.Sprintf("%d of %d digits, each in both formats: %d examples", len(train), *digits, len(data)),
		"held-out problems", fmt.Sprintf("%d, disjoint from training by a hash of the question", len(test)),
		"loss", "cross-entropy on the completion and its end token only; the prompt is context")

	show.Heading(w, fmt.Sprintf("Training: %d layers, d_model %d, %d updates of %d examples", cfg.Layers, cfg.DModel, cfg.Steps, cfg.Batch))
	tm, err := part4.LoadOrTrain(w, *out, "model", cfg, data)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d parameters, context %d", tm.Model.ParamCount().Total, cfg.Context)
	if !tm.Cached {
		fmt.Fprintf(w, ", trained in %.1f s", tm.Time.Seconds())
	}
	fmt.Fprintln(w)
	if len(tm.Losses) > 0 {
		ch := &plot.LineChart{Title: "Chapter 25: completion loss", XLabel: "update", YLabel: "loss", LogY: true}
		ch.AddY("mixed formats", tm.Losses)
		if err := part2.Write(w, ch, *out, "loss.png"); err != nil {
			return err
		}
	}

	show.Heading(w, "Held-out accuracy, greedy decoding")
	s := part4.Sampler{T: tm, MaxTokens: cfg.Context}
	type res struct {
		ok, parsed, stepsOK []bool
		tokens              int
		dur                 time.Duration
		outs                []string
	}
	results := map[arith.Format]*res{}
	var rows [][]string
	for _, f := range []arith.Format{arith.Direct, arith.Steps} {
		prompts := make([]string, len(test))
		for i, p := range test {
			p.Format = f
			prompts[i] = p.Prompt()
		}
		t0 := time.Now()
		outs := s.Batch(prompts, 1, rand.New(rand.NewPCG(*seed, 3)))
		r := &res{dur: time.Since(t0)}
		for i, p := range test {
			c := outs[i][0]
			r.outs = append(r.outs, c)
			_, okp := arith.ParseAnswer(c)
			r.parsed = append(r.parsed, okp)
			r.ok = append(r.ok, p.Verify(c))
			r.tokens += len(tm.Encode(c)) + 1
			if f == arith.Steps {
				st := arith.ParseSteps(c)
				lab := p.CheckSteps(st)
				good := len(st) == len(p.GoldSteps())
				for _, l := range lab {
					good = good && l
				}
				r.stepsOK = append(r.stepsOK, good)
			}
		}
		results[f] = r
		name, trig := "direct answer", "(none)"
		if f == arith.Steps {
			name, trig = "worked steps", fmt.Sprintf("%q", arith.TriggerSteps)
		}
		rows = append(rows, []string{name, trig, part4.Pct(part4.Frac(r.ok)), part4.Pct(part4.Frac(r.parsed)),
			fmt.Sprintf("%.1f", float64(r.tokens)/float64(len(test))), fmt.Sprintf("%.1f s", r.dur.Seconds())})
	}
	show.Table(w, []string{"format", "trigger", "accuracy", "answer parsed", "tokens/answer", "time"}, rows)
	d, st := results[arith.Direct], results[arith.Steps]
	fmt.Fprintf(w, "scratchpads entirely right (every line equals the gold line): %s; answers right: %s\n", part4.Pct(part4.Frac(st.stepsOK)), part4.Pct(part4.Frac(st.ok)))
	fmt.Fprintf(w, "the steps cost %.1f× the tokens of a direct answer\n", float64(st.tokens)/float64(max(1, d.tokens)))

	show.Heading(w, "Where the formats disagree (same held-out problems)")
	firstOnlyS := part4.PairTable(w, "steps", "direct", st.ok, d.ok)
	if firstOnlyS >= 0 {
		p := test[firstOnlyS]
		fmt.Fprintf(w, "e.g. %s = %d: direct %q, with steps %q\n", p.Question(), p.Result(), strings.TrimSpace(d.outs[firstOnlyS]), st.outs[firstOnlyS])
	}
	effect.Rates("chain of thought: held-out accuracy (%)", "direct", "with steps", d.ok, st.ok).Print(w)
	fmt.Fprintf(w, "headline: direct %s → with the trigger %s on %d held-out %d-digit additions\n", part4.Pct(part4.Frac(d.ok)), part4.Pct(part4.Frac(st.ok)), len(test), *digits)
	return nil
}
