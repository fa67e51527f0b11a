// Chapter 30 — Monte Carlo tree search over reasoning steps.
//
// The countdown policy of chapters 27–29 proposes one step line per model
// call; MCTS grows a tree of partial solutions, choosing where to expand by
// PUCT (mean value plus c·prior·√N/(1+n)), expanding a leaf with K
// proposals and backing up a value. The program compares two values on
// held-out puzzles: (a) a rollout — the policy finishes the solution step
// by step and the exact verifier scores it, a value that costs model calls —
// and (b) the exact solvability oracle, which is free and perfect, so it
// is an oracle upper bound no learned value can beat. Both are set against
// best-of-N — N whole solutions sampled and checked by the verifier — at
// the same number of model calls per puzzle, counted with reason.Count.
//
//	go run ./chapters/30-mcts [-iters 2,4,8,16] [-k 6] [-c 1.5] [-puzzles 30] [-out out/30-mcts]
package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part4"
	"transformers/chapters/internal/show"
	"transformers/nn/plot"
	"transformers/reason"
	"transformers/reason/countdown"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "30-mcts:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("30-mcts")
	cd := part4.CountdownFlags(fs)
	itersFlag := fs.String("iters", "2,4,8,16", "MCTS iteration budgets, comma-separated, increasing")
	k := fs.Int("k", 6, "proposals per expanded node")
	c := fs.Float64("c", 1.5, "exploration constant of PUCT")
	nPuzzles := fs.Int("puzzles", 30, "held-out puzzles searched (at most -test)")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("k", *k, "puzzles", *nPuzzles); err != nil {
		return err
	}
	iters, err := parseIters(*itersFlag)
	if err != nil {
		return err
	}
	if !(*c >= 0) {
		return fmt.Errorf("-c %g: must be at least 0", *c)
	}
	if err := cd.Validate(); err != nil {
		return err
	}
	part2.Intro(w, "Chapter 30 · MCTS over reasoning steps, against best-of-N at equal model calls", *seed, *out)

	show.Heading(w, "The policy: one step line per model call")
	tm, err := cd.Policy(w, *seed)
	if err != nil {
		return err
	}
	test := cd.HeldOut()
	test = test[:min(*nPuzzles, len(test))]
	probs := make([]reason.Problem, len(test))
	for i, p := range test {
		probs[i] = p
	}
	ctx, temp, depth := cd.Model.Context, cd.Temperature, cd.Puzzles.Count+1
	step := part4.Sampler{T: tm, Temperature: temp, MaxTokens: ctx, Step: true}
	fmt.Fprintf(w, "%d held-out puzzles; K = %d proposals per expansion, c = %g, depth ≤ %d lines\n", len(test), *k, *c, depth)

	// mcts returns the method searching with the given value (nil: rollouts).
	mcts := func(it int, value func(p countdown.Problem) reason.Scorer) reason.Method {
		return func(rp reason.Problem, rng *rand.Rand) (string, int) {
			p := rp.(countdown.Problem)
			prop := reason.Count(step)
			m := &reason.MCTS{Prompt: p.Prompt(), Propose: prop, Reward: reason.VerifierScorer(p), Done: p.Done,
				K: *k, C: *c, Iterations: it, MaxDepth: depth}
			if value != nil {
				m.Value = value(p)
			}
			r := m.Search(rng)
			return reason.Join(r.Steps), prop.Calls() // the verifier and the oracle are not model calls
		}
	}
	oracle := func(p countdown.Problem) reason.Scorer {
		solver := countdown.NewSolver(p.Target)
		return reason.ScorerFunc(func(_ string, steps []string) float64 { return p.OracleValue(steps, solver) })
	}
	show.Heading(w, "MCTS with PUCT: rollouts to the verifier, and the exact oracle, as value")
	t0 := time.Now()
	var roll, orc []reason.Point
	for _, it := range iters {
		roll = append(roll, reason.Run("MCTS, rollout value", it, probs, mcts(it, nil), *seed))
		orc = append(orc, reason.Run("MCTS, oracle value", it, probs, mcts(it, oracle), *seed))
	}
	tMCTS := time.Since(t0)

	// Best-of-N at each MCTS point's mean calls, rounded up: N whole samples,
	// the verifier keeps one that checks. Problem i draws from PCG(seed+1, i).
	maxN := 1
	for i := range iters {
		maxN = max(maxN, int(math.Ceil(roll[i].Calls)), int(math.Ceil(orc[i].Calls)))
	}
	t0 = time.Now()
	whole := part4.Sampler{T: tm, Temperature: temp, MaxTokens: ctx}
	bon := map[int]reason.Point{}
	bestOf := func(calls float64) reason.Point {
		n := max(1, int(math.Round(calls)))
		if pt, ok := bon[n]; ok {
			return pt
		}
		pt := reason.Run("best-of-N", n, probs, func(rp reason.Problem, rng *rand.Rand) (string, int) {
			s := reason.Count(whole)
			c, _ := reason.BestOfN(rp, s, n, reason.VerifierScorer(rp), rng)
			return c, s.Calls()
		}, *seed+1)
		bon[n] = pt
		return pt
	}
	var rows [][]string
	var bonRoll, bonOrc []reason.Point
	for i, it := range iters {
		br, bo := bestOf(roll[i].Calls), bestOf(orc[i].Calls)
		bonRoll, bonOrc = append(bonRoll, br), append(bonOrc, bo)
		rows = append(rows, []string{fmt.Sprint(it),
			part4.Pct(roll[i].Accuracy), show.Num(roll[i].Calls, 1), part4.Pct(br.Accuracy), fmt.Sprint(br.Budget),
			part4.Pct(orc[i].Accuracy), show.Num(orc[i].Calls, 1), part4.Pct(bo.Accuracy), fmt.Sprint(bo.Budget)})
	}
	tBoN := time.Since(t0)
	show.Table(w, []string{"iterations", "MCTS rollout", "calls/puzzle", "best-of-N", "N", "MCTS oracle", "calls/puzzle", "best-of-N", "N"}, rows)
	fmt.Fprintln(w, "a model call is one sampled step line (MCTS: proposals and rollout steps) or one whole solution (best-of-N); verifier and oracle checks are free.")
	fmt.Fprintln(w, "best-of-N is run with N = the MCTS row's calls per puzzle, rounded; the verifier picks a correct sample if any.")
	fmt.Fprintln(w, "the oracle value is the exact solvability of a partial solution: free and perfect, an upper bound for any learned value (a PRM), not a method.")
	// Why the tree stalls: a node's K proposals are drawn once, so when every
	// first step proposed at the root is a dead end no iteration count helps.
	dead := 0
	rng := part2.Rng(*seed, 7)
	for _, p := range test {
		solver := countdown.NewSolver(p.Target)
		alive := false
		for range *k {
			line := reason.FirstLine(step.Sample(p.Prompt(), rng))
			alive = alive || (line != "" && p.OracleValue([]string{line}, solver) > 0)
		}
		if !alive {
			dead++
		}
	}
	fmt.Fprintf(w, "K = %d fresh first steps are all dead ends (oracle) on %s of the puzzles: with the oracle value the tree cannot solve them (with rollouts only a rollout from the root can), while best-of-N keeps drawing new first steps.\n", *k, part4.Pct(float64(dead)/float64(len(test))))
	fmt.Fprintln(w, "a step line is also about a quarter of a whole solution's tokens: at equal calls best-of-N writes several times more text.")
	fmt.Fprintf(w, "time: MCTS %.1f s, best-of-N %.1f s (%d budgets of N up to %d)\n", tMCTS.Seconds(), tBoN.Seconds(), len(bon), maxN)

	ch := &plot.LineChart{Title: "Chapter 30: solve rate against model calls", XLabel: "model calls per puzzle", YLabel: "solved", YMin: 0, YMax: 1}
	for _, s := range []struct {
		name string
		pts  []reason.Point
	}{{"MCTS, rollout value", roll}, {"MCTS, oracle value (upper bound)", orc}, {"best-of-N, verified", merge(bonRoll, bonOrc)}} {
		var xs, ys []float64
		for _, p := range s.pts {
			xs, ys = append(xs, p.Calls), append(ys, p.Accuracy)
		}
		ch.Add(s.name, xs, ys)
	}
	if err := part2.Write(w, ch, *out, "solve-rate.png"); err != nil {
		return err
	}
	last := len(iters) - 1
	effect.Rates("MCTS with rollouts against best-of-N at the same calls: solve rate (%)", fmt.Sprintf("best-of-%d", bonRoll[last].Budget), fmt.Sprintf("MCTS, %d iterations", iters[last]), bonRoll[last].Solved, roll[last].Solved).Print(w)
	fmt.Fprintf(w, "headline: at %d iterations MCTS with rollouts solves %s at %.1f calls (best-of-%d: %s); with the oracle value %s at %.1f calls (best-of-%d: %s)\n",
		iters[last], part4.Pct(roll[last].Accuracy), roll[last].Calls, bonRoll[last].Budget, part4.Pct(bonRoll[last].Accuracy),
		part4.Pct(orc[last].Accuracy), orc[last].Calls, bonOrc[last].Budget, part4.Pct(bonOrc[last].Accuracy))
	return nil
}

// parseIters reads a comma-separated list of positive, strictly increasing
// iteration budgets.
func parseIters(s string) ([]int, error) {
	var its []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-iters %q: %q is not a positive integer", s, f)
		}
		if len(its) > 0 && n <= its[len(its)-1] {
			return nil, fmt.Errorf("-iters %q: budgets must increase", s)
		}
		its = append(its, n)
	}
	return its, nil
}

// merge returns the points of a and b sorted by calls, one per budget N.
func merge(a, b []reason.Point) []reason.Point {
	seen := map[int]bool{}
	var out []reason.Point
	for _, p := range append(append([]reason.Point{}, a...), b...) {
		if !seen[p.Budget] {
			seen[p.Budget] = true
			out = append(out, p)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Calls < out[j-1].Calls; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
