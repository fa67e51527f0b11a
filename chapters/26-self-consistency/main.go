// Chapter 26 — self-consistency.
//
// A tiny GPT trained (as in chapter 25) on addition in two formats, direct
// answers and worked steps, is sampled many times per held-out problem at
// a temperature. Self-consistency takes the answer given most often. The
// program measures maj@k (accuracy of the majority vote over k samples)
// and pass@k (some sample among k is right: the ceiling any selector could
// reach) for k = 1, 2, 4, …, 32, in both formats, against model calls, and
// draws the curves.
//
//	go run ./chapters/26-self-consistency [-digits 3] [-temp 1] [-max-k 32] [-out out/26-self-consistency]
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part4"
	"transformers/chapters/internal/show"
	"transformers/nn/plot"
	"transformers/reason"
	"transformers/reason/arith"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "26-self-consistency:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("26-self-consistency")
	cfg := part4.Config{Layers: 2, DModel: 64, Steps: 500, Batch: 32, LR: 1e-2}
	digits := fs.Int("digits", 3, "digits of each operand")
	nTrain := fs.Int("train", 3000, "training problems (each written in both formats)")
	nTest := fs.Int("test", 60, "held-out problems")
	maxK := fs.Int("max-k", 32, "most samples per problem (a power of two)")
	temp := fs.Float64("temp", 1, "sampling temperature")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "optimizer updates")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "examples per update")
	fs.IntVar(&cfg.Layers, "layers", cfg.Layers, "transformer blocks")
	fs.IntVar(&cfg.DModel, "d-model", cfg.DModel, "residual width (4 heads)")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "peak learning rate")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("digits", *digits, "train", *nTrain, "test", *nTest, "max-k", *maxK); err != nil {
		return err
	}
	if *digits > 6 {
		return fmt.Errorf("-digits %d: at most 6", *digits)
	}
	if *maxK&(*maxK-1) != 0 {
		return fmt.Errorf("-max-k %d: must be a power of two", *maxK)
	}
	if !(*temp > 0) {
		return fmt.Errorf("-temp %g: must be positive (greedy samples are all the same)", *temp)
	}
	cfg.Seed = *seed
	part2.Intro(w, "Chapter 26 · Self-consistency: sample many chains, take the majority answer", *seed, *out)

	show.Heading(w, "The model: chapter 25's recipe (mixed formats, loss on the completion)")
	ac := arith.Config{Op: arith.Add, MinDigits: *digits, MaxDigits: *digits}
	train := arith.Generate(part2.Rng(*seed, 1), ac, arith.Train, *nTrain)
	test := arith.Generate(part2.Rng(*seed, 2), ac, arith.HeldOut, *nTest)
	data := part4.FormatMix(train, arith.Direct, arith.Steps)
	cfg.Context = part4.Context(part4.Tokenizer(), data)
	show.KV(w, "task", fmt.Sprintf("%d-digit addition; %d training problems in both formats, %d held-out", *digits, len(train), len(test)),
		"model", fmt.Sprintf("%d layers, d_model %d, %d updates of %d examples", cfg.Layers, cfg.DModel, cfg.Steps, cfg.Batch))
	tm, err := part4.LoadOrTrain(w, *out, "model", cfg, data)
	if err != nil {
		return err
	}

	var ks []int
	for k := 1; k <= *maxK; k *= 2 {
		ks = append(ks, k)
	}
	show.Heading(w, fmt.Sprintf("Sampling %d completions per held-out problem at temperature %g", *maxK, *temp))
	s := part4.Sampler{T: tm, Temperature: *temp, MaxTokens: cfg.Context}
	greedy := part4.Sampler{T: tm, MaxTokens: cfg.Context}
	formats := []arith.Format{arith.Direct, arith.Steps}
	names := []string{"direct", "steps"}
	samples := make([]*reason.Samples, len(formats))
	greedyAcc := make([]float64, len(formats))
	for fi, f := range formats {
		prompts := make([]string, len(test))
		for i, p := range test {
			p.Format = f
			prompts[i] = p.Prompt()
		}
		t0 := time.Now()
		outs := s.Batch(prompts, *maxK, part2.Rng(*seed, 10+uint64(fi)))
		sm := &reason.Samples{N: *maxK, Completions: outs, Calls: len(test) * *maxK}
		for i, p := range test {
			var ok, parsed []bool
			var ans []string
			for _, c := range outs[i] {
				a, okp := arith.ParseAnswer(c)
				ans, parsed, ok = append(ans, a), append(parsed, okp), append(ok, p.Verify(c))
			}
			sm.Correct, sm.Answers, sm.Parsed = append(sm.Correct, ok), append(sm.Answers, ans), append(sm.Parsed, parsed)
		}
		samples[fi] = sm
		g := greedy.Batch(prompts, 1, part2.Rng(*seed, 20))
		var gok []bool
		for i, p := range test {
			gok = append(gok, p.Verify(g[i][0]))
		}
		greedyAcc[fi] = part4.Frac(gok)
		fmt.Fprintf(w, "%-6s %d model calls in %.1f s; greedy decoding scores %s\n", names[fi], sm.Calls, time.Since(t0).Seconds(), part4.Pct(greedyAcc[fi]))
	}

	show.Heading(w, "Accuracy against samples per problem (= model calls per problem)")
	ch := &plot.LineChart{Title: "Chapter 26: self-consistency", XLabel: "samples per problem (log2)", YLabel: "held-out accuracy", YMin: 0, YMax: 1}
	var rows [][]string
	maj := make([][]float64, len(formats))
	pass := make([][]float64, len(formats))
	for fi, sm := range samples {
		pp, mp := sm.Curve(ks)
		for i := range ks {
			maj[fi] = append(maj[fi], mp[i].Accuracy)
			pass[fi] = append(pass[fi], pp[i].Accuracy)
		}
	}
	xs := make([]float64, len(ks))
	for i, k := range ks {
		xs[i] = float64(i)
		row := []string{fmt.Sprint(k)}
		for fi := range formats {
			row = append(row, part4.Pct(maj[fi][i]), part4.Pct(pass[fi][i]))
		}
		rows = append(rows, row)
	}
	show.Table(w, []string{"k", "direct maj@k", "direct pass@k", "steps maj@k", "steps pass@k"}, rows)
	for fi := range formats {
		ch.Add(names[fi]+" maj@k", xs, maj[fi])
		ch.Add(names[fi]+" pass@k", xs, pass[fi])
	}
	fmt.Fprintln(w, "maj@k: the k samples are cut into disjoint groups of k, each group votes, the score is averaged;")
	fmt.Fprintln(w, "pass@k: the unbiased estimate that some sample of k is right — what a perfect verifier could pick.")
	if err := part2.Write(w, ch, *out, "self-consistency.png"); err != nil {
		return err
	}

	show.Heading(w, "Why voting works: the right answer is the most frequent answer more often than it is the first")
	for fi, sm := range samples {
		plural, distinct := 0, 0
		for i := range test {
			counts := tally(sm.Answers[i], sm.Parsed[i])
			distinct += len(counts)
			if len(counts) > 0 && counts[0].a == test[i].Answer() {
				plural++
			}
		}
		fmt.Fprintf(w, "%-6s: single-sample accuracy %s; the right answer is the most frequent one on %s of problems; %.1f distinct answers per %d samples\n",
			names[fi], part4.Pct(pass[fi][0]), part4.Pct(float64(plural)/float64(len(test))), float64(distinct)/float64(len(test)), *maxK)
	}
	sm := samples[0]
	for i, p := range test {
		c := tally(sm.Answers[i], sm.Parsed[i])
		if len(c) > 1 && c[0].a == p.Answer() && !sm.Correct[i][0] {
			var parts []string
			for _, v := range c[:min(5, len(c))] {
				parts = append(parts, fmt.Sprintf("%s×%d", v.a, v.n))
			}
			fmt.Fprintf(w, "e.g. %s = %s, direct votes: %s (the first sample alone was wrong)\n", p.Question(), p.Answer(), strings.Join(parts, ", "))
			break
		}
	}
	last := len(ks) - 1
	for fi, sm := range samples {
		effect.Paired("self-consistency, "+names[fi]+": held-out accuracy (%)", "one sample", fmt.Sprintf("majority of %d", ks[last]),
			scale(sm.MajAtKEach(1), 100), scale(sm.MajAtKEach(ks[last]), 100)).Print(w)
	}
	fmt.Fprintf(w, "headline: majority vote over %d samples: direct %s → %s, steps %s → %s (greedy %s and %s)\n", ks[last],
		part4.Pct(maj[0][0]), part4.Pct(maj[0][last]), part4.Pct(maj[1][0]), part4.Pct(maj[1][last]), part4.Pct(greedyAcc[0]), part4.Pct(greedyAcc[1]))
	return nil
}

type vote struct {
	a string
	n int
}

// tally counts the parsed answers, most frequent first (ties by first
// appearance, as reason.MajorityVote breaks them).
func tally(answers []string, parsed []bool) []vote {
	idx := map[string]int{}
	var v []vote
	for i, a := range answers {
		if !parsed[i] {
			continue
		}
		if j, ok := idx[a]; ok {
			v[j].n++
			continue
		}
		idx[a] = len(v)
		v = append(v, vote{a, 1})
	}
	sort.SliceStable(v, func(i, j int) bool { return v[i].n > v[j].n })
	return v
}

// scale returns x times f, element by element.
func scale(x []float64, f float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * f
	}
	return out
}
