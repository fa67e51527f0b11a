// Chapter 28 — a process reward model.
//
// A tiny GPT policy learns countdown (as in chapter 27). Its own sampled
// solutions to training puzzles are then labelled step by step, two ways:
// exactly, by the solvability oracle (after this line, can the target still
// be reached?), and by Monte-Carlo rollouts (the share of m continuations
// from this line that end verified, Math-Shepherd style, which needs no
// oracle). A copy of the policy with a scalar head read at the end of every
// line is trained on each kind of label (a process reward model, PRM), and
// a third copy on the final verdict alone (an outcome reward model, ORM).
// On held-out puzzles the program measures how well each scores steps, and
// how often the candidate it ranks first among N is right, scoring by the
// weakest step (step level) or by the last line alone (answer level).
//
//	go run ./chapters/28-process-reward [-n 8] [-rollouts 2] [-prm-steps 300] [-out out/28-process-reward]
package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part4"
	"transformers/chapters/internal/show"
	"transformers/reason"
	"transformers/reason/countdown"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "28-process-reward:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("28-process-reward")
	cd := part4.CountdownFlags(fs)
	nLabel := fs.Int("label", 300, "training puzzles whose sampled solutions are labelled for the reward models")
	per := fs.Int("per", 4, "solutions sampled per labelled puzzle")
	m := fs.Int("rollouts", 2, "Monte-Carlo continuations per step")
	prmSteps := fs.Int("prm-steps", 300, "updates of each reward model")
	prmLR := fs.Float64("prm-lr", 1e-3, "peak learning rate of the reward models")
	prmBatch := fs.Int("prm-batch", 32, "solutions per reward-model update")
	n := fs.Int("n", 8, "candidates ranked per held-out puzzle")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("label", *nLabel, "per", *per, "rollouts", *m, "prm-steps", *prmSteps, "prm-batch", *prmBatch, "n", *n); err != nil {
		return err
	}
	if err := cd.Validate(); err != nil {
		return err
	}
	if !(*prmLR > 0) {
		return fmt.Errorf("-prm-lr %g: must be positive", *prmLR)
	}
	part2.Intro(w, "Chapter 28 · A process reward model: scoring every step", *seed, *out)

	show.Heading(w, "The policy: countdown, trained on one solver-found solution per puzzle")
	tm, err := cd.Policy(w, *seed)
	if err != nil {
		return err
	}
	train, test, cfg, temp := cd.TrainPuzzles(), cd.HeldOut(), cd.Model, &cd.Temperature
	s := part4.Sampler{T: tm, Temperature: *temp, MaxTokens: cfg.Context}

	show.Heading(w, "Step labels on the policy's own solutions: oracle and Monte-Carlo")
	lp := train[:min(*nLabel, len(train))]
	var prompts []string
	for _, p := range lp {
		prompts = append(prompts, p.Prompt())
	}
	t0 := time.Now()
	sols := s.Batch(prompts, *per, part2.Rng(*seed, 3))
	for i, p := range lp {
		sols[i] = append(sols[i], p.Completion()) // one gold solution per puzzle: positives to learn from
	}
	var owner []int
	var flatPrompts []string
	var lines [][]string
	for i, o := range sols {
		for _, c := range o {
			owner, flatPrompts, lines = append(owner, i), append(flatPrompts, prompts[i]), append(lines, reason.Lines(c))
		}
	}
	mc, calls := part4.RolloutLabels(s, flatPrompts, lines, func(k int, c string) bool { return lp[owner[k]].Verify(c) }, *m, part2.Rng(*seed, 4))
	var oracleD, mcD, ormD []part4.Labelled
	agree, total, right := 0, 0, 0
	for k, ls := range lines {
		if len(ls) == 0 {
			continue
		}
		p := lp[owner[k]]
		or := oracle(p, ls)
		oracleD = append(oracleD, part4.Labelled{Prompt: flatPrompts[k], Steps: ls, Labels: or})
		mcD = append(mcD, part4.Labelled{Prompt: flatPrompts[k], Steps: ls, Labels: mc[k]})
		ok := 0.0
		if p.Verify(reason.Join(ls)) {
			ok, right = 1, right+1
		}
		wt := make([]float64, len(ls))
		wt[len(ls)-1] = 1
		ormD = append(ormD, part4.Labelled{Prompt: flatPrompts[k], Steps: ls, Labels: append(make([]float64, len(ls)-1), ok), Weight: wt})
		for j := range ls {
			total++
			if (mc[k][j] > 0) == (or[j] > 0.5) {
				agree++
			}
		}
	}
	show.KV(w, "solutions", fmt.Sprintf("%d (%d puzzles × %d sampled + 1 gold), %s verified", len(oracleD), len(lp), *per, part4.Pct(float64(right)/float64(max(1, len(oracleD))))),
		"lines labelled", fmt.Sprint(total),
		"Monte-Carlo cost", fmt.Sprintf("%d model calls (%d per line) in %.1f s", calls, *m, time.Since(t0).Seconds()),
		"agreement", fmt.Sprintf("%s of lines: Monte-Carlo label > 0 exactly when the oracle says the line keeps the target reachable", part4.Pct(float64(agree)/float64(max(1, total)))))
	if len(oracleD) > 0 {
		fmt.Fprintf(w, "e.g. %q\n", flatPrompts[0])
		rows := [][]string{}
		for j, l := range oracleD[0].Steps {
			rows = append(rows, []string{fmt.Sprintf("%q", l), show.Num(oracleD[0].Labels[j], 0), show.Num(mcD[0].Labels[j], 2)})
		}
		show.Table(w, []string{"line", "oracle", "Monte-Carlo"}, rows)
	}
	if len(oracleD) == 0 {
		return fmt.Errorf("the policy wrote no lines to label")
	}

	show.Heading(w, fmt.Sprintf("Training three scorers (%d updates each, a copy of the policy + a scalar head)", *prmSteps))
	lr, bs := *prmLR, *prmBatch
	t0 = time.Now()
	fmt.Fprintln(w, "PRM on oracle labels:")
	prmO := part4.TrainPRM(w, tm, oracleD, *prmSteps, bs, lr, *seed)
	fmt.Fprintln(w, "PRM on Monte-Carlo labels:")
	prmM := part4.TrainPRM(w, tm, mcD, *prmSteps, bs, lr, *seed)
	fmt.Fprintln(w, "ORM on the final verdict only:")
	orm := part4.TrainPRM(w, tm, ormD, *prmSteps, bs, lr, *seed)
	fmt.Fprintf(w, "trained in %.1f s\n", time.Since(t0).Seconds())

	show.Heading(w, fmt.Sprintf("Held-out puzzles: %d candidates each, scored", *n))
	var tp []string
	for _, p := range test {
		tp = append(tp, p.Prompt())
	}
	cands := s.Batch(tp, *n, part2.Rng(*seed, 5))
	scorers := []struct {
		name string
		s    *part4.PRM
	}{{"PRM (oracle labels)", prmO}, {"PRM (Monte-Carlo labels)", prmM}, {"ORM (outcome labels)", orm}}
	// Step scoring against the oracle, over every line of every candidate.
	var rows [][]string
	for _, sc := range scorers {
		hit, cnt, firstHit, firstCnt := 0, 0, 0, 0
		for i, p := range test {
			for _, c := range cands[i] {
				ls := reason.Lines(c)
				if len(ls) == 0 {
					continue
				}
				or := oracle(p, ls)
				got := sc.s.StepScores(tp[i], ls)
				fo, fg := first(or), first(got)
				for j := range ls {
					cnt++
					if (got[j] > 0.5) == (or[j] > 0.5) {
						hit++
					}
				}
				if fo < len(ls) {
					firstCnt++
					if fg == fo {
						firstHit++
					}
				}
			}
		}
		rows = append(rows, []string{sc.name, part4.Pct(float64(hit) / float64(max(1, cnt))), part4.Pct(float64(firstHit) / float64(max(1, firstCnt)))})
	}
	show.Table(w, []string{"scorer", "lines judged as the oracle does", "first bad line found exactly"}, rows)
	fmt.Fprintln(w, "a line is judged right when the score (> 0.5 or not) agrees with the oracle label; the second column counts")
	fmt.Fprintln(w, "flawed candidates whose first line scoring ≤ 0.5 is exactly the first line the oracle rejects.")

	show.Heading(w, fmt.Sprintf("Ranking: the share of held-out puzzles whose top-ranked of %d candidates is right", *n))
	ranked := func(score func(i int, lines []string) float64) float64 {
		solved := 0
		for i, p := range test {
			best, bi := -1.0, 0
			for j, c := range cands[i] {
				if v := score(i, reason.Lines(c)); v > best {
					best, bi = v, j
				}
			}
			if p.Verify(cands[i][bi]) {
				solved++
			}
		}
		return float64(solved) / float64(len(test))
	}
	rng := rand.New(rand.NewPCG(*seed, 6))
	rows = [][]string{{"one candidate at random", "—", part4.Pct(ranked(func(int, []string) float64 { return rng.Float64() }))}}
	for _, sc := range scorers {
		for _, a := range []struct {
			name string
			agg  reason.StepAgg
		}{{"weakest line (min)", reason.AggMin}, {"last line only", reason.AggLast}} {
			ps := reason.ProcessScorer(sc.s, a.agg)
			rows = append(rows, []string{sc.name, a.name, part4.Pct(ranked(func(i int, ls []string) float64 { return ps.Score(tp[i], ls) }))})
		}
	}
	rows = append(rows, []string{"exact verifier (ceiling)", "—", part4.Pct(ranked(func(i int, ls []string) float64 { return reason.OutcomeReward(test[i], reason.Join(ls)) }))})
	show.Table(w, []string{"scorer", "solution score", "solved"}, rows)
	fmt.Fprintln(w, "each scorer reads a candidate once (one model call per candidate); ties go to the earlier candidate.")
	return nil
}

// oracle is part4.CountdownOracle: the exact label of every line.
func oracle(p countdown.Problem, lines []string) []float64 { return part4.CountdownOracle(p, lines) }

// first is the index of the first score ≤ 0.5, or len(scores).
func first(scores []float64) int {
	for i, v := range scores {
		if v <= 0.5 {
			return i
		}
	}
	return len(scores)
}
