// Chapter 32 — GRPO: group-relative policy optimisation with verifiable
// rewards.
//
// A tiny GPT learns two-digit addition, answer only ("47+38\n" → "A:85\n"),
// from a supervised run that leaves it right on about half of the held-out
// questions. GRPO then improves it with no critic and no reward model: each
// step draws P training problems, samples G completions of each from the
// current policy at temperature 1, pays each completion 1 if the exact
// verifier accepts its final answer and 0 otherwise (a well-formatted wrong
// answer earns nothing), and scores each sample against its own group,
//
//	Aᵢ = (rᵢ − mean r) / (std r + ε),
//
// so a group whose samples are all right or all wrong teaches nothing (the
// share of such groups is frac_reward_zero_std). The loss is PPO's clipped
// ratio ρ = π/π_old times Aᵢ on every completion token (μ updates per batch
// of samples; the first has ρ = 1 exactly), plus optionally β·KL to the
// frozen SFT model with Schulman's k1, k2 or k3 estimator, averaged per
// sequence (GRPO) or per token (DAPO). Held-out accuracy — greedy, sampled
// and pass@k — is measured before and after on questions the policy never
// trained on. -format steps runs the same loop on the worked scratchpad of
// chapter 25 instead.
//
//	go run ./chapters/32-grpo [-steps 300] [-prompts 32] [-group 8] [-kl k3] [-beta 0.04] [-agg seq] [-out out/32-grpo]
package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part4"
	"transformers/chapters/internal/show"
	"transformers/nn"
	"transformers/nn/plot"
	"transformers/reason"
	"transformers/reason/arith"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "32-grpo:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("32-grpo")
	cfg := part4.Config{Layers: 2, DModel: 64, Steps: 600, Batch: 32, LR: 1e-2}
	digits := fs.Int("digits", 2, "digits of each operand")
	formatName := fs.String("format", "direct", "completion format: steps (worked scratchpad) or direct (answer only)")
	nTrain := fs.Int("train", 3000, "training problems (SFT examples and GRPO prompts)")
	nTest := fs.Int("test", 500, "held-out problems")
	fs.IntVar(&cfg.Steps, "sft-steps", cfg.Steps, "supervised updates (kept short so the policy is mediocre)")
	fs.IntVar(&cfg.Batch, "sft-batch", cfg.Batch, "examples per supervised update")
	fs.IntVar(&cfg.Layers, "layers", cfg.Layers, "transformer blocks")
	fs.IntVar(&cfg.DModel, "d-model", cfg.DModel, "residual width (4 heads)")
	fs.Float64Var(&cfg.LR, "sft-lr", cfg.LR, "peak supervised learning rate")
	steps := fs.Int("steps", 300, "GRPO steps")
	nPrompts := fs.Int("prompts", 32, "problems per GRPO step (P)")
	group := fs.Int("group", 8, "samples per problem (G)")
	updates := fs.Int("updates", 2, "gradient updates per batch of samples (μ)")
	lr := fs.Float64("lr", 3e-4, "GRPO learning rate (AdamW, constant)")
	clip := fs.Float64("clip", 0.2, "ε of the clipped ratio")
	beta := fs.Float64("beta", 0.04, "KL weight β (0: no KL term)")
	klName := fs.String("kl", "k3", "KL estimator: k1, k2 or k3")
	aggName := fs.String("agg", "seq", "loss aggregation: seq (per sequence, GRPO) or token (per token, DAPO)")
	temp := fs.Float64("temperature", 1, "sampling temperature of the rollouts")
	evalK := fs.Int("eval-k", 8, "samples per held-out problem for sampled accuracy and pass@k")
	every := fs.Int("log-every", 25, "GRPO steps between printed rows")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("digits", *digits, "train", *nTrain, "test", *nTest, "steps", *steps, "prompts", *nPrompts,
		"eval-k", *evalK, "log-every", *every); err != nil {
		return err
	}
	if *digits > 6 {
		return fmt.Errorf("-digits %d: at most 6", *digits)
	}
	format := arith.Steps
	switch *formatName {
	case "steps":
	case "direct":
		format = arith.Direct
	default:
		return fmt.Errorf("-format %q: want steps or direct", *formatName)
	}
	kl, err := parseKL(*klName)
	if err != nil {
		return err
	}
	agg, err := parseAgg(*aggName)
	if err != nil {
		return err
	}
	if !(*lr > 0) || math.IsInf(*lr, 1) {
		return fmt.Errorf("-lr %g: must be positive", *lr)
	}
	if !(*clip > 0 && *clip < 1) {
		return fmt.Errorf("-clip %g: must be in (0, 1)", *clip)
	}
	if !(*beta >= 0) || math.IsInf(*beta, 1) {
		return fmt.Errorf("-beta %g: must be at least 0", *beta)
	}
	if !(*temp > 0) || math.IsInf(*temp, 1) {
		return fmt.Errorf("-temperature %g: must be positive", *temp)
	}
	if *group < 2 {
		return fmt.Errorf("-group %d: GRPO needs at least 2 samples per problem to compare", *group)
	}
	if *updates < 1 {
		return fmt.Errorf("-updates %d: must be at least 1", *updates)
	}
	cfg.Seed = *seed
	part2.Intro(w, "Chapter 32 · GRPO: groups of samples, verifiable rewards, no critic", *seed, *out)

	taskName := "answer only"
	if format == arith.Steps {
		taskName = "with a worked scratchpad"
	}
	show.Heading(w, fmt.Sprintf("The task: %d-digit addition, %s, checked exactly", *digits, taskName))
	ac := arith.Config{Op: arith.Add, MinDigits: *digits, MaxDigits: *digits, Format: format}
	train := arith.Generate(part2.Rng(*seed, 1), ac, arith.Train, *nTrain)
	test := arith.Generate(part2.Rng(*seed, 2), ac, arith.HeldOut, *nTest)
	data := part4.FormatMix(train, format)
	fmt.Fprintf(w, "%q → %q\n", test[0].Prompt(), test[0].Completion())
	cfg.Context = part4.Context(part4.Tokenizer(), data)
	show.KV(w, "training problems", fmt.Sprintf("%d of %d digits: the SFT data and the pool of GRPO prompts", len(train), *digits),
		"held-out problems", fmt.Sprintf("%d, disjoint from training by a hash of the question", len(test)),
		"reward", "1 if the final line A:<n> is the exact sum, else 0 (reason.OutcomeReward)")

	show.Heading(w, fmt.Sprintf("The starting policy: SFT for only %d updates of %d examples", cfg.Steps, cfg.Batch))
	tm, err := part4.LoadOrTrain(w, *out, "sft", cfg, data)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d parameters, context %d", tm.Model.ParamCount().Total, cfg.Context)
	if !tm.Cached {
		fmt.Fprintf(w, ", trained in %.1f s", tm.Time.Seconds())
	}
	fmt.Fprintln(w)
	before := evaluate(tm, test, *evalK, part2.Rng(*seed, 3))
	fmt.Fprintf(w, "held-out: greedy %s, sampled (T = 1) %s per sample, pass@%d %s\n",
		part4.Pct(before.greedy), part4.Pct(before.sampled), *evalK, part4.Pct(before.passK))

	policy := tm.Model.Clone()
	tr := &part4.GRPO{
		Policy: policy, Ref: tm.Model.Reference(), Tok: tm.Tok,
		Opt:   nn.NewAdamW(nn.DecayGroups(policy.Parameters(), 0), *lr),
		Loss:  reason.GRPOConfig{Clip: float32(*clip), Beta: float32(*beta), KL: kl, Agg: agg},
		Group: *group, Updates: *updates, MaxTokens: cfg.Context, Temperature: *temp, Eps: 1e-4, GradClip: 1,
	}
	if err := tr.Validate(); err != nil {
		return err
	}
	show.Heading(w, fmt.Sprintf("GRPO: %d steps of %d problems × %d samples, μ = %d, ε = %g, β = %g (%s), %s aggregation, lr %g",
		*steps, *nPrompts, *group, *updates, *clip, *beta, *klName, aggTitle(agg), *lr))
	rng := part2.Rng(*seed, 4)
	var hist []part4.GRPOStats
	var tab [][]string
	t0 := time.Now()
	cpu0, _ := part2.CPUTime()
	for step := range *steps {
		batch := make([]reason.Problem, *nPrompts)
		for i := range batch {
			batch[i] = train[rng.IntN(len(train))]
		}
		st := tr.Step(batch, rng)
		hist = append(hist, st)
		if step == 0 || (step+1)%*every == 0 || step+1 == *steps {
			tab = append(tab, []string{fmt.Sprint(step + 1), show.Num(st.Reward, 3), show.Num(st.FracZeroStd, 3),
				show.Num(st.Length, 1), show.Num(st.Truncated, 3), show.Num(st.KL, 5), show.Num(st.ClipFrac, 4), show.Num(st.Loss, 4)})
		}
	}
	cpu1, okCPU := part2.CPUTime()
	show.Table(w, []string{"step", "reward", "frac_reward_zero_std", "completions/mean_length", "truncated", "kl", "clip_ratio", "loss"}, tab)
	fmt.Fprintf(w, "%d completions sampled and scored in %.1f s", *steps**nPrompts**group, time.Since(t0).Seconds())
	if okCPU {
		fmt.Fprintf(w, " (%.1f s CPU)", (cpu1 - cpu0).Seconds())
	}
	fmt.Fprintln(w)
	k := max(1, *steps/5)
	fmt.Fprintf(w, "mean over the first %d vs last %d steps: reward %s → %s, frac_reward_zero_std %s → %s, length %s → %s\n", k, k,
		show.Num(avg(hist[:k], reward), 3), show.Num(avg(hist[len(hist)-k:], reward), 3),
		show.Num(avg(hist[:k], zeroStd), 3), show.Num(avg(hist[len(hist)-k:], zeroStd), 3),
		show.Num(avg(hist[:k], length), 1), show.Num(avg(hist[len(hist)-k:], length), 1))
	for i, s := range hist[len(hist)-1].Samples {
		if hist[len(hist)-1].Rewards[i] == 0 {
			fmt.Fprintf(w, "a wrong sample of the last step, reward 0: %q\n", s)
			break
		}
	}

	rc := &plot.LineChart{Title: "Chapter 32: GRPO reward", XLabel: "step", YLabel: "share of samples / groups"}
	rc.AddY("reward (mean)", series(hist, reward))
	rc.AddY("frac_reward_zero_std", series(hist, zeroStd))
	if err := part2.Write(w, rc, *out, "reward.png"); err != nil {
		return err
	}
	kc := &plot.LineChart{Title: fmt.Sprintf("Chapter 32: KL to the SFT policy (%s)", *klName), XLabel: "step", YLabel: "KL per token"}
	kc.AddY("kl", series(hist, func(s part4.GRPOStats) float64 { return s.KL }))
	if err := part2.Write(w, kc, *out, "kl.png"); err != nil {
		return err
	}
	lc := &plot.LineChart{Title: "Chapter 32: completion length", XLabel: "step", YLabel: "tokens"}
	lc.AddY("completions/mean_length", series(hist, length))
	if err := part2.Write(w, lc, *out, "length.png"); err != nil {
		return err
	}

	show.Heading(w, "Held-out accuracy before and after GRPO")
	after := evaluate(&part4.Trained{Model: policy, Tok: tm.Tok}, test, *evalK, part2.Rng(*seed, 3))
	show.Table(w, []string{"policy", "greedy", "sampled (T = 1)", fmt.Sprintf("pass@%d", *evalK), "mean length"}, [][]string{
		{"SFT", part4.Pct(before.greedy), part4.Pct(before.sampled), part4.Pct(before.passK), show.Num(before.length, 1)},
		{"SFT + GRPO", part4.Pct(after.greedy), part4.Pct(after.sampled), part4.Pct(after.passK), show.Num(after.length, 1)},
	})
	gained, lost := 0, 0
	for i := range test {
		switch {
		case after.right[i] && !before.right[i]:
			gained++
		case before.right[i] && !after.right[i]:
			lost++
		}
	}
	// The two accuracies are measured on the same problems, so the change is
	// (gained − lost)/n; its standard error under the paired (McNemar) view
	// is √(gained + lost)/n.
	fmt.Fprintf(w, "greedy, same %d problems: %d went wrong → right, %d right → wrong; change %+.1f points (± %.1f, paired standard error)\n",
		len(test), gained, lost, 100*(after.greedy-before.greedy), 100*math.Sqrt(float64(gained+lost))/float64(len(test)))
	effect.Rates("GRPO: held-out greedy accuracy (%)", "SFT", "SFT + GRPO", before.right, after.right).Print(w)
	fmt.Fprintf(w, "headline: held-out greedy accuracy %s → %s after %d GRPO steps (%d samples)\n",
		part4.Pct(before.greedy), part4.Pct(after.greedy), *steps, *steps**nPrompts**group)
	return nil
}

