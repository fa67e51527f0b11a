// Chapter 29 — best-of-N.
//
// A tiny GPT policy for countdown (chapters 27–28) samples N solutions per
// held-out puzzle; a scorer ranks them and the top one is the answer. The
// program measures accuracy against N for four scorers: the exact verifier
// (the ceiling: right whenever any sample is), a process reward model
// trained on oracle step labels (weakest line), an outcome reward model
// trained on final verdicts (last line), and a deliberately flawed scorer
// that trusts the last step — its arithmetic is right and it produces the
// target — without checking that the numbers it used were available, and
// prefers short solutions. For each scorer the program reports where its
// accuracy peaks and what is left at the largest N: a scorer that is
// optimised harder than it is right picks worse answers as N grows (the
// over-optimisation curve, drawn against the best-of-N KL bound
// log N − (N−1)/N), while the flawed scorer's own score keeps rising.
//
//	go run ./chapters/29-best-of-n [-max-n 16] [-label 1000] [-prm-steps 400] [-out out/29-best-of-n]
package main

import (
	"fmt"
	"io"
	"math"
	"os"
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
		fmt.Fprintln(os.Stderr, "29-best-of-n:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("29-best-of-n")
	cd := part4.CountdownFlags(fs)
	nLabel := fs.Int("label", 1000, "training puzzles whose sampled solutions train the reward models")
	per := fs.Int("per", 4, "solutions sampled per labelled puzzle")
	prmSteps := fs.Int("prm-steps", 400, "updates of each reward model")
	prmLR := fs.Float64("prm-lr", 1e-3, "peak learning rate of the reward models")
	prmBatch := fs.Int("prm-batch", 32, "solutions per reward-model update")
	maxN := fs.Int("max-n", 32, "largest N (a power of two)")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("label", *nLabel, "per", *per, "prm-steps", *prmSteps, "prm-batch", *prmBatch, "max-n", *maxN); err != nil {
		return err
	}
	if *maxN&(*maxN-1) != 0 {
		return fmt.Errorf("-max-n %d: must be a power of two", *maxN)
	}
	if err := cd.Validate(); err != nil {
		return err
	}
	if !(*prmLR > 0) {
		return fmt.Errorf("-prm-lr %g: must be positive", *prmLR)
	}
	part2.Intro(w, "Chapter 29 · Best-of-N: sample N, keep the one a scorer likes best", *seed, *out)

	show.Heading(w, "The policy and its reward models")
	tm, err := cd.Policy(w, *seed)
	if err != nil {
		return err
	}
	train, test, cfg, temp := cd.TrainPuzzles(), cd.HeldOut(), cd.Model, &cd.Temperature
	s := part4.Sampler{T: tm, Temperature: *temp, MaxTokens: cfg.Context}
	lp := train[:min(*nLabel, len(train))]
	var prompts []string
	for _, p := range lp {
		prompts = append(prompts, p.Prompt())
	}
	var prmD, ormD []part4.Labelled
	right := 0
	sols := s.Batch(prompts, *per, part2.Rng(*seed, 3))
	for i, p := range lp {
		sols[i] = append(sols[i], p.Completion()) // one gold solution per puzzle: positives to learn from
	}
	for i, o := range sols {
		for _, c := range o {
			ls := reason.Lines(c)
			if len(ls) == 0 {
				continue
			}
			prmD = append(prmD, part4.Labelled{Prompt: prompts[i], Steps: ls, Labels: part4.CountdownOracle(lp[i], ls)})
			ok := 0.0
			if lp[i].Verify(c) {
				ok, right = 1, right+1
			}
			wt := make([]float64, len(ls))
			wt[len(ls)-1] = 1
			ormD = append(ormD, part4.Labelled{Prompt: prompts[i], Steps: ls, Labels: append(make([]float64, len(ls)-1), ok), Weight: wt})
		}
	}
	if len(prmD) == 0 {
		return fmt.Errorf("the policy wrote no lines to label")
	}
	fmt.Fprintf(w, "%d solutions labelled (%d per puzzle sampled + 1 gold; %s verified); training a PRM on oracle step labels and an ORM on verdicts:\n", len(prmD), *per, part4.Pct(float64(right)/float64(len(prmD))))
	lr, bs := *prmLR, *prmBatch
	prm := part4.TrainPRM(w, tm, prmD, *prmSteps, bs, lr, *seed)
	orm := part4.TrainPRM(w, tm, ormD, *prmSteps, bs, lr, *seed)

	show.Heading(w, fmt.Sprintf("Sampling %d solutions per held-out puzzle and scoring each once", *maxN))
	t0 := time.Now()
	var tp []string
	for _, p := range test {
		tp = append(tp, p.Prompt())
	}
	cands := s.Batch(tp, *maxN, part2.Rng(*seed, 4))
	names := []string{"exact verifier", "PRM (min over lines)", "ORM (last line)", "flawed scorer"}
	prmS, ormS := reason.ProcessScorer(prm, reason.AggMin), reason.ProcessScorer(orm, reason.AggLast)
	// score[i][j][k]: scorer k on candidate j of puzzle i; ok[i][j] the verdict.
	score := make([][][]float64, len(test))
	ok := make([][]bool, len(test))
	cheat := make([][]bool, len(test))
	for i, p := range test {
		for _, c := range cands[i] {
			ls := reason.Lines(c)
			v := reason.OutcomeReward(p, c)
			score[i] = append(score[i], []float64{v, prmS.Score(tp[i], ls), ormS.Score(tp[i], ls), flawed(p, ls)})
			ok[i] = append(ok[i], v == 1)
			_, _, legal := p.StateAfter(countdown.ParseSteps(c))
			cheat[i] = append(cheat[i], !legal)
		}
	}
	fmt.Fprintf(w, "%d candidates sampled and scored by 3 scorers in %.1f s (one model call each per scorer)\n", len(test)**maxN, time.Since(t0).Seconds())

	show.Heading(w, "Accuracy of the top-ranked candidate against N")
	var ns []int
	for n := 1; n <= *maxN; n *= 2 {
		ns = append(ns, n)
	}
	acc := make([][]float64, len(names))
	each := make([][][]float64, len(names)) // [scorer][N][puzzle]: share of the puzzle's groups right, in %
	proxy, cheats := make([]float64, len(ns)), make([]float64, len(ns))
	var rows [][]string
	var xs []float64
	for ni, n := range ns {
		row := []string{fmt.Sprint(n), show.Num(math.Log(float64(n))-float64(n-1)/float64(n), 2)}
		for k := range names {
			hit, groups := 0.0, 0.0
			per := make([]float64, len(test))
			for i := range test {
				h0, g0 := hit, groups
				for g := 0; g+n <= *maxN; g += n {
					best := g
					for j := g + 1; j < g+n; j++ {
						if score[i][j][k] > score[i][best][k] {
							best = j
						}
					}
					groups++
					if ok[i][best] {
						hit++
					}
					if k == 3 {
						proxy[ni] += score[i][best][k]
						if cheat[i][best] {
							cheats[ni]++
						}
					}
				}
				per[i] = 100 * (hit - h0) / (groups - g0)
			}
			each[k] = append(each[k], per)
			acc[k] = append(acc[k], hit/groups)
			row = append(row, part4.Pct(hit/groups))
			if k == 3 {
				proxy[ni] /= groups
				cheats[ni] /= groups
			}
		}
		row = append(row, show.Num(proxy[ni], 3), part4.Pct(cheats[ni]))
		rows = append(rows, row)
		xs = append(xs, float64(ni))
	}
	show.Table(w, []string{"N", "KL bound", "verifier", "PRM", "ORM", "flawed", "flawed's own score", "its pick has an illegal line"}, rows)
	fmt.Fprintln(w, "each puzzle's samples are cut into disjoint groups of N; a group scores 1 when its top candidate verifies.")
	fmt.Fprintln(w, "KL bound: log N − (N−1)/N, the KL divergence of the best-of-N distribution from the policy's.")
	ch := &plot.LineChart{Title: "Chapter 29: best-of-N", XLabel: "log2 N", YLabel: "accuracy", YMin: 0, YMax: 1}
	for k, nm := range names {
		ch.Add(nm, xs, acc[k])
	}
	if err := part2.Write(w, ch, *out, "best-of-n.png"); err != nil {
		return err
	}
	ov := &plot.LineChart{Title: "Chapter 29: over-optimising a flawed scorer", XLabel: "log2 N", YLabel: "value", YMin: 0, YMax: 1.6}
	ov.Add("flawed score of pick", xs, proxy)
	ov.Add("true accuracy of pick", xs, acc[3])
	ov.Add("pick cheats", xs, cheats)
	if err := part2.Write(w, ov, *out, "over-optimisation.png"); err != nil {
		return err
	}
	last := len(ns) - 1
	for k, nm := range names[1:3] { // the learned scorers: PRM, ORM
		effect.Paired("best-of-N with the "+nm+": held-out accuracy (%)", "N = 1", fmt.Sprintf("N = %d", ns[last]), each[k+1][0], each[k+1][last]).Print(w)
	}
	show.Heading(w, "Over-optimisation: where each scorer peaks")
	var orow [][]string
	for k, nm := range names {
		pk := 0
		for i := range ns {
			if acc[k][i] > acc[k][pk] {
				pk = i
			}
		}
		verdict := "still rising or flat at the largest N"
		if acc[k][last] < acc[k][pk] {
			verdict = fmt.Sprintf("falls by %.1f points after its peak: over-optimised", 100*(acc[k][pk]-acc[k][last]))
		}
		orow = append(orow, []string{nm, fmt.Sprint(ns[pk]), part4.Pct(acc[k][pk]), part4.Pct(acc[k][last]), verdict})
	}
	show.Table(w, []string{"scorer", "best N", "accuracy there", fmt.Sprintf("at N = %d", ns[last]), ""}, orow)
	fmt.Fprintf(w, "headline: N = 1 → %d: verifier %s → %s, PRM → %s, ORM → %s, flawed scorer → %s (peak %s)\n", ns[last],
		part4.Pct(acc[0][0]), part4.Pct(acc[0][last]), part4.Pct(acc[1][last]), part4.Pct(acc[2][last]), part4.Pct(acc[3][last]), part4.Pct(maxOf(acc[3])))
	return nil
}

// flawed is a reward a hurried engineer might write: a solution scores 1
// when its last step line parses, its arithmetic is right and it produces
// the target, plus a bonus 1/(1+steps) for brevity. It never checks that a
// step's numbers were available, so "9*5=45" alone "solves" any puzzle
// with target 45.
func flawed(p countdown.Problem, lines []string) float64 {
	steps := countdown.ParseSteps(reason.Join(lines))
	if len(steps) == 0 {
		return 0
	}
	st, ok := countdown.ParseStep(steps[len(steps)-1])
	if !ok || st.C != p.Target {
		return 0
	}
	return 1 + 1/float64(1+len(steps))
}

func maxOf(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
