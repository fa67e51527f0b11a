// Chapter 27 — tree of thoughts.
//
// A tiny GPT learns to solve countdown puzzles ("N:3 4 12 7 T:40\n" →
// "12-7=5\n5*4=20\n…A:40\n") from one solver-found solution per training
// puzzle. On held-out puzzles the program compares plain sampling (draw
// whole solutions until the exact verifier accepts one) with tree of
// thoughts: the model proposes K next steps, an evaluator values each
// partial solution, the search keeps the best b per depth (breadth-first)
// or dives into the best child and backtracks from dead ends (depth-first).
// The evaluator here is the exact solvability oracle of reason/countdown
// (can this state still reach the target?), not a learned model: it shows
// what search can do with a perfect value, and its calls are counted apart
// from the model's. Solve rate and model calls are measured for each.
//
//	go run ./chapters/27-tree-of-thoughts [-k 8] [-beam 2] [-samples 32] [-steps 1000] [-out out/27-tree-of-thoughts]
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part4"
	"transformers/chapters/internal/show"
	"transformers/nn/plot"
	"transformers/reason"
	"transformers/reason/countdown"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "27-tree-of-thoughts:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("27-tree-of-thoughts")
	cd := part4.CountdownFlags(fs)
	k := fs.Int("k", 8, "proposals per expanded node")
	beam := fs.Int("beam", 2, "nodes kept per depth (breadth-first)")
	nSamples := fs.Int("samples", 32, "most whole solutions sampled per puzzle (a power of two)")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("k", *k, "beam", *beam, "samples", *nSamples); err != nil {
		return err
	}
	if *nSamples&(*nSamples-1) != 0 {
		return fmt.Errorf("-samples %d: must be a power of two", *nSamples)
	}
	if err := cd.Validate(); err != nil {
		return err
	}
	cacheSet := false
	fs.Visit(func(f *flag.Flag) { cacheSet = cacheSet || f.Name == "cache" })
	if !cacheSet {
		cd.Cache = *out // this chapter's folder is where 28 and 29 look for the policy
	}
	part2.Intro(w, "Chapter 27 · Tree of thoughts: propose, evaluate, keep the best, backtrack", *seed, *out)

	show.Heading(w, "The task: countdown, one solver-found solution per training puzzle")
	tm, err := cd.Policy(w, *seed)
	if err != nil {
		return err
	}
	test, cc, temp := cd.HeldOut(), cd.Puzzles, &cd.Temperature
	ctx := cd.Model.Context

	show.Heading(w, "Sampling whole solutions, checked by the exact verifier")
	whole := part4.Sampler{T: tm, Temperature: *temp, MaxTokens: ctx}
	prompts := make([]string, len(test))
	for i, p := range test {
		prompts[i] = p.Prompt()
	}
	t0 := time.Now()
	outs := whole.Batch(prompts, *nSamples, part2.Rng(*seed, 3))
	sm := &reason.Samples{N: *nSamples, Completions: outs}
	for i, p := range test {
		var ok []bool
		for _, c := range outs[i] {
			ok = append(ok, p.Verify(c))
		}
		sm.Correct = append(sm.Correct, ok)
	}
	g := part4.Sampler{T: tm, MaxTokens: ctx}.Batch(prompts, 1, nil)
	var gok []bool
	for i, p := range test {
		gok = append(gok, p.Verify(g[i][0]))
	}
	fmt.Fprintf(w, "%d samples in %.1f s; greedy decoding solves %s\n", len(test)**nSamples, time.Since(t0).Seconds(), part4.Pct(part4.Frac(gok)))
	var rows [][]string
	var sx, sy []float64
	for n := 1; n <= *nSamples; n *= 2 {
		acc := sm.PassAtK(n)
		rows = append(rows, []string{"sample until verified", fmt.Sprintf("N = %d", n), part4.Pct(acc), fmt.Sprintf("%.1f", float64(n)), "—", "—"})
		sx, sy = append(sx, float64(n)), append(sy, acc)
	}

	show.Heading(w, fmt.Sprintf("Tree search: K = %d proposals per node, the oracle as evaluator", *k))
	step := part4.Sampler{T: tm, Temperature: *temp, MaxTokens: ctx, Step: true}
	type agg struct {
		solved             int
		propose, score, bt int
		dur                time.Duration
	}
	searchRow := func(name, knob string, do func(s *reason.StepSearch, rng *rand.Rand) reason.SearchResult) agg {
		var a agg
		t0 := time.Now()
		for i, p := range test {
			solver := countdown.NewSolver(p.Target)
			ss := &reason.StepSearch{
				Prompt:    p.Prompt(),
				Propose:   step,
				Score:     reason.ScorerFunc(func(_ string, steps []string) float64 { return p.OracleValue(steps, solver) }),
				Done:      p.Done,
				K:         *k,
				Beam:      *beam,
				MaxDepth:  cc.Count + 1,
				Threshold: 0.5,
			}
			r := do(ss, part2.Rng(*seed, 100+uint64(i)))
			if r.Found && p.Verify(reason.Join(r.Steps)) {
				a.solved++
			}
			a.propose += r.ProposeCalls
			a.score += r.ScoreCalls
			a.bt += r.Backtracks
		}
		a.dur = time.Since(t0)
		n := float64(len(test))
		rows = append(rows, []string{name, knob, part4.Pct(float64(a.solved) / n), fmt.Sprintf("%.1f", float64(a.propose)/n), fmt.Sprintf("%.1f", float64(a.score)/n), fmt.Sprintf("%.1f s", a.dur.Seconds())})
		return a
	}
	bfs := searchRow("tree, breadth-first", fmt.Sprintf("b = %d", *beam), func(s *reason.StepSearch, rng *rand.Rand) reason.SearchResult { return s.BFS(rng) })
	bfs1 := searchRow("tree, breadth-first", "b = 1", func(s *reason.StepSearch, rng *rand.Rand) reason.SearchResult {
		s.Beam = 1
		return s.BFS(rng)
	})
	dfs := searchRow("tree, depth-first", fmt.Sprintf("≤ %d proposals", *nSamples**k), func(s *reason.StepSearch, rng *rand.Rand) reason.SearchResult {
		s.MaxCalls = *nSamples * *k
		return s.DFS(rng)
	})
	show.Table(w, []string{"method", "knob", "solved", "model calls/puzzle", "oracle calls/puzzle", "time"}, rows)
	fmt.Fprintln(w, "a model call is one sampled completion: a whole solution when sampling, one step line in the tree.")
	fmt.Fprintf(w, "depth-first backtracked %d times in all (a node whose children were all dead ends)\n", dfs.bt)

	n := float64(len(test))
	ch := &plot.LineChart{Title: "Chapter 27: solve rate against model calls", XLabel: "model calls per puzzle", YLabel: "solved", YMin: 0, YMax: 1}
	ch.Add("sample until verified", sx, sy)
	for _, p := range []struct {
		name string
		a    agg
	}{{"BFS b=" + fmt.Sprint(*beam), bfs}, {"BFS b=1", bfs1}, {"DFS", dfs}} {
		x := float64(p.a.propose) / n
		ch.Add(p.name, []float64{x, x}, []float64{0, float64(p.a.solved) / n})
	}
	if err := part2.Write(w, ch, *out, "solve-rate.png"); err != nil {
		return err
	}
	fmt.Fprintf(w, "headline: one sample solves %s, %d samples %s; BFS (b=%d) %s at %.1f calls, DFS %s at %.1f calls\n",
		part4.Pct(sm.PassAtK(1)), *nSamples, part4.Pct(sm.PassAtK(*nSamples)), *beam, part4.Pct(float64(bfs.solved)/n), float64(bfs.propose)/n,
		part4.Pct(float64(dfs.solved)/n), float64(dfs.propose)/n)
	return nil
}