// acc is one policy's held-out accuracy.
type acc struct {
	greedy, sampled, passK, length float64
	right                          []bool // greedy answer right, per problem
}

// evaluate measures greedy accuracy, the mean accuracy of k samples at
// temperature 1, the share of problems with at least one right sample
// (pass@k) and the mean greedy completion length in tokens.
func evaluate(tm *part4.Trained, test []arith.Problem, k int, rng *rand.Rand) acc {
	prompts := make([]string, len(test))
	for i, p := range test {
		prompts[i] = p.Prompt()
	}
	var a acc
	g := part4.Sampler{T: tm, MaxTokens: tm.Model.Config.Context}.Batch(prompts, 1, nil)
	s := part4.Sampler{T: tm, Temperature: 1, MaxTokens: tm.Model.Config.Context}.Batch(prompts, k, rng)
	for i, p := range test {
		ok := p.Verify(g[i][0])
		a.right = append(a.right, ok)
		if ok {
			a.greedy++
		}
		a.length += float64(len(tm.Encode(g[i][0])) + 1)
		any := false
		for _, c := range s[i] {
			if p.Verify(c) {
				a.sampled++
				any = true
			}
		}
		if any {
			a.passK++
		}
	}
	n := float64(len(test))
	a.greedy, a.sampled, a.passK, a.length = a.greedy/n, a.sampled/(n*float64(k)), a.passK/n, a.length/n
	return a
}

