// Chapter 24 — DPO, and every method side by side.
//
// Direct preference optimisation trains the policy on the preference pairs
// themselves: −log σ(β[(log π_c − log ref_c) − (log π_r − log ref_r)]), no
// reward model and no sampling. It starts at exactly ln 2, and its implicit
// rewards β(log π − log ref) are logged with TRL's names. Then SFT alone,
// best-of-N with the reward model, PPO and DPO answer the same held-out
// prompts, graded by the gold scorer.
//
//	go run ./chapters/24-dpo [-dpo-steps 120] [-beta 0.5] [-lr 2e-5] [-n 8] [-temp 0.4] [-updates 30] [-out out/24-dpo]
package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"transformers/autograd"
	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part3"
	"transformers/chapters/internal/show"
	"transformers/finetune"
	"transformers/gpt"
	"transformers/nn/plot"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "24-dpo:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("24-dpo")
	c := part3.AddFlags(fs)
	steps := fs.Int("dpo-steps", 120, "DPO updates of 16 pairs")
	beta := fs.Float64("beta", 0.5, "DPO β: how far the policy may move from the reference")
	mean := fs.Bool("mean", false, "length-normalised DPO (mean instead of sum of token log-probabilities)")
	lr := fs.Float64("lr", 2e-5, "DPO learning rate")
	n := fs.Int("n", 8, "samples per prompt for best-of-N")
	temp := fs.Float64("temp", 0.4, "sampling temperature of best-of-N's candidates")
	rmSteps := fs.Int("rm-steps", 80, "reward-model updates (for best-of-N and PPO)")
	updates := fs.Int("updates", 30, "PPO updates")
	every := fs.Int("log-every", 20, "steps between printed rows")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := part2.Positive("dpo-steps", *steps, "n", *n, "rm-steps", *rmSteps, "updates", *updates, "log-every", *every); err != nil {
		return err
	}
	if *beta <= 0 || *lr <= 0 {
		return fmt.Errorf("-beta %g and -lr %g must be positive", *beta, *lr)
	}
	if !(*temp >= 0) || math.IsInf(*temp, 1) {
		return fmt.Errorf("-temp %g: must be 0 (greedy) or positive", *temp)
	}
	part2.Intro(w, "Chapter 24 · DPO, and DPO vs PPO vs best-of-N", *seed, *out)
	wd := part3.NewWorld(*c, *seed)
	base, err := part3.Base(w, *c, wd, *seed, *out)
	if err != nil {
		return err
	}
	sft, _, err := part3.SFT(w, *c, wd, base, *seed, *out, false)
	if err != nil {
		return err
	}
	trainPrefs, heldPrefs := part3.Preferences(wd, *seed)
	pairs, held := finetune.Tokenize(wd.Tok, trainPrefs), finetune.Tokenize(wd.Tok, heldPrefs)
	ref := sft.Reference()
	policy := sft.Clone()

	show.Heading(w, "Step zero: the policy is the reference")
	loss0, st0 := finetune.DPOBatchLoss(autograd.NoGrad(), policy, ref, pairs.Subset(seq(min(16, pairs.Len()))), *beta, *mean)
	fmt.Fprintf(w, "DPO loss %s, ln 2 = %s; rewards/margins %s\n", show.Num(float64(loss0.Value.Data[0]), 6), show.Num(math.Ln2, 6), show.Num(st0.Margin, 6))
	heldBefore := implicit(policy, ref, held, *beta, *mean)

	show.Heading(w, fmt.Sprintf("Training: %d steps of 16 pairs, β = %g, lr %g, %s", *steps, *beta, *lr, map[bool]string{false: "summed log-probabilities", true: "length-normalised"}[*mean]))
	cfg := finetune.PairTrainConfig{Steps: *steps, BatchSize: 16, LR: *lr, ClipNorm: 1}
	var rows [][]string
	cfg.Log = func(s int, _ finetune.RewardStats, d finetune.DPOStats) {
		if s == 0 || (s+1)%*every == 0 || s+1 == *steps {
			rows = append(rows, []string{fmt.Sprint(s + 1), show.Num(d.Loss, 4), show.Num(d.Chosen, 3), show.Num(d.Rejected, 3), show.Num(d.Margin, 3), part3.Pct(d.Accuracy)})
		}
	}
	log := finetune.TrainDPO(policy, ref, pairs, *beta, *mean, cfg, part3.Rng(*seed, 70))
	show.Table(w, []string{"step", "loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies"}, rows)
	heldAfter := implicit(policy, ref, held, *beta, *mean)
	show.Table(w, []string{"held-out pairs", "loss", "rewards/margins", "rewards/accuracies"}, [][]string{
		{"before (π = ref)", show.Num(heldBefore.Loss, 4), show.Num(heldBefore.Margin, 3), part3.Pct(heldBefore.Accuracy)},
		{"after DPO", show.Num(heldAfter.Loss, 4), show.Num(heldAfter.Margin, 3), part3.Pct(heldAfter.Accuracy)},
	})
	chart := &plot.LineChart{Title: "Chapter 24: DPO", XLabel: "step", YLabel: "per batch"}
	ls, ms, as := make([]float64, len(log)), make([]float64, len(log)), make([]float64, len(log))
	for i, d := range log {
		ls[i], ms[i], as[i] = d.Loss, d.Margin, d.Accuracy
	}
	chart.AddY("loss", ls).AddY("rewards/margins", ms).AddY("rewards/accuracies", as)
	if err := part2.Write(w, chart, *out, "dpo.png"); err != nil {
		return err
	}

	show.Heading(w, "The reward model and PPO, for the comparison")
	rm, _, err := part3.RewardModel(w, *c, wd, sft, *seed, *out, *rmSteps, false, false)
	if err != nil {
		return err
	}
	ppo, recs := part3.PPO(sft, wd, rm.RewardFunc(), part3.PPOConfig(*updates, part3.PPOKL, part3.PPOLR), *seed, nil)
	fmt.Fprintf(w, "PPO: %d updates, RM score %s → %s on its rollouts\n", len(recs), show.Num(recs[0].Stats.Rollout.Scores, 3), show.Num(part3.Last(recs, 5, func(r part3.PPOUpdate) float64 { return r.Stats.Rollout.Scores }), 3))

	show.Heading(w, fmt.Sprintf("The same %d held-out prompts, graded by the gold scorer", len(wd.Held)))
	prompts := part3.Prompts(wd.Tok, wd.Held)
	var tab [][]string
	sftPoints := []float64(nil)
	var effects []effect.Result
	add := func(name string, replies []string) {
		s := wd.Scorer.Summarise(wd.Held, replies)
		l := 0
		for _, r := range replies {
			l += len(r)
		}
		pts := part3.Points(wd, wd.Held, replies)
		gain := "—"
		if sftPoints == nil {
			sftPoints = pts
		} else {
			e := effect.Paired(name+": held-out gold score (points)", "SFT", name, sftPoints, pts)
			effects = append(effects, e)
			gain = fmt.Sprintf("%+.1f ± %.1f", e.Gain, e.SE)
		}
		tab = append(tab, []string{name, part3.Pct(s.Accuracy), part3.Pct(s.Concise), show.Num(s.Score, 3), gain, show.Num(float64(l)/float64(max(1, len(replies))), 1)})
	}
	_, r := part3.Grade(sft, wd, wd.Held)
	add("SFT (greedy)", r)
	add("SFT (one sample, T = 1)", decode(wd, finetune.Sample(sft, prompts, part3.MaxReply, 1, part3.Rng(*seed, 71))))
	comps, _ := finetune.BestOfN(sft, rm, prompts, *n, part3.MaxReply, *temp, part3.Rng(*seed, 72))
	add(fmt.Sprintf("best-of-%d (RM, T = %g)", *n, *temp), decode(wd, comps))
	_, r = part3.Grade(ppo, wd, wd.Held)
	add("PPO (greedy)", r)
	_, r = part3.Grade(policy, wd, wd.Held)
	add("DPO (greedy)", r)
	show.Table(w, []string{"method", "exact accuracy", "right and concise", "gold score", "gain over SFT (points ± paired SE)", "reply length (bytes)"}, tab)
	best := effects[1] // of best-of-N, PPO and DPO
	for _, e := range effects[2:] {
		if e.Gain > best.Gain {
			best = e
		}
	}
	fmt.Fprintf(w, "best: %s, %+.1f ± %.1f points of gold score over SFT on the same %d held-out prompts\n", best.After, best.Gain, best.SE, best.N)
	for _, e := range effects[1:] {
		e.Print(w)
	}
	return nil
}

// implicit measures DPO's implicit rewards on pairs without gradients.
func implicit(policy, ref *gpt.Model, p finetune.Pairs, beta float64, mean bool) finetune.DPOStats {
	var pc, pr, rc, rr []float32
	for i := 0; i < p.Len(); i += 32 {
		b := p.Subset(seq(min(p.Len(), i+32))[i:])
		ng := autograd.NoGrad()
		pc = append(pc, finetune.SequenceLogProbs(ng, policy, b.Prompts, b.Chosen, mean).Value.Data...)
		pr = append(pr, finetune.SequenceLogProbs(ng, policy, b.Prompts, b.Rejected, mean).Value.Data...)
		rc = append(rc, finetune.SequenceLogProbs(ng, ref, b.Prompts, b.Chosen, mean).Value.Data...)
		rr = append(rr, finetune.SequenceLogProbs(ng, ref, b.Prompts, b.Rejected, mean).Value.Data...)
	}
	return finetune.ComputeDPOStats(pc, pr, rc, rr, beta)
}

func decode(wd part3.World, comps [][]int) []string {
	out := make([]string, len(comps))
	for i, c := range comps {
		out[i] = finetune.DecodeReply(wd.Tok, c)
	}
	return out
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
