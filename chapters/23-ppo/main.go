// Chapter 23 — RLHF with PPO.
//
// The SFT model becomes a policy with a value head; a frozen copy is the
// reference. Each update samples replies to training prompts, pays each
// reply the reward model's score at its end and −β·(log π − log ref) on every
// token, estimates advantages with GAE and takes clipped PPO steps. The gold
// scorer, which PPO never sees, grades every rollout. Then the reward model
// is swapped for one trained on preferences that favour rambling: its score
// climbs while the gold score falls — reward hacking — and the KL coefficient
// decides how far the policy is allowed to drift.
//
//	go run ./chapters/23-ppo [-updates 30] [-kl 0.05] [-lr 2e-5] [-hack-kl 0.2] [-hack-lr 3e-4] [-out out/23-ppo]
package main

import (
	"fmt"
	"io"
	"os"

	"transformers/autograd"
	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part3"
	"transformers/chapters/internal/show"
	"transformers/finetune"
	"transformers/nn/plot"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "23-ppo:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("23-ppo")
	c := part3.AddFlags(fs)
	rmSteps := fs.Int("rm-steps", 80, "reward-model updates of 16 pairs")
	updates := fs.Int("updates", 30, "PPO updates (rollout of 16 prompts, then 4 epochs)")
	kl := fs.Float64("kl", part3.PPOKL, "KL coefficient β of the honest run (TRL's default 0.05)")
	hackKL := fs.Float64("hack-kl", 0.2, "the larger KL coefficient of the reward-hacking comparison (the smaller is 0)")
	lr := fs.Float64("lr", part3.PPOLR, "PPO learning rate of the honest run")
	hackLR := fs.Float64("hack-lr", 3e-4, "PPO learning rate of the reward-hacking runs (larger, so the drift shows within the updates)")
	every := fs.Int("log-every", 5, "updates between printed rows")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := part2.Positive("rm-steps", *rmSteps, "updates", *updates, "log-every", *every); err != nil {
		return err
	}
	if *lr <= 0 || *hackLR <= 0 {
		return fmt.Errorf("-lr %g and -hack-lr %g must be positive", *lr, *hackLR)
	}
	if *kl < 0 || *hackKL <= 0 {
		return fmt.Errorf("-kl %g must be at least 0 and -hack-kl %g positive", *kl, *hackKL)
	}
	part2.Intro(w, "Chapter 23 · RLHF with PPO", *seed, *out)
	wd := part3.NewWorld(*c, *seed)
	base, err := part3.Base(w, *c, wd, *seed, *out)
	if err != nil {
		return err
	}
	sft, _, err := part3.SFT(w, *c, wd, base, *seed, *out, false)
	if err != nil {
		return err
	}
	_, heldPrefs := part3.Preferences(wd, *seed)

	show.Heading(w, "Two reward models from the SFT model: honest, and one that likes length")
	rm, _, err := part3.RewardModel(w, *c, wd, sft, *seed, *out, *rmSteps, false, false)
	if err != nil {
		return err
	}
	biased, _, err := part3.RewardModel(w, *c, wd, sft, *seed, *out, *rmSteps, true, false)
	if err != nil {
		return err
	}
	var rows [][]string
	for _, r := range []struct {
		name string
		rm   *finetune.RewardModel
	}{{"honest", rm}, {"length-biased", biased}} {
		all := finetune.EvalRewardModel(r.rm, finetune.Tokenize(wd.Tok, heldPrefs), 32)
		con := finetune.EvalRewardModel(r.rm, finetune.Tokenize(wd.Tok, axis(heldPrefs, finetune.AxisConcise)), 32)
		cor := finetune.EvalRewardModel(r.rm, finetune.Tokenize(wd.Tok, axis(heldPrefs, finetune.AxisCorrect)), 32)
		rows = append(rows, []string{r.name, part3.Pct(all.Accuracy), part3.Pct(cor.Accuracy), part3.Pct(con.Accuracy)})
	}
	show.Table(w, []string{"reward model", "held-out accuracy (gold order)", "right vs wrong", "concise vs rambling"}, rows)

	show.Heading(w, "Step zero: the policy is the old policy and the reference")
	ac := finetune.NewActorCritic(sft.Clone(), part3.Rng(*seed, 62))
	prompts := part3.Prompts(wd.Tok, wd.Train[:8])
	comps := finetune.Sample(ac.Policy, prompts, 16, 1, part3.Rng(*seed, 63))
	for i := range comps {
		if len(comps[i]) == 0 {
			comps[i] = []int{5}
		}
	}
	cfg0 := finetune.DefaultPPOConfig()
	r0 := finetune.NewRollout(ac, sft.Reference(), prompts, comps, rm.RewardFunc()(prompts, comps), cfg0)
	_, st0 := finetune.PPOLoss(autograd.NoGrad(), ac, r0, cfg0)
	fmt.Fprintf(w, "val/ratio %s  policy/clipfrac_avg %s  policy/approxkl_avg %s  objective/kl %s\n",
		show.Num(st0.Policy.Ratio, 6), show.Num(st0.Policy.ClipFrac, 6), show.Num(st0.Policy.ApproxKL, 6), show.Num(st0.Rollout.KL, 6))

	show.Heading(w, fmt.Sprintf("PPO against the honest reward model: β = %g, γ = 1, λ = 0.95, ε = 0.2, lr %g, %d updates of 16 rollouts", *kl, *lr, *updates))
	heldBefore, repliesBefore := part3.Grade(sft, wd, wd.Held)
	pcfg := part3.PPOConfig(*updates, *kl, *lr)
	var tab [][]string
	names := []string{"objective/scores", "objective/kl", "objective/rlhf_reward", "policy/approxkl_avg", "policy/clipfrac_avg", "loss/policy_avg", "loss/value_avg", "val/ratio"}
	logRow := func(u int, r part3.PPOUpdate) {
		if u == 0 || (u+1)%*every == 0 || u+1 == *updates {
			m := r.Stats.Map()
			row := []string{fmt.Sprint(u + 1)}
			for _, n := range names {
				row = append(row, show.Num(m[n], 3))
			}
			tab = append(tab, append(row, show.Num(r.Gold, 3), show.Num(r.Length, 1)))
		}
	}
	policy, honest := part3.PPO(sft, wd, rm.RewardFunc(), pcfg, *seed, logRow)
	show.Table(w, append(append([]string{"update"}, names...), "gold", "length"), tab)
	heldAfter, repliesAfter := part3.Grade(policy, wd, wd.Held)
	fmt.Fprintf(w, "held-out prompts (greedy, gold scorer): SFT %s exact, score %s → PPO %s exact, score %s\n",
		part3.Pct(heldBefore.Accuracy), show.Num(heldBefore.Score, 3), part3.Pct(heldAfter.Accuracy), show.Num(heldAfter.Score, 3))
	effect.Paired("PPO: held-out gold score (points)", "SFT", "SFT + PPO", part3.Points(wd, wd.Held, repliesBefore), part3.Points(wd, wd.Held, repliesAfter)).Print(w)
	chart := &plot.LineChart{Title: "Chapter 23: PPO with the honest reward model", XLabel: "update", YLabel: "per rollout"}
	chart.AddY("RM score", series(honest, func(r part3.PPOUpdate) float64 { return r.Stats.Rollout.Scores }))
	chart.AddY("KL (sum per reply)", series(honest, func(r part3.PPOUpdate) float64 { return r.Stats.Rollout.KL }))
	chart.AddY("gold score", series(honest, func(r part3.PPOUpdate) float64 { return r.Gold }))
	if err := part2.Write(w, chart, *out, "ppo.png"); err != nil {
		return err
	}

	show.Heading(w, fmt.Sprintf("Reward hacking: PPO against the length-biased reward model, lr %g, β = 0 and β = %g", *hackLR, *hackKL))
	hack := &plot.LineChart{Title: "Chapter 23: reward hacking", XLabel: "update", YLabel: "per rollout"}
	var hrows [][]string
	for _, beta := range []float64{0, *hackKL} {
		_, recs := part3.PPO(sft, wd, biased.RewardFunc(), part3.PPOConfig(*updates, beta, *hackLR), *seed, nil)
		k := max(1, *updates/5)
		first := recs[:k]
		hrows = append(hrows, []string{fmt.Sprint(beta),
			show.Num(part3.Last(first, k, score), 3) + " → " + show.Num(part3.Last(recs, k, score), 3),
			show.Num(part3.Last(first, k, gold), 3) + " → " + show.Num(part3.Last(recs, k, gold), 3),
			show.Num(part3.Last(first, k, length), 1) + " → " + show.Num(part3.Last(recs, k, length), 1),
			show.Num(part3.Last(recs, k, kld), 2)})
		hack.AddY(fmt.Sprintf("RM score, beta %g", beta), series(recs, score))
		hack.AddY(fmt.Sprintf("gold, beta %g", beta), series(recs, gold))
	}
	show.Table(w, []string{"β", "biased RM score", "gold score", "reply length", "final KL"}, hrows)
	fmt.Fprintf(w, "first %d vs last %d updates, averaged; the gold scorer halves the score of a right answer that rambles on.\n", max(1, *updates/5), max(1, *updates/5))
	return part2.Write(w, hack, *out, "reward-hacking.png")
}

func score(r part3.PPOUpdate) float64  { return r.Stats.Rollout.Scores }
func gold(r part3.PPOUpdate) float64   { return r.Gold }
func length(r part3.PPOUpdate) float64 { return r.Length }
func kld(r part3.PPOUpdate) float64    { return r.Stats.Rollout.KL }

func series(recs []part3.PPOUpdate, f func(part3.PPOUpdate) float64) []float64 {
	ys := make([]float64, len(recs))
	for i, r := range recs {
		ys[i] = f(r)
	}
	return ys
}

func axis(prefs []finetune.Preference, a finetune.Axis) []finetune.Preference {
	var out []finetune.Preference
	for _, p := range prefs {
		if p.Axis == a {
			out = append(out, p)
		}
	}
	return out
}