func parseKL(s string) (reason.KLEstimator, error) {
	switch strings.ToLower(s) {
	case "k1":
		return reason.K1, nil
	case "k2":
		return reason.K2, nil
	case "k3":
		return reason.K3, nil
	}
	return 0, fmt.Errorf("-kl %q: want k1, k2 or k3", s)
}

func parseAgg(s string) (reason.Aggregation, error) {
	switch s {
	case "seq":
		return reason.PerSequence, nil
	case "token":
		return reason.PerToken, nil
	}
	return 0, fmt.Errorf("-agg %q: want seq or token", s)
}

func aggTitle(a reason.Aggregation) string {
	if a == reason.PerToken {
		return "per-token"
	}
	return "per-sequence"
}

func reward(s part4.GRPOStats) float64  { return s.Reward }
func zeroStd(s part4.GRPOStats) float64 { return s.FracZeroStd }
func length(s part4.GRPOStats) float64  { return s.Length }

func avg(h []part4.GRPOStats, f func(part4.GRPOStats) float64) float64 {
	s := 0.0
	for _, x := range h {
		s += f(x)
	}
	return s / float64(max(1, len(h)))
}

func series(h []part4.GRPOStats, f func(part4.GRPOStats) float64) []float64 {
	ys := make([]float64, len(h))
	for i, x := range h {
		ys[i] = f(x)
	}
	return ys
}
